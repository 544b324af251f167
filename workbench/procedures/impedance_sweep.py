"""How is an impedance spectrum measured? A logarithmic frequency sweep, high to low.

The frequency range is sampled at ``points_per_decade`` points per decade and split into sub-ranges,
each with its own integration time and settling delay, given in seconds or in cycles of the measured
frequency (a cycle count becomes seconds at each frequency: 30 cycles at 5 Hz = 6 s). The defaults are
the paper's Solartron 1260 sweep (Quérel et al., Methods): 13 MHz to 5 Hz, 20 points per decade, 50 mV,
sub-ranges 13 MHz-500 kHz (2 s integration, 10 cycles delay), 500 kHz-500 Hz (1 s, 5 cycles) and
500 Hz-5 Hz (30 cycles integration, 3 cycles delay). A frequency on a boundary belongs to the first
listed sub-range that contains it.

The galvanostat output is switched off before the sweep: the FRA measures the cell at rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from workbench.cell import Sample
from workbench.events import DataPoint, Event
from workbench.procedures.base import Plan, Procedure, RunContext
from workbench.procedures.parameters import ParameterError, integer, nested, number, setfield

#: Per-point overhead of the analyser (range changes, reading out) used in the time estimate.
POINT_OVERHEAD_S = 0.05


@dataclass(frozen=True)
class SubRange:
    """A band of the sweep with its integration and delay, each in seconds or in cycles."""

    high_frequency_hz: float
    low_frequency_hz: float
    integration_s: float | None = None
    integration_cycles: float | None = None
    delay_s: float | None = None
    delay_cycles: float | None = None

    def __post_init__(self) -> None:
        high = number("high_frequency_hz", self.high_frequency_hz, strictly_positive=True, unit="Hz")
        low = number("low_frequency_hz", self.low_frequency_hz, strictly_positive=True, unit="Hz")
        if low >= high:
            raise ParameterError(
                "low_frequency_hz", f"({low} Hz) must be below high_frequency_hz ({high} Hz)."
            )
        setfield(self, "high_frequency_hz", high)
        setfield(self, "low_frequency_hz", low)
        if (self.integration_s is None) == (self.integration_cycles is None):
            raise ParameterError("integration_s", "give exactly one of integration_s or integration_cycles.")
        if self.delay_s is not None and self.delay_cycles is not None:
            raise ParameterError("delay_s", "give at most one of delay_s or delay_cycles.")
        for name in ("integration_s", "integration_cycles", "delay_s", "delay_cycles"):
            value = getattr(self, name)
            if value is not None:
                unit = "s" if name.endswith("_s") else "cycles"
                positive = name.startswith("integration")
                setfield(self, name, number(name, value, minimum=0, strictly_positive=positive, unit=unit))

    def contains(self, frequency_hz: float) -> bool:
        tol = 1e-9 * frequency_hz
        return self.low_frequency_hz - tol <= frequency_hz <= self.high_frequency_hz + tol

    def integration_at(self, frequency_hz: float) -> float:
        if self.integration_s is not None:
            return self.integration_s
        return self.integration_cycles / frequency_hz

    def delay_at(self, frequency_hz: float) -> float:
        if self.delay_s is not None:
            return self.delay_s
        if self.delay_cycles is not None:
            return self.delay_cycles / frequency_hz
        return 0.0


PAPER_SUB_RANGES = (
    SubRange(13e6, 500e3, integration_s=2.0, delay_cycles=10),
    SubRange(500e3, 500.0, integration_s=1.0, delay_cycles=5),
    SubRange(500.0, 5.0, integration_cycles=30, delay_cycles=3),
)


@dataclass(frozen=True)
class ImpedanceSweepParameters:
    """An impedance sweep; the defaults are the paper's."""

    start_frequency_hz: float = 13e6
    stop_frequency_hz: float = 5.0
    points_per_decade: int = 20
    amplitude_v: float = 0.05
    dc_bias_v: float = 0.0
    sub_ranges: tuple[SubRange, ...] = nested(SubRange, many=True, default=PAPER_SUB_RANGES)

    def __post_init__(self) -> None:
        start = number("start_frequency_hz", self.start_frequency_hz, strictly_positive=True, unit="Hz")
        stop = number("stop_frequency_hz", self.stop_frequency_hz, strictly_positive=True, unit="Hz")
        if stop >= start:
            raise ParameterError(
                "stop_frequency_hz",
                f"({stop} Hz) must be below start_frequency_hz ({start} Hz): sweeps run down.",
            )
        if start > 32e6:
            raise ParameterError("start_frequency_hz", f"({start} Hz) is above 32 MHz, beyond any FRA here.")
        setfield(self, "start_frequency_hz", start)
        setfield(self, "stop_frequency_hz", stop)
        setfield(
            self, "points_per_decade", integer("points_per_decade", self.points_per_decade, minimum=1, maximum=1000)
        )
        setfield(
            self,
            "amplitude_v",
            number("amplitude_v", self.amplitude_v, strictly_positive=True, maximum=3.0, unit="V rms"),
        )
        setfield(self, "dc_bias_v", number("dc_bias_v", self.dc_bias_v, minimum=-40, maximum=40, unit="V"))
        if self.sub_ranges is None or isinstance(self.sub_ranges, str | bytes) or not hasattr(self.sub_ranges,
                                                                                              "__iter__"):
            raise ParameterError("sub_ranges", "must list at least one sub-range ([[...sub_ranges]] tables).")
        ranges = tuple(self.sub_ranges)
        if not ranges or not all(isinstance(r, SubRange) for r in ranges):
            raise ParameterError("sub_ranges", "must list at least one sub-range ([[...sub_ranges]] tables).")
        setfield(self, "sub_ranges", ranges)
        for f in (start, stop):
            if not any(r.contains(f) for r in ranges):
                raise ParameterError("sub_ranges", f"do not cover {f:g} Hz; they must span the whole sweep.")
        for f in self.frequencies_hz():
            if not any(r.contains(f) for r in ranges):
                raise ParameterError(
                    "sub_ranges", f"leave a gap at {f:g} Hz; they must span the whole sweep."
                )

    @classmethod
    def paper(cls) -> ImpedanceSweepParameters:
        """The paper's Solartron 1260 sweep (13 MHz-5 Hz, 20 points/decade, 50 mV, three sub-ranges)."""
        return cls()

    def frequencies_hz(self) -> np.ndarray:
        """The swept frequencies, high to low, both ends included."""
        decades = math.log10(self.start_frequency_hz / self.stop_frequency_hz)
        n = max(2, int(round(decades * self.points_per_decade)) + 1)
        return np.logspace(math.log10(self.start_frequency_hz), math.log10(self.stop_frequency_hz), n)

    def sub_range_for(self, frequency_hz: float) -> SubRange:
        for sub_range in self.sub_ranges:
            if sub_range.contains(frequency_hz):
                return sub_range
        raise ParameterError("sub_ranges", f"do not cover {frequency_hz:g} Hz.")

    def schedule(self) -> list[tuple[float, float, float]]:
        """(frequency_hz, integration_s, delay_s) for every point."""
        out = []
        for f in self.frequencies_hz():
            r = self.sub_range_for(f)
            out.append((float(f), r.integration_at(f), r.delay_at(f)))
        return out

    def duration_s(self) -> float:
        return sum(i + d + POINT_OVERHEAD_S for _, i, d in self.schedule())


def sweep(ctx: RunContext, parameters: ImpedanceSweepParameters, *, label: str = "") -> Iterator[Event]:
    """Measure a spectrum, yielding one impedance ``DataPoint`` per frequency."""
    fra = ctx.fra
    if ctx.output_is_on:
        ctx.source_off()
    configured = None
    for frequency_hz, integration_s, delay_s in parameters.schedule():
        ctx.checkpoint()
        settings = (integration_s, delay_s)
        if settings != configured:
            fra.configure(
                amplitude_v=parameters.amplitude_v,
                dc_bias_v=parameters.dc_bias_v,
                integration_s=integration_s,
                delay_s=delay_s,
            )
            configured = settings
        point = fra.measure(frequency_hz)
        yield DataPoint(
            "impedance",
            ctx.now(),
            {
                "frequency_hz": point.frequency_hz,
                "z_real_ohm": point.z_real_ohm,
                "z_imag_ohm": point.z_imag_ohm,
            },
        )


def sweep_plan(parameters: ImpedanceSweepParameters, label: str = "impedance sweep") -> dict:
    schedule = parameters.schedule()
    return {
        "label": label,
        "n_points": len(schedule),
        "duration_s": parameters.duration_s(),
        "start_frequency_hz": parameters.start_frequency_hz,
        "stop_frequency_hz": parameters.stop_frequency_hz,
        "points_per_sub_range": [
            sum(1 for f, _, _ in schedule if parameters.sub_range_for(f) is r) for r in parameters.sub_ranges
        ],
    }


class ImpedanceSweep(Procedure):
    """One impedance spectrum."""

    kind = "impedance_sweep"
    label = "Impedance sweep"
    Parameters = ImpedanceSweepParameters
    size_keys = ("points_per_decade", "integration_s", "integration_cycles", "delay_s", "delay_cycles")

    def __init__(self, parameters: ImpedanceSweepParameters | None = None, **kwargs):
        super().__init__(parameters, **kwargs)
        self._n_measured = 0

    def plan(self, sample: Sample) -> Plan:
        step = sweep_plan(self.parameters)
        return Plan(
            self.kind,
            [step],
            step["duration_s"],
            step["n_points"],
            {
                "frequencies": f"{self.parameters.start_frequency_hz:g} Hz to "
                f"{self.parameters.stop_frequency_hz:g} Hz",
                "points": step["n_points"],
                "amplitude_v": self.parameters.amplitude_v,
            },
        )

    def run(self, ctx: RunContext) -> Iterator[Event]:
        for event in sweep(ctx, self.parameters):
            self._n_measured += 1
            yield event

    def result(self) -> dict:
        return {"points_measured": self._n_measured, "points_planned": len(self.parameters.frequencies_hz())}
