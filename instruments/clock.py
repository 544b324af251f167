"""The bench's clock: real time, or emulated time running faster than the wall clock.

Procedures and emulated instruments never call ``time.sleep`` directly; they ask the bench's clock,
so that an eight-hour critical-current test runs in seconds against the emulated cell.

- ``RealClock``: wall time (``time.monotonic``); used with real instruments.
- ``AcceleratedClock(speed)``: emulated time runs ``speed`` times faster than the wall clock; while a run
  is under way it is paced by the run (it never runs ahead of the run's work), see the class.
- ``ManualClock``: time moves only when someone sleeps; sleeping costs no wall time. For tests.
- ``SteppedClock``: a manual clock whose sleepers go no further than the bench time the caller allows
  (``allow``); a test moves a run along step by step, whatever the host's speed.
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

    def begin_pacing(self) -> None:  # noqa: B027 - only an accelerated clock is paced
        """A run begins: bench time must not run ahead of its work (see ``AcceleratedClock``)."""

    def end_pacing(self) -> None:  # noqa: B027
        """The run ended (or paused): bench time may run free again."""


class RealClock(Clock):
    def __init__(self) -> None:
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class AcceleratedClock(Clock):
    """Emulated time that runs ``speed`` times faster than the wall clock, paced by the run it serves.

    Free running, bench time is ``speed`` x wall time. While a run is paced (``begin_pacing`` ..
    ``end_pacing``: the runner does it for the length of a run, a pause excepted), bench time passes only
    towards the end of a wait: a ``sleep`` lets it run at ``speed`` up to that sleep's end and no further,
    and the work in between (reading an instrument, storing a point, drawing a plot on a busy host) costs
    no bench time. So a sample planned every second is taken every second of bench time and a half-cycle
    lasts as planned however slowly the host keeps up; only the wall time grows. ``paced=False`` gives
    the free-running clock whatever the runner asks (bench time runs on while the host is busy).
    """

    def __init__(self, speed: float = 1.0, *, paced: bool = True) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be positive, got {speed!r}")
        self.speed = float(speed)
        self.paced = paced
        self._lock = threading.Lock()
        self._base_bench = 0.0              # bench time at the wall instant _base_wall
        self._base_wall = time.monotonic()
        self._pacing = 0                    # how many asked for pacing
        self._limit = 0.0                   # while pacing, bench time goes no further than this
        self._waits: list[float] = []       # the ends of the sleeps under way

    def _now(self) -> float:
        free = self._base_bench + (time.monotonic() - self._base_wall) * self.speed
        return min(free, self._limit) if self._pacing else free

    def _rebase(self) -> float:
        """Bench time now, made the origin of what follows (no jump when the rules change)."""
        now = self._now()
        self._base_bench, self._base_wall = now, time.monotonic()
        return now

    def now(self) -> float:
        with self._lock:
            return self._now()

    def begin_pacing(self) -> None:
        """From now on bench time passes only towards the end of a sleep (those under way included)."""
        if not self.paced:
            return
        with self._lock:
            now = self._rebase()
            self._limit = max([now, *self._waits]) if not self._pacing else max(self._limit, now)
            self._pacing += 1

    def end_pacing(self) -> None:
        """Back to free running (when every ``begin_pacing`` has had its end), from where bench time is."""
        if not self.paced:
            return
        with self._lock:
            if self._pacing:
                self._rebase()
                self._pacing -= 1

    def sleep(self, seconds: float) -> None:
        if not seconds > 0:
            return
        with self._lock:
            end = self._rebase() + seconds
            self._waits.append(end)
            if self._pacing:
                self._limit = max(self._limit, end)
        try:
            while True:
                with self._lock:
                    remaining = end - self._now()
                if remaining <= 0:
                    return
                time.sleep(remaining / self.speed)
        finally:
            with self._lock:
                self._waits.remove(end)


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


class SteppedClock(ManualClock):
    """Manual time that a run's waits pass only as far as the caller allows: for tests that watch a run
    while it is under way, on any host speed.

    A ``sleep`` advances the clock (no wall time) up to the limit set by ``allow`` and waits there, on
    the wall clock, until the limit moves on or ``release`` lets time run as a ``ManualClock``'s. A
    sleep that returns has always moved the clock on. An instrument's own waits (``advance``, which
    the emulated instruments use for their reply and measurement times) are never held.
    """

    def __init__(self, start_s: float = 0.0) -> None:
        super().__init__(start_s)
        self._cond = threading.Condition(self._lock)
        self._limit = float(start_s)
        self._released = False
        self._held = 0

    def allow(self, seconds: float) -> None:
        """Let sleepers take ``seconds`` more of bench time, from now (or from the limit, if ahead)."""
        with self._cond:
            self._limit = max(self._limit, self._now) + max(0.0, float(seconds))
            self._cond.notify_all()

    def release(self) -> None:
        """From now on sleepers are never held (the clock is a ``ManualClock``)."""
        with self._cond:
            self._released = True
            self._cond.notify_all()

    def hold(self) -> None:
        """Hold sleepers again, from where the clock is now (nothing allowed beyond it)."""
        with self._cond:
            self._released = False
            self._limit = self._now

    @property
    def held(self) -> int:
        """How many sleepers wait at the limit."""
        with self._cond:
            return self._held

    @property
    def caught_up(self) -> bool:
        """All the time allowed has been taken and a sleeper waits for more."""
        with self._cond:
            return self._held > 0 and not self._released and self._now >= self._limit

    def sleep(self, seconds: float) -> None:
        if not seconds > 0:
            return
        with self._cond:
            while not self._released and self._now >= self._limit:
                self._held += 1
                try:
                    self._cond.wait()
                finally:
                    self._held -= 1
            self._now += seconds if self._released else min(float(seconds), self._limit - self._now)
            self._cond.notify_all()
        time.sleep(0)  # let other threads run


def make_clock(speed: float | None) -> Clock:
    """A real clock for ``None`` or 1, an accelerated one otherwise, a manual one for ``inf``."""
    if speed is None or speed == 1:
        return RealClock()
    if speed == float("inf"):
        return ManualClock()
    return AcceleratedClock(speed)
