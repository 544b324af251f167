"""How is a galvanostatic hold run? One constant current density for a set time, sampled.

The manual control of the cycler: plate (negative current) or strip (positive) at a current density
for a duration, with the short-circuit detector watching as in any cycling, then current off.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from workbench.cell import Sample
from workbench.events import Event, StepStarted
from workbench.procedures import galvanostatic as g
from workbench.procedures.base import Plan, Procedure, RunContext
from workbench.procedures.parameters import choice, number, sample_period, setfield


@dataclass(frozen=True)
class HoldParameters:
    current_density_mA_cm2: float = 0.5
    duration_s: float = 600.0
    direction: str = "plate"
    sample_period_s: float = 1.0
    compliance_v: float = 10.0

    def __post_init__(self) -> None:
        setfield(self, "current_density_mA_cm2", number("current_density_mA_cm2", self.current_density_mA_cm2,
                                                        strictly_positive=True, maximum=1000, unit="mA/cm2"))
        setfield(self, "duration_s", number("duration_s", self.duration_s, strictly_positive=True, unit="s"))
        choice("direction", self.direction, ("plate", "strip"))
        sample_period("sample_period_s", self.sample_period_s)
        number("compliance_v", self.compliance_v, strictly_positive=True, maximum=210, unit="V")


class GalvanostaticHold(Procedure):
    kind = "hold"
    label = "Galvanostatic hold"
    Parameters = HoldParameters
    uses_galvanostat = True
    size_keys = ("duration_s", "sample_period_s")

    def __init__(self, parameters: HoldParameters | None = None, **kwargs):
        super().__init__(parameters, **kwargs)
        self.held_s = 0.0

    def plan(self, sample: Sample) -> Plan:
        p = self.parameters
        current_mA = p.current_density_mA_cm2 * sample.area_cm2
        n = g.half_cycle_points(p.duration_s, p.sample_period_s)
        step = {"step": 0, "current_density_mA_cm2": p.current_density_mA_cm2, "current_mA": current_mA,
                "half_cycle_s": p.duration_s, "capacity_mAh_cm2": p.current_density_mA_cm2 * p.duration_s / 3600,
                "n_points": n, "duration_s": p.duration_s}
        return Plan(self.kind, [step], p.duration_s, n,
                    {"current_mA": round(current_mA, 6), "direction": p.direction, "duration_s": p.duration_s})

    def run(self, ctx: RunContext) -> Iterator[Event]:
        p = self.parameters
        ctx.set_compliance_v(p.compliance_v)
        step = ctx.next_step()
        yield StepStarted(step, f"{p.direction} at {p.current_density_mA_cm2:g} mA/cm2 for {p.duration_s:g} s",
                          ctx.now())
        start = ctx.active_time()
        for point in g.half_cycle(ctx, current_density_mA_cm2=p.current_density_mA_cm2, direction=p.direction,
                                  duration_s=p.duration_s, sample_period_s=p.sample_period_s, step=step,
                                  half_cycle_index=ctx.next_half_cycle()):
            self.held_s = ctx.active_time() - start
            yield point
        ctx.source_off()

    def result(self) -> dict:
        return {"held_s": self.held_s}
