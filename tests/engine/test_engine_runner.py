"""The runner on small fake instruments: order of store and listeners, pause, abort, failures."""

import sqlite3
import threading

import pytest
from fakes import FakeBench, FakeCell

from instruments.clock import AcceleratedClock, SteppedClock
from workbench.cell import Sample
from workbench.events import DataPoint, Progress, RunFinished, SafetyEvent, StateChanged
from workbench.procedures import (
    CCDParameters,
    CCDTest,
    ImpedanceSweep,
    ImpedanceSweepParameters,
    PlatingStripping,
    Sequence,
    SequenceParameters,
    TemperatureStep,
    TemperatureStepParameters,
)
from workbench.runner import Runner
from workbench.store import Store

SAMPLE = Sample.paper()


def quick_ccd(**changes):
    return CCDTest(CCDParameters(**{"half_cycle_s": 20.0, "stop_current_density_mA_cm2": 3.0, **changes}))


def test_every_point_is_in_the_store_before_a_listener_sees_it(tmp_path):
    store = Store(tmp_path / "w.sqlite")
    reader = sqlite3.connect(tmp_path / "w.sqlite", check_same_thread=False)
    seen = []

    def listener(event):
        if isinstance(event, DataPoint):
            row = reader.execute(
                "SELECT voltage_v, frequency_hz FROM points WHERE run_id=? AND seq=?",
                (event.run_id, event.seq),
            ).fetchone()
            assert row is not None, f"point {event.seq} reached a listener before the store"
            seen.append(event.seq)

    bench = FakeBench()
    runner = Runner(
        Sequence(
            SequenceParameters(
                steps=(
                    ImpedanceSweepParameters(points_per_decade=2),
                    CCDParameters(half_cycle_s=10, stop_current_density_mA_cm2=1),
                )
            )
        ),
        bench,
        SAMPLE,
        store,
    )
    runner.subscribe(listener)
    finished = runner.run_blocking()
    assert finished.status == "completed", finished.reason
    assert seen == list(range(len(seen))) and len(seen) == len(store.point_seqs(finished.run_id))
    assert not store.events(finished.run_id, "listener_error")
    n_frequencies = len(ImpedanceSweepParameters(points_per_decade=2).frequencies_hz())
    assert store.point_kinds(finished.run_id) == {"impedance": n_frequencies, "cycling": 2 * 2 * 11}
    assert bench.galvanostat.output is False


def test_short_stops_the_output_before_the_next_sample():
    bench = FakeBench(FakeCell(short_at_mA_cm2=2.0))
    runner = Runner(quick_ccd(), bench, SAMPLE)
    at_safety = {}

    def listener(event):
        if isinstance(event, SafetyEvent):
            at_safety.update(output=bench.galvanostat.output, reads=bench.galvanostat.reads)

    runner.subscribe(listener)
    finished = runner.run_blocking()
    assert finished.status == "shorted"
    assert "hard short" in finished.reason
    assert at_safety["output"] is False
    cycling = runner.store.points(finished.run_id, "cycling")
    assert at_safety["reads"] == len(cycling["seq"]) == bench.galvanostat.reads  # not one sample more
    assert finished.result["critical_current_density_mA_cm2"] == 1.5
    assert finished.result["failed_at_current_density_mA_cm2"] == 2.0
    events = runner.store.events(finished.run_id, "safety")
    assert events[0]["criterion"] == "hard_short" and events[0]["window"]


def test_exception_in_our_code_fails_the_run_with_output_off(monkeypatch):
    bench = FakeBench()
    procedure = quick_ccd()
    calls = {"n": 0}
    original = procedure.parameters.half_cycle_duration_s

    def broken(j):
        calls["n"] += 1
        if calls["n"] > 2:
            raise ZeroDivisionError("bug in the procedure")
        return original(j)

    runner = Runner(procedure, bench, SAMPLE)
    object.__setattr__(procedure.parameters, "half_cycle_duration_s", broken)
    finished = runner.run_blocking()
    assert finished.status == "failed"
    assert "ZeroDivisionError: bug in the procedure" in finished.reason
    assert bench.galvanostat.output is False and bench.galvanostat.current_a == 0.0
    assert runner.store.run(finished.run_id).abort_reason == finished.reason
    assert "traceback" in runner.store.events(finished.run_id, "failure")[0]


def test_instrument_error_fails_the_run_and_keeps_the_data():
    bench = FakeBench()
    bench.galvanostat.fail_after = 25
    seen = []
    runner = Runner(quick_ccd(), bench, SAMPLE)
    runner.subscribe(lambda e: seen.append(e.seq) if isinstance(e, DataPoint) else None)
    finished = runner.run_blocking()
    assert finished.status == "failed" and "fake galvanostat" in finished.reason
    assert bench.galvanostat.output is False
    assert set(seen) == runner.store.point_seqs(finished.run_id) and seen


def test_a_failing_listener_does_not_stop_the_measurement():
    runner = Runner(quick_ccd(stop_current_density_mA_cm2=1.0), FakeBench(), SAMPLE)
    runner.subscribe(lambda e: 1 / 0)
    finished = runner.run_blocking()
    assert finished.status == "completed"
    assert runner.store.events(finished.run_id, "listener_error")


def test_pause_turns_the_current_off_and_resume_restores_it():
    clock = SteppedClock()  # the run waits at its first sample until the pause has been asked for
    bench = FakeBench(clock=clock)
    runner = Runner(PlatingStripping(current_density_mA_cm2=1.0, half_cycle_s=60.0, cycles=2), bench, SAMPLE)
    paused = threading.Event()
    states = []

    def listener(event):
        if isinstance(event, StateChanged):
            states.append(event.state)
            if event.state == "paused":
                paused.set()

    runner.subscribe(listener)
    runner.start()
    runner.pause()
    clock.release()
    assert paused.wait(30)
    assert bench.galvanostat.output is False and bench.galvanostat.current_a == 0.0
    runner.resume()
    finished = runner.wait(30)
    assert finished.status == "completed"
    assert states[:3] == ["running", "paused", "running"] and states[-1] == "finished"
    cycling = runner.store.points(finished.run_id, "cycling")
    assert abs(cycling["current_a"]).min() > 0  # no sample taken while paused
    assert runner.procedure.result()["half_cycles_completed"] == 4


def test_user_abort_during_a_wait():
    bench = FakeBench(clock=AcceleratedClock(10))
    runner = Runner(PlatingStripping(current_density_mA_cm2=1.0, half_cycle_s=3600.0), bench, SAMPLE)
    runner.subscribe(lambda e: runner.abort("enough") if isinstance(e, DataPoint) and e.seq == 3 else None)
    finished = runner.run_blocking()
    assert finished.status == "aborted" and finished.reason == "enough"
    assert bench.galvanostat.output is False
    assert runner.store.point_seqs(finished.run_id) == {0, 1, 2, 3}


def test_progress_reaches_the_listeners():
    events = []
    runner = Runner(quick_ccd(), FakeBench(), SAMPLE, progress_interval_s=0.0)
    runner.subscribe(events.append)
    runner.run_blocking()
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert fractions == sorted(fractions) and fractions[-1] > 0.9
    assert isinstance(events[-1], RunFinished)


def test_temperature_step_settles_and_times_out():
    bench = FakeBench()
    runner = Runner(TemperatureStep(setpoint_c=40, ramp_c_per_min=5, stable_for_s=60), bench, SAMPLE)
    finished = runner.run_blocking()
    assert finished.status == "completed"
    assert finished.result["settled_after_s"] == pytest.approx(15 / 5 * 60 + 60, abs=10)
    temperatures = runner.store.points(finished.run_id, "temperature")
    assert temperatures["temperature_c"][-1] == pytest.approx(40)

    stuck = FakeBench(stuck_at_c=35)
    runner = Runner(
        TemperatureStep(TemperatureStepParameters(setpoint_c=40, timeout_s=600, stable_for_s=60)),
        stuck,
        SAMPLE,
    )
    finished = runner.run_blocking()
    assert finished.status == "failed" and "did not stay within" in finished.reason


def test_confirming_sweep_after_a_short():
    bench = FakeBench(FakeCell(short_at_mA_cm2=1.0))
    sweep = ImpedanceSweepParameters(points_per_decade=2)
    runner = Runner(quick_ccd(sweep_after=sweep), bench, SAMPLE)
    finished = runner.run_blocking()
    assert finished.status == "shorted"
    assert runner.store.point_kinds(finished.run_id)["impedance"] == len(sweep.frequencies_hz())


def test_runner_runs_once():
    runner = Runner(ImpedanceSweep(points_per_decade=1), FakeBench(), SAMPLE)
    runner.run_blocking()
    with pytest.raises(RuntimeError, match="already been started"):
        runner.start()
