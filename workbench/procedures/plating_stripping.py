"""How is a cell plated and stripped at one current density?

Galvanostatic cycling of the symmetric cell: each cycle is a plating half-cycle (negative current)
and a stripping half-cycle (positive current) at ``current_density_mA_cm2``, each lasting either the
time to pass ``capacity_mAh_cm2`` (constant capacity) or ``half_cycle_s`` (constant dwell), with an
optional open-circuit rest between half-cycles. The voltage is sampled every ``sample_period_s``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from workbench.cell import Sample
from workbench.events import Event, StepStarted
from workbench.procedures import galvanostatic as g
from workbench.procedures.base import Plan, Procedure, RunContext
from workbench.procedures.parameters import integer, number, setfield


@dataclass(frozen=True)
class PlatingStrippingParameters:
    current_density_mA_cm2: float
    capacity_mAh_cm2: float | None = None
    half_cycle_s: float | None = None
    cycles: int = 1
    rest_s: float = 0.0
    sample_period_s: float = 1.0
    compliance_v: float = 10.0
    first_direction: str = "plate"

    def __post_init__(self) -> None:
        setfield(
            self,
            "current_density_mA_cm2",
            number(
                "current_density_mA_cm2",
                self.current_density_mA_cm2,
                strictly_positive=True,
                maximum=1000,
                unit="mA/cm2",
            ),
        )
        g.capacity_or_duration(self)
        setfield(self, "cycles", integer("cycles", self.cycles, minimum=1))
        g.check_cycling_common(self)

    def half_cycle_duration_s(self) -> float:
        if self.capacity_mAh_cm2 is not None:
            return g.half_cycle_duration_s(self.current_density_mA_cm2, self.capacity_mAh_cm2)
        return float(self.half_cycle_s)


class PlatingStripping(Procedure):
    kind = "plating_stripping"
    label = "Plating/stripping"
    Parameters = PlatingStrippingParameters
    uses_galvanostat = True
    size_keys = ("cycles", "capacity_mAh_cm2", "half_cycle_s", "rest_s", "sample_period_s")

    def __init__(self, parameters: PlatingStrippingParameters | None = None, **kwargs):
        super().__init__(parameters, **kwargs)
        self.half_cycles_completed = 0
        self._last_voltage_v: list[float] = []

    def plan(self, sample: Sample) -> Plan:
        p = self.parameters
        duration = p.half_cycle_duration_s()
        n_half = 2 * p.cycles
        current_mA = p.current_density_mA_cm2 * sample.area_cm2
        step = {
            "step": 0,
            "current_density_mA_cm2": p.current_density_mA_cm2,
            "current_mA": current_mA,
            "half_cycle_s": duration,
            "capacity_mAh_cm2": p.current_density_mA_cm2 * duration / 3600,
            "capacity_mAh": current_mA * duration / 3600,
            "half_cycles": n_half,
            "n_points": g.cycling_points(duration, n_half, p.rest_s, p.sample_period_s),
            "duration_s": g.cycling_duration_s(duration, n_half, p.rest_s),
        }
        return Plan(
            self.kind,
            [step],
            step["duration_s"],
            step["n_points"],
            {"current_mA": round(current_mA, 6), "half_cycle_s": duration, "cycles": p.cycles},
        )

    def run(self, ctx: RunContext) -> Iterator[Event]:
        p = self.parameters
        duration = p.half_cycle_duration_s()
        ctx.set_compliance_v(p.compliance_v)
        step = ctx.next_step()
        yield StepStarted(step, f"{p.current_density_mA_cm2:g} mA/cm2, {p.cycles} cycle(s)", ctx.now())
        hc = -1
        for i, direction in enumerate(g.directions(p.first_direction, 2 * p.cycles)):
            if i > 0:
                yield from g.rest(
                    ctx,
                    duration_s=p.rest_s,
                    sample_period_s=p.sample_period_s,
                    step=step,
                    half_cycle_index=hc,
                )
            hc = ctx.next_half_cycle()
            last = None
            for point in g.half_cycle(
                ctx,
                current_density_mA_cm2=p.current_density_mA_cm2,
                direction=direction,
                duration_s=duration,
                sample_period_s=p.sample_period_s,
                step=step,
                half_cycle_index=hc,
            ):
                last = point
                yield point
            self.half_cycles_completed += 1
            self._last_voltage_v.append(last["voltage_v"])
        ctx.source_off()

    def result(self) -> dict:
        return {
            "half_cycles_completed": self.half_cycles_completed,
            "cycles_completed": self.half_cycles_completed // 2,
            "end_of_half_cycle_voltage_v": self._last_voltage_v,
        }
