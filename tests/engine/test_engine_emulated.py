"""The engine on the emulated bench (drivers beneath pyvisa, the shared cell model), on a manual clock."""

import random

import pytest

from instruments.bench import Bench
from instruments.clock import AcceleratedClock, ManualClock
from workbench.cell import Sample
from workbench.events import DataPoint
from workbench.procedures import (
    CCDParameters,
    CCDTest,
    ImpedanceSweep,
    ImpedanceSweepParameters,
    PlatingStripping,
    Sequence,
    SequenceParameters,
)
from workbench.runner import OUTPUT_UNKNOWN, Runner
from workbench.store import Store

KEITHLEY = "GPIB0::24::INSTR"
SOLARTRON = "GPIB0::4::INSTR"


@pytest.fixture
def open_bench():
    benches = []

    def make(cell="as sintered", clock=None, seed=None):
        bench = Bench.from_config(clock=clock or ManualClock(), cell=cell)
        benches.append(bench)
        return bench

    yield make
    for bench in benches:
        try:
            bench.close()
        except Exception:  # noqa: BLE001 - a faulted instrument may refuse to close
            pass


def output_state(bench) -> str:
    """The Keithley's own answer to :OUTP?, with any injected fault cleared first."""
    bench.emulation.clear_faults()
    return bench.galvanostat.query(":OUTP?")


def test_paper_ccd_on_the_as_sintered_cell(open_bench, tmp_path):
    bench = open_bench("as sintered")
    runner = Runner(
        CCDTest(CCDParameters.paper(sample_period_s=2.0)),
        bench,
        Sample.paper("as sintered"),
        Store(tmp_path / "w.sqlite"),
    )
    finished = runner.run_blocking()
    true_ccd = bench.cell.critical_current_density_mA_cm2
    assert finished.status == "shorted", finished.reason
    ccd = finished.result["critical_current_density_mA_cm2"]
    assert abs(ccd - true_ccd) <= 0.5, (ccd, true_ccd)
    assert 9.0 <= ccd <= 10.5
    assert finished.result["failed_at_current_density_mA_cm2"] == pytest.approx(ccd + 0.5)
    assert output_state(bench) == "0"
    assert runner.output_off_latency_s is not None and runner.output_off_latency_s < 0.05


def test_ccd_on_the_finely_polished_cell(open_bench, tmp_path):
    bench = open_bench("dry4000")
    params = CCDParameters(
        start_current_density_mA_cm2=0.1,
        stop_current_density_mA_cm2=1.0,
        step_current_density_mA_cm2=0.1,
        capacity_mAh_cm2=0.25,
        sample_period_s=10.0,
    )
    runner = Runner(CCDTest(params), bench, Sample.paper("dry4000"), Store(tmp_path / "w.sqlite"))
    finished = runner.run_blocking()
    true_ccd = bench.cell.critical_current_density_mA_cm2
    assert finished.status == "shorted", finished.reason
    ccd = finished.result["critical_current_density_mA_cm2"]
    assert abs(ccd - true_ccd) <= 0.1 + 1e-9, (ccd, true_ccd)
    assert ccd == pytest.approx(0.3, abs=0.1)
    assert output_state(bench) == "0"


def test_paper_sweep_on_the_emulated_solartron(open_bench):
    bench = open_bench("EtOH500")
    runner = Runner(ImpedanceSweep(), bench, Sample.paper("EtOH500"))
    finished = runner.run_blocking()
    assert finished.status == "completed", finished.reason
    z = runner.store.points(finished.run_id, "impedance")
    assert len(z["frequency_hz"]) == 129
    # EtOH500: an interface arc of ~24 ohm cm2 per interface, so the low-frequency real part is well above
    # the high-frequency one
    assert z["z_real_ohm"][-1] - z["z_real_ohm"][0] > 50


@pytest.mark.parametrize("seed", range(4))
def test_user_abort_at_a_random_moment_leaves_the_output_off(open_bench, seed):
    rng = random.Random(seed)
    bench = open_bench("as sintered")
    stop_at = rng.randrange(5, 400)
    seen = []
    params = CCDParameters(half_cycle_s=60.0, stop_current_density_mA_cm2=3.0, rest_s=rng.choice([0.0, 10.0]))
    runner = Runner(CCDTest(params), bench, Sample.paper())

    def listener(event):
        if isinstance(event, DataPoint):
            seen.append(event.seq)
            if event.seq == stop_at:
                runner.abort("stopped by the user")

    runner.subscribe(listener)
    finished = runner.run_blocking()
    assert finished.status == "aborted"
    assert output_state(bench) == "0"
    assert runner.store.point_seqs(finished.run_id) == set(seen) == set(range(stop_at + 1))


def test_user_abort_from_another_thread_on_an_accelerated_clock(open_bench):
    bench = open_bench("as sintered", clock=AcceleratedClock(200))
    runner = Runner(
        PlatingStripping(current_density_mA_cm2=2.0, half_cycle_s=600.0, cycles=5), bench, Sample.paper()
    )
    seen = []
    runner.subscribe(lambda e: seen.append(e.seq) if isinstance(e, DataPoint) else None)
    runner.start()
    runner.wait(random.Random(7).uniform(0.2, 1.0))
    runner.abort()
    finished = runner.wait(30)
    assert finished is not None and finished.status == "aborted"
    assert output_state(bench) == "0"
    assert runner.store.point_seqs(finished.run_id) == set(seen) and seen


@pytest.mark.parametrize("fault, seed", [("timeout", 1), ("garbled", 2), ("timeout", 3), ("garbled", 4)])
def test_injected_galvanostat_fault_fails_the_run_with_output_off(open_bench, fault, seed):
    bench = open_bench("as sintered")
    after = random.Random(seed).randrange(20, 600)
    bench.emulation.inject_fault(KEITHLEY, fault, after_commands=after)
    seen = []
    runner = Runner(
        CCDTest(CCDParameters(half_cycle_s=60.0, stop_current_density_mA_cm2=3.0)), bench, Sample.paper()
    )
    runner.subscribe(lambda e: seen.append(e.seq) if isinstance(e, DataPoint) else None)
    finished = runner.run_blocking()
    # the fault lasts: the Keithley switched its output off but could not confirm it, so the run says so
    assert finished.status == OUTPUT_UNKNOWN and finished.result["ended_as"] == "failed"
    assert "Keithley" in finished.reason and "CURRENT MAY STILL BE ON" in finished.reason
    assert runner.store.run(finished.run_id).abort_reason == finished.reason
    assert output_state(bench) == "0"
    assert runner.store.point_seqs(finished.run_id) == set(seen)


def test_analyser_vanishing_mid_sweep_fails_the_sequence_safely(open_bench):
    bench = open_bench("as sintered")
    bench.emulation.inject_fault(SOLARTRON, "vanish", after_commands=120)
    steps = (CCDParameters(half_cycle_s=30.0, stop_current_density_mA_cm2=1.0), ImpedanceSweepParameters())
    runner = Runner(Sequence(SequenceParameters(steps=steps)), bench, Sample.paper())
    finished = runner.run_blocking()
    assert finished.status == "failed" and "1260" in finished.reason
    assert output_state(bench) == "0"
    kinds = runner.store.point_kinds(finished.run_id)
    assert kinds["cycling"] > 0 and 0 < kinds.get("impedance", 0) < 129
