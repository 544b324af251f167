"""The store's schema version: checked on open, older stores migrated with a backup, newer or damaged
stores refused with a ``StoreError`` that says which and what to do, read-only stores read."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stores import fill, protect, version1_store

from workbench import store_schema
from workbench.store import SCHEMA_VERSION, Store, StoreError, StoreVersionError
from workbench.store_schema import MIGRATIONS, Migration, expected_tables


def schema_of(path) -> dict[str, set[str]]:
    db = sqlite3.connect(path)
    rows = db.execute("SELECT name FROM sqlite_master WHERE type='table'")
    tables = [t for (t,) in rows if not t.startswith("sqlite_")]
    out = {t: {row[1] for row in db.execute(f"PRAGMA table_info({t})")} for t in tables}
    db.close()
    return out


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_store_has_the_current_version_and_schema(tmp_path):
    with Store(tmp_path / "w.sqlite") as store:
        assert store.schema_version == SCHEMA_VERSION and store.migrated_from is None and not store.read_only
    db = sqlite3.connect(tmp_path / "w.sqlite")
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert schema_of(tmp_path / "w.sqlite") == {t: set(c) for t, c in expected_tables().items()}


def test_migrations_are_numbered_one_after_another():
    assert [m.version for m in MIGRATIONS] == list(range(2, 2 + len(MIGRATIONS)))
    assert SCHEMA_VERSION == 1 + len(MIGRATIONS)


def test_a_version_1_store_gets_the_schema_of_a_new_one(tmp_path):
    """Whatever migrations exist: an old store, once opened, has exactly a new store's tables and columns."""
    version1_store(tmp_path / "old.sqlite")
    with Store(tmp_path / "old.sqlite") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.run(1).sample_name == "S1"
        assert store.points(1, "impedance")["frequency_hz"].tolist() == [1e3]
    Store(tmp_path / "new.sqlite").close()
    assert schema_of(tmp_path / "old.sqlite") == schema_of(tmp_path / "new.sqlite")


def test_an_older_store_is_migrated_in_one_transaction_after_a_backup(tmp_path, monkeypatch):
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        run_id = fill(store)
    step = Migration(
        SCHEMA_VERSION + 1,
        "runs: a test column; a table of notes",
        "ALTER TABLE runs ADD COLUMN test_note TEXT; "
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, text TEXT NOT NULL)",
    )
    monkeypatch.setattr(store_schema, "MIGRATIONS", (*MIGRATIONS, step))
    with Store(path) as store:
        assert store.migrated_from == SCHEMA_VERSION and store.schema_version == SCHEMA_VERSION + 1
        assert store.run(run_id).status == "completed"
        assert len(store.points(run_id, "impedance")["seq"]) == 5
        backup = store.backup_path
    assert "test_note" in schema_of(path)["runs"] and "notes" in schema_of(path)
    assert backup.exists() and backup.parent == path.parent and f".v{SCHEMA_VERSION}-backup-" in backup.name
    old = sqlite3.connect(backup)
    assert old.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert old.execute("SELECT COUNT(*) FROM points").fetchone()[0] == 5
    with Store(path) as store:  # opened again: nothing more to do
        assert store.migrated_from is None


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        fill(store)
    bad = Migration(
        SCHEMA_VERSION + 1, "half good, half broken", "ALTER TABLE runs ADD COLUMN x TEXT; ALTER TABLE nope ADD y"
    )
    monkeypatch.setattr(store_schema, "MIGRATIONS", (*MIGRATIONS, bad))
    with pytest.raises(StoreError, match="updating the store .* failed .*nothing was changed"):
        Store(path)
    monkeypatch.setattr(store_schema, "MIGRATIONS", MIGRATIONS)
    assert "x" not in schema_of(path)["runs"]
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION and store.runs()[0].status == "completed"


def test_a_newer_store_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        fill(store)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.execute("CREATE TABLE future (x)")
    db.execute("ALTER TABLE points ADD COLUMN quality REAL NOT NULL DEFAULT 0")
    db.close()
    before = digest(path)
    with pytest.raises(StoreVersionError, match=f"newer NZSP Workbench .*version {SCHEMA_VERSION + 1}.*--store"):
        Store(path)
    assert digest(path) == before


@pytest.mark.parametrize(
    "damage, words",
    [
        ("ALTER TABLE runs DROP COLUMN abort_reason", "table 'runs' lacks column(s) abort_reason"),
        ("DROP TABLE fits", "table 'fits' is missing"),
        (
            "DROP TABLE fits; CREATE TABLE fits (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, "
            "created_at TEXT NOT NULL, circuit TEXT NOT NULL, values_json TEXT NOT NULL, errors_json TEXT, "
            "chi_square REAL, notes TEXT, result_json TEXT, quality REAL NOT NULL)",
            "'fits' has column(s) quality",
        ),
        ("DELETE FROM meta", "schema version is 'missing'"),
        ("UPDATE meta SET value='two' WHERE key='schema_version'", "schema version is 'two'"),
        ("DROP TABLE meta", "not a workbench store"),
    ],
)
def test_a_damaged_store_is_a_clear_error(tmp_path, damage, words):
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        fill(store)
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(damage)
    db.close()
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert words in str(caught.value) and str(path) in str(caught.value)


def test_another_programs_database_is_not_taken_over(tmp_path):
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a workbench store .*customers"):
        Store(path)
    assert set(schema_of(path)) == {"customers"}


def test_finishing_a_run_that_is_not_there_is_an_error(tmp_path):
    with Store(tmp_path / "w.sqlite") as store, pytest.raises(StoreError, match="no run 99"):
        store.finish_run(99, "completed")


def test_read_only_on_purpose_reads_and_refuses_writes(tmp_path):
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        run_id = fill(store)
    before = digest(path)
    with Store(path, read_only=True) as store:
        assert store.read_only and store.runs()[0].id == run_id
        assert len(store.points(run_id, "impedance")["seq"]) == 5
        with pytest.raises(StoreError, match="is read-only .*Use --store"):
            store.create_run("eis")
        with pytest.raises(StoreError, match="read-only"):
            store.add_point(run_id, "impedance", 0, {})
    assert digest(path) == before


def test_a_write_protected_store_opens_read_only(tmp_path):
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        run_id = fill(store)
    undo = protect(path)
    if undo is None:
        pytest.skip("this filesystem cannot write-protect a file from root (no immutable flag)")
    try:
        with Store(path) as store:
            assert store.read_only and "cannot be written" in store.read_only_reason
            assert store.run(run_id).status == "completed"
            with pytest.raises(StoreError, match="read-only"):
                store.finish_run(run_id, "aborted")
    finally:
        undo()


@st.composite
def damages(draw):
    kind = draw(st.sampled_from(["bytes", "truncate", "sql"]))
    if kind == "bytes":
        return kind, draw(st.lists(st.tuples(st.integers(0, 40_000), st.binary(min_size=1, max_size=64)), max_size=4))
    if kind == "truncate":
        return kind, draw(st.integers(0, 40_000))
    table = draw(st.sampled_from(sorted(expected_tables())))
    column = draw(st.sampled_from(sorted(expected_tables()[table])))
    return kind, draw(
        st.sampled_from(
            [
                f"DROP TABLE {table}",
                f'ALTER TABLE {table} DROP COLUMN "{column}"',
                f"ALTER TABLE {table} ADD COLUMN extra TEXT NOT NULL DEFAULT 'x'",
                f"UPDATE {table} SET \"{column}\" = 'garbage'",
                f"UPDATE meta SET value='{draw(st.integers(-3, 9))}' WHERE key='schema_version'",
                "UPDATE runs SET parameters='{not json', result='[1]'",
            ]
        )
    )


PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(damage=damages())
def test_a_damaged_store_opens_or_says_why_never_a_sqlite_error(tmp_path_factory, damage):
    """Whatever the damage, opening and reading give a working store or a ``StoreError``; nothing else."""
    folder = tmp_path_factory.mktemp("damaged")
    path = folder / "w.sqlite"
    with Store(path) as store:
        run_id = fill(store)
    kind, what = damage
    if kind == "bytes":
        data = bytearray(path.read_bytes())
        for offset, chunk in what:
            data[offset % len(data) : offset % len(data) + len(chunk)] = chunk
        path.write_bytes(bytes(data))
    elif kind == "truncate":
        path.write_bytes(path.read_bytes()[: what % (path.stat().st_size + 1)])
    else:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute(what)
        except sqlite3.DatabaseError:
            pass  # a damage SQLite itself refuses (dropping a key column): no damage then
        db.close()
    try:
        store = Store(path)
    except StoreError as exc:
        assert str(path) in str(exc) or "store" in str(exc)
        return
    with store:
        try:
            for record in store.runs():
                assert isinstance(record.parameters, dict) and isinstance(record.result, dict)
            store.points(run_id, "impedance")
            store.events(run_id)
            store.export_csv(run_id, folder / "out.csv")
            new = store.create_run("eis")
            store.add_point(new, "impedance", 0.0, {"frequency_hz": 1.0, "z_real_ohm": 1.0, "z_imag_ohm": 0.0})
            store.finish_run(new, "completed")
        except StoreError:
            pass
