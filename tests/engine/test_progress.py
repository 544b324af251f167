"""The time left is never a confident 0 while the run goes on: a step that takes longer than planned (a
stage slow to settle) leaves the later steps' time still to come, said as a lower bound, and a step past its
plan with none after it has a time left that is not known."""

from fakes import FakeBench

from workbench.cell import Sample
from workbench.events import Progress, RunFinished
from workbench.procedures import (
    GalvanostaticHold,
    HoldParameters,
    Sequence,
    SequenceParameters,
    TemperatureStep,
    TemperatureStepParameters,
)
from workbench.runner import Runner

SAMPLE = Sample.paper()

# planned as if the stage were already at 40 degC: 60 s of stability; it starts at 25 degC and ramps at
# 5 degC/min, so the step takes about 240 s: 180 s longer than planned
LATE = TemperatureStepParameters(setpoint_c=40.0, ramp_c_per_min=5.0, stable_for_s=60.0, expected_start_c=40.0,
                                 sample_period_s=5.0)
HOLD = HoldParameters(current_density_mA_cm2=0.5, duration_s=600.0, sample_period_s=10.0)


def _run(procedure):
    events = []
    runner = Runner(procedure, FakeBench(), SAMPLE, progress_interval_s=0.0)
    runner.subscribe(events.append)
    finished = runner.run_blocking()
    assert finished.status == "completed", finished.reason
    end = next(i for i, e in enumerate(events) if isinstance(e, RunFinished))
    return runner, [e for e in events[:end] if isinstance(e, Progress)]


def test_a_step_past_its_planned_time_with_nothing_after_it_has_no_known_time_left():
    runner, progress = _run(TemperatureStep(LATE))
    assert runner.plan.total_duration_s == 60.0
    assert all(p.remaining_s is None or p.remaining_s > 0 for p in progress), "0 s left while running"
    late = [p for p in progress if p.elapsed_s >= 60.0]
    assert late and all(p.remaining_s is None and not p.at_least for p in late), late[-1]
    early = [p for p in progress if p.elapsed_s < 60.0]
    assert early and all(abs(p.remaining_s - (60.0 - p.elapsed_s)) < 1e-9 for p in early)
    assert all(p.fraction < 1 and p.step == 0 and p.steps == 1 for p in progress)


def test_a_sequence_whose_first_step_runs_late_still_counts_the_steps_after_it():
    runner, progress = _run(Sequence(SequenceParameters(steps=(LATE, HOLD))))
    assert [s["duration_s"] for s in runner.plan.steps] == [60.0, 600.0]
    assert all(p.remaining_s is not None and p.remaining_s > 0 for p in progress if p.step != 1 or p.elapsed_s
               < progress[-1].elapsed_s), "the hold is still to come"
    overrun = [p for p in progress if p.step == 0 and p.elapsed_s >= 60.0]
    assert overrun and all(p.at_least and p.remaining_s == 600.0 for p in overrun), overrun[-1]
    assert overrun[-1].elapsed_s > 200, "the stage took longer than planned"
    hold = [p for p in progress if p.step == 1]
    assert hold and not any(p.at_least for p in hold) and all(p.steps == 2 for p in progress)
    assert hold[0].remaining_s > 590 and 0 < hold[-2].remaining_s < 20, (hold[0], hold[-2])
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions), "never backwards"


def test_a_run_on_plan_counts_down_to_its_end():
    runner, progress = _run(GalvanostaticHold(HOLD))
    assert all(p.remaining_s > 0 and not p.at_least for p in progress if p.elapsed_s < 600.0)
    assert progress[-1].elapsed_s == 600.0 and progress[-1].remaining_s is None, "its time is up, not yet ended"
    assert all(abs(p.remaining_s - (600.0 - p.elapsed_s)) < 1e-6 for p in progress[:-1])
    assert runner.progress.remaining_s == 0.0 and runner.progress.fraction == 1.0   # once it has ended
