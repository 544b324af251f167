"""What every procedure is: parameters, a plan made before the run, and a generator of points.

A procedure answers "how is this measurement run?". It is built from a parameters dataclass (checked on
construction), gives every derived number before the run starts with ``plan(sample)``, and runs as a
generator ``run(ctx)`` that yields ``DataPoint`` and other events to the runner. It talks to the
instruments only through the role interfaces that ``RunContext`` hands it, waits only through
``ctx.sleep`` (the bench clock, checking for pause and stop), and keeps what it has completed so that
``result()`` can say what was achieved however the run ended.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from workbench.cell import Sample
from workbench.events import Event
from workbench.procedures.parameters import check_extent

#: A wait that is this close to its end has ended (no instrument here acts on a nanosecond).
WAIT_RESOLUTION_S = 1e-9


class Stopped(Exception):
    """Raised inside a procedure when the runner stops it (user abort, safety, pause cancelled)."""


class ProcedureError(RuntimeError):
    """The measurement cannot go on (e.g. the stage never settled); ends the run as failed."""


@dataclass
class Plan:
    """Every derived number of a run, known before it starts.

    ``steps`` holds one dict per step (current in mA, half-cycle duration in s, points, duration);
    ``total_duration_s`` is the estimate if nothing stops the run early.
    """

    kind: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    total_duration_s: float = 0.0
    n_points: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    #: what was changed to fit the bench (e.g. a sweep clipped to the analyser's range), one line each
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """A few lines for a terminal or a confirmation dialog."""
        hours = self.total_duration_s / 3600
        lines = [f"{self.kind}: {len(self.steps)} step(s), {self.n_points} points, about {hours:.2f} h"]
        lines += [f"  {summary_line(k, v)}" for k, v in self.summary.items()]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


#: a summary key's unit suffix and how a terminal writes it (longest first)
_UNIT_SUFFIXES = (("_mAh_cm2", "mAh/cm2"), ("_mA_cm2", "mA/cm2"), ("_cm2", "cm2"), ("_mA", "mA"), ("_hz", "Hz"),
                  ("_v", "V"), ("_s", "s"), ("_c", "degC"), ("_ohm", "Ohm"), ("_mm", "mm"))
_SUMMARY_WORDS = {"steps": "current steps", "area": "electrode area", "amplitude": "amplitude (rms)"}


def summary_line(key: str, value: Any) -> str:
    """A plan summary's entry in words: 'area_cm2', 0.56745 -> 'electrode area: 0.5675 cm2';
    'mode', 'constant_capacity' -> 'mode: constant capacity'."""
    unit = ""
    for suffix, written in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            key, unit = key[: -len(suffix)], written
            break
    name = _SUMMARY_WORDS.get(key, key.replace("_", " "))
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = str(value).replace("_", " ")
    else:
        text = f"{value:.4g}"
    return f"{name}: {text}" + (f" {unit}" if unit else "")


def sample_count(duration_s: float, sample_period_s: float) -> int | float:
    """Samples taken over ``duration_s``: at 0, every period, and one at the end if off the grid
    (``inf`` when that is beyond any float, for ``check_extent`` to refuse)."""
    ratio = duration_s / sample_period_s
    if not ratio < 1e15:
        return ratio + 2
    whole = int(ratio + 1e-9)
    on_grid = abs(whole * sample_period_s - duration_s) <= 1e-9 * max(1.0, duration_s)
    return whole + 1 + (0 if on_grid else 1)


class RunContext:
    """What a running procedure may use: the roles, the sample, the clock, and the runner's control.

    ``control`` is the runner (anything with ``checkpoint()``, which blocks while paused and raises
    ``Stopped`` when the run must stop). Time is counted from the start of the run; ``active_time``
    leaves out the time spent paused, so a half-cycle interrupted by a pause still passes its charge.
    """

    def __init__(self, bench: Any, sample: Sample, control: Any = None):
        self.bench = bench
        self.sample = sample
        self.clock = bench.clock
        self.control = control
        self._t0 = self.clock.now()
        self.paused_s = 0.0
        self.source_current_a = 0.0
        self.output_is_on = False
        #: the galvanostat's voltage compliance as last set through ``set_compliance_v`` (V), else None
        self.compliance_v: float | None = None
        self._half_cycle = -1
        self._step = -1

    # --- roles -------------------------------------------------------------------------------
    @property
    def fra(self):
        return self.bench.fra

    @property
    def galvanostat(self):
        return self.bench.galvanostat

    @property
    def stage(self):
        return self.bench.stage

    # --- time --------------------------------------------------------------------------------
    def now(self) -> float:
        """Bench-clock seconds since the run started (pauses included)."""
        return self.clock.now() - self._t0

    def active_time(self) -> float:
        """Seconds since the run started, pauses left out."""
        return self.now() - self.paused_s

    def checkpoint(self) -> None:
        if self.control is not None:
            self.control.checkpoint()

    def sleep(self, seconds: float) -> None:
        self.sleep_until(self.active_time() + seconds)

    def sleep_until(self, active_time_s: float) -> None:
        """Wait on the bench clock until ``active_time()`` reaches the target, in short wall-clock slices
        so that a stop request is honoured within about 50 ms.

        Ends in a bounded number of steps whatever the float arithmetic: a remainder below a nanosecond
        or below what the clock's value can still resolve counts as reached, and a clock that does not
        move when slept on (a remainder too small to change its value) ends the wait after a few tries."""
        chunk_s = 0.05 * self.clock.speed
        stalls = 0
        while True:
            self.checkpoint()
            before = self.clock.now()
            remaining = active_time_s - self.active_time()
            if remaining <= WAIT_RESOLUTION_S + 8 * math.ulp(abs(before) + abs(self._t0) + self.paused_s):
                return
            self.clock.sleep(min(remaining, chunk_s))
            if self.clock.now() > before:
                stalls = 0
            else:
                stalls += 1
                if stalls >= 3:
                    return

    # --- counters shared by the steps of a sequence ------------------------------------------
    def next_half_cycle(self) -> int:
        self._half_cycle += 1
        return self._half_cycle

    def next_step(self) -> int:
        self._step += 1
        return self._step

    # --- the current source -----------------------------------------------------------------
    def set_compliance_v(self, voltage_v: float) -> None:
        """Set the galvanostat's voltage compliance and remember it: each cycling sample carries it, so
        that a sample at the compliance (the current not as set) is recognised."""
        self.galvanostat.set_compliance_v(voltage_v)
        self.compliance_v = abs(float(voltage_v))

    def source(self, current_a: float) -> None:
        """Set the current and make sure the output is on."""
        g = self.galvanostat
        g.set_current_a(current_a)
        self.source_current_a = current_a
        if not self.output_is_on:
            g.output_on()
            self.output_is_on = True

    def source_off(self) -> None:
        """Current zero, output off (before an impedance sweep, at the end of cycling)."""
        self.galvanostat.safe_state()
        self.source_current_a = 0.0
        self.output_is_on = False


class Procedure(ABC):
    """Base of every procedure. Subclasses set ``kind``, ``Parameters`` and ``label``."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    Parameters: ClassVar[type]
    #: True when the procedure drives current through the cell (the short detector then listens).
    uses_galvanostat: ClassVar[bool] = False
    #: The parameters that set how long a run lasts and how many points it stores (named when too long).
    size_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parameters: Any = None, **kwargs: Any):
        if parameters is None:
            parameters = self.Parameters(**kwargs)
        elif kwargs:
            parameters = dataclasses.replace(parameters, **kwargs)
        if not isinstance(parameters, self.Parameters):
            raise TypeError(f"{type(self).__name__} needs {self.Parameters.__name__}, got {parameters!r}")
        self.parameters = parameters

    @abstractmethod
    def plan(self, sample: Sample) -> Plan:
        """Every derived number of the run on this sample."""

    def checked_plan(self, sample: Sample) -> Plan:
        """The plan, refused with ``ParameterError`` if the run would be longer than any bench run or
        store more points than a run may (``parameters.check_extent``)."""
        try:
            plan = self.plan(sample)
        except OverflowError:  # a duration or count beyond floats: as long as it gets
            check_extent(math.inf, math.inf, self.size_keys)
            raise
        check_extent(plan.total_duration_s, plan.n_points, self.size_keys)
        return plan

    @abstractmethod
    def run(self, ctx: RunContext) -> Iterator[Event]:
        """Measure, yielding points and events; check for stop between samples (``ctx.sleep`` does)."""

    def short_detected(self, event: Any) -> None:  # noqa: B027 - optional hook
        """The short detector found a short (``event``, a ``SafetyEvent``); called by the runner before the
        run stops, so that ``result()`` can claim what only a short proves (a critical current density)."""

    def after_short(self, ctx: RunContext) -> Iterator[Event]:
        """Measurements to make once a short has stopped the current (output already off)."""
        return iter(())

    def result(self) -> dict[str, Any]:
        """What the run achieved so far (called however it ended)."""
        return {}
