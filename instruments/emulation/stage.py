"""The emulated temperature stage: a Linkam-style ramp program followed by a first-order thermal lag.

The program temperature moves toward the limit at the ramp rate; the stage (and the cell on it) follows
the program with a first-order lag of time constant ``tau_s`` (30-60 s is typical of a heating stage
with a pellet in a coin cell). With the heater stopped the stage relaxes to ambient more slowly.
Every update is the exact solution for a linear ramp input, so the answer does not depend on how often
the stage is read.
"""

from __future__ import annotations

import math
import threading

STOPPED, HEATING, COOLING, HOLDING_LIMIT, HOLDING_CURRENT = (
    "stopped", "heating", "cooling", "holding at limit", "holding current temperature")


class ThermalStage:
    """A heating stage: ramp program + first-order lag, advanced on an injectable clock."""

    def __init__(self, clock, *, ambient_c: float = 25.0, tau_s: float = 45.0, tau_passive_s: float = 150.0):
        self.clock = clock
        self.ambient_c = float(ambient_c)
        self.tau_s = float(tau_s)
        self.tau_passive_s = float(tau_passive_s)
        self.mode = STOPPED
        self.rate_c_per_s = 10.0 / 60.0
        self.limit_c = self.ambient_c
        self._x = self.ambient_c   # stage (sensor) temperature
        self._u = self.ambient_c   # program temperature
        self._t = clock.now()
        self._lock = threading.RLock()

    # --- state -------------------------------------------------------------------------------
    def temperature_c(self, now: float | None = None) -> float:
        with self._lock:
            self.advance(self.clock.now() if now is None else now)
            return self._x

    @property
    def program_c(self) -> float:
        return self._u

    def advance(self, t: float) -> None:
        with self._lock:
            dt = t - self._t
            if dt <= 0:
                return
            self._t = t
            while dt > 0:
                dt = self._step(dt)

    def _step(self, dt: float) -> float:
        """Advance by up to ``dt``; return the time left (a ramp may end inside the step)."""
        if self.mode == STOPPED:
            self._x = self.ambient_c + (self._x - self.ambient_c) * math.exp(-dt / self.tau_passive_s)
            self._u = self._x
            return 0.0
        if self.mode in (HEATING, COOLING):
            if self.rate_c_per_s <= 0:
                self._u = self.limit_c
                self.mode = HOLDING_LIMIT
                return dt
            s = 1.0 if self.limit_c >= self._u else -1.0
            t_end = abs(self.limit_c - self._u) / self.rate_c_per_s
            seg = min(dt, t_end)
            r, tau, u0, x0 = s * self.rate_c_per_s, self.tau_s, self._u, self._x
            # exact response of x' = (u - x)/tau to u = u0 + r t
            self._x = u0 + r * seg - r * tau + (x0 - u0 + r * tau) * math.exp(-seg / tau)
            self._u = u0 + r * seg
            if seg >= t_end:
                self._u = self.limit_c
                self.mode = HOLDING_LIMIT
            return dt - seg
        # holding: first-order approach to the program temperature
        self._x = self._u + (self._x - self._u) * math.exp(-dt / self.tau_s)
        return 0.0

    # --- program -----------------------------------------------------------------------------
    def set_rate_c_per_min(self, rate_c_per_min: float) -> None:
        with self._lock:
            self.advance(self.clock.now())
            self.rate_c_per_s = abs(float(rate_c_per_min)) / 60.0

    def set_limit_c(self, limit_c: float) -> None:
        with self._lock:
            self.advance(self.clock.now())
            self.limit_c = float(limit_c)
            if self.mode in (HEATING, COOLING, HOLDING_LIMIT):
                self._start_ramp()

    def start(self) -> None:
        with self._lock:
            self.advance(self.clock.now())
            if self.mode == STOPPED:
                self._u = self._x
            self._start_ramp()

    def _start_ramp(self) -> None:
        if abs(self.limit_c - self._u) < 1e-9:
            self.mode = HOLDING_LIMIT
        else:
            self.mode = HEATING if self.limit_c > self._u else COOLING

    def hold(self) -> None:
        with self._lock:
            self.advance(self.clock.now())
            if self.mode != STOPPED:
                self._u = self._x
                self.mode = HOLDING_CURRENT

    def resume(self) -> None:
        """Leave a hold and continue toward the limit (the T95's H and C commands)."""
        with self._lock:
            self.advance(self.clock.now())
            if self.mode == HOLDING_CURRENT:
                self._start_ramp()

    def stop(self) -> None:
        with self._lock:
            self.advance(self.clock.now())
            self.mode = STOPPED
