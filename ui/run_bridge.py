"""Bring a run's events from the runner's worker thread to the GUI thread, coalesced.

The runner calls ``bridge.listener(event)`` on its worker thread after each point is stored; the
bridge only appends to a queue there. A timer on the GUI thread drains the queue at display rate and
emits Qt signals: all new points of a kind in one batch, only the latest progress, and every other
event in order. So the window redraws at most ~30 times a second however fast points arrive.
"""

from __future__ import annotations

import collections
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.events import DataPoint, Progress, RunFinished, RunStarted, SafetyEvent, StateChanged, StepStarted


class RunBridge(QObject):
    started = Signal(object)  # RunStarted
    points = Signal(str, list)  # kind, [DataPoint, ...]
    progress = Signal(object)  # Progress (latest only)
    step = Signal(object)  # StepStarted
    safety = Signal(object)  # SafetyEvent
    state = Signal(str)
    finished = Signal(object)  # RunFinished

    def __init__(self, interval_ms: int = 33, parent: QObject | None = None):
        super().__init__(parent)
        self._queue: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    def listener(self, event) -> None:
        """Called by the runner, on any thread."""
        self._queue.append(event)

    def drain(self) -> None:
        """Emit everything queued so far (GUI thread)."""
        with self._lock:
            events = []
            while self._queue:
                events.append(self._queue.popleft())
        if not events:
            return
        batch: dict[str, list[DataPoint]] = {}
        latest_progress = None
        for event in events:
            if isinstance(event, DataPoint):
                batch.setdefault(event.kind, []).append(event)
                continue
            if isinstance(event, Progress):
                latest_progress = event
                continue
            self._flush(batch)
            if isinstance(event, RunStarted):
                self.started.emit(event)
            elif isinstance(event, StepStarted):
                self.step.emit(event)
            elif isinstance(event, SafetyEvent):
                self.safety.emit(event)
            elif isinstance(event, StateChanged):
                self.state.emit(event.state)
            elif isinstance(event, RunFinished):
                if latest_progress is not None:
                    self.progress.emit(latest_progress)
                    latest_progress = None
                self.finished.emit(event)
        self._flush(batch)
        if latest_progress is not None:
            self.progress.emit(latest_progress)

    def _flush(self, batch: dict[str, list[DataPoint]]) -> None:
        for kind, points in batch.items():
            self.points.emit(kind, points)
        batch.clear()

    def stop(self) -> None:
        self._timer.stop()
