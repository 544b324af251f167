"""The window's launcher refuses a newer or damaged workspace before any instrument is opened."""

import sqlite3

import pytest

from instruments.bench import Bench
from ui import app
from workbench.store import SCHEMA_VERSION, Store


@pytest.mark.parametrize("damage, words", [
    (f"UPDATE meta SET value='{SCHEMA_VERSION + 1}' WHERE key='schema_version'", "newer NZSP Workbench"),
    ("ALTER TABLE runs DROP COLUMN abort_reason", "lacks column(s) abort_reason"),
])
def test_a_newer_or_damaged_workspace_is_refused_before_the_bench_opens(tmp_path, monkeypatch, capsys, damage, words):
    path = tmp_path / "workspace.sqlite"
    Store(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(damage)
    db.close()

    def no_bench(*args, **kwargs):
        raise AssertionError("the bench was opened")

    monkeypatch.setattr(Bench, "from_config", staticmethod(no_bench))
    assert app.main(["--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and str(path) in err and len(err.strip().splitlines()) == 1
