"""The workbench window: a dock per instrument role with its manual control, the live plots with inline
fitting in the middle, run history, and the state of the bench and of the run in the status bar.

Every action that touches an instrument is a stored run executed by the engine's ``Runner`` on its
worker thread; the window only listens (through ``RunBridge``) and draws.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from instruments.bench import ROLES, Bench
from ui.bench_monitor import BenchMonitor
from ui.ccd_wizard import CCDWizard, CellPage
from ui.compare import CompareDialog
from ui.controls import HoldControl, StageControl, SweepControl
from ui.entry import duration_text
from ui.fit_panel import FitPanel
from ui.history import HistoryPanel
from ui.instrument_dock import InstrumentDock
from ui.memory import remember
from ui.plots._spectra import LIVE
from ui.plots.bode import BodePlot
from ui.plots.cycling import CyclingPlot
from ui.plots.export import install_svg_fix
from ui.plots.nyquist import NyquistPlot
from ui.plots.residuals import ResidualsPlot
from ui.plots.temperature import TemperaturePlot
from ui.run_bridge import RunBridge
from ui.series import SeriesDialog
from workbench.runner import Runner
from workbench.store import Store


class CellDialog(QDialog):
    """The cell on the bench: name, surface history, geometry (shared with the CCD wizard's first page)."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("The cell on the bench")
        self.page = CellPage(settings)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.page.completeChanged.connect(
            lambda: buttons.button(QDialogButtonBox.Ok).setEnabled(self.page.isComplete()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.page)
        layout.addWidget(buttons)


class MainWindow(QMainWindow):
    def __init__(self, bench: Bench, store: Store | None = None, *, settings: QSettings | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        install_svg_fix()  # pyqtgraph's right-click "Export... SVG" too
        self.bench = bench
        self.store = store if store is not None else Store(":memory:")
        self.settings = settings if settings is not None else QSettings()
        self.setWindowTitle("NZSP Workbench")
        self.resize(1500, 900)
        self.runner: Runner | None = None
        self._run_started_wall = 0.0
        self._spectrum_run: dict[str, int] = {}

        # --- plots ---------------------------------------------------------------------------------
        self.nyquist = NyquistPlot()
        self.bode = BodePlot()
        self.residuals = ResidualsPlot()
        self.fit_panel = FitPanel()
        self.cycling = CyclingPlot()
        self.temperature = TemperaturePlot()
        self.normalise = QCheckBox("Show Ω cm² (× electrode area ÷ 2)")
        self.normalise.toggled.connect(self._normalisation_changed)
        plots = QSplitter(Qt.Vertical)
        plots.addWidget(self.nyquist)
        plots.addWidget(self.bode)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.normalise)
        side_layout.addWidget(self.fit_panel, 3)
        side_layout.addWidget(self.residuals, 1)
        impedance = QSplitter(Qt.Horizontal)
        impedance.addWidget(plots)
        impedance.addWidget(side)
        impedance.setSizes([800, 520])
        self.history = HistoryPanel(self.store)
        self.history.open_requested.connect(self.open_run)
        self.history.compare_requested.connect(self.compare_runs)
        self.history.series_requested.connect(self.fit_series)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("plots")
        self.tabs.addTab(impedance, "Impedance")
        self.tabs.addTab(self.cycling, "Cycling")
        self.tabs.addTab(self.temperature, "Temperature")
        self.tabs.addTab(self.history, "Run history")
        self.setCentralWidget(self.tabs)
        self.fit_panel.fitted.connect(self._show_fit)

        # --- docks ---------------------------------------------------------------------------------
        self.docks: dict[str, InstrumentDock] = {}
        self.controls = {"fra": SweepControl(), "galvanostat": HoldControl(), "stage": StageControl()}
        sweep, hold, stage = self.controls["fra"], self.controls["galvanostat"], self.controls["stage"]
        remember(self.settings, "sweep", start=sweep.start, stop=sweep.stop, ppd=sweep.ppd,
                 amplitude=sweep.amplitude)
        remember(self.settings, "hold", current_density=hold.current_density, duration=hold.duration,
                 direction=hold.direction)
        remember(self.settings, "stage", setpoint=stage.setpoint, ramp=stage.ramp, tolerance=stage.tolerance,
                 stable_for=stage.stable_for)
        remember(self.settings, "fit", circuit=self.fit_panel.circuit_box)
        for role, label, instrument in bench.roles():
            dock = InstrumentDock(role, label, bench.config.roles[role], self)
            dock.set_instrument(instrument, emulated=bench.config.roles[role].emulated,
                                error=bench.connection_errors.get(role))
            dock.connect_requested.connect(self.connect_role)
            dock.disconnect_requested.connect(self.disconnect_role)
            dock.set_controls(self.controls[role])
            self.controls[role].start_requested.connect(self.start_run)
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.docks[role] = dock

        # --- actions -------------------------------------------------------------------------------
        self.cell_label = QLabel()
        toolbar = self.addToolBar("Run")
        toolbar.setObjectName("run-toolbar")
        self.cell_action = self._action("Cell…", self.edit_cell, tip="Name, surface history and geometry")
        self.wizard_action = self._action("CCD test…", self.open_ccd_wizard, tip="Critical current density wizard")
        self.pause_action = self._action("Pause", self.toggle_pause, tip="Pause the run (current off while paused)")
        self.abort_action = self._action("Abort", self.abort_run, shortcut="Ctrl+.",
                                         tip="Abort the run now: current off, data kept")
        for action in (self.cell_action, self.wizard_action, self.pause_action, self.abort_action):
            toolbar.addAction(action)
        toolbar.addWidget(self.cell_label)
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self._action("Export plot (PNG/SVG)…", lambda: self.export_plot(),
                                    shortcut="Ctrl+E"))
        menu.addAction(self._action("Quit", self.close, shortcut=QKeySequence.Quit))
        run_menu = self.menuBar().addMenu("&Run")
        for action in (self.cell_action, self.wizard_action, self.pause_action, self.abort_action):
            run_menu.addAction(action)

        # --- status bar ----------------------------------------------------------------------------
        self.bench_label = QLabel()
        self.activity_label = QLabel("Idle")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.hide()
        self.statusBar().addWidget(self.activity_label, 1)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.bench_label)
        self._update_bench_state()

        self.bridge = RunBridge(parent=self)
        self.bridge.points.connect(self._points)
        self.bridge.progress.connect(self._progress)
        self.bridge.step.connect(self._step)
        self.bridge.safety.connect(self._safety)
        self.bridge.state.connect(self._state)
        self.bridge.finished.connect(self._finished)

        self.monitor = BenchMonitor(bench, parent=self)
        self.monitor.readings.connect(self._show_readings)
        self.monitor.failed.connect(self._show_instrument_failure)
        self.monitor.start()
        if self.settings.value("ccd/surface_state") is None and bench.cell is not None:
            # first start on an emulated bench: the cell on the bench is the emulated one
            self.settings.setValue("ccd/surface_state", bench.cell.surface_state)
        self.set_sample(CellPage(self.settings).sample)
        self._set_running(False)
        self._restore_layout()

    def _action(self, text, slot, *, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(shortcut)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        return action

    # --- the cell ------------------------------------------------------------------------------
    def set_sample(self, sample) -> None:
        self.sample = sample
        self.cell_label.setText(f"  Cell: {sample.name} · {sample.surface_state} · "
                                f"{sample.thickness_mm:g} mm · {sample.area_cm2:.4f} cm²")
        self.fit_panel.set_area_cm2(sample.area_cm2)
        for control in self.controls.values():
            control.set_area_cm2(sample.area_cm2)
        self._normalisation_changed(self.normalise.isChecked())

    def edit_cell(self) -> None:
        dialog = CellDialog(self.settings, self)
        if dialog.exec() == QDialog.Accepted and dialog.page.sample is not None:
            self.set_sample(dialog.page.sample)

    def _normalisation_changed(self, checked: bool) -> None:
        area = self.sample.area_cm2 if checked else None
        self.nyquist.set_normalisation(area)
        self.bode.set_normalisation(area)

    # --- bench state ---------------------------------------------------------------------------
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
        if self.runner is not None:
            self.activity_label.setText("A run is using the instruments; abort it before disconnecting.")
            return
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
        if role == "galvanostat" and "current_a" in values:
            values = dict(values, current_density_mA_cm2=values["current_a"] * 1e3 / self.sample.area_cm2)
        self.docks[role].show_readings(values)

    def _show_instrument_failure(self, role: str, message: str) -> None:
        self.activity_label.setText(f"{self.docks[role].windowTitle()}: {message}")

    # --- runs ----------------------------------------------------------------------------------
    def start_run(self, procedure) -> Runner | None:
        """Run a procedure on the bench's cell as a stored run; refuse while another run is active."""
        if self.runner is not None:
            QMessageBox.information(self, "A run is active",
                                    "A run is already using the bench. Wait for it to end or abort it.")
            return None
        try:
            runner = Runner(procedure, self.bench, self.sample, self.store)
        except Exception as exc:  # noqa: BLE001 - e.g. a role disconnected
            self.activity_label.setText(f"Cannot start: {exc}")
            return None
        self.attach_runner(runner)
        runner.start()
        return runner

    def attach_runner(self, runner: Runner) -> None:
        """Follow a run (started here or by the wizard): live plots, status, monitor paused."""
        self.runner = runner
        runner.subscribe(self.bridge.listener)
        self.monitor.set_paused(True)
        self._run_started_wall = time.time()
        kind = runner.procedure.kind
        if kind in ("impedance_sweep", "ccd", "sequence"):
            for plot in (self.nyquist, self.bode):
                if LIVE in plot.spectrum_names:
                    plot.remove_spectrum(LIVE)
            self.fit_panel.clear()
            self.fit_panel.spectrum_name = LIVE
        if runner.procedure.uses_galvanostat:
            self.cycling.clear()
            self.tabs.setCurrentIndex(1)
        elif kind == "temperature_step":
            self.temperature.clear()
            self.tabs.setCurrentIndex(2)
        else:
            self.tabs.setCurrentIndex(0)
        self._set_running(True)
        self._steps = [s.get("label") or self._step_text(s) for s in runner.plan.steps]
        self.activity_label.setText(f"Running {runner.procedure.label} on {runner.sample.name} since "
                                    f"{time.strftime('%H:%M:%S')}")

    @staticmethod
    def _step_text(step: dict) -> str:
        if "current_density_mA_cm2" in step:
            return f"{step['current_density_mA_cm2']:g} mA/cm2"
        return str(step.get("kind", "step"))

    def _set_running(self, running: bool) -> None:
        self.abort_action.setEnabled(running)
        self.pause_action.setEnabled(running)
        self.pause_action.setText("Pause")
        self.wizard_action.setEnabled(not running)
        self.cell_action.setEnabled(not running)
        for control in self.controls.values():
            control.setEnabled(not running)
        self.progress_bar.setVisible(running)

    def toggle_pause(self) -> None:
        if self.runner is None:
            return
        if self.runner.state == "paused":
            self.runner.resume()
        else:
            self.runner.pause()

    def abort_run(self) -> None:
        if self.runner is not None:
            self.runner.abort("aborted by the user")

    def _points(self, kind: str, points: list) -> None:
        run_id = points[-1].run_id
        if kind == "impedance":
            f = np.fromiter((p.values["frequency_hz"] for p in points), float, len(points))
            zr = np.fromiter((p.values["z_real_ohm"] for p in points), float, len(points))
            zi = np.fromiter((p.values["z_imag_ohm"] for p in points), float, len(points))
            self.nyquist.add_point(f, zr, zi)
            self.bode.add_point(f, zr, zi)
            self._spectrum_run[LIVE] = run_id
            for point in points:
                self.fit_panel.add_point(point.values["frequency_hz"], point.values["z_real_ohm"],
                                         point.values["z_imag_ohm"])
        elif kind == "cycling":
            t = np.fromiter((p.time_s for p in points), float, len(points))
            v = np.fromiter((p.values["voltage_v"] for p in points), float, len(points))
            j = np.fromiter((p.values["current_density_mA_cm2"] for p in points), float, len(points))
            self.cycling.append(t, v, j)
            last = points[-1].values
            self.docks["galvanostat"].show_readings({
                "voltage_v": last["voltage_v"], "current_a": last["current_a"],
                "current_density_mA_cm2": last["current_density_mA_cm2"]})
        elif kind == "temperature":
            t = np.fromiter((p.time_s for p in points), float, len(points))
            temp = np.fromiter((p.values["temperature_c"] for p in points), float, len(points))
            setpoint = np.fromiter((p.values["setpoint_c"] for p in points), float, len(points))
            self.temperature.append(t, temp, setpoint)
            self.docks["stage"].show_readings({"temperature_c": float(temp[-1])})

    def _progress(self, progress) -> None:
        self.progress_bar.setValue(int(1000 * progress.fraction))
        self.progress_bar.setFormat(f"%p% · {duration_text(progress.remaining_s)} left")

    def _step(self, event) -> None:
        upcoming = ""
        if self.runner is not None and 0 <= event.step + 1 < len(self._steps):
            upcoming = f" · next: {self._steps[event.step + 1]}"
        since = time.strftime("%H:%M:%S", time.localtime(self._run_started_wall))
        self.activity_label.setText(f"{self.runner.procedure.label if self.runner else 'Run'} since {since} · "
                                    f"step {event.step + 1}: {event.label}{upcoming}")

    def _safety(self, event) -> None:
        self.cycling.mark_event(event.time_s, event.criterion.replace("_", " "))
        self.activity_label.setText(f"{event.criterion.replace('_', ' ')} at {event.current_density_mA_cm2:g} "
                                    f"mA/cm²: current switched off")

    def _state(self, state: str) -> None:
        self.pause_action.setText("Resume" if state == "paused" else "Pause")

    def _finished(self, finished) -> None:
        self.runner = None
        self._set_running(False)
        self.monitor.set_paused(False)
        text = f"Run {finished.run_id} {finished.status}"
        if finished.reason:
            text += f": {finished.reason}"
        ccd = finished.result.get("critical_current_density_mA_cm2")
        if ccd is not None:
            text += f" · CCD {ccd:g} mA/cm²"
        self.activity_label.setText(text)
        self.history.refresh()

    # --- the wizard, history, comparison --------------------------------------------------------
    def open_ccd_wizard(self) -> CCDWizard | None:
        if self.runner is not None:
            self.activity_label.setText("A run is active; the CCD wizard opens once it has ended.")
            return None
        wizard = CCDWizard(self.bench, self.store, settings=self.settings, parent=self)
        wizard.run_started.connect(self.attach_runner)
        wizard.setAttribute(Qt.WA_DeleteOnClose)
        wizard.show()
        self.wizard = wizard
        return wizard

    def open_run(self, run_id: int) -> None:
        """Show a stored run in the plots (and its spectrum in the fit panel)."""
        record = self.store.run(run_id)
        kinds = self.store.point_kinds(run_id)
        name = f"run {run_id}: {record.sample_name}"
        if kinds.get("impedance"):
            data = self.store.points(run_id, "impedance")
            self.nyquist.set_spectrum(name, data["frequency_hz"], data["z_real_ohm"], data["z_imag_ohm"])
            self.bode.set_spectrum(name, data["frequency_hz"], data["z_real_ohm"], data["z_imag_ohm"])
            self.fit_panel.set_spectrum(*self.store.spectrum(run_id))
            if record.area_cm2:
                self.fit_panel.set_area_cm2(record.area_cm2)
            self.fit_panel.spectrum_name = name
            self._spectrum_run[name] = run_id
            self.tabs.setCurrentIndex(0)
        if kinds.get("cycling"):
            data = self.store.points(run_id, "cycling")
            self.cycling.clear()
            self.cycling.append(data["time_s"], data["voltage_v"], data["current_density_mA_cm2"])
            for event in self.store.events(run_id, "safety"):
                self.cycling.mark_event(event["time_s"], event["criterion"].replace("_", " "))
            if not kinds.get("impedance"):
                self.tabs.setCurrentIndex(1)
        if kinds.get("temperature"):
            data = self.store.points(run_id, "temperature")
            self.temperature.clear()
            self.temperature.append(data["time_s"], data["temperature_c"], data["setpoint_c"])
            if len(kinds) == 1:
                self.tabs.setCurrentIndex(2)
        self.activity_label.setText(f"Opened run {run_id} ({record.kind}, {record.status}) of {record.sample_name}")

    def compare_runs(self, run_ids: list[int]) -> CompareDialog:
        dialog = CompareDialog(self.store, run_ids, self)
        dialog.show()
        self.compare_dialog = dialog
        return dialog

    def fit_series(self, run_ids: list[int]) -> SeriesDialog:
        dialog = SeriesDialog(self.store, run_ids, self.fit_panel.circuit_text(), self)
        dialog.show()
        self.series_dialog = dialog
        return dialog

    def _show_fit(self, analysis) -> None:
        name = getattr(self.fit_panel, "spectrum_name", LIVE)
        fit = analysis.fit
        f = self.fit_panel.frequency_hz
        f_dense = np.logspace(np.log10(f.min()), np.log10(f.max()), 300)
        z = fit.predict(f_dense)
        if name in self.nyquist.spectrum_names:
            self.nyquist.set_fit(name, f_dense, z.real, z.imag)
            self.bode.set_fit(name, f_dense, z.real, z.imag)
        self.residuals.set_residuals(f, 100 * fit.residuals_real, 100 * fit.residuals_imag)
        run_id = self._spectrum_run.get(name)
        if run_id is not None:
            notes = ""
            if analysis.r_interface_ohm_cm2 is not None:
                notes = f"r_interface_ohm_cm2={analysis.r_interface_ohm_cm2:.6g}"
            self.store.add_fit(run_id, str(fit.circuit), fit.values, errors=fit.stderr,
                               chi_square=fit.chi_square, notes=notes)

    # --- export --------------------------------------------------------------------------------
    def current_plots(self) -> list:
        index = self.tabs.currentIndex()
        return [[self.nyquist, self.bode, self.residuals], [self.cycling], [self.temperature], []][index]

    def export_plot(self, path: str | None = None, plot=None) -> Path | None:
        plots = [plot] if plot is not None else self.current_plots()
        if not plots:
            self.activity_label.setText("The run history has no plot to export; open a run first.")
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export plot", "plot.png", "PNG (*.png);;SVG (*.svg)")
            if not path:
                return None
        plots[0].export(path)
        self.activity_label.setText(f"Plot written to {path}")
        return Path(path)

    # --- layout memory -----------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self.normalise.setChecked(self.settings.value("window/normalise", "false") == "true")

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.runner is not None:
            self.runner.abort("the window was closed")
            self.runner.wait(10)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/normalise", "true" if self.normalise.isChecked() else "false")
        self.bridge.stop()
        self.monitor.stop()
        try:
            self.bench.close()
        finally:
            super().closeEvent(event)
