"""Python's cycle collector runs on the GUI thread only, while a window is open.

A Qt object kept in a reference cycle is destroyed by whichever thread happens to run the cycle collector.
When that is a run's worker or the bench monitor, PySide hands the deletion to the GUI thread while the
worker waits for the interpreter lock, and the two can deadlock (a hung window, and a hung test that no
timeout can end). pyqtgraph's remedy: switch automatic collection off and collect on a GUI-thread timer.
Collection is switched back on when the last window using it has closed.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_users = 0


class GuiThreadCollector(QObject):
    """Collects reference cycles every ``interval_ms`` on the thread that made it (the GUI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500):
        super().__init__(parent)
        global _users
        _users += 1
        self._active = True
        self._threshold = gc.get_threshold()[0]
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(interval_ms)

    def collect(self) -> None:
        """Collect as the automatic collector would have: the young generations often, all rarely."""
        young, middle, old = gc.get_count()
        if old > 10 or middle > 10:
            gc.collect()
        elif young > self._threshold:
            gc.collect(1)

    def stop(self) -> None:
        """The window closes: collect what it left, and give collection back to Python when no window uses
        this any more."""
        global _users
        if not self._active:
            return
        self._active = False
        self._timer.stop()
        gc.collect()
        _users -= 1
        if _users == 0:
            gc.enable()
