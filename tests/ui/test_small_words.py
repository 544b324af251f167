"""Small things the window and the command line say: a run's start with its time zone, a plan in words."""

from datetime import UTC, datetime

from ui.history import started_text
from workbench.cell import Sample
from workbench.procedures import CCDParameters, CCDTest


def test_the_history_says_when_a_run_started_in_local_time_with_its_zone():
    text = started_text("2026-12-02T18:07:49.123+00:00")
    local = datetime(2026, 12, 2, 18, 7, 49, tzinfo=UTC).astimezone()
    assert text == f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"
    assert started_text(None) == "" and started_text("not a date") == "not a date"


def test_a_plan_is_described_in_words_with_units():
    text = CCDTest(CCDParameters(capacity_mAh_cm2=0.25)).plan(Sample.paper()).describe()
    assert "mode: constant capacity" in text and "electrode area: 0.5675 cm2" in text
    assert "current density: 0.5 to 15 mA/cm2" in text
    for raw in ("constant_capacity", "area_cm2", "_mA"):
        assert raw not in text, raw


def test_a_sequence_s_step_is_not_counted_against_its_procedures():
    """A sequence numbers the steps of all its procedures (a CCD test's 30 current steps among them) while its
    plan counts its procedures: '7 of 4' would be said otherwise."""
    from ui.ccd_wizard import step_text
    from workbench.events import StepStarted
    from workbench.procedures import (
        ImpedanceSweepParameters,
        Sequence,
        SequenceParameters,
        TemperatureStepParameters,
    )

    sequence = Sequence(SequenceParameters(steps=(TemperatureStepParameters(setpoint_c=25.0),
                                                  ImpedanceSweepParameters(), CCDParameters.paper(),
                                                  ImpedanceSweepParameters())))
    plan = sequence.plan(Sample.paper())
    assert len(plan.steps) == 4
    assert step_text(StepStarted(6, "3 mA/cm2, 300 s half-cycles"), plan) == "7: 3 mA/cm², 5 min 00 s half-cycles"
    ccd = CCDTest(CCDParameters.paper(sweep_before=None))
    assert step_text(StepStarted(2, "1.5 mA/cm2, 600 s half-cycles"), ccd.plan(Sample.paper())).startswith(
        "3 of 30: 1.5 mA/cm² (0.8512 mA)")
