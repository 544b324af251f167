"""How is a critical-current-density (CCD) test run?

The current density is raised stepwise from ``start`` to ``stop`` by ``step`` (mA/cm2); at each step the
cell is plated and stripped ``cycles_per_step`` times, each half-cycle passing either a constant areal
capacity (``capacity_mAh_cm2``: the half-cycle shortens as the current rises) or lasting a constant
dwell (``half_cycle_s``). The paper's test: 0.5 to 15 mA/cm2 in 0.5 mA/cm2 steps at 0.25 mAh/cm2.

The test ends when the short-circuit detector fires (the runner switches the output off at once) or
after the last step. The critical current density is the highest current density whose step completed
without a short; a short during the first step leaves it undetermined (below ``start``).

Optional impedance sweeps: ``sweep_before`` (before the first step), ``sweep_after`` (after the last
step, and, with ``sweep_after_short``, after a short to confirm it: a shorted cell's spectrum collapses
to a small resistance).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from workbench.cell import Sample
from workbench.events import Event, StepStarted
from workbench.procedures import galvanostatic as g
from workbench.procedures.base import Plan, Procedure, RunContext
from workbench.procedures.impedance_sweep import ImpedanceSweepParameters, sweep, sweep_plan
from workbench.procedures.parameters import (
    ParameterError,
    flag,
    integer,
    nested,
    number,
    setfield,
)


@dataclass(frozen=True)
class CCDParameters:
    start_current_density_mA_cm2: float = 0.5
    stop_current_density_mA_cm2: float = 15.0
    step_current_density_mA_cm2: float = 0.5
    capacity_mAh_cm2: float | None = None
    half_cycle_s: float | None = None
    cycles_per_step: int = 1
    rest_s: float = 0.0
    sample_period_s: float = 1.0
    compliance_v: float = 10.0
    first_direction: str = "plate"
    sweep_before: ImpedanceSweepParameters | None = nested(ImpedanceSweepParameters, default=None)
    sweep_after: ImpedanceSweepParameters | None = nested(ImpedanceSweepParameters, default=None)
    sweep_after_short: bool = True

    def __post_init__(self) -> None:
        for name in (
            "start_current_density_mA_cm2",
            "stop_current_density_mA_cm2",
            "step_current_density_mA_cm2",
        ):
            setfield(
                self,
                name,
                number(name, getattr(self, name), strictly_positive=True, maximum=1000, unit="mA/cm2"),
            )
        if self.stop_current_density_mA_cm2 < self.start_current_density_mA_cm2:
            raise ParameterError(
                "stop_current_density_mA_cm2",
                f"({self.stop_current_density_mA_cm2}) must not be below "
                f"start_current_density_mA_cm2 ({self.start_current_density_mA_cm2}).",
            )
        g.capacity_or_duration(self)
        setfield(self, "cycles_per_step", integer("cycles_per_step", self.cycles_per_step, minimum=1))
        g.check_cycling_common(self)
        flag("sweep_after_short", self.sweep_after_short)
        for name in ("sweep_before", "sweep_after"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, ImpedanceSweepParameters):
                raise ParameterError(name, "must be an impedance sweep table or absent.")
        if self.step_count() > 10000:  # counted, not listed: a tiny step must not fill the memory
            raise ParameterError(
                "step_current_density_mA_cm2",
                f"gives {self.step_count():.3g} steps from {self.start_current_density_mA_cm2:g} to "
                f"{self.stop_current_density_mA_cm2:g} mA/cm2; at most 10000: use a larger step.",
            )

    @classmethod
    def paper(cls, **changes) -> CCDParameters:
        """The paper's constant-capacity test: 0.5 to 15 mA/cm2, step 0.5, 0.25 mAh/cm2."""
        return cls(**{"capacity_mAh_cm2": 0.25, **changes})

    @property
    def mode(self) -> str:
        return "constant_capacity" if self.capacity_mAh_cm2 is not None else "constant_dwell"

    def step_count(self) -> float:
        """How many current densities from start to stop (a float: it may be astronomically many)."""
        start, stop, step = (
            self.start_current_density_mA_cm2,
            self.stop_current_density_mA_cm2,
            self.step_current_density_mA_cm2,
        )
        return math.floor((stop - start) / step + 1e-9) + 1

    def current_densities_mA_cm2(self) -> list[float]:
        """Start, start + step, ... up to stop (included when on the grid)."""
        start, step = self.start_current_density_mA_cm2, self.step_current_density_mA_cm2
        return [round(start + i * step, 10) for i in range(int(self.step_count()))]

    def half_cycle_duration_s(self, current_density_mA_cm2: float) -> float:
        if self.capacity_mAh_cm2 is not None:
            return g.half_cycle_duration_s(current_density_mA_cm2, self.capacity_mAh_cm2)
        return float(self.half_cycle_s)


class CCDTest(Procedure):
    kind = "ccd"
    label = "Critical current density"
    Parameters = CCDParameters
    uses_galvanostat = True
    size_keys = ("step_current_density_mA_cm2", "capacity_mAh_cm2", "half_cycle_s", "cycles_per_step", "rest_s",
                 "sample_period_s")

    def __init__(self, parameters: CCDParameters | None = None, **kwargs):
        super().__init__(parameters, **kwargs)
        self.completed_mA_cm2: list[float] = []
        self.current_step_mA_cm2: float | None = None
        #: the short that ended the test (the ``SafetyEvent``), None while none was detected
        self.short = None

    def plan(self, sample: Sample) -> Plan:
        p = self.parameters
        steps, total, points = [], 0.0, 0
        if p.sweep_before is not None:
            steps.append(sweep_plan(p.sweep_before, "impedance sweep before"))
        n_half = 2 * p.cycles_per_step
        for i, j in enumerate(p.current_densities_mA_cm2()):
            steps.append(g.step_plan(i, current_density_mA_cm2=j, duration_s=p.half_cycle_duration_s(j),
                                     n_half_cycles=n_half, rest_s=p.rest_s, sample_period_s=p.sample_period_s,
                                     area_cm2=sample.area_cm2))
        if p.sweep_after is not None:
            steps.append(sweep_plan(p.sweep_after, "impedance sweep after"))
        for step in steps:
            total += step["duration_s"]
            points += step["n_points"]
        js = p.current_densities_mA_cm2()
        return Plan(
            self.kind,
            steps,
            total,
            points,
            {
                "mode": p.mode,
                "steps": len(js),
                "current_density_mA_cm2": f"{js[0]:g} to {js[-1]:g}",
                "current_mA": f"{js[0] * sample.area_cm2:.4g} to {js[-1] * sample.area_cm2:.4g}",
                "area_cm2": round(sample.area_cm2, 5),
            },
        )

    def run(self, ctx: RunContext) -> Iterator[Event]:
        p = self.parameters
        if p.sweep_before is not None:
            yield StepStarted(ctx.next_step(), "impedance sweep before cycling", ctx.now())
            yield from sweep(ctx, p.sweep_before)
        ctx.set_compliance_v(p.compliance_v)
        hc = None
        for j in p.current_densities_mA_cm2():
            self.current_step_mA_cm2 = j
            step = ctx.next_step()
            duration = p.half_cycle_duration_s(j)
            yield StepStarted(step, f"{j:g} mA/cm2, {duration:g} s half-cycles", ctx.now())
            hc = yield from g.cycles_at(
                ctx, current_density_mA_cm2=j, duration_s=duration, n_half_cycles=2 * p.cycles_per_step,
                first_direction=p.first_direction, rest_s=p.rest_s, sample_period_s=p.sample_period_s,
                step=step, previous_half_cycle=hc)
            self.completed_mA_cm2.append(j)
        self.current_step_mA_cm2 = None
        ctx.source_off()
        if p.sweep_after is not None:
            yield StepStarted(ctx.next_step(), "impedance sweep after cycling", ctx.now())
            yield from sweep(ctx, p.sweep_after)

    def short_detected(self, event) -> None:
        self.short = event

    def after_short(self, ctx: RunContext) -> Iterator[Event]:
        p = self.parameters
        if p.sweep_after is not None and p.sweep_after_short:
            # the plan's last step (the sweep after cycling) is what runs now, in place of the steps left
            last = (p.sweep_before is not None) + len(p.current_densities_mA_cm2())
            yield StepStarted(last, "impedance sweep confirming the short", ctx.now())
            yield from sweep(ctx, p.sweep_after)

    def result(self) -> dict:
        """The critical current density only when a short ended the test: the highest step completed
        before it (None when the first step shorted: it is below that step). Without a short (completed,
        aborted, failed, at the compliance) there is none; the highest step passed is kept apart."""
        js = self.parameters.current_densities_mA_cm2()
        highest = self.completed_mA_cm2[-1] if self.completed_mA_cm2 else None
        if self.short is None:
            note = "no short was detected: no critical current density"
        elif highest is None:
            note = "no step completed: the CCD is below the first current density"
        else:
            note = ""
        return {
            "critical_current_density_mA_cm2": highest if self.short is not None else None,
            "highest_step_without_short_mA_cm2": highest,
            "failed_at_current_density_mA_cm2": self.current_step_mA_cm2,
            "steps_completed": len(self.completed_mA_cm2),
            "steps_planned": len(js),
            "all_steps_completed": len(self.completed_mA_cm2) == len(js),
            "note": note,
        }
