"""Derived numbers known before a run starts."""

import pytest

from workbench.cell import Sample
from workbench.procedures import (
    CCDParameters,
    CCDTest,
    FormationCycles,
    ImpedanceSweep,
    ImpedanceSweepParameters,
    ParameterError,
    PlatingStripping,
    PlatingStrippingParameters,
    Sequence,
    SequenceParameters,
    SubRange,
    TemperatureStepParameters,
)
from workbench.procedures.galvanostatic import half_cycle_duration_s

SAMPLE = Sample.paper()


def test_current_for_current_density():
    plan = PlatingStripping(current_density_mA_cm2=0.5, capacity_mAh_cm2=0.25).plan(SAMPLE)
    assert plan.steps[0]["current_mA"] == pytest.approx(0.2837, abs=1e-4)


def test_half_cycle_duration_from_capacity():
    assert half_cycle_duration_s(0.5, 0.25) == pytest.approx(1800.0)
    assert half_cycle_duration_s(10.0, 0.25) == pytest.approx(90.0)
    p = PlatingStrippingParameters(current_density_mA_cm2=0.5, capacity_mAh_cm2=0.25, cycles=2)
    plan = PlatingStripping(p).plan(SAMPLE)
    assert plan.steps[0]["half_cycle_s"] == pytest.approx(1800.0)
    assert plan.total_duration_s == pytest.approx(4 * 1800.0)
    assert plan.n_points == 4 * 1801  # a sample at 0, every second, and at the end of each half-cycle


def test_paper_ccd_plan():
    test = CCDTest(CCDParameters.paper())
    plan = test.plan(SAMPLE)
    js = [s["current_density_mA_cm2"] for s in plan.steps]
    assert js[0] == 0.5 and js[-1] == 15.0 and len(js) == 30
    assert plan.steps[0]["half_cycle_s"] == pytest.approx(1800.0)
    assert plan.steps[-1]["half_cycle_s"] == pytest.approx(60.0)
    assert plan.steps[-1]["current_mA"] == pytest.approx(15 * SAMPLE.area_cm2)
    # sum over steps of 2 * 900 s / j for j = 0.5 .. 15
    expected = sum(2 * 900.0 / (0.5 * k) for k in range(1, 31))
    assert plan.total_duration_s == pytest.approx(expected)
    assert all(s["capacity_mAh_cm2"] == pytest.approx(0.25) for s in plan.steps)


def test_constant_dwell_ccd_plan():
    plan = CCDTest(CCDParameters(half_cycle_s=900, stop_current_density_mA_cm2=2.0)).plan(SAMPLE)
    assert [s["half_cycle_s"] for s in plan.steps] == [900.0] * 4
    assert [s["capacity_mAh_cm2"] for s in plan.steps] == pytest.approx([0.125, 0.25, 0.375, 0.5])


def test_paper_sweep_points_and_sub_ranges():
    p = ImpedanceSweepParameters.paper()
    f = p.frequencies_hz()
    assert f[0] == pytest.approx(13e6) and f[-1] == pytest.approx(5.0)
    assert len(f) == 129  # 6.41 decades x 20 points + 1
    schedule = p.schedule()
    assert schedule[0][1:] == pytest.approx((2.0, 10 / 13e6))
    low = schedule[-1]
    assert low[1] == pytest.approx(30 / 5.0) and low[2] == pytest.approx(3 / 5.0)
    plan = ImpedanceSweep(p).plan(SAMPLE)
    assert sum(plan.steps[0]["points_per_sub_range"]) == 129
    assert 150 < plan.total_duration_s < 250


def test_formation_paper_end_points():
    plan = FormationCycles().plan(SAMPLE)
    assert plan.steps[0]["current_density_mA_cm2"] == 1.0 and plan.steps[0]["half_cycle_s"] == 30.0
    assert plan.steps[-1]["current_density_mA_cm2"] == 10.0 and plan.steps[-1]["half_cycle_s"] == 1800.0


def test_sequence_plan_adds_up():
    seq = Sequence(
        SequenceParameters(
            steps=(
                TemperatureStepParameters(setpoint_c=25.0),
                ImpedanceSweepParameters(),
                CCDParameters.paper(),
            )
        )
    )
    plan = seq.plan(SAMPLE)
    parts = [
        TemperatureStepParameters(setpoint_c=25.0).expected_duration_s(),
        ImpedanceSweepParameters().duration_s(),
        CCDTest(CCDParameters.paper()).plan(SAMPLE).total_duration_s,
    ]
    assert plan.total_duration_s == pytest.approx(sum(parts))


@pytest.mark.parametrize(
    "make, field",
    [
        (
            lambda: PlatingStrippingParameters(current_density_mA_cm2=-1, capacity_mAh_cm2=0.25),
            "current_density_mA_cm2",
        ),
        (lambda: PlatingStrippingParameters(current_density_mA_cm2=1), "capacity_mAh_cm2"),
        (
            lambda: PlatingStrippingParameters(current_density_mA_cm2=1, capacity_mAh_cm2=1, half_cycle_s=5),
            "capacity_mAh_cm2",
        ),
        (lambda: PlatingStrippingParameters(current_density_mA_cm2=1, half_cycle_s=5, cycles=0), "cycles"),
        (
            lambda: CCDParameters(capacity_mAh_cm2=0.25, stop_current_density_mA_cm2=0.1),
            "stop_current_density_mA_cm2",
        ),
        (lambda: CCDParameters(capacity_mAh_cm2=0.25, sample_period_s=0), "sample_period_s"),
        (lambda: CCDParameters(capacity_mAh_cm2=0.25, first_direction="up"), "first_direction"),
        (lambda: ImpedanceSweepParameters(start_frequency_hz=5, stop_frequency_hz=10), "stop_frequency_hz"),
        (lambda: ImpedanceSweepParameters(sub_ranges=(SubRange(13e6, 1e3, integration_s=1),)), "sub_ranges"),
        (lambda: SubRange(1e3, 1e2), "integration_s"),
        (lambda: TemperatureStepParameters(setpoint_c=60, stable_for_s=600, timeout_s=60), "timeout_s"),
    ],
)
def test_parameters_refused_naming_the_field(make, field):
    with pytest.raises(ParameterError) as info:
        make()
    assert info.value.field == field
    assert field in str(info.value)
