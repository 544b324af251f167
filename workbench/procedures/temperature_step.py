"""How is the stage brought to a temperature? Ramp, then wait until stable.

The stage ramps to ``setpoint_c`` at ``ramp_c_per_min``; the step ends when the stage temperature has
stayed within ``tolerance_c`` of the setpoint for ``stable_for_s`` (the pellet's bulk and interface
resistances move with temperature, so spectra taken before equilibrium drift). If that does not
happen within ``timeout_s`` the run fails with the last temperature read. The stage then holds the
setpoint for whatever follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from workbench.cell import Sample
from workbench.events import DataPoint, Event, StepStarted
from workbench.procedures.base import Plan, Procedure, ProcedureError, RunContext
from workbench.procedures.parameters import ParameterError, number, sample_period, setfield


@dataclass(frozen=True)
class TemperatureStepParameters:
    setpoint_c: float
    ramp_c_per_min: float = 10.0
    tolerance_c: float = 0.2
    stable_for_s: float = 300.0
    timeout_s: float = 7200.0
    sample_period_s: float = 5.0
    #: Only for the time estimate: where the stage is expected to start.
    expected_start_c: float = 25.0

    def __post_init__(self) -> None:
        setfield(
            self, "setpoint_c", number("setpoint_c", self.setpoint_c, minimum=-196, maximum=600, unit="degC")
        )
        setfield(
            self,
            "ramp_c_per_min",
            number(
                "ramp_c_per_min", self.ramp_c_per_min, strictly_positive=True, maximum=150, unit="degC/min"
            ),
        )
        setfield(
            self, "tolerance_c", number("tolerance_c", self.tolerance_c, strictly_positive=True, unit="degC")
        )
        setfield(self, "stable_for_s", number("stable_for_s", self.stable_for_s, minimum=0, unit="s"))
        setfield(self, "timeout_s", number("timeout_s", self.timeout_s, strictly_positive=True, unit="s"))
        setfield(
            self,
            "sample_period_s",
            sample_period("sample_period_s", self.sample_period_s),
        )
        setfield(self, "expected_start_c", number("expected_start_c", self.expected_start_c, unit="degC"))
        if self.timeout_s < self.stable_for_s:
            raise ParameterError(
                "timeout_s",
                f"({self.timeout_s} s) is shorter than stable_for_s "
                f"({self.stable_for_s} s); the step could never succeed.",
            )

    def expected_duration_s(self) -> float:
        ramp_s = abs(self.setpoint_c - self.expected_start_c) / self.ramp_c_per_min * 60
        return min(self.timeout_s, ramp_s + self.stable_for_s)


class TemperatureStep(Procedure):
    kind = "temperature_step"
    label = "Temperature step"
    Parameters = TemperatureStepParameters
    size_keys = ("timeout_s", "sample_period_s")

    def __init__(self, parameters: TemperatureStepParameters | None = None, **kwargs):
        super().__init__(parameters, **kwargs)
        self.settled_after_s: float | None = None
        self.last_temperature_c: float | None = None

    def plan(self, sample: Sample) -> Plan:
        p = self.parameters
        duration = p.expected_duration_s()
        n = int(duration / p.sample_period_s) + 1
        step = {
            "step": 0,
            "setpoint_c": p.setpoint_c,
            "ramp_c_per_min": p.ramp_c_per_min,
            "duration_s": duration,
            "timeout_s": p.timeout_s,
            "n_points": n,
        }
        return Plan(self.kind, [step], duration, n, {"setpoint_c": p.setpoint_c, "worst_case_s": p.timeout_s})

    def run(self, ctx: RunContext) -> Iterator[Event]:
        p = self.parameters
        stage = ctx.stage
        yield StepStarted(ctx.next_step(), f"stage to {p.setpoint_c:g} degC", ctx.now())
        stage.set_setpoint_c(p.setpoint_c, p.ramp_c_per_min)
        t_start = ctx.active_time()
        stable_since: float | None = None
        k = 0
        while True:
            t = ctx.active_time() - t_start
            temperature = stage.read_temperature_c()
            self.last_temperature_c = temperature
            yield DataPoint(
                "temperature", ctx.now(), {"temperature_c": temperature, "setpoint_c": p.setpoint_c}
            )
            if abs(temperature - p.setpoint_c) <= p.tolerance_c:
                stable_since = t if stable_since is None else stable_since
                if t - stable_since >= p.stable_for_s:
                    self.settled_after_s = t
                    return
            else:
                stable_since = None
            if t >= p.timeout_s:
                raise ProcedureError(
                    f"the stage did not stay within {p.tolerance_c:g} degC of {p.setpoint_c:g} degC for "
                    f"{p.stable_for_s:g} s within {p.timeout_s:g} s (last reading {temperature:.2f} degC)"
                )
            k += 1
            ctx.sleep_until(t_start + k * p.sample_period_s)

    def result(self) -> dict:
        return {
            "setpoint_c": self.parameters.setpoint_c,
            "settled_after_s": self.settled_after_s,
            "last_temperature_c": self.last_temperature_c,
        }
