"""The command line with stores that are newer, damaged, read-only, or fail to record a run's end."""

from __future__ import annotations

import sqlite3

import pytest
from stores import fill, protect
from test_engine_cli import PROTOCOLS, cli

from workbench import cli as cli_module
from workbench.store import SCHEMA_VERSION, Store, StoreError

EIS = PROTOCOLS / "paper_eis_sweep.toml"

UNOPENABLE_STAGE = """
[fra]
driver = "solartron1260"
resource = "GPIB0::4::INSTR"
[galvanostat]
driver = "keithley2400"
resource = "GPIB0::24::INSTR"
[stage]
driver = "linkam_t95"
resource = "ASRL/dev/nzsp-no-such-port::INSTR"
emulated = false
"""


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        fill(store)
    return path


def test_a_newer_store_is_refused_before_the_bench_is_opened(tmp_path, store_path):
    config = tmp_path / "bench.toml"
    config.write_text(UNOPENABLE_STAGE)
    # with a good store, this bench cannot be opened: exit 3 ...
    assert cli("run", EIS, "--config", config, "--store", store_path).returncode == 3
    db = sqlite3.connect(store_path, isolation_level=None)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()
    # ... with a newer store, the store is refused first: exit 2, the bench never opened
    done = cli("run", EIS, "--config", config, "--store", store_path)
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert str(store_path) in line and "newer NZSP Workbench" in line and "--store" in line
    for command in (["runs"], ["export", "1"]):
        done = cli(*command, "--store", store_path)
        assert done.returncode == 2 and "newer NZSP Workbench" in one_error_line(done.stderr)


def test_a_store_missing_a_column_is_a_clear_error_for_every_command(tmp_path, store_path):
    db = sqlite3.connect(store_path, isolation_level=None)
    db.execute("ALTER TABLE runs DROP COLUMN abort_reason")
    db.close()
    for command in (["runs"], ["export", "1", "-o", tmp_path / "x.csv"], ["run", EIS, "--speed", "inf"]):
        done = cli(*command, "--store", store_path)
        assert done.returncode == 2, (command, done.stderr)
        line = one_error_line(done.stderr)
        assert "lacks column(s) abort_reason" in line and str(store_path) in line


def test_an_older_store_is_migrated_and_the_cli_says_where_the_copy_is(tmp_path, store_path, monkeypatch, capsys):
    from workbench import store_schema

    step = store_schema.Migration(SCHEMA_VERSION + 1, "a test column", "ALTER TABLE runs ADD COLUMN extra TEXT")
    monkeypatch.setattr(store_schema, "MIGRATIONS", (*store_schema.MIGRATIONS, step))
    assert cli_module.main(["runs", "--store", str(store_path)]) == 0
    err = capsys.readouterr().err
    assert f"updated from schema version {SCHEMA_VERSION} to {SCHEMA_VERSION + 1}" in err
    assert f".v{SCHEMA_VERSION}-backup-" in err


def test_a_read_only_store_lists_and_exports_but_run_says_why_it_cannot_write(tmp_path, store_path):
    undo = protect(store_path)
    if undo is None:
        pytest.skip("this filesystem cannot write-protect a file from root (no immutable flag)")
    try:
        listing = cli("runs", "--store", store_path)
        assert listing.returncode == 0 and "completed" in listing.stdout, listing.stderr
        exported = cli("export", "1", "--store", store_path, "-o", tmp_path / "run1.csv")
        assert exported.returncode == 0 and (tmp_path / "run1.csv").exists()
        done = cli("run", EIS, "--store", store_path, "--speed", "inf")
        assert done.returncode == 2
        line = one_error_line(done.stderr)
        assert "cannot record a run" in line and "cannot be written" in line and "--store" in line
    finally:
        undo()


def test_a_run_whose_end_the_store_did_not_record_is_not_reported_as_completed(tmp_path, monkeypatch, capsys):
    def refuse(self, run_id, status, **kwargs):
        raise StoreError(f"{self.path}: disk I/O error")

    monkeypatch.setattr(Store, "finish_run", refuse)
    store = tmp_path / "w.sqlite"
    code = cli_module.main(["run", str(EIS), "--store", str(store), "--speed", "inf", "--quiet", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert "THE STORE DID NOT RECORD ITS END" in captured.err and "disk I/O error" in captured.err
    assert '"recorded": false' in captured.out
    monkeypatch.undo()
    with Store(store) as reopened:
        assert reopened.runs()[-1].status != "completed"
