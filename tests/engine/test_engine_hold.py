"""The galvanostatic hold (the cycler dock's manual control) on the emulated bench."""

import pytest

from instruments.bench import Bench
from instruments.clock import ManualClock
from workbench.cell import Sample
from workbench.procedures import PROCEDURES, GalvanostaticHold, HoldParameters, ParameterError
from workbench.runner import Runner
from workbench.store import Store


def test_hold_plans_current_and_capacity():
    plan = GalvanostaticHold(current_density_mA_cm2=2.0, duration_s=900).plan(Sample.paper())
    assert plan.steps[0]["current_mA"] == pytest.approx(2.0 * 0.567450, rel=1e-4)
    assert plan.steps[0]["capacity_mAh_cm2"] == pytest.approx(0.5)
    assert plan.total_duration_s == 900
    assert PROCEDURES["hold"] is GalvanostaticHold


@pytest.mark.parametrize(("field", "value"), [("current_density_mA_cm2", -1), ("duration_s", 0),
                                              ("direction", "sideways")])
def test_hold_refuses_bad_parameters(field, value):
    with pytest.raises(ParameterError) as info:
        HoldParameters(**{field: value})
    assert info.value.field == field


def test_hold_sources_then_leaves_the_output_off(tmp_path):
    bench = Bench.from_config(clock=ManualClock(), cell="as sintered")
    try:
        store = Store(tmp_path / "w.sqlite")
        runner = Runner(GalvanostaticHold(current_density_mA_cm2=1.0, duration_s=60, direction="strip",
                                          sample_period_s=5), bench, Sample.paper(), store)
        finished = runner.run_blocking()
        assert finished.status == "completed"
        points = store.points(finished.run_id, "cycling")
        assert len(points["seq"]) == 13
        assert points["current_a"][1] == pytest.approx(Sample.paper().current_a(1.0), rel=1e-3)
        assert (points["voltage_v"][1:] > 0).all()  # stripping: positive current and voltage
        assert bench.galvanostat.query(":OUTP?").strip() == "0"
    finally:
        bench.close()
