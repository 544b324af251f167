"""How are several measurements chained? A sequence runs its steps one after another on one cell.

For example the paper's routine: bring the stage to 25 degC, measure a spectrum, run the CCD test,
measure a spectrum again. Each step is the parameters of another procedure; the plan is the steps'
plans end to end. A short in a cycling step ends the sequence as shorted; the impedance sweeps still
ahead of it are then measured (with the current off) to document the shorted cell, and every other
remaining step is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.cell import Sample
from workbench.events import Event
from workbench.procedures.base import Plan, Procedure, RunContext
from workbench.procedures.parameters import ParameterError, build, nested


def _registry() -> dict[str, type[Procedure]]:
    from workbench.procedures import PROCEDURES

    return {k: v for k, v in PROCEDURES.items() if k != Sequence.kind}


def kind_of(parameters: Any) -> str:
    for kind, cls in _registry().items():
        if isinstance(parameters, cls.Parameters):
            return kind
    raise ParameterError("steps", f"{parameters!r} is not the parameters of a known procedure.")


def build_step(value: Any, where: str) -> Any:
    """One step from a table with a ``kind`` key and that procedure's parameters."""
    registry = _registry()
    if any(isinstance(value, cls.Parameters) for cls in registry.values()):
        return value
    if not isinstance(value, Mapping):
        raise ParameterError(where, f"must be a table with a 'kind' key, got {value!r}.")
    kind = value.get("kind")
    if not isinstance(kind, str) or kind not in registry:
        raise ParameterError(
            f"{where}.kind", f"must be one of {', '.join(repr(k) for k in registry)}, got {kind!r}."
        )
    return build(registry[kind].Parameters, {k: v for k, v in value.items() if k != "kind"}, where)


@dataclass(frozen=True)
class SequenceParameters:
    steps: tuple[Any, ...] = nested(build_step, many=True)

    def __post_init__(self) -> None:
        if not isinstance(self.steps, tuple | list) or not self.steps:
            raise ParameterError("steps", "must list at least one step ([[procedure.steps]] tables).")
        for i, step in enumerate(self.steps):
            build_step(step, f"steps[{i}]")
        object.__setattr__(self, "steps", tuple(self.steps))


class Sequence(Procedure):
    kind = "sequence"
    label = "Sequence"
    Parameters = SequenceParameters
    size_keys = ("steps",)

    def __init__(self, parameters: SequenceParameters | None = None, **kwargs):
        super().__init__(parameters, **kwargs)
        registry = _registry()
        self.procedures = [registry[kind_of(p)](p) for p in self.parameters.steps]
        self.active: int | None = None
        self.finished_steps = 0

    @property
    def uses_galvanostat(self) -> bool:  # type: ignore[override]
        return any(p.uses_galvanostat for p in self.procedures)

    def plan(self, sample: Sample) -> Plan:
        plans = [p.plan(sample) for p in self.procedures]
        steps = [
            {
                "step": i,
                "kind": plan.kind,
                "duration_s": plan.total_duration_s,
                "n_points": plan.n_points,
                "steps": plan.steps,
            }
            for i, plan in enumerate(plans)
        ]
        return Plan(
            self.kind,
            steps,
            sum(p.total_duration_s for p in plans),
            sum(p.n_points for p in plans),
            {"steps": " -> ".join(p.kind for p in plans)},
        )

    def run(self, ctx: RunContext) -> Iterator[Event]:
        for i, procedure in enumerate(self.procedures):
            self.active = i
            yield from procedure.run(ctx)
            self.finished_steps = i + 1
        self.active = None

    def short_detected(self, event) -> None:
        if self.active is not None:
            self.procedures[self.active].short_detected(event)

    def after_short(self, ctx: RunContext) -> Iterator[Event]:
        if self.active is None:
            return
        yield from self.procedures[self.active].after_short(ctx)
        for procedure in self.procedures[self.active + 1 :]:
            if procedure.kind == "impedance_sweep":
                yield from procedure.run(ctx)

    def result(self) -> dict:
        results = [{"kind": p.kind, **p.result()} for p in self.procedures]
        out: dict[str, Any] = {"steps_completed": self.finished_steps, "steps": results}
        for r in results:
            if r["kind"] == "ccd":
                for key in ("critical_current_density_mA_cm2", "highest_step_without_short_mA_cm2",
                            "failed_at_current_density_mA_cm2"):
                    out[key] = r[key]
        return out
