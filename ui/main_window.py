"""The workbench window: a dock per instrument role, the live plots in the middle, the bench state
in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTabWidget, QWidget

from instruments.bench import ROLES, Bench
from ui.bench_monitor import BenchMonitor
from ui.instrument_dock import InstrumentDock
from ui.plots.bode import BodePlot
from ui.plots.cycling import CyclingPlot
from ui.plots.nyquist import NyquistPlot
from ui.plots.temperature import TemperaturePlot


class MainWindow(QMainWindow):
    def __init__(self, bench: Bench, *, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.bench = bench
        self.settings = settings if settings is not None else QSettings()
        self.setWindowTitle("NZSP Workbench")
        self.resize(1400, 860)

        self.nyquist = NyquistPlot()
        self.bode = BodePlot()
        self.cycling = CyclingPlot()
        self.temperature = TemperaturePlot()
        impedance = QSplitter(Qt.Horizontal)
        impedance.addWidget(self.nyquist)
        impedance.addWidget(self.bode)
        self.plots = QTabWidget()
        self.plots.setObjectName("plots")
        self.plots.addTab(impedance, "Impedance")
        self.plots.addTab(self.cycling, "Cycling")
        self.plots.addTab(self.temperature, "Temperature")
        self.setCentralWidget(self.plots)

        self.docks: dict[str, InstrumentDock] = {}
        for role, label, instrument in bench.roles():
            dock = InstrumentDock(role, label, bench.config.roles[role], self)
            dock.set_instrument(instrument, emulated=bench.config.roles[role].emulated)
            dock.connect_requested.connect(self.connect_role)
            dock.disconnect_requested.connect(self.disconnect_role)
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.docks[role] = dock

        self.bench_label = QLabel()
        self.activity_label = QLabel("Idle")
        self.statusBar().addWidget(self.activity_label, 1)
        self.statusBar().addPermanentWidget(self.bench_label)
        self._update_bench_state()

        self.monitor = BenchMonitor(bench, parent=self)
        self.monitor.readings.connect(self._show_readings)
        self.monitor.failed.connect(self._show_instrument_failure)
        self.monitor.start()
        self._restore_layout()

    # --- bench state -----------------------------------------------------------------------
    def bench_state_text(self) -> str:
        specs = self.bench.config.roles
        connected = [r for r, _l, inst in self.bench.roles() if inst is not None]
        emulated = [r for r in connected if specs[r].emulated]
        if not connected:
            kind = "no instrument connected"
        elif len(emulated) == len(connected):
            kind = "all emulated"
        elif not emulated:
            kind = "all real"
        else:
            kind = f"{len(emulated)} emulated, {len(connected) - len(emulated)} real"
        text = f"Bench: {kind} · {len(connected)}/{len(ROLES)} roles connected"
        cell = self.bench.cell
        if cell is not None:
            text += f" · emulated cell: {cell.surface_state}"
        if self.bench.clock.speed != 1:
            text += f" · clock ×{self.bench.clock.speed:g}"
        return text

    def _update_bench_state(self) -> None:
        self.bench_label.setText(self.bench_state_text())

    def connect_role(self, role: str) -> None:
        dock = self.docks[role]
        emulated = self.bench.config.roles[role].emulated
        try:
            instrument = self.bench.connect(role)
        except Exception as exc:  # noqa: BLE001 - shown in the dock, the window stays usable
            dock.set_instrument(None, emulated=emulated, error=str(exc))
            self.activity_label.setText(f"Could not connect the {dock.windowTitle().lower()}: {exc}")
        else:
            dock.set_instrument(instrument, emulated=emulated)
        self._update_bench_state()

    def disconnect_role(self, role: str) -> None:
        dock = self.docks[role]
        self.monitor.set_paused(True)
        try:
            self.bench.disconnect(role)
        except Exception as exc:  # noqa: BLE001
            self.activity_label.setText(f"Disconnecting the {dock.windowTitle().lower()} reported: {exc}")
        finally:
            self.monitor.set_paused(False)
        dock.set_instrument(None, emulated=self.bench.config.roles[role].emulated)
        self._update_bench_state()

    def _show_readings(self, role: str, values: dict) -> None:
        if role == "galvanostat" and self.bench.cell is not None and "current_a" in values:
            values = dict(values, current_density_mA_cm2=values["current_a"] * 1e3 / self.bench.cell.area_cm2)
        self.docks[role].show_readings(values)

    def _show_instrument_failure(self, role: str, message: str) -> None:
        self.activity_label.setText(f"{self.docks[role].windowTitle()}: {message}")

    # --- layout memory -----------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.monitor.stop()
        try:
            self.bench.close()
        finally:
            super().closeEvent(event)
