"""What does the workspace database look like, and how is an older one brought up to date?

The schema has a version, kept in ``meta.schema_version``. Version 1 is ``BASE_SCHEMA`` below, frozen:
it is never edited. Every later change is one ``Migration`` appended to ``MIGRATIONS``, numbered
2, 3, ...; a new store is made by creating version 1 and applying every migration, so a new store and
a migrated old one have the same schema by construction.

To change the schema (a column, a table, an index), append a step::

    Migration(2, "runs: the source file and content hash of imported runs",
              "ALTER TABLE runs ADD COLUMN source_path TEXT; ALTER TABLE runs ADD COLUMN source_sha256 TEXT")

``apply`` is either SQL statements separated by ``;`` or a function ``apply(db)`` given the
``sqlite3.Connection`` (for data transformations). It runs inside the store's migration transaction:
do not COMMIT, do not use ``executescript``. If another step landed first with your number, take the
next one. ``tests/engine/test_store_schema.py`` checks that the numbers follow each other and that a
version-1 store migrates to the same schema a new store gets.

On open (``open_schema``): a new or empty file gets the current schema; a store of an older version is
copied to a backup file next to it, then migrated in one transaction (all steps or none); a store of a
newer version, a database that is not a workbench store, and a store missing a table or a column are
refused with a ``StoreError`` that says which and what to do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class StoreError(RuntimeError):
    """The store cannot do what was asked (unknown run, unreadable or damaged file, read-only)."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of the workbench."""


POINT_COLUMNS = (
    "frequency_hz",
    "z_real_ohm",
    "z_imag_ohm",
    "voltage_v",
    "current_a",
    "current_density_mA_cm2",
    "half_cycle",
    "step",
    "temperature_c",
    "setpoint_c",
    "set_current_density_mA_cm2",   # schema version 4
)

#: Schema version 1, as first released. Frozen: change the schema with a ``Migration``.
BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    sample_name TEXT,
    surface_state TEXT,
    thickness_mm REAL,
    electrode_diameter_mm REAL,
    area_cm2 REAL,
    sample_notes TEXT,
    temperature_c REAL,
    instruments TEXT,
    software_version TEXT,
    parameters TEXT,
    plan TEXT,
    result TEXT,
    abort_reason TEXT
);
CREATE TABLE IF NOT EXISTS points (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    time_s REAL NOT NULL,
    frequency_hz REAL, z_real_ohm REAL, z_imag_ohm REAL, voltage_v REAL, current_a REAL,
    current_density_mA_cm2 REAL, half_cycle INTEGER, step INTEGER, temperature_c REAL, setpoint_c REAL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS points_kind ON points(run_id, kind, seq);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    time_s REAL,
    kind TEXT NOT NULL,
    payload TEXT
);
CREATE TABLE IF NOT EXISTS run_owners (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
    host TEXT NOT NULL,
    pid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    created_at TEXT NOT NULL,
    circuit TEXT NOT NULL,
    values_json TEXT NOT NULL,
    errors_json TEXT,
    chi_square REAL,
    notes TEXT
);
"""


@dataclass(frozen=True)
class Migration:
    """One step from schema version ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: str | Callable[[sqlite3.Connection], None]

    def run(self, db: sqlite3.Connection) -> None:
        if callable(self.apply):
            self.apply(db)
        else:
            for statement in statements(self.apply):
                db.execute(statement)


#: Every schema change after version 1, in order. Append; never edit a step that has landed.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "fits: the interface resistance kept with a fitted run (value, uncertainty, method, arcs) as JSON",
              "ALTER TABLE fits ADD COLUMN result_json TEXT"),
    Migration(3, "runs: the source file, its SHA-256 and its format, for runs imported from users' files",
              "ALTER TABLE runs ADD COLUMN source_path TEXT; ALTER TABLE runs ADD COLUMN source_sha256 TEXT; "
              "ALTER TABLE runs ADD COLUMN source_format TEXT; "
              "CREATE INDEX IF NOT EXISTS runs_source_sha256 ON runs(source_sha256)"),
    Migration(4, "points: current_density_mA_cm2 is the measured current density of a cycling point (current_a "
                 "over the run's area); the density that was set goes in set_current_density_mA_cm2",
              "ALTER TABLE points ADD COLUMN set_current_density_mA_cm2 REAL;"
              "UPDATE points SET set_current_density_mA_cm2 = current_density_mA_cm2 WHERE kind = 'cycling' "
              "AND run_id IN (SELECT id FROM runs WHERE source_path IS NULL);"   # imported runs set nothing
              "UPDATE points SET current_density_mA_cm2 = current_a * 1000.0 / "
              "(SELECT area_cm2 FROM runs WHERE runs.id = points.run_id) "
              "WHERE kind = 'cycling' AND current_a IS NOT NULL "
              "AND (SELECT area_cm2 FROM runs WHERE runs.id = points.run_id) > 0"),
)


def schema_version() -> int:
    """The version this code reads and writes: 1 plus the number of migrations."""
    return 1 + len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """Split SQL text into complete statements (without ``executescript``, which commits)."""
    out, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                out.append(pending.strip())
            pending = ""
    if pending.strip(" \n\t;"):
        out.append(pending.strip())
    return out


def _tables(db: sqlite3.Connection) -> set[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    return {name for (name,) in rows}


def _columns(db: sqlite3.Connection, table: str) -> dict[str, tuple[bool, object]]:
    """name -> (NOT NULL, default) of a table's columns."""
    return {row[1]: (bool(row[3]), row[4]) for row in db.execute(f'PRAGMA table_info("{table}")')}


def _create(db: sqlite3.Connection, migrations: tuple[Migration, ...]) -> None:
    """The current schema on an empty database (inside the caller's transaction)."""
    for statement in statements(BASE_SCHEMA):
        db.execute(statement)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '1')")
    for step in migrations:
        step.run(db)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(1 + len(migrations)),))


_reference: dict[tuple, dict[str, dict[str, tuple[bool, object]]]] = {}


def expected_tables() -> dict[str, dict[str, tuple[bool, object]]]:
    """table -> columns of the current schema (made once in memory)."""
    key = tuple(MIGRATIONS)
    if key not in _reference:
        db = sqlite3.connect(":memory:", isolation_level=None)
        _create(db, MIGRATIONS)
        _reference[key] = {table: _columns(db, table) for table in _tables(db)}
        db.close()
    return _reference[key]


def stored_version(db: sqlite3.Connection, path: Path) -> int | None:
    """The store's schema version; None for an empty database."""
    tables = _tables(db)
    if not tables:
        return None
    if "meta" not in tables:
        raise StoreError(
            f"{path} is an SQLite database but not a workbench store (tables {', '.join(sorted(tables))}, "
            "no 'meta' table); choose another file with --store."
        )
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise StoreError(
            f"{path}: damaged workbench store (its schema version is {row[0] if row else 'missing'!r}, "
            "expected a whole number); restore it from a backup or choose another file with --store."
        ) from None


def backup(db: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the store (consistently, through SQLite's backup API) next to itself before a migration."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.stem}.v{version}-backup-{stamp}{path.suffix}")
    k = 1
    while target.exists():
        k += 1
        target = path.with_name(f"{path.stem}.v{version}-backup-{stamp}-{k}{path.suffix}")
    copy = sqlite3.connect(target)
    try:
        db.backup(copy)
    finally:
        copy.close()
    return target


@dataclass(frozen=True)
class Opened:
    """What ``open_schema`` found and did."""

    version: int
    created: bool = False
    migrated_from: int | None = None
    backup_path: Path | None = None


def open_schema(db: sqlite3.Connection, path: Path, *, read_only: bool, in_memory: bool = False) -> Opened:
    """Create, check or migrate the schema of an open connection (autocommit mode); see the module."""
    current = schema_version()
    version = stored_version(db, path)
    if version is None:
        if read_only:
            raise StoreError(f"{path} is empty and read-only: there is no workbench store to read in it.")
        db.execute("BEGIN IMMEDIATE")
        try:
            if stored_version(db, path) is None:  # nobody created it meanwhile
                _create(db, MIGRATIONS)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        check(db, path)
        return Opened(current, created=True)
    if version > current:
        raise StoreVersionError(
            f"{path} was written by a newer NZSP Workbench (store schema version {version}; this version "
            f"reads up to {current}). Open it with that newer version, or choose another file with --store; "
            "nothing was changed in it."
        )
    if version < 1:
        raise StoreError(f"{path}: damaged workbench store (schema version {version}); choose another file.")
    if version == current:
        check(db, path)
        return Opened(version)
    if read_only:
        raise StoreError(
            f"{path} is a store of schema version {version} that must be updated to version {current}, "
            "but it is read-only; open it once with write access (a backup is made first)."
        )
    saved = None if in_memory else backup(db, path, version)
    db.execute("BEGIN IMMEDIATE")
    try:
        version = stored_version(db, path) or version  # another process may have migrated it meanwhile
        for step in MIGRATIONS:
            if step.version > version:
                step.run(db)
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(current),))
        check(db, path)
        db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        db.execute("ROLLBACK")
        raise StoreError(
            f"{path}: updating the store from schema version {version} to {current} failed ({exc}); "
            f"nothing was changed{f', and a copy is in {saved}' if saved else ''}."
        ) from exc
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return Opened(current, migrated_from=version, backup_path=saved)


def check(db: sqlite3.Connection, path: Path) -> None:
    """Every table and column of the current schema is there, and no extra column demands a value."""
    have = _tables(db)
    for table, columns in expected_tables().items():
        if table not in have:
            raise StoreError(
                f"{path}: damaged workbench store: table {table!r} is missing (schema version "
                f"{schema_version()}); restore it from a backup or choose another file with --store."
            )
        actual = _columns(db, table)
        missing = [c for c in columns if c not in actual]
        if missing:
            raise StoreError(
                f"{path}: damaged workbench store: table {table!r} lacks column(s) {', '.join(missing)} "
                f"(schema version {schema_version()}); restore it from a backup or choose another file "
                "with --store."
            )
        demanding = [c for c, (not_null, default) in actual.items() if c not in columns and not_null
                     and default is None]
        if demanding:
            raise StoreError(
                f"{path}: table {table!r} has column(s) {', '.join(demanding)} this version does not know "
                "and cannot fill; the store was probably changed by another program. Choose another file "
                "with --store."
            )
