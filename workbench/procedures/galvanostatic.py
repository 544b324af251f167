"""How is one galvanostatic half-cycle (or rest) run and sampled?

Shared by plating/stripping, CCD and formation cycles. A half-cycle sets the current for its current
density on the sample's electrode area, then samples the galvanostat every ``sample_period_s`` of bench
time from the first instant to the last (one sample exactly at the end), yielding a cycling
``DataPoint`` for each. Plating is a negative current, stripping a positive one, as in the paper
("the plating direction was arbitrarily attributed to negative current densities").

The runner resumes the generator only after the point is stored and every listener (the short
detector first) has seen it, so a detected short stops the half-cycle before the next sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from instruments.roles import ComplianceExceeded
from workbench.events import DataPoint
from workbench.procedures.base import RunContext, sample_count
from workbench.procedures.parameters import ParameterError, choice, number, sample_period

Direction = Literal["plate", "strip"]

#: Convention: the sign of the current for each direction.
SIGN = {"plate": -1.0, "strip": +1.0}


def half_cycle_duration_s(current_density_mA_cm2: float, capacity_mAh_cm2: float) -> float:
    """Seconds to pass an areal capacity at a current density: 0.25 mAh/cm2 at 0.5 mA/cm2 = 1800 s."""
    return capacity_mAh_cm2 / current_density_mA_cm2 * 3600.0


def half_cycle_points(duration_s: float, sample_period_s: float) -> int:
    return sample_count(duration_s, sample_period_s)


def check_cycling_common(p) -> None:
    """Checks shared by the cycling parameter classes (sample period, rest, compliance, direction)."""
    sample_period("sample_period_s", p.sample_period_s)
    number("rest_s", p.rest_s, minimum=0, unit="s")
    number("compliance_v", p.compliance_v, strictly_positive=True, maximum=210, unit="V")
    choice("first_direction", p.first_direction, ("plate", "strip"))


def capacity_or_duration(
    p, capacity_field: str = "capacity_mAh_cm2", duration_field: str = "half_cycle_s"
) -> None:
    """Exactly one of an areal capacity per half-cycle or a half-cycle duration."""
    capacity, duration = getattr(p, capacity_field), getattr(p, duration_field)
    if (capacity is None) == (duration is None):
        raise ParameterError(
            capacity_field,
            f"give exactly one of {capacity_field} (constant capacity) or {duration_field} (constant dwell).",
        )
    if capacity is not None:
        number(capacity_field, capacity, strictly_positive=True, unit="mAh/cm2")
    else:
        number(duration_field, duration, strictly_positive=True, unit="s")


def directions(first: str, n_half_cycles: int) -> list[str]:
    other = "strip" if first == "plate" else "plate"
    return [first if i % 2 == 0 else other for i in range(n_half_cycles)]


def half_cycle(
    ctx: RunContext,
    *,
    current_density_mA_cm2: float,
    direction: str,
    duration_s: float,
    sample_period_s: float,
    step: int,
    half_cycle_index: int,
) -> Iterator[DataPoint]:
    """Source the current for ``duration_s`` of bench time, yielding a sample every period."""
    sign = SIGN[direction]
    j = sign * current_density_mA_cm2
    ctx.source(ctx.sample.current_a(j))
    t_start = ctx.active_time()
    n = half_cycle_points(duration_s, sample_period_s)
    for k in range(n):
        target = min(k * sample_period_s, duration_s)
        ctx.sleep_until(t_start + target)
        yield _sample(ctx, j, half_cycle_index, step)


def step_plan(index: int, *, current_density_mA_cm2: float, duration_s: float, n_half_cycles: int,
              rest_s: float, sample_period_s: float, area_cm2: float) -> dict:
    """The derived numbers of one step of a staircase (CCD, formation): its current in mA, half-cycle
    duration and capacity, points and duration; a step after the first starts with a rest."""
    j = current_density_mA_cm2
    after_first = index > 0
    return {
        "step": index,
        "current_density_mA_cm2": j,
        "current_mA": j * area_cm2,
        "half_cycle_s": duration_s,
        "capacity_mAh_cm2": j * duration_s / 3600,
        "half_cycles": n_half_cycles,
        "n_points": cycling_points(duration_s, n_half_cycles, rest_s, sample_period_s)
        + (rest_points(rest_s, sample_period_s) if after_first else 0),
        "duration_s": cycling_duration_s(duration_s, n_half_cycles, rest_s) + (rest_s if after_first else 0.0),
    }


def cycles_at(ctx: RunContext, *, current_density_mA_cm2: float, duration_s: float, n_half_cycles: int,
              first_direction: str, rest_s: float, sample_period_s: float, step: int,
              previous_half_cycle: int | None) -> Iterator[DataPoint]:
    """Plate and strip ``n_half_cycles`` times at one current density, resting ``rest_s`` before each
    half-cycle that follows another; returns the index of the last half-cycle (``yield from`` gives it)."""
    hc = previous_half_cycle
    for direction in directions(first_direction, n_half_cycles):
        if hc is not None:
            yield from rest(ctx, duration_s=rest_s, sample_period_s=sample_period_s, step=step,
                            half_cycle_index=hc)
        hc = ctx.next_half_cycle()
        yield from half_cycle(ctx, current_density_mA_cm2=current_density_mA_cm2, direction=direction,
                              duration_s=duration_s, sample_period_s=sample_period_s, step=step,
                              half_cycle_index=hc)
    return hc


def rest(
    ctx: RunContext, *, duration_s: float, sample_period_s: float, step: int, half_cycle_index: int
) -> Iterator[DataPoint]:
    """Zero current with the output on, the open-circuit voltage sampled every period."""
    if duration_s <= 0:
        return
    ctx.source(0.0)
    t_start = ctx.active_time()
    n = half_cycle_points(duration_s, sample_period_s)
    for k in range(1, n):
        ctx.sleep_until(t_start + min(k * sample_period_s, duration_s))
        yield _sample(ctx, 0.0, half_cycle_index, step)


def _sample(ctx: RunContext, current_density_mA_cm2: float, half_cycle_index: int, step: int) -> DataPoint:
    """One cycling point: the measured voltage, current and current density (the current over the
    sample's area), the current density that was set, and the compliance it was set with (not stored:
    the short detector judges a sample at the compliance by it)."""
    try:
        reading = ctx.galvanostat.read()
    except ComplianceExceeded as exc:  # the source stopped itself there: the sample still tells why
        reading = exc.reading
        ctx.output_is_on = False
    values = {
        "voltage_v": reading.voltage_v,
        "current_a": reading.current_a,
        "current_density_mA_cm2": reading.current_a * 1e3 / ctx.sample.area_cm2,
        "set_current_density_mA_cm2": current_density_mA_cm2,
        "half_cycle": half_cycle_index,
        "step": step,
    }
    if ctx.compliance_v is not None:
        values["compliance_v"] = ctx.compliance_v
    return DataPoint("cycling", ctx.now(), values)


def cycling_duration_s(duration_s: float, n_half_cycles: int, rest_s: float) -> float:
    return n_half_cycles * duration_s + max(0, n_half_cycles - 1) * rest_s


def rest_points(rest_s: float, sample_period_s: float) -> int:
    """Samples of a rest (the first instant is the previous half-cycle's last sample)."""
    return sample_count(rest_s, sample_period_s) - 1 if rest_s > 0 else 0


def cycling_points(duration_s: float, n_half_cycles: int, rest_s: float, sample_period_s: float) -> int:
    rest_points_ = rest_points(rest_s, sample_period_s)
    return (
        n_half_cycles * half_cycle_points(duration_s, sample_period_s)
        + max(0, n_half_cycles - 1) * rest_points_
    )
