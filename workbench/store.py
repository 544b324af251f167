"""Where runs are kept: one SQLite database per workspace.

Every data point is committed before any listener sees it (the runner calls ``add_point`` and only
then its listeners), so what the user saw on screen is on disk, and killing the process at any moment
loses nothing it had emitted. The database runs in WAL mode with one transaction per point.

Durability: with ``durability="process"`` (default, ``synchronous=NORMAL``) a committed point survives
the death of the process (SIGKILL, crash); with ``durability="power"`` (``synchronous=FULL``) each
commit is also fsynced and survives a power cut, at a few thousand points per second instead of tens
of thousands (see ``benchmarks/engine_speed.py``).

Tables: ``runs`` (one row per run: sample, geometry, instruments, parameters, plan, result, status),
``points`` (run id, seq, kind, time and the kind's values, NULL elsewhere), ``events`` (safety events,
steps, failures, as JSON) and ``fits`` (equivalent-circuit fits attached to a run).
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
import os
import socket
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from workbench.events import POINT_FIELDS
from workbench.host import default_workspace, process_alive
from workbench.store_schema import (
    POINT_COLUMNS,
    StoreError,
    StoreVersionError,
    open_schema,
    schema_version,
)

SCHEMA_VERSION = schema_version()

__all__ = ["POINT_COLUMNS", "SCHEMA_VERSION", "RunRecord", "Store", "StoreError", "StoreVersionError"]


def default_store_path() -> Path:
    """``<data folder>/nzsp-workbench/workspace.sqlite``: ``~/.local/share`` (or ``$XDG_DATA_HOME``) on Linux,
    ``%LOCALAPPDATA%`` on Windows, ``~/Library/Application Support`` on macOS (``workbench.host``)."""
    return default_workspace()



def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def to_jsonable(value: Any) -> Any:
    """Dataclasses, numpy numbers, tuples and non-finite floats turned into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


#: why a run found 'running' whose process has gone is 'interrupted'
INTERRUPTED_TEXT = "the process running it ended without finishing it; the points it had measured are kept"
#: the same, for a run that set a current: nothing switched the cycler's output off
INTERRUPTED_WITH_CURRENT_TEXT = (
    "THE CURRENT MAY STILL BE ON: check the cycler's output and switch it off (front panel) or disconnect the "
    "cell leads before touching the cell. The process running this run ended without finishing it (killed, "
    "crashed or power lost), so nothing switched the output off; the points it had measured are kept"
)


def _has_key(value: Any, key: str) -> bool:
    """Whether ``key`` is a key of ``value`` or of any dict nested in it (a sequence's plan nests steps)."""
    if isinstance(value, dict):
        return key in value or any(_has_key(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_has_key(v, key) for v in value)
    return False


def _dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value))


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _loads(text: Any) -> dict[str, Any]:
    """A JSON column as a dict; a damaged cell is shown as such, never guessed at."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"unreadable": str(text)[:200]}
    return value if isinstance(value, dict) else {"unreadable": str(text)[:200]}


@dataclass(frozen=True)
class RunRecord:
    """One row of ``runs``, JSON columns decoded."""

    id: int
    kind: str
    status: str
    started_at: str
    finished_at: str | None
    sample_name: str | None
    surface_state: str | None
    thickness_mm: float | None
    electrode_diameter_mm: float | None
    area_cm2: float | None
    sample_notes: str | None
    temperature_c: float | None
    instruments: dict[str, str]
    software_version: str | None
    parameters: dict[str, Any]
    plan: dict[str, Any]
    result: dict[str, Any]
    abort_reason: str | None
    # runs imported from a user's file (status 'imported'): the file, its content's SHA-256, its format
    source_path: str | None = None
    source_sha256: str | None = None
    source_format: str | None = None


class Store:
    """The workspace database. Thread-safe: one connection, one lock."""

    def __init__(
        self, path: str | Path | None = None, *, durability: str = "process", read_only: bool = False
    ):
        """Open (or create) the store at ``path``; see ``workbench.store_schema`` for what is checked.

        A store whose file (or folder) cannot be written is opened read-only: reading works, every
        write raises ``StoreError`` saying why (``read_only`` and ``read_only_reason`` tell before).
        ``read_only=True`` opens it read-only on purpose. ``migrated_from`` and ``backup_path`` say
        whether an older store was brought up to date on opening, and where its copy is."""
        if durability not in ("process", "power"):
            raise ValueError("durability must be 'process' or 'power'")
        self.path = Path(path) if path is not None else default_store_path()
        in_memory = str(self.path) == ":memory:"
        self.read_only = bool(read_only) and not in_memory
        self.read_only_reason = "it was opened read-only" if self.read_only else ""
        self.migrated_from: int | None = None
        self.backup_path: Path | None = None
        self._lock = threading.RLock()
        self._next_seq: dict[int, int] = {}
        if not in_memory and not self.path.exists():
            if self.read_only:
                raise StoreError(f"{self.path}: no such store.")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot make the folder {self.path.parent}: {exc.strerror or exc}.") from None
        self._db: sqlite3.Connection | None = None
        try:
            self._connect(in_memory)
            self._db.execute(f"PRAGMA synchronous={'FULL' if durability == 'power' else 'NORMAL'}")
            opened = open_schema(self._db, self.path, read_only=self.read_only, in_memory=in_memory)
            if not self.read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # SQLite's message may quote damaged bytes
            self._close_quietly()
            raise StoreError(f"{self.path}: not a workbench store, or a damaged one ({exc}).") from exc
        except BaseException:
            self._close_quietly()
            raise
        self.schema_version = opened.version
        self.migrated_from, self.backup_path = opened.migrated_from, opened.backup_path
        self.mark_interrupted_runs()

    def _connect(self, in_memory: bool) -> None:
        """Connect read-write if the file allows it, else read-only, and say why in ``read_only_reason``."""
        self._connect_once(in_memory)
        self._db.text_factory = _text  # a damaged text cell reads as U+FFFD, not as a UnicodeDecodeError

    def _connect_once(self, in_memory: bool) -> None:
        if in_memory:
            self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            return
        uri = self.path.resolve().as_uri()
        self._db = sqlite3.connect(
            f"{uri}?mode=ro" if self.read_only else uri, uri=True, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA busy_timeout=5000")
        try:
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_CANTOPEN" or not self.path.is_file():
                raise
            # a WAL store in a folder we cannot write (no -shm file can be made): read it as it is on disk
            self._db.close()
            self._db = sqlite3.connect(
                f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
            )
            self.read_only = True
            self.read_only_reason = f"neither the file nor its folder {self.path.parent} can be written"
            return
        if self.read_only:
            return
        try:  # a write that changes nothing, rolled back: does the file take writes?
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(f"PRAGMA user_version={int(version)}")
            finally:
                self._db.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_READONLY":
                raise
            self.read_only = True
            self.read_only_reason = "the file cannot be written (read-only file, folder or medium)"

    def _close_quietly(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass

    @contextmanager
    def _writing(self):
        """The lock, a refusal on a read-only store, and SQLite's errors as ``StoreError``."""
        if self.read_only:
            raise StoreError(
                f"the store {self.path} is read-only ({self.read_only_reason}): nothing can be recorded in "
                "it. Use --store with a file you can write, or make this one writable."
            )
        with self._lock:
            try:
                yield self._db
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def mark_interrupted_runs(self) -> list[int]:
        """Runs still 'running' whose process on this machine has gone (killed, crashed, power lost)
        become 'interrupted'; their points up to that moment are kept. Returns their ids."""
        if self.read_only:
            return []
        host = socket.gethostname()
        with self._writing():
            rows = self._db.execute(
                "SELECT r.id, o.pid FROM runs r JOIN run_owners o ON o.run_id = r.id "
                "WHERE r.status = 'running' AND o.host = ?", (host,)).fetchall()
            gone = [run_id for run_id, pid in rows if not process_alive(pid)]
            for run_id in gone:
                reason = INTERRUPTED_TEXT
                if self._drives_current(run_id):
                    reason = INTERRUPTED_WITH_CURRENT_TEXT
                self._db.execute("UPDATE runs SET status='interrupted', abort_reason=? WHERE id=?", (reason, run_id))
            return gone

    def _drives_current(self, run_id: int) -> bool:
        """Whether a run set a current: its plan has a step with a current, or it stored a cycling point."""
        row = self._db.execute("SELECT plan FROM runs WHERE id=?", (run_id,)).fetchone()
        try:
            plan = json.loads(row[0]) if row and row[0] else {}
        except ValueError:
            plan = {}
        if _has_key(plan, "current_mA"):
            return True
        return self._db.execute(
            "SELECT 1 FROM points WHERE run_id=? AND kind='cycling' LIMIT 1", (run_id,)).fetchone() is not None

    # --- writing -------------------------------------------------------------------------------
    def create_run(
        self,
        kind: str,
        *,
        sample: Any = None,
        parameters: Any = None,
        plan: Any = None,
        instruments: dict[str, str] | None = None,
        temperature_c: float | None = None,
        software_version: str | None = None,
    ) -> int:
        """Open a run (status ``running``) and return its id."""
        s = sample
        row = (
            kind,
            "running",
            _now_iso(),
            getattr(s, "name", None),
            getattr(s, "surface_state", None),
            getattr(s, "thickness_mm", None),
            getattr(s, "electrode_diameter_mm", None),
            getattr(s, "area_cm2", None),
            getattr(s, "notes", None),
            temperature_c,
            _dumps(instruments or {}),
            software_version,
            _dumps(parameters or {}),
            _dumps(plan or {}),
            _dumps({}),
        )
        with self._writing():
            cur = self._db.execute(
                "INSERT INTO runs (kind, status, started_at, sample_name, surface_state, thickness_mm, "
                "electrode_diameter_mm, area_cm2, sample_notes, temperature_c, instruments, "
                "software_version, parameters, plan, result) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            run_id = int(cur.lastrowid)
            self._db.execute("INSERT INTO run_owners VALUES (?,?,?)", (run_id, socket.gethostname(), os.getpid()))
            self._next_seq[run_id] = 0
            return run_id

    def add_imported_run(
        self,
        kind: str,
        *,
        sample: Any,
        source_path: str | Path,
        source_sha256: str,
        source_format: str,
        points: list[tuple[str, float, dict[str, float]]],
        parameters: Any = None,
        result: Any = None,
        temperature_c: float | None = None,
        software_version: str | None = None,
    ) -> int:
        """Store a run read from a user's file, all at once (status ``imported``): the run and its points
        are committed in one transaction, or nothing is. Returns the run's id."""
        s = sample
        now = _now_iso()
        row = (
            kind, "imported", now, now, getattr(s, "name", None), getattr(s, "surface_state", None),
            getattr(s, "thickness_mm", None), getattr(s, "electrode_diameter_mm", None), getattr(s, "area_cm2", None),
            getattr(s, "notes", None), temperature_c, _dumps({"source": "imported from a file"}), software_version,
            _dumps(parameters or {}), _dumps({}), _dumps(result or {}), str(source_path), source_sha256,
            source_format,
        )
        with self._writing():
            self._db.execute("BEGIN")
            try:
                cur = self._db.execute(
                    "INSERT INTO runs (kind, status, started_at, finished_at, sample_name, surface_state, "
                    "thickness_mm, electrode_diameter_mm, area_cm2, sample_notes, temperature_c, instruments, "
                    "software_version, parameters, plan, result, source_path, source_sha256, source_format) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    row,
                )
                run_id = int(cur.lastrowid)
                rows = []
                for seq, (point_kind, time_s, values) in enumerate(points):
                    if point_kind not in POINT_FIELDS:
                        raise StoreError(f"unknown point kind {point_kind!r}; expected one of {sorted(POINT_FIELDS)}")
                    rows.append((run_id, seq, point_kind, float(time_s), *[values.get(c) for c in POINT_COLUMNS]))
                self._db.executemany(
                    f"INSERT INTO points (run_id, seq, kind, time_s, {', '.join(POINT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * (4 + len(POINT_COLUMNS)))})",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._next_seq[run_id] = len(points)
            return run_id

    def imported_runs(self, source_sha256: str) -> list[int]:
        """Ids of the runs imported from a file with this content (SHA-256), oldest first."""
        rows = self._query("SELECT id FROM runs WHERE source_sha256=? AND status='imported' ORDER BY id",
                           (source_sha256,))
        return [int(r[0]) for r in rows]

    def add_point(self, run_id: int, kind: str, time_s: float, values: dict[str, float]) -> int:
        """Commit one point; return its sequence number within the run (0, 1, 2, ...)."""
        return self.add_points(run_id, [(kind, time_s, values)])[0]

    def add_points(self, run_id: int, points: list[tuple[str, float, dict[str, float]]]) -> list[int]:
        """Commit several points in one transaction; return their sequence numbers."""
        with self._writing():
            seq = self._next_seq.get(run_id)
            if seq is None:
                row = self._db.execute(
                    "SELECT COALESCE(MAX(seq) + 1, 0) FROM points WHERE run_id=?", (run_id,)
                ).fetchone()
                seq = int(row[0])
            rows, seqs = [], []
            for kind, time_s, values in points:
                if kind not in POINT_FIELDS:
                    raise StoreError(f"unknown point kind {kind!r}; expected one of {sorted(POINT_FIELDS)}")
                rows.append((run_id, seq, kind, float(time_s), *[values.get(c) for c in POINT_COLUMNS]))
                seqs.append(seq)
                seq += 1
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    f"INSERT INTO points (run_id, seq, kind, time_s, {', '.join(POINT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * (4 + len(POINT_COLUMNS)))})",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._next_seq[run_id] = seq
            return seqs

    def add_event(self, run_id: int, kind: str, payload: Any, time_s: float | None = None) -> None:
        with self._writing():
            self._db.execute(
                "INSERT INTO events (run_id, time_s, kind, payload) VALUES (?,?,?,?)",
                (run_id, time_s, kind, _dumps(payload)),
            )

    def set_temperature(self, run_id: int, temperature_c: float) -> None:
        """The stage temperature the run's measurement was made at (read when its spectrum began)."""
        with self._writing():
            self._db.execute("UPDATE runs SET temperature_c=? WHERE id=?", (float(temperature_c), run_id))

    def finish_run(self, run_id: int, status: str, *, reason: str = "", result: Any = None) -> None:
        """Record how the run ended; raises ``StoreError`` unless the run's row now says so."""
        with self._writing():
            cur = self._db.execute(
                "UPDATE runs SET status=?, finished_at=?, abort_reason=?, result=? WHERE id=?",
                (status, _now_iso(), reason or None, _dumps(result or {}), run_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"{self.path}: no run {run_id} to record the end of")
            self._next_seq.pop(run_id, None)

    def add_fit(
        self,
        run_id: int,
        circuit: str,
        values: dict[str, float],
        *,
        errors: dict[str, float] | None = None,
        chi_square: float | None = None,
        notes: str = "",
        result: dict[str, Any] | None = None,
    ) -> int:
        """Attach an equivalent-circuit fit to a run; ``result``: what was derived from it (e.g. the interface
        resistance's ``to_dict()``), kept as JSON."""
        with self._writing():
            cur = self._db.execute(
                "INSERT INTO fits (run_id, created_at, circuit, values_json, errors_json, chi_square, notes, "
                "result_json) VALUES (?,?,?,?,?,?,?,?)",
                (run_id, _now_iso(), circuit, _dumps(values), _dumps(errors or {}), chi_square, notes,
                 None if result is None else _dumps(result)),
            )
            return int(cur.lastrowid)

    # --- reading -------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                raise StoreError(f"{self.path}: {exc}") from exc
            except OverflowError:  # a run id or value beyond SQLite's 64-bit integers: there is no such row
                return []

    def runs(self) -> list[RunRecord]:
        """All runs, oldest first."""
        return [self._record(row) for row in self._query(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id")]

    def run(self, run_id: int) -> RunRecord:
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id=?", (int(run_id),))
        if not rows:
            raise StoreError(f"no run {run_id} in {self.path}; `python -m workbench runs` lists them.")
        return self._record(rows[0])

    @staticmethod
    def _record(row: tuple) -> RunRecord:
        values = dict(zip(_RUN_COLUMNS.split(", "), row, strict=True))
        for key in ("instruments", "parameters", "plan", "result"):
            values[key] = _loads(values[key])
        return RunRecord(**values)

    def points(self, run_id: int, kind: str, *, as_frame: bool = False):
        """The run's points of one kind: a dict of numpy arrays (seq, time_s and the kind's values),
        or a pandas DataFrame with ``as_frame=True``."""
        if kind not in POINT_FIELDS:
            raise StoreError(f"unknown point kind {kind!r}; expected one of {sorted(POINT_FIELDS)}")
        columns = ("seq", "time_s", *POINT_FIELDS[kind])
        rows = self._query(
            f"SELECT {', '.join(columns)} FROM points WHERE run_id=? AND kind=? ORDER BY seq",
            (int(run_id), kind),
        )
        try:
            table = np.array(rows, dtype=float).reshape(len(rows), len(columns))
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{self.path}: run {run_id} has {kind} points that are not numbers ({exc}).") from None
        arrays = {c: table[:, i] for i, c in enumerate(columns)}
        arrays["seq"] = arrays["seq"].astype(np.int64)
        for key in ("half_cycle", "step"):
            if key in arrays:
                arrays[key] = arrays[key].astype(np.int64)
        if as_frame:
            import pandas as pd

            return pd.DataFrame(arrays)
        return arrays

    def point_blocks(self, run_id: int, kind: str, columns: tuple[str, ...] | None = None, *,
                     block: int = 50_000):
        """The run's points of one kind in blocks of at most ``block`` points, in order: each a dict of
        numpy arrays (seq, time_s and ``columns``, by default all the kind's values; a missing value is
        NaN). Each block is one short query, so a reader on another thread never holds the store for
        long (a run of a million points is read while the window stays responsive)."""
        if kind not in POINT_FIELDS:
            raise StoreError(f"unknown point kind {kind!r}; expected one of {sorted(POINT_FIELDS)}")
        wanted = tuple(columns) if columns is not None else POINT_FIELDS[kind]
        unknown = [c for c in wanted if c not in POINT_FIELDS[kind] and c != "time_s"]
        if unknown:
            raise StoreError(f"{kind} points have no {', '.join(unknown)}; they have {', '.join(POINT_FIELDS[kind])}")
        names = ("seq", "time_s", *[c for c in wanted if c != "time_s"])
        last = -1
        while True:
            rows = self._query(
                f"SELECT {', '.join(names)} FROM points WHERE run_id=? AND kind=? AND seq>? ORDER BY seq LIMIT ?",
                (int(run_id), kind, last, int(block)),
            )
            if not rows:
                return
            last = int(rows[-1][0])
            try:
                table = np.array(rows, dtype=float).reshape(len(rows), len(names))
            except (TypeError, ValueError) as exc:
                raise StoreError(f"{self.path}: run {run_id} has {kind} points that are not numbers ({exc}).") from None
            arrays = {c: table[:, i] for i, c in enumerate(names)}
            arrays["seq"] = arrays["seq"].astype(np.int64)
            yield arrays
            if len(rows) < block:
                return

    def add_point_arrays(self, run_id: int, kind: str, time_s, columns: dict[str, Any]) -> int:
        """Commit a block of points of one kind given as arrays (``time_s`` and one array per value in
        ``columns``; a value not given is NULL), in one transaction. Returns the number of points.
        For many points at once (a long measurement read from a file): no dict per point."""
        if kind not in POINT_FIELDS:
            raise StoreError(f"unknown point kind {kind!r}; expected one of {sorted(POINT_FIELDS)}")
        unknown = [c for c in columns if c not in POINT_FIELDS[kind]]
        if unknown:
            raise StoreError(f"{kind} points have no {', '.join(unknown)}; they have {', '.join(POINT_FIELDS[kind])}")
        times = np.asarray(time_s, dtype=float).tolist()
        n = len(times)
        values = []
        for c in POINT_COLUMNS:
            if c in columns:
                column = np.asarray(columns[c])
                if column.shape != (n,):
                    raise StoreError(f"{c}: {column.shape[0] if column.ndim else 1} values for {n} times")
                values.append(column.tolist())
            else:
                values.append(itertools.repeat(None, n))
        with self._writing():
            seq = self._next_seq.get(run_id)
            if seq is None:
                row = self._db.execute(
                    "SELECT COALESCE(MAX(seq) + 1, 0) FROM points WHERE run_id=?", (run_id,)
                ).fetchone()
                seq = int(row[0])
            rows = zip(itertools.repeat(run_id), range(seq, seq + n), itertools.repeat(kind), times, *values)
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    f"INSERT INTO points (run_id, seq, kind, time_s, {', '.join(POINT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * (4 + len(POINT_COLUMNS)))})",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._next_seq[run_id] = seq + n
            return n

    def spectrum(self, run_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The run's impedance points as (frequency_hz, complex Z in Ohm); empty arrays if it has none."""
        data = self.points(run_id, "impedance")
        return data["frequency_hz"], data["z_real_ohm"] + 1j * data["z_imag_ohm"]

    def point_seqs(self, run_id: int) -> set[int]:
        return {r[0] for r in self._query("SELECT seq FROM points WHERE run_id=?", (int(run_id),))}

    def point_kinds(self, run_id: int) -> dict[str, int]:
        """How many points of each kind a run holds."""
        rows = self._query("SELECT kind, COUNT(*) FROM points WHERE run_id=? GROUP BY kind", (int(run_id),))
        return dict(rows)

    def events(self, run_id: int, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT kind, time_s, payload FROM events WHERE run_id=?"
        args: tuple = (int(run_id),)
        if kind is not None:
            sql += " AND kind=?"
            args += (kind,)
        rows = self._query(sql + " ORDER BY id", args)
        return [{"kind": k, "time_s": t, **_loads(p)} for k, t, p in rows]

    def fits(self, run_id: int) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT id, created_at, circuit, values_json, errors_json, chi_square, notes, result_json "
            "FROM fits WHERE run_id=? ORDER BY id",
            (int(run_id),),
        )
        return [
            {
                "id": i,
                "created_at": c,
                "circuit": circ,
                "values": _loads(v),
                "errors": _loads(e),
                "chi_square": x,
                "notes": n,
                "result": _loads(r) if r else None,
            }
            for i, c, circ, v, e, x, n, r in rows
        ]

    def latest_results(self) -> dict[int, dict[str, Any]]:
        """For each run with a derived result kept in ``fits``, the latest one (run id -> result dict)."""
        rows = self._query(
            "SELECT run_id, result_json FROM fits WHERE result_json IS NOT NULL AND id IN "
            "(SELECT MAX(id) FROM fits WHERE result_json IS NOT NULL GROUP BY run_id)"
        )
        return {int(run_id): _loads(r) for run_id, r in rows}

    # --- export --------------------------------------------------------------------------------
    def _result_lines(self, run_id: int) -> list[str]:
        """Header lines for the latest derived result kept with the run (none if it was never analysed)."""
        from workbench.run_analysis import header_lines

        for fit in reversed(self.fits(run_id)):
            if fit["result"] and "text" in fit["result"]:
                return header_lines(fit["result"])
        return []

    def export_csv(self, run_id: int, path: str | Path, kind: str | None = None) -> Path:
        """Write the run's points (of one kind, or every kind it has) as CSV with a commented header."""
        record = self.run(run_id)
        kinds = [kind] if kind else [k for k in POINT_FIELDS if k in self.point_kinds(run_id)]
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as handle:
            handle.write(
                f"# run {record.id}: {record.kind}, {record.status}; sample {record.sample_name} "
                f"({record.surface_state}), area_cm2={record.area_cm2}\n"
            )
            for line in self._result_lines(run_id):
                handle.write(f"# {line}\n")
            if len(kinds) <= 1:
                columns = ["seq", "time_s", *POINT_FIELDS[kinds[0]]] if kinds else ["seq", "time_s"]
            else:
                columns = ["seq", "kind", "time_s", *dict.fromkeys(c for k in kinds for c in POINT_FIELDS[k])]
            writer = csv.writer(handle)
            writer.writerow(columns)
            select = ", ".join(columns)
            where = "run_id=?" + (" AND kind=?" if kind else "")
            args = (run_id, kind) if kind else (run_id,)
            for row in self._query(f"SELECT {select} FROM points WHERE {where} ORDER BY seq", args):
                writer.writerow(["" if v is None else v for v in row])
        return path

    def export_zview(self, run_id: int, path: str | Path) -> Path:
        """Write the run's impedance points as a ZView ``.z`` file."""
        data = self.points(run_id, "impedance")
        if len(data["seq"]) == 0:
            raise StoreError(f"run {run_id} has no impedance points to export as .z")
        import pandas as pd

        from workbench.formats import write_zview

        record = self.run(run_id)
        from workbench.run_analysis import ascii_line

        comment = [f"run {run_id} {record.sample_name} ({record.surface_state})",
                   *(ascii_line(line) for line in self._result_lines(run_id)[:1])]
        options = {"comment": "\n".join(comment)}
        amplitude_v = record.parameters.get("amplitude_v")
        if isinstance(amplitude_v, int | float):
            options["amplitude_v"] = amplitude_v
        if record.area_cm2:
            options["area_cm2"] = record.area_cm2
        frame = pd.DataFrame({k: data[k] for k in ("frequency_hz", "z_real_ohm", "z_imag_ohm", "time_s")})
        return Path(write_zview(frame, path, **options))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_RUN_COLUMNS = ", ".join(f.name for f in dataclasses.fields(RunRecord))
