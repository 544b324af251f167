"""What a run tells its listeners: small immutable events.

A procedure yields ``DataPoint`` (and the odd ``StepStarted`` or ``SafetyEvent``); the runner stores
each one first and only then hands it, with its sequence number, to every listener. The runner itself
adds ``RunStarted``, ``StateChanged``, ``Progress`` and, last of all, ``RunFinished``.

Listeners are called on the runner's worker thread; a GUI marshals to its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PointKind = Literal["impedance", "cycling", "temperature"]
RunStatus = Literal["completed", "aborted", "shorted", "failed"]

#: Values each kind of data point carries (beyond ``time_s``).
POINT_FIELDS: dict[str, tuple[str, ...]] = {
    "impedance": ("frequency_hz", "z_real_ohm", "z_imag_ohm"),
    # current_density_mA_cm2 is the measured one (current_a over the area); set_current_density_mA_cm2 the
    # one asked for: they differ when the source cannot drive it (at its compliance)
    "cycling": ("voltage_v", "current_a", "current_density_mA_cm2", "set_current_density_mA_cm2", "half_cycle",
                "step"),
    "temperature": ("temperature_c", "setpoint_c"),
}


@dataclass(frozen=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True)
class RunStarted(Event):
    run_id: int
    kind: str
    sample_name: str
    plan: dict[str, Any]


@dataclass(frozen=True)
class StateChanged(Event):
    """``state`` is one of idle, running, paused, stopping, finished; ``time_s`` is when (bench-clock
    seconds since the run started, as the points' ``time_s``), None before the run's clock starts."""

    state: str
    time_s: float | None = None


@dataclass(frozen=True)
class DataPoint(Event):
    """One measured point. ``seq`` is given by the store (-1 until stored); time in bench-clock seconds."""

    kind: str
    time_s: float
    values: dict[str, float]
    seq: int = -1
    run_id: int | None = None

    def __getitem__(self, key: str) -> float:
        return self.values[key]


@dataclass(frozen=True)
class StepStarted(Event):
    """A procedure began a new step (a current density, a sweep, a setpoint)."""

    step: int
    label: str
    time_s: float = 0.0


@dataclass(frozen=True)
class Progress(Event):
    """How far a run is along its plan.

    ``remaining_s`` is the time left if the rest goes as planned, or None when it is not known (the
    run has gone past its plan's time and where it stands is not known). With ``at_least`` it is only a
    lower bound: the step under way takes longer than planned and its end is not known; the time left
    is at least that of the steps after it. ``step``/``steps``: the plan's step under way (0-based) and
    how many the plan has, when known.
    """

    fraction: float
    elapsed_s: float
    remaining_s: float | None
    label: str = ""
    at_least: bool = False
    step: int | None = None
    steps: int = 0


@dataclass(frozen=True)
class SafetyEvent(Event):
    """The short-circuit detector (or a limit) stopped the cell.

    ``window`` holds the cycling samples around the detection (dicts with time_s, voltage_v, current_a).
    """

    criterion: str
    time_s: float
    current_density_mA_cm2: float
    half_cycle: int
    step: int
    detail: str
    shorted: bool = True
    window: tuple[dict[str, float], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class RunFinished(Event):
    """How a run ended. ``recorded`` is False when the store could not record that end (its row may
    still say 'running'); ``reason`` then says why."""

    run_id: int
    status: str
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    recorded: bool = True
