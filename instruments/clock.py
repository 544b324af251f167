"""The bench's clock: real time, or emulated time running faster than the wall clock.

Procedures and emulated instruments never call ``time.sleep`` directly; they ask the bench's clock,
so that an eight-hour critical-current test runs in seconds against the emulated cell.

- ``RealClock``: wall time (``time.monotonic``); used with real instruments.
- ``AcceleratedClock(speed)``: emulated time runs ``speed`` times faster than the wall clock.
- ``ManualClock``: time moves only when someone sleeps; sleeping costs no wall time. For tests.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """Seconds since the clock started, and a way to wait."""

    speed: float = 1.0

    def now(self) -> float:
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:
        raise NotImplementedError

    def wall_seconds(self, seconds: float) -> float:
        """How long ``seconds`` of clock time take on the wall clock."""
        return seconds / self.speed


class RealClock(Clock):
    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class AcceleratedClock(Clock):
    """Emulated time that runs ``speed`` times faster than the wall clock."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be positive, got {speed!r}")
        self.speed = float(speed)
        self._t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0) * self.speed

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.speed)


class ManualClock(Clock):
    """Time that advances only by ``sleep`` or ``advance``; no wall time passes."""

    speed = float("inf")

    def __init__(self, start_s: float = 0.0) -> None:
        self._now = float(start_s)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, float(seconds))

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        time.sleep(0)  # let other threads run

    def wall_seconds(self, seconds: float) -> float:
        return 0.0


def make_clock(speed: float | None) -> Clock:
    """A real clock for ``None`` or 1, an accelerated one otherwise, a manual one for ``inf``."""
    if speed is None or speed == 1:
        return RealClock()
    if speed == float("inf"):
        return ManualClock()
    return AcceleratedClock(speed)
