"""A cycler that vanishes mid-run: its output may still be on. The run's stored status, its reason and
the command line say so prominently, with what to do; a transient fault that still lets the output be
switched off does not."""

from __future__ import annotations

import json

import pytest

from instruments.bench import Bench
from instruments.clock import ManualClock
from workbench import cli
from workbench.cell import Sample
from workbench.procedures import CCDParameters, CCDTest, ImpedanceSweep, ImpedanceSweepParameters
from workbench.runner import OUTPUT_UNKNOWN, Runner
from workbench.store import Store

KEITHLEY = "GPIB0::24::INSTR"


@pytest.fixture
def bench():
    bench = Bench.from_config(clock=ManualClock())
    yield bench
    bench.emulation.clear_faults()
    try:
        bench.close()
    except Exception:  # noqa: BLE001 - a vanished instrument may refuse to close
        pass


def test_a_vanished_cycler_ends_the_run_as_current_may_be_on(bench, tmp_path):
    bench.emulation.inject_fault(KEITHLEY, "vanish", after_commands=200)
    store = Store(tmp_path / "w.sqlite")
    runner = Runner(CCDTest(CCDParameters(half_cycle_s=60.0, stop_current_density_mA_cm2=3.0)), bench,
                    Sample.paper(), store)
    finished = runner.run_blocking()
    assert finished.status == OUTPUT_UNKNOWN == "current_may_be_on"
    assert finished.reason.startswith("THE CURRENT MAY STILL BE ON")
    assert "front panel" in finished.reason and "disconnect the cell" in finished.reason
    assert "The run failed: InstrumentError" in finished.reason
    assert finished.result["output_state"] == "unknown" and finished.result["ended_as"] == "failed"
    record = store.run(finished.run_id)
    assert record.status == OUTPUT_UNKNOWN and record.abort_reason == finished.reason
    assert store.events(finished.run_id, "safe_state_failed")
    # and it was true: the emulated Keithley, reachable again, still has its output on
    bench.emulation.clear_faults()
    assert bench.galvanostat.query(":OUTP?") == "1"


def test_a_failure_after_which_the_output_is_switched_off_is_an_ordinary_failure():
    from fakes import FakeBench

    bench = FakeBench()
    bench.galvanostat.fail_after = 25  # its commands fail, but its safe state still answers
    runner = Runner(CCDTest(CCDParameters(half_cycle_s=60.0, stop_current_density_mA_cm2=3.0)), bench,
                    Sample.paper())
    finished = runner.run_blocking()
    assert finished.status == "failed" and "CURRENT MAY STILL BE ON" not in finished.reason
    assert "output_state" not in finished.result and bench.galvanostat.output is False


def test_a_cycler_gone_during_an_impedance_sweep_does_not_raise_the_alarm(bench):
    """The sweep never switched the current on: an unreachable cycler is a note, not an alarm."""
    bench.emulation.inject_fault(KEITHLEY, "vanish", after_commands=0)
    runner = Runner(ImpedanceSweep(ImpedanceSweepParameters(points_per_decade=2)), bench, Sample.paper())
    finished = runner.run_blocking()
    assert finished.status == "completed", finished.reason
    assert runner.store.events(finished.run_id, "safe_state_failed")


def test_the_command_line_says_it_loudly_and_exits_4(tmp_path, monkeypatch, capsys):
    from_config = Bench.from_config

    def with_fault(*args, **kwargs):
        made = from_config(*args, **kwargs)
        made.emulation.inject_fault(KEITHLEY, "vanish", after_commands=150)
        return made

    monkeypatch.setattr(Bench, "from_config", staticmethod(with_fault))
    protocol = tmp_path / "ccd.toml"
    protocol.write_text(
        '[sample]\nname = "S"\nsurface_state = "as sintered"\nthickness_mm = 1.7\nelectrode_diameter_mm = 8.5\n'
        '[procedure]\nkind = "ccd"\nstop_current_density_mA_cm2 = 3.0\nhalf_cycle_s = 60.0\n',
        encoding="utf-8",
    )
    code = cli.main(["run", str(protocol), "--speed", "inf", "--quiet", "--json", "--store", str(tmp_path / "w.db")])
    captured = capsys.readouterr()
    assert code == 4
    assert "!" * 100 in captured.err and "THE CURRENT MAY STILL BE ON" in captured.err
    assert json.loads(captured.out.splitlines()[-1])["status"] == "current_may_be_on"
