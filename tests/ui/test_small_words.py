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
