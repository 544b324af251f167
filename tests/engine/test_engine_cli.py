"""The command line, run as a subprocess the way a user runs it."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROTOCOLS = ROOT / "resources" / "protocols"


def cli(*args, timeout=60):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


QUICK_CCD = """
[sample]
name = "AS-2"
surface_state = "as sintered"
thickness_mm = 1.70
electrode_diameter_mm = 8.5

[procedure]
kind = "ccd"
start_current_density_mA_cm2 = 9.0
stop_current_density_mA_cm2 = 12.0
step_current_density_mA_cm2 = 0.5
capacity_mAh_cm2 = 0.25
sample_period_s = 1.0

[procedure.sweep_after]
points_per_decade = 5
"""


def test_run_json_summary_runs_and_export(tmp_path):
    protocol = tmp_path / "quick.toml"
    protocol.write_text(QUICK_CCD)
    store = tmp_path / "w.sqlite"
    done = cli("run", protocol, "--store", store, "--speed", "inf", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "shorted"
    assert 9.0 <= summary["critical_current_density_mA_cm2"] <= 10.5
    assert summary["points"]["cycling"] > 100 and summary["points"]["impedance"] > 0  # the confirming sweep
    assert "Traceback" not in done.stderr

    listing = cli("runs", "--store", store)
    assert listing.returncode == 0 and "shorted" in listing.stdout and "CCD" in listing.stdout

    out = tmp_path / "run.csv"
    exported = cli("export", summary["run_id"], "--store", store, "-o", out)
    assert exported.returncode == 0, exported.stderr
    assert len(out.read_text().splitlines()) == sum(summary["points"].values()) + 2
    z = tmp_path / "run.z"
    assert cli("export", summary["run_id"], "--store", store, "--format", "z", "-o", z).returncode == 0
    assert z.read_text().upper().startswith("ZPLOT2 ASCII")


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["run", "MISSING.toml"], 2, "cannot read the protocol file"),
        (
            ["run", PROTOCOLS / "ccd_constant_capacity.toml", "--speed", "-3"],
            2,
            "--speed must be from 0.001 to 1e+09 times the wall clock, or inf",
        ),
        (["run", PROTOCOLS / "ccd_constant_capacity.toml", "--cell", "glassy"], 2, "--cell"),
        (["export", "99"], 2, "no such store"),
        (["export", "seven"], 2, "invalid int value"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_bad_input_gets_a_message_not_a_traceback(tmp_path, args, code, words):
    args = [a if a != "MISSING.toml" else tmp_path / "missing.toml" for a in args]
    if args[0] in ("run", "export"):
        args += ["--store", tmp_path / "w.sqlite"]
    done = cli(*args)
    assert done.returncode == code
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_malformed_protocol_starts_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(QUICK_CCD.replace("capacity_mAh_cm2 = 0.25", 'capacity_mAh_cm2 = "a lot"'))
    store = tmp_path / "w.sqlite"
    done = cli("run", bad, "--store", store, "--speed", "inf")
    assert done.returncode == 2
    assert (
        "'procedure.capacity_mAh_cm2' must be a number" in done.stderr
        and "Nothing was started" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert (
        not store.exists() or sqlite3.connect(store).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
    )


def test_sigkill_mid_run_loses_no_emitted_point(tmp_path):
    store = tmp_path / "w.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "run",
            str(PROTOCOLS / "ccd_constant_capacity.toml"),
            "--speed",
            "300",
            "--store",
            str(store),
            "--echo-points",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    echoed = []
    try:
        while len(echoed) < 400:
            line = proc.stdout.readline()
            assert line, f"the run ended early: {proc.stderr.read()}"
            echoed.append(json.loads(line))
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=10)
    echoed += [json.loads(line) for line in rest.splitlines() if line.strip()]
    assert proc.returncode == -signal.SIGKILL
    kinds = {e["kind"] for e in echoed}
    assert {"impedance", "cycling"} <= kinds  # killed during cycling, after the sweep
    run_id = echoed[0]["run_id"]
    db = sqlite3.connect(store)
    stored = {row[0] for row in db.execute("SELECT seq FROM points WHERE run_id=?", (run_id,))}
    assert {e["seq"] for e in echoed} <= stored
    status = db.execute("SELECT status FROM runs WHERE id=?", (run_id,)).fetchone()[0]
    assert status == "running"  # nobody could record an end: the row says so
    db.close()
    # the next time the workspace is opened, the run is marked interrupted, with its points intact
    from workbench.store import Store

    with Store(store) as reopened:
        record = reopened.run(run_id)
        assert record.status == "interrupted"
        assert "ended without finishing" in record.abort_reason
        assert {e["seq"] for e in echoed} <= reopened.point_seqs(run_id)


def test_a_reader_that_stops_reading_the_echo_does_not_stall_the_run(tmp_path):
    """--echo-points into a pipe nobody reads: the run still ends (the pipe holds ~64 kB, ~1400 lines)."""
    protocol = tmp_path / "many.toml"
    protocol.write_text(QUICK_CCD.replace("sample_period_s = 1.0", "sample_period_s = 0.1"))
    store = tmp_path / "w.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", str(protocol), "--store", str(store), "--speed", "inf",
         "--quiet", "--echo-points"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        status = "running"
        while status == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            if store.exists():
                row = sqlite3.connect(store).execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
                status = row[0] if row else "running"
        assert status in ("completed", "shorted"), f"the run stalled behind the unread pipe ({status})"
        out, _ = process.communicate(timeout=60)
        assert len(out.splitlines()) > 2000
    finally:
        process.kill()
