"""A run asked to end by a signal (SIGTERM from a service manager or ``kill``, SIGHUP when its terminal
closes) ends as Ctrl-C ends it: aborted with the signal's name, the cycler's output off, the store told;
then the process exits with the shell's code for that signal. A run whose process died without any of
that (``kill -9``) is found later as interrupted and, when it had set a current, says the current may still
be on."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from instruments.bench import Bench
from workbench import cli
from workbench.store import INTERRUPTED_TEXT, INTERRUPTED_WITH_CURRENT_TEXT, Store

ROOT = Path(__file__).resolve().parents[2]
KEITHLEY = "GPIB0::24::INSTR"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM/SIGHUP are delivered only on POSIX")

HOLD = """
[sample]
name = "AS-1"
surface_state = "as sintered"
thickness_mm = 1.70
electrode_diameter_mm = 8.5

[procedure]
kind = "hold"
current_density_mA_cm2 = 0.1
duration_s = {duration}
direction = "plate"
sample_period_s = 1.0
"""

SWEEP = """
[sample]
name = "AS-1"
surface_state = "as sintered"
thickness_mm = 1.70
electrode_diameter_mm = 8.5

[procedure]
kind = "impedance_sweep"
"""


@posix_only
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_signal_to_a_command_line_run_aborts_it_with_the_output_off(tmp_path, signame):
    """The command line as a user runs it, sent the signal in the middle of a hold."""
    protocol = tmp_path / "hold.toml"
    protocol.write_text(HOLD.format(duration=7_000_000.0))   # far longer than the test: it must be stopped
    store = tmp_path / "w.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", str(protocol), "--speed", "inf", "--store", str(store),
         "--echo-points"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        echoed = [json.loads(proc.stdout.readline()) for _ in range(50)]   # 50 samples into the hold
        proc.send_signal(getattr(signal, signame))
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + getattr(signal, signame), err
    assert "Traceback" not in err
    assert f"run 1: aborted (terminated by signal {signame})" in err
    assert {e["kind"] for e in echoed} == {"cycling"}
    db = sqlite3.connect(store)
    status, reason = db.execute("SELECT status, abort_reason FROM runs WHERE id=1").fetchone()
    failures = db.execute("SELECT kind FROM events WHERE run_id=1 AND kind LIKE '%fail%'").fetchall()
    n_points = db.execute("SELECT COUNT(*) FROM points WHERE run_id=1").fetchone()[0]
    db.close()
    # 'aborted', not 'current_may_be_on': the SourceMeter confirmed its output off before the run ended
    assert (status, reason) == ("aborted", f"terminated by signal {signame}")
    assert failures == []
    assert 50 <= n_points < 7_000_000


@posix_only
def test_the_output_is_off_when_the_terminated_run_ends(tmp_path, monkeypatch):
    """In the process itself: the emulated SourceMeter's relay is open and its current zero as the run ends,
    before the bench is closed (closing would switch it off anyway)."""
    protocol = tmp_path / "hold.toml"
    protocol.write_text(HOLD.format(duration=2_000_000.0))
    benches, at_close = [], []
    opened, closed = Bench.from_config.__func__, Bench.close

    def from_config(cls, *args, **kwargs):
        bench = opened(cls, *args, **kwargs)
        benches.append(bench)
        return bench

    def close(bench):
        device = bench.emulation.device(KEITHLEY)
        at_close.append((device.output, device.current_a))
        closed(bench)

    monkeypatch.setattr(Bench, "from_config", classmethod(from_config))
    monkeypatch.setattr(Bench, "close", close)
    not_handled = []

    def not_the_clis(*_):   # the handler in place if the command line had none: ends the run as Ctrl-C would
        not_handled.append(1)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, not_the_clis)

    def send_when_holding():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if benches and benches[0].clock.now() > 100 and benches[0].emulation.device(KEITHLEY).output:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.01)

    sender = threading.Thread(target=send_when_holding, daemon=True)
    sender.start()
    try:
        code = cli.main(["run", str(protocol), "--speed", "inf", "--store", str(tmp_path / "w.sqlite"), "--quiet"])
    finally:
        sender.join(5)
        handler_after = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)
    assert not_handled == []
    assert code == 128 + signal.SIGTERM
    assert at_close == [(False, 0.0)]
    with Store(tmp_path / "w.sqlite") as store:
        record = store.run(1)
    assert (record.status, record.abort_reason) == ("aborted", "terminated by signal SIGTERM")
    assert handler_after is not_the_clis   # the command line put back the handler it found


@posix_only
@pytest.mark.parametrize("protocol_text, said", [
    (HOLD.format(duration=7_000_000.0), INTERRUPTED_WITH_CURRENT_TEXT),
    (SWEEP, INTERRUPTED_TEXT),
])
def test_a_killed_run_says_the_current_may_still_be_on_when_it_set_one(tmp_path, protocol_text, said):
    """kill -9: nothing in the process can act. Found later, a hold says the current may be on (listed so by
    `runs`), an impedance sweep (no current set) only that it was interrupted."""
    protocol = tmp_path / "p.toml"
    protocol.write_text(protocol_text)
    store = tmp_path / "w.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", str(protocol), "--speed", "10", "--store", str(store),
         "--echo-points", "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline(), proc.stderr.read()   # the run has stored its first point
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    with Store(store) as reopened:
        record = reopened.run(1)
    assert (record.status, record.abort_reason) == ("interrupted", said)
    listed = subprocess.run([sys.executable, "-m", "workbench", "runs", "--store", str(store)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60).stdout
    assert ("THE CURRENT MAY STILL BE ON" in listed) == (said == INTERRUPTED_WITH_CURRENT_TEXT)
