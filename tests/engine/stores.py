"""Stores for the tests: a filled one, one as schema version 1 wrote it, and write protection."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

from workbench.cell import Sample
from workbench.store import Store
from workbench.store_schema import BASE_SCHEMA, statements


def fill(store: Store) -> int:
    run_id = store.create_run("eis", sample=Sample("S1", "EtOH500", 1.7, 8.5), parameters={"a": 1})
    for k in range(5):
        store.add_point(run_id, "impedance", k, {"frequency_hz": 10.0**-k, "z_real_ohm": 50.0 + k, "z_imag_ohm": -k})
    store.finish_run(run_id, "completed", result={"r": 1.0})
    return run_id


def version1_store(path) -> None:
    """A store as version 1 wrote it: the frozen base schema, meta at 1, one finished run."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    for statement in statements(BASE_SCHEMA):
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute(
        "INSERT INTO runs (kind, status, started_at, sample_name, parameters, plan, result, instruments) "
        "VALUES ('eis', 'completed', '2025-01-01T00:00:00', 'S1', '{}', '{}', '{}', '{}')"
    )
    db.execute("INSERT INTO points (run_id, seq, kind, time_s, frequency_hz) VALUES (1, 0, 'impedance', 0, 1e3)")
    db.close()


def protect(path):
    """Make a file unwritable even for root (immutable flag) or, as a user, by its mode; None if neither."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return lambda: path.chmod(0o644)
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
    return None
