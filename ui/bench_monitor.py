"""Live readings of the idle bench, taken on a worker thread so the window never waits on an instrument.

While a run is active the runner owns the instruments and its events carry the readings; the monitor
then stays quiet (``set_paused(True)``), so two threads never talk to one instrument at once.
"""

from __future__ import annotations

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from instruments.roles import Galvanostat, TemperatureController


class _Poller(QObject):
    readings = Signal(str, dict)  # role, {name: value}
    failed = Signal(str, str)  # role, message

    def __init__(self, bench, interval_ms: int):
        super().__init__()
        self._bench = bench
        self._interval_ms = interval_ms
        self._timer: QTimer | None = None
        self.paused = False

    @Slot()
    def start(self) -> None:
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.poll)
        self._timer.start(self._interval_ms)
        self.poll()

    @Slot()
    def stop(self) -> None:
        """Stop and destroy the timer here, on the thread that owns it."""
        if self._timer is not None:
            self._timer.stop()
            self._timer.setParent(None)
            self._timer = None

    @Slot()
    def poll(self) -> None:
        if self.paused:
            return
        for role, _label, instrument in self._bench.roles():
            if instrument is None:
                continue
            try:
                if isinstance(instrument, TemperatureController):
                    self.readings.emit(role, {"temperature_c": instrument.read_temperature_c()})
                elif isinstance(instrument, Galvanostat):
                    if instrument.is_output_on() is False:
                        self.readings.emit(role, {"output": "off"})
                        continue
                    reading = instrument.read()
                    self.readings.emit(role, {"voltage_v": reading.voltage_v, "current_a": reading.current_a})
            except Exception as exc:  # noqa: BLE001 - shown to the user, never raised into Qt
                self.failed.emit(role, str(exc))


class BenchMonitor(QObject):
    """Owns the polling thread; ``readings(role, values)`` arrives on the GUI thread."""

    readings = Signal(str, dict)
    failed = Signal(str, str)

    def __init__(self, bench, interval_ms: int = 1000, parent: QObject | None = None):
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("bench-monitor")
        self._poller = _Poller(bench, interval_ms)
        self._poller.moveToThread(self._thread)
        self._thread.started.connect(self._poller.start)
        self._poller.readings.connect(self.readings)
        self._poller.failed.connect(self.failed)

    def start(self) -> None:
        self._thread.start()

    def set_paused(self, paused: bool) -> None:
        self._poller.paused = paused

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def stop(self) -> None:
        """Stop polling and join the thread."""
        if self._thread.isRunning():
            self._poller.paused = True
            QMetaObject.invokeMethod(self._poller, "stop", Qt.BlockingQueuedConnection)
            self._thread.quit()
            self._thread.wait(5000)
