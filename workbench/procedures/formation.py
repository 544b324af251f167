"""How are formation cycles run? Current density and dwell raised together.

Formation cycles (Quérel et al., Fig. 5) raise the current density and the galvanostatic dwell at the
same time, from 1 mA/cm2 with 30 s half-cycles to 10 mA/cm2 with 0.5 h half-cycles, so that the
interface is conditioned gradually before long plating at high rate. Each step is a (current density,
half-cycle duration) pair, cycled ``cycles_per_step`` times. The paper gives only the end points; the
``paper()`` preset fills the steps between them with round numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from workbench.cell import Sample
from workbench.events import Event, StepStarted
from workbench.procedures import galvanostatic as g
from workbench.procedures.base import Plan, Procedure, RunContext
from workbench.procedures.parameters import ParameterError, integer, numbers, setfield

PAPER_CURRENT_DENSITIES_MA_CM2 = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0)
PAPER_HALF_CYCLES_S = (30.0, 60.0, 120.0, 180.0, 300.0, 450.0, 600.0, 900.0, 1200.0, 1800.0)


@dataclass(frozen=True)
class FormationParameters:
    current_densities_mA_cm2: tuple[float, ...] = PAPER_CURRENT_DENSITIES_MA_CM2
    half_cycles_s: tuple[float, ...] = PAPER_HALF_CYCLES_S
    cycles_per_step: int = 1
    rest_s: float = 0.0
    sample_period_s: float = 1.0
    compliance_v: float = 10.0
    first_direction: str = "plate"

    def __post_init__(self) -> None:
        js = numbers("current_densities_mA_cm2", self.current_densities_mA_cm2, unit="mA/cm2")
        ts = numbers("half_cycles_s", self.half_cycles_s, unit="s")
        if len(js) != len(ts):
            raise ParameterError(
                "half_cycles_s",
                f"has {len(ts)} durations for {len(js)} current densities; "
                "give one half-cycle duration per current density.",
            )
        setfield(self, "current_densities_mA_cm2", js)
        setfield(self, "half_cycles_s", ts)
        setfield(self, "cycles_per_step", integer("cycles_per_step", self.cycles_per_step, minimum=1))
        g.check_cycling_common(self)

    @classmethod
    def paper(cls) -> FormationParameters:
        return cls()


class FormationCycles(Procedure):
    kind = "formation"
    label = "Formation cycles"
    Parameters = FormationParameters
    uses_galvanostat = True
    size_keys = ("half_cycles_s", "cycles_per_step", "rest_s", "sample_period_s")

    def __init__(self, parameters: FormationParameters | None = None, **kwargs):
        super().__init__(parameters, **kwargs)
        self.completed: list[tuple[float, float]] = []

    def plan(self, sample: Sample) -> Plan:
        p = self.parameters
        steps = []
        n_half = 2 * p.cycles_per_step
        for i, (j, t) in enumerate(zip(p.current_densities_mA_cm2, p.half_cycles_s, strict=True)):
            steps.append(g.step_plan(i, current_density_mA_cm2=j, duration_s=t, n_half_cycles=n_half,
                                     rest_s=p.rest_s, sample_period_s=p.sample_period_s, area_cm2=sample.area_cm2))
        return Plan(
            self.kind,
            steps,
            sum(s["duration_s"] for s in steps),
            sum(s["n_points"] for s in steps),
            {"steps": len(steps), "max_capacity_mAh_cm2": max(s["capacity_mAh_cm2"] for s in steps)},
        )

    def run(self, ctx: RunContext) -> Iterator[Event]:
        p = self.parameters
        ctx.set_compliance_v(p.compliance_v)
        hc = None
        for j, t in zip(p.current_densities_mA_cm2, p.half_cycles_s, strict=True):
            step = ctx.next_step()
            yield StepStarted(step, f"{j:g} mA/cm2 for {t:g} s", ctx.now())
            hc = yield from g.cycles_at(
                ctx, current_density_mA_cm2=j, duration_s=t, n_half_cycles=2 * p.cycles_per_step,
                first_direction=p.first_direction, rest_s=p.rest_s, sample_period_s=p.sample_period_s,
                step=step, previous_half_cycle=hc)
            self.completed.append((j, t))
        ctx.source_off()

    def result(self) -> dict:
        last = self.completed[-1] if self.completed else (None, None)
        return {
            "steps_completed": len(self.completed),
            "steps_planned": len(self.parameters.half_cycles_s),
            "last_completed_current_density_mA_cm2": last[0],
            "last_completed_half_cycle_s": last[1],
        }
