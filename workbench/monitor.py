"""How are the bench's live readings taken? By a worker thread that reads each connected role every
second, so that no window ever waits on an instrument.

Each instrument serialises its own command-and-reply (``instruments/visa.py``), so a poll can never
interleave with a run's commands. ``pause()`` returns only once a poll already under way has finished:
after it, the monitor sends nothing until ``resume()`` (used to disconnect an instrument, and to close).

Readings are handed to ``on_readings(role, values)`` on the monitor's thread; failures to
``on_failure(role, message)``. ``skip(role)`` is asked before each role is read (the session skips the
cycler while a run drives it: the run's own points are its readings then).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from instruments.roles import Galvanostat, TemperatureController


def read_role(instrument: Any) -> dict[str, Any] | None:
    """What the monitor reads from one instrument (None for a role it does not read)."""
    if isinstance(instrument, TemperatureController):
        values: dict[str, Any] = {"temperature_c": instrument.read_temperature_c()}
        setpoint = getattr(instrument, "setpoint_c", None)
        if isinstance(setpoint, int | float):
            values["setpoint_c"] = float(setpoint)
        return values
    if isinstance(instrument, Galvanostat):
        if instrument.is_output_on() is False:
            return {"output": "off"}  # an idle SourceMeter cannot measure; the output state is the reading
        reading = instrument.read()
        return {"output": "on", "voltage_v": reading.voltage_v, "current_a": reading.current_a}
    return None


class BenchMonitor:
    """Polls the bench on its own thread; ``pause`` waits for an in-flight poll."""

    def __init__(self, bench: Any, on_readings: Callable[[str, dict], None],
                 on_failure: Callable[[str, str], None] | None = None, *, interval_s: float = 1.0,
                 skip: Callable[[str], bool] | None = None):
        self.bench = bench
        self.on_readings = on_readings
        self.on_failure = on_failure or (lambda role, message: None)
        self.interval_s = float(interval_s)
        self.skip = skip or (lambda role: False)
        self.polls = 0
        self._cond = threading.Condition()
        self._paused = 0
        self._polling = False
        self._stopping = False
        self._wake = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="bench-monitor", daemon=True)
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def pause(self) -> None:
        """Stop polling; return once a poll that was under way has finished. Pauses nest."""
        with self._cond:
            self._paused += 1
            while self._polling and threading.current_thread() is not self._thread:
                self._cond.wait()

    def resume(self) -> None:
        with self._cond:
            self._paused = max(0, self._paused - 1)
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused > 0

    def poll_soon(self) -> None:
        """Poll now rather than at the next tick (after a run has ended, say)."""
        with self._cond:
            self._wake = True
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and self._paused:
                    self._cond.wait()
                if self._stopping:
                    return
                self._polling = True
            try:
                self.poll_once()
            finally:
                with self._cond:
                    self._polling = False
                    self._cond.notify_all()
                    if not self._wake:
                        self._cond.wait(self.interval_s)
                    self._wake = False

    def poll_once(self) -> None:
        """Read every connected role once (on the calling thread)."""
        self.polls += 1
        for role, _label, instrument in self.bench.roles():
            if instrument is None or self.skip(role):
                continue
            try:
                values = read_role(instrument)
            except Exception as exc:  # noqa: BLE001 - shown to the user, never raised into the thread
                self.on_failure(role, str(exc))
                continue
            if values is not None:
                self.on_readings(role, values)
