"""A source at its compliance does not drive the current that was set: the run says so in the user's words,
no short and no critical current density is read from a clamped voltage, and the store keeps the current
density that flowed next to the one that was set. The command line warns before the run as the window does."""

import json
import sqlite3

import numpy as np
import pytest

from instruments.bench import Bench
from instruments.clock import ManualClock
from tests.engine.test_engine_cli import PROTOCOLS, cli
from workbench.ccd_outcome import ccd_summary, critical_current_density
from workbench.cell import Sample
from workbench.events import DataPoint
from workbench.feasibility import concerns
from workbench.procedures import CCDParameters, CCDTest
from workbench.protocol import load_protocol
from workbench.safety import ShortDetector
from workbench.session import Session, finished_text, safety_text
from workbench.store import Store

SAYS = "the cell needs more than the 10 V compliance at 1 mA/cm²: current not as set"

VMP_BENCH = """
[fra]
driver = "vmp300"
resource = "USB0"
emulated = true
channel = 1

[galvanostat]
driver = "vmp300"
resource = "USB0"
emulated = true
channel = 1

[stage]
driver = "linkam_t95"
resource = "ASRL1::INSTR"
emulated = true
"""


def test_a_ccd_test_at_the_compliance_ends_without_a_short_and_without_a_ccd(tmp_path):
    # EtOH4000: about 6 V at 0.5 mA/cm2, about 12 V at 1 mA/cm2: the 10 V compliance clamps the second step
    bench = Bench.from_config(clock=ManualClock(), cell="EtOH4000")
    sample = Sample.paper("EtOH4000", name="E4K")
    session = Session(bench, Store(tmp_path / "w.sqlite"), sample=sample)
    try:
        params = CCDParameters.paper(stop_current_density_mA_cm2=3.0, sample_period_s=5.0)
        finished = session.run_blocking(CCDTest(params))
        assert finished.status == "aborted"
        assert finished.reason.startswith(SAYS), finished.reason
        assert "short" not in finished.reason
        result = finished.result
        assert result["safety"]["criterion"] == "compliance"
        assert result["critical_current_density_mA_cm2"] is None
        assert result["highest_step_without_short_mA_cm2"] == 0.5
        assert critical_current_density(finished.status, result) is None
        assert ccd_summary(finished.status, result) is None
        assert "CCD" not in finished_text(finished)
        assert not bench.cell.shorted
        assert bench.galvanostat.query(":OUTP?") == "0"     # the Keithley's own word: output off
        event = session.store.events(finished.run_id, "safety")[0]
        assert event["shorted"] is False and safety_text(event).startswith(SAYS)
        # the store agrees with itself: the current density is the measured current over the area
        points = session.store.points(finished.run_id, "cycling")
        measured = points["current_a"] * 1e3 / sample.area_cm2
        assert np.allclose(points["current_density_mA_cm2"], measured, rtol=1e-9)
        assert points["set_current_density_mA_cm2"][-1] == -1.0
        assert abs(points["current_density_mA_cm2"][-1]) < 0.95     # what flowed at 10 V
        assert abs(points["voltage_v"][-1]) == pytest.approx(10.0)
        assert np.allclose(points["current_density_mA_cm2"][:-1], points["set_current_density_mA_cm2"][:-1],
                           rtol=1e-6, atol=1e-9)                     # as set until then
    finally:
        session.close()
        bench.close()
        session.store.close()


def clamped(voltages, *, compliance_v=10.0, j_set=-1.0, j_flowed=None):
    for k, v in enumerate(voltages):
        j = j_set if j_flowed is None else j_flowed[k]
        yield DataPoint("cycling", float(k), {
            "voltage_v": -v, "current_a": j * 0.5675e-3, "current_density_mA_cm2": j,
            "set_current_density_mA_cm2": j_set, "compliance_v": compliance_v, "half_cycle": 2, "step": 1}, seq=k)


def test_no_short_is_read_from_a_voltage_the_source_clamped():
    # the case that gave a "soft short ... |V| fell from 10 V to 3.779 V" and a CCD: the cell at the compliance
    detector = ShortDetector()
    found = [detector.feed(p) for p in clamped([10.0, 10.0, 10.0, 3.779], j_flowed=[-0.83, -0.83, -0.83, -1.0])]
    event = found[0]
    assert event is not None and event.criterion == "compliance" and not event.shorted
    assert event.current_density_mA_cm2 == -1.0          # the density that was set, not what flowed
    assert event.detail.startswith(SAYS)
    assert found[1:] == [None, None, None]                # judged once; a clamped sample never reads as a short
    # a current short of the set one, below the compliance (a source that limits otherwise), is not as set too
    detector = ShortDetector()
    event = detector.feed(next(clamped([6.0], j_flowed=[-0.9])))
    assert event.criterion == "compliance" and "0.9 mA/cm² flowed at |V| = 6 V" in event.detail
    # as set and below the compliance: nothing
    assert ShortDetector().feed(next(clamped([6.0]))) is None


def test_the_command_line_warns_as_the_window_does_and_lists_no_ccd(tmp_path):
    protocol = PROTOCOLS / "ccd_constant_capacity.toml"
    store = tmp_path / "w.sqlite"
    loaded = load_protocol(protocol)
    sample = Sample.paper("EtOH4000", name=loaded.sample.name)
    expected = concerns(loaded.procedure().parameters, sample)   # the function the wizard's review page uses
    assert expected and "more than the 10 V compliance" in expected[0]

    planned = cli("plan", protocol)
    assert planned.returncode == 0 and "warning:" not in planned.stdout   # as sintered: 0.5 V at 15 mA/cm2
    run = cli("run", protocol, "--cell", "EtOH4000", "--speed", "inf", "--store", store, "--json", timeout=300)
    assert run.returncode == 1, run.stderr          # aborted: the run did not do what was asked
    for line in expected:
        assert f"warning: {line}" in run.stderr
    assert run.stderr.index("warning:") < run.stderr.index("run: ")   # said before it starts
    summary = json.loads(run.stdout)
    assert summary["status"] == "aborted" and summary["abort_reason"].startswith(SAYS)
    assert summary["critical_current_density_mA_cm2"] is None
    assert "Traceback" not in run.stderr
    listing = cli("runs", "--store", store)
    assert "CCD" not in listing.stdout and "the cell needs more than" in listing.stdout


def test_the_vmp300_bench_ends_at_the_compliance_with_the_same_words(tmp_path):
    config = tmp_path / "vmp.toml"
    config.write_text(VMP_BENCH)
    store = tmp_path / "w.sqlite"
    run = cli("run", PROTOCOLS / "ccd_constant_capacity.toml", "--cell", "EtOH4000", "--speed", "inf",
              "--config", config, "--store", store, "--json", timeout=300)
    assert run.returncode == 1, run.stderr
    summary = json.loads(run.stdout)
    # no 'failed: InstrumentError' and no CCD: the channel stopped at the limit, and the run says why
    assert summary["status"] == "aborted", summary["abort_reason"]
    assert summary["abort_reason"].startswith(SAYS) and "passed it and the source stopped" in summary["abort_reason"]
    assert summary["critical_current_density_mA_cm2"] is None
    assert "CCD" not in cli("runs", "--store", store).stdout


def test_runs_stored_before_keep_no_ccd_unless_they_shorted(tmp_path):
    """An older store kept 'CCD 0.5' for a failed run: the listing reads it by the rule (the window's history
    too: tests/ui/test_history_ccd.py)."""
    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        ids = {}
        for status in ("failed", "aborted", "completed", "shorted", "current_may_be_on"):
            ids[status] = store.create_run("ccd", sample=Sample.paper("EtOH4000"), parameters={})
            result = {"critical_current_density_mA_cm2": 0.5, "failed_at_current_density_mA_cm2": 1.0}
            if status == "current_may_be_on":
                result["ended_as"] = "shorted"
            store.finish_run(ids[status], status, reason=f"{status} reason", result=result)
    listing = cli("runs", "--store", path).stdout.splitlines()
    for status, run_id in ids.items():
        line = next(row for row in listing if row.split()[0] == str(run_id))
        has_ccd = status in ("shorted", "current_may_be_on")
        assert ("CCD 0.5 mA/cm²" in line) is has_ccd, line


def test_old_stores_get_the_measured_current_density(tmp_path):
    """The migration keeps the set density apart and makes current_density_mA_cm2 the measured one."""
    from tests.engine.stores import version1_store

    path = tmp_path / "old.sqlite"
    version1_store(path)
    db = sqlite3.connect(path)
    db.execute("UPDATE runs SET area_cm2 = 0.5 WHERE id = 1")
    db.execute("INSERT INTO points (run_id, seq, kind, time_s, voltage_v, current_a, current_density_mA_cm2, "
               "half_cycle, step) VALUES (1, 1, 'cycling', 1.0, -10.0, -0.4e-3, -1.0, 0, 0)")
    db.commit()
    db.close()
    with Store(path) as store:
        points = store.points(1, "cycling")
        assert points["set_current_density_mA_cm2"][0] == -1.0
        assert points["current_density_mA_cm2"][0] == pytest.approx(-0.8)
