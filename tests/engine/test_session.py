"""The session model, without Qt: one active run, the sample's area everywhere, the spectrum being looked
at and its analysis, the last readings of each role, and the events the window listens to."""

import threading
import time

import pytest

from instruments.bench import Bench
from instruments.clock import AcceleratedClock, ManualClock
from workbench.cell import Sample
from workbench.events import RunFinished, SafetyEvent
from workbench.monitor import BenchMonitor
from workbench.procedures import ImpedanceSweep, ImpedanceSweepParameters
from workbench.procedures.hold import GalvanostaticHold
from workbench.session import LIVE, RunRefused, Session, finished_text, safety_text
from workbench.store import Store


@pytest.fixture
def make_session(tmp_path):
    made = []

    def make(cell="as sintered", clock=None, sample=None):
        bench = Bench.from_config(clock=clock or ManualClock(), cell=cell)
        session = Session(bench, Store(tmp_path / f"w{len(made)}.sqlite"), sample=sample)
        made.append(session)
        return session

    yield make
    for session in made:
        session.close()
        session.bench.close()
        session.store.close()


def record(emitter):
    seen = []
    emitter.connect(seen.append)
    return seen


def test_a_second_run_is_refused_while_one_is_active(make_session):
    session = make_session(clock=AcceleratedClock(50))
    runner = session.start_run(ImpedanceSweep())
    assert session.is_running and session.runner is runner
    with pytest.raises(RunRefused, match="already using the bench"):
        session.start_run(ImpedanceSweep())
    with pytest.raises(RunRefused, match="cannot change"):
        session.set_sample(Sample.paper("dry500"))
    session.abort("enough")
    finished = session.wait(30)
    assert finished.status == "aborted"
    assert not session.is_running
    second = session.start_run(ImpedanceSweep(ImpedanceSweepParameters(stop_frequency_hz=1e5)))
    assert session.wait(30).status == "completed"
    assert second.run_id != runner.run_id


def test_events_tell_the_run_from_start_to_finish(make_session):
    session = make_session()
    started = record(session.events.run_started)
    events = record(session.events.run_event)
    finished = record(session.events.run_finished)
    runner = session.start_run(ImpedanceSweep())
    session.wait(30)
    assert started == [runner]
    assert isinstance(events[-1], RunFinished)
    assert finished == [events[-1]]
    assert sum(1 for e in events if getattr(e, "kind", None) == "impedance") == 129
    assert finished_text(finished[0]) == f"Run {runner.run_id} completed"


def test_the_sweep_becomes_the_spectrum_and_its_fit_is_kept(make_session):
    session = make_session("EtOH500", sample=Sample("NZSP-03", "EtOH500", 1.70, 8.5))
    spectra = record(session.events.spectrum_changed)
    analyses = record(session.events.analysis_changed)
    runner = session.start_run(ImpedanceSweep())
    session.wait(30)
    spectrum = session.spectrum
    assert spectrum.name == LIVE and spectrum.live and spectrum.run_id == runner.run_id
    assert spectrum.n_points == 129
    assert spectrum.area_cm2 == pytest.approx(session.sample.area_cm2)
    assert spectrum.sample_name == "NZSP-03"
    assert len(spectra) == 1 and spectra[0].run_id == runner.run_id
    analysis = session.analyse("R0-L0-p(R1,CPE1)-p(R2,CPE2)")
    assert analyses[-1] is analysis and session.analysis is analysis
    assert analysis.area_cm2 == pytest.approx(session.area_cm2)
    assert analysis.r_interface_ohm_cm2 == pytest.approx(session.bench.cell.r_interface_ohm_cm2, rel=0.1)
    fits = session.store.fits(runner.run_id)
    assert fits and fits[-1]["circuit"] == "R0-L0-p(R1,CPE1)-p(R2,CPE2)"
    # a new sweep clears the analysis of the old spectrum
    session.start_run(ImpedanceSweep())
    session.wait(30)
    assert session.analysis is None and analyses[-1] is None
    assert session.spectrum.run_id != runner.run_id


def test_an_opened_run_uses_the_area_it_was_measured_with(make_session):
    session = make_session(sample=Sample("big", "as sintered", 1.70, 12.0))
    runner = session.start_run(ImpedanceSweep())
    session.wait(30)
    made = session.analyse("R0-L0-p(R1,CPE1)")
    session.set_sample(Sample("small", "as sintered", 1.70, 6.0))
    session.open_run(runner.run_id)
    spectrum = session.spectrum
    assert spectrum.name == f"run {runner.run_id}: big" and not spectrum.live
    assert spectrum.area_cm2 == pytest.approx(Sample("big", "as sintered", 1.7, 12.0).area_cm2)
    kept = session.analysis  # the fit kept with the run, in the area it was measured with
    assert kept is not made and kept.kept.run_id == runner.run_id
    assert kept.area_cm2 == pytest.approx(spectrum.area_cm2)
    assert [a.r_ohm_cm2 for a in kept.arcs] == pytest.approx([a.r_ohm_cm2 for a in made.arcs])
    assert session.analyse("R0-L0-p(R1,CPE1)").area_cm2 == pytest.approx(spectrum.area_cm2)
    with pytest.raises(ValueError, match="No spectrum"):
        make_session().analyse("R0-p(R1,CPE1)")


def test_readings_use_the_sample_area_and_say_when_the_output_is_off(make_session):
    sample = Sample("wide", "as sintered", 1.70, 10.0)
    session = make_session(sample=sample)
    readings = record(session.events.readings_changed)
    session.start_run(GalvanostaticHold(current_density_mA_cm2=1.0, duration_s=30, direction="strip",
                                        sample_period_s=5))
    session.wait(30)
    on = [values for role, values in readings if role == "galvanostat" and values.get("output") == "on"]
    assert on, "the run's points are the cycler's readings"
    assert on[-1]["current_a"] == pytest.approx(sample.current_a(1.0), rel=1e-3)
    assert on[-1]["current_density_mA_cm2"] == pytest.approx(1.0, rel=1e-3)
    assert session.readings["galvanostat"]["output"] == "off", "after the run the output is off"
    assert "current_a" not in session.readings["galvanostat"]


def test_the_monitor_reads_every_role_and_the_stage_trace_has_times(make_session):
    session = make_session(clock=AcceleratedClock(10))
    readings = record(session.events.readings_changed)
    monitor = session.start_monitor(interval_s=0.05)
    deadline = time.monotonic() + 30
    while sum(1 for role, _ in readings if role == "stage") < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stage = [values for role, values in readings if role == "stage"]
    assert len(stage) >= 3
    assert stage[-1]["temperature_c"] == pytest.approx(25, abs=1)
    assert stage[-1]["time_s"] > stage[0]["time_s"]
    cycler = session.readings["galvanostat"]
    assert set(cycler) == {"output", "time_s", "read_at"} and cycler["output"] == "off"
    assert abs(cycler["read_at"] - time.time()) < 60, "read_at: the wall-clock time of the reading"
    session.close()
    assert not monitor.is_running()


class _SlowStage:
    """A stage whose reading takes a while; counts readings in progress."""

    def __init__(self):
        self.busy = threading.Event()
        self.reads = 0

    def read_temperature_c(self):
        self.busy.set()
        time.sleep(0.2)
        self.reads += 1
        self.busy.clear()
        return 25.0


class _Bench:
    def __init__(self, stage):
        self.stage = stage

    def roles(self):
        return [("stage", "Temperature stage", self.stage)]


def test_pausing_the_monitor_waits_for_the_poll_under_way(monkeypatch):
    from instruments.roles import TemperatureController

    TemperatureController.register(_SlowStage)
    stage = _SlowStage()
    monitor = BenchMonitor(_Bench(stage), lambda role, values: None, interval_s=0.01)
    monitor.start()
    try:
        assert stage.busy.wait(30), "the monitor started a poll"
        monitor.pause()
        assert not stage.busy.is_set(), "pause() returned while a reading was still under way"
        reads = stage.reads
        time.sleep(0.3)
        assert stage.reads == reads, "nothing is read while paused"
        monitor.resume()
        deadline = time.monotonic() + 30
        while stage.reads == reads and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stage.reads > reads
    finally:
        monitor.stop()


def test_the_short_is_said_in_one_place():
    event = SafetyEvent("hard_short", 100.0, -9.5, 37, 18, "R fell to 2 % of its start")
    assert safety_text(event) == ("hard short at 9.5 mA/cm² (plating, half-cycle 37): current switched off")
    finished = RunFinished(4, "shorted", "hard short", {"critical_current_density_mA_cm2": 9.5})
    assert finished_text(finished) == "Run 4 shorted · CCD 9.5 mA/cm²: hard short"


def test_the_preview_is_the_plan_the_run_will_follow_on_this_bench(make_session):
    session = make_session()
    session.bench.fra.max_frequency_hz = 7e6  # as a VMP-300 would be
    procedure, plan = session.preview(ImpedanceSweep())
    assert procedure.parameters.start_frequency_hz == 7e6
    assert plan.notes and "7 MHz" in plan.notes[0]
    runner = session.start_run(ImpedanceSweep())
    session.wait(30)
    assert runner.plan.notes == plan.notes and runner.plan.n_points == plan.n_points


def test_a_sequence_that_heats_first_is_stored_at_the_temperature_its_spectrum_was_measured(make_session):
    from workbench.procedures import Sequence, SequenceParameters, TemperatureStepParameters

    session = make_session("EtOH500")
    steps = (TemperatureStepParameters(setpoint_c=60, ramp_c_per_min=20, stable_for_s=60),
             ImpedanceSweepParameters(stop_frequency_hz=1e4))
    finished = session.run_blocking(Sequence(SequenceParameters(steps=steps)))
    assert finished.status == "completed", finished.reason
    assert session.store.run(finished.run_id).temperature_c == pytest.approx(60, abs=0.5)


def test_time_left_never_reaches_zero_while_steps_remain():
    from workbench.procedures import CCDParameters, CCDTest
    from workbench.runner import Runner

    bench = Bench.from_config(clock=ManualClock())
    try:
        runner = Runner(CCDTest(CCDParameters.paper()), bench, Sample.paper())
        durations = [step["duration_s"] for step in runner.plan.steps]
        total = sum(durations)
        runner._step = (2, 1000.0)  # the third step began at 1000 s of active time...
        late = runner._progress_at(1000.0 + 50 * durations[2])  # ...and is running 50 times over its time
        assert late.remaining_s == pytest.approx(sum(durations[3:]))
        assert late.remaining_s > 0 and late.fraction < 1
        on_time = runner._progress_at(1000.0 + durations[2] / 2)
        assert on_time.fraction == pytest.approx((sum(durations[:2]) + durations[2] / 2) / total)
    finally:
        bench.close()


def test_run_endings_are_said_with_the_window_s_units():
    finished = RunFinished(7, "failed", "timed out at 10 mA/cm2 waiting for 60 degC")
    assert finished_text(finished) == "Run 7 failed: timed out at 10 mA/cm² waiting for 60 °C"


def test_readings_of_a_role_whose_instrument_failed_the_run_are_stale(make_session):
    """The analyser vanished mid-sweep: the run failed naming it, and its role has no true reading until it
    answers again; the cycler, not used, keeps its reading."""
    session = make_session()
    session.bench.emulation.inject_fault("GPIB0::4::INSTR", "vanish", after_commands=30)
    seen = record(session.events.readings_changed)
    session.start_run(ImpedanceSweep())
    finished = session.wait(60)
    assert finished.status == "failed" and "1260" in finished.reason
    fra = session.readings["fra"]
    assert fra["stale"].startswith(f"run {finished.run_id} failed: ") and fra["read_at"] is None
    assert ("fra", fra) in seen
    assert "stale" not in session.readings.get("galvanostat", {})
    session.bench.emulation.clear_faults()
    assert session.mark_stale("stage", "timed out") and not session.mark_stale("stage", "timed out")


def test_a_run_that_ends_with_the_output_unconfirmed_leaves_it_unknown(make_session):
    session = make_session()
    session.bench.emulation.inject_fault("GPIB0::24::INSTR", "vanish", after_commands=40)
    session.start_run(GalvanostaticHold(current_density_mA_cm2=1.0, duration_s=600))
    finished = session.wait(60)
    assert finished.status == "current_may_be_on"
    cycler = session.readings["galvanostat"]
    assert cycler["output"] == "unknown" and "current_a" not in cycler
    assert cycler["stale"].startswith(f"run {finished.run_id} ended without the output confirmed off")
    session.bench.emulation.clear_faults()
