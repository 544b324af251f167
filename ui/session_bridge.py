"""Bring the session's events to the GUI thread, coalesced.

The session emits on whichever thread changed it: a run's events on the run's worker thread, readings on
the bench monitor's thread, the rest on the thread that called it. ``SessionBridge`` queues what arrives
from other threads and emits it as Qt signals from a timer on the GUI thread at display rate: all new
points of a kind in one batch, only the latest progress, everything else in order. What the GUI thread
itself causes (choosing a cell, fitting) is emitted at once, after anything still queued.
"""

from __future__ import annotations

import collections
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.events import DataPoint, Progress, RunFinished, RunStarted, SafetyEvent, StateChanged, StepStarted


class SessionBridge(QObject):
    # the active run
    run_started = Signal(object)  # Runner
    started = Signal(object)  # RunStarted
    points = Signal(str, list)  # kind, [DataPoint, ...]
    progress = Signal(object)  # Progress (latest only)
    step = Signal(object)  # StepStarted
    safety = Signal(object)  # SafetyEvent
    state = Signal(object)  # StateChanged
    finished = Signal(object)  # RunFinished (the session is idle)
    # the rest of the session
    sample_changed = Signal(object)  # Sample
    spectrum_changed = Signal(object)  # Spectrum or None
    analysis_changed = Signal(object)  # SpectrumAnalysis or None
    readings = Signal(str, dict)  # role, its latest values (one per role per drain)
    reading_series = Signal(str, list)  # role, every values dict since the last drain (for traces)
    instrument_failed = Signal(str, str)  # role, message

    def __init__(self, session, interval_ms: int = 33, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._queue: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._gui_thread = threading.current_thread()
        self._disconnect = [
            session.events.run_event.connect(lambda event: self._post("run", event)),
            session.events.run_started.connect(lambda runner: self._post("run_started", runner)),
            session.events.sample_changed.connect(lambda sample: self._post("sample", sample)),
            session.events.spectrum_changed.connect(lambda spectrum: self._post("spectrum", spectrum)),
            session.events.analysis_changed.connect(lambda analysis: self._post("analysis", analysis)),
            session.events.readings_changed.connect(lambda item: self._post("readings", item)),
            session.events.instrument_failed.connect(lambda item: self._post("failed", item)),
        ]
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    def _post(self, kind: str, value) -> None:
        self._queue.append((kind, value))
        if threading.current_thread() is self._gui_thread:
            self.drain()

    def drain(self) -> None:
        """Emit everything queued so far (GUI thread)."""
        with self._lock:
            items = []
            while self._queue:
                items.append(self._queue.popleft())
        if not items:
            return
        batch: dict[str, list[DataPoint]] = {}
        latest_progress = None
        series: dict[str, list[dict]] = {}
        for kind, value in items:
            if kind == "run" and isinstance(value, DataPoint):
                batch.setdefault(value.kind, []).append(value)
                continue
            if kind == "run" and isinstance(value, Progress):
                latest_progress = value
                continue
            if kind == "readings":
                series.setdefault(value[0], []).append(value[1])
                continue
            if kind == "failed":
                self.instrument_failed.emit(*value)
                continue
            self._flush(batch)
            if kind == "run":
                if isinstance(value, RunFinished) and latest_progress is not None:
                    self.progress.emit(latest_progress)
                    latest_progress = None
                self._emit_run_event(value)
            elif kind == "run_started":
                self.run_started.emit(value)
            elif kind == "sample":
                self.sample_changed.emit(value)
            elif kind == "spectrum":
                self.spectrum_changed.emit(value)
            elif kind == "analysis":
                self.analysis_changed.emit(value)
        self._flush(batch)
        if latest_progress is not None:
            self.progress.emit(latest_progress)
        for role, values in series.items():  # readings come at the run's pace: show the latest only
            self.reading_series.emit(role, values)
            self.readings.emit(role, values[-1])

    def _emit_run_event(self, event) -> None:
        if isinstance(event, RunStarted):
            self.started.emit(event)
        elif isinstance(event, StepStarted):
            self.step.emit(event)
        elif isinstance(event, SafetyEvent):
            self.safety.emit(event)
        elif isinstance(event, StateChanged):
            self.state.emit(event)
        elif isinstance(event, RunFinished):
            self.finished.emit(event)

    def _flush(self, batch: dict[str, list[DataPoint]]) -> None:
        for kind, points in batch.items():
            self.points.emit(kind, points)
        batch.clear()

    def stop(self) -> None:
        """Stop listening to the session (the window is closing)."""
        self._timer.stop()
        for disconnect in self._disconnect:
            disconnect()
        self._disconnect = []
