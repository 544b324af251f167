"""The workbench window: a dock per instrument role with its manual control, the live plots with inline
fitting in the middle, run history, and the state of the bench and of the run in the status bar.

The window is a view of one ``workbench.session.Session``: the sample on the bench, the active run, the
spectrum being looked at and its analysis, and the last readings all live there. The window asks the
session to change (start a run, choose a cell, fit) and shows what the session's events say, brought
to the GUI thread by ``SessionBridge``.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
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

from instruments.bench import ROLES
from ui.alarm_banner import AlarmBanner
from ui.ccd_wizard import CCDWizard, CellPage, in_words, step_text
from ui.compare import CompareDialog
from ui.controls import HoldControl, StageControl, SweepControl
from ui.entry import duration_text, percent_text, time_left_text
from ui.fit_panel import FitPanel
from ui.gui_gc import GuiThreadCollector
from ui.history import HistoryPanel
from ui.import_dialog import ImportDialog
from ui.instrument_dock import ControlsDock, InstrumentDock
from ui.labels import ElidedLabel
from ui.memory import remember
from ui.plots.bode import BodePlot
from ui.plots.cycling import CyclingPlot
from ui.plots.export import install_svg_fix
from ui.plots.nyquist import NyquistPlot
from ui.plots.residuals import ResidualsPlot
from ui.plots.temperature import TemperaturePlot
from ui.series import SeriesDialog
from ui.session_bridge import SessionBridge
from workbench.session import LIVE, RunRefused, Session, finished_text, output_alarm, safety_text
from workbench.store import Store


def time_unit_for(duration_s: float) -> str:
    """The unit a time axis reads best in for a run this long: s up to 2 min, min up to 2 h, then h."""
    return "s" if duration_s <= 120 else "min" if duration_s <= 7200 else "h"


class CellDialog(QDialog):
    """The cell on the bench: name, surface history, geometry (shared with the CCD wizard's first page)."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None, *, emulated: bool = False,
                 store=None):
        super().__init__(parent)
        self.setWindowTitle("The cell on the bench")
        self.page = CellPage(settings, store)
        if emulated:
            note = QLabel("On this emulated bench the twins measure the cell described here. A new name is a "
                          "new cell; “Replace cell” puts a new pellet of the same description on the bench.")
            note.setWordWrap(True)
            self.page.layout().insertRow(0, note)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        self.page.completeChanged.connect(lambda: self.ok_button.setEnabled(self.page.isComplete()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.page)
        layout.addWidget(buttons)


class MainWindow(QMainWindow):
    _load_progress = Signal(int, int, int)  # token, points read, points in all (from the reading thread)
    _load_done = Signal(int, object)  # token, OpenedRun or the exception (from the reading thread)

    def __init__(self, session, store: Store | None = None, *, settings: QSettings | None = None,
                 parent: QWidget | None = None):
        """``session`` is a ``Session`` (or a ``Bench``, for which a session is made with ``store`` and the
        cell last described in ``settings``)."""
        super().__init__(parent)
        self._collector = GuiThreadCollector(self)  # Qt objects are never destroyed by a worker thread
        install_svg_fix()  # pyqtgraph's right-click "Export... SVG" too
        self.settings = settings if settings is not None else QSettings()
        if not isinstance(session, Session):
            bench = session
            if self.settings.value("ccd/surface_state") is None and bench.cell is not None:
                # first start on an emulated bench: the cell on the bench is the emulated one
                self.settings.setValue("ccd/surface_state", bench.cell.surface_state)
            session = Session(bench, store if store is not None else Store(":memory:"),
                              sample=CellPage(self.settings).sample)
        self.session = session
        self.setWindowTitle("NZSP Workbench")
        self.resize(1500, 900)
        #: the run the window is showing (from its start until the window has shown its end)
        self.runner = None
        self._live_name = LIVE
        self._run_started_wall = 0.0
        #: why the window closes without asking (a termination signal), else None: nobody may be there
        self.closing_because: str | None = None
        self._steps: list[str] = []
        self._loading = None  # (run_id, n_points, cancel event) while a run is read on a thread
        self._loading_token = 0
        self._load_progress.connect(self._loading_progress)
        self._load_done.connect(self._loaded)

        # --- plots ---------------------------------------------------------------------------------
        self.nyquist = NyquistPlot()
        self.bode = BodePlot()
        self.residuals = ResidualsPlot()
        self.fit_panel = FitPanel(session)
        self.cycling = CyclingPlot()
        self.temperature = TemperaturePlot(time_unit="min")
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
        self.residuals.setMinimumHeight(190)  # room for its axis label at any window height
        side_layout.addWidget(self.residuals, 1)
        plots.setMinimumWidth(300)  # the Nyquist plot stays readable at the smallest window
        impedance = QSplitter(Qt.Horizontal)
        impedance.addWidget(plots)
        impedance.addWidget(side)
        impedance.setSizes([500, 620])  # the fit panel's tables whole at 1500 px; both shrink alike
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
        self.alarm = AlarmBanner()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.addWidget(self.alarm)
        central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        # --- docks ---------------------------------------------------------------------------------
        self.docks: dict[str, InstrumentDock] = {}
        self.controls = {"fra": SweepControl(session), "galvanostat": HoldControl(session),
                         "stage": StageControl(session)}
        sweep, hold, stage = self.controls["fra"], self.controls["galvanostat"], self.controls["stage"]
        remember(self.settings, "sweep", ranges=sweep.ranges, ppd=sweep.ppd, amplitude=sweep.amplitude)
        remember(self.settings, "hold", current_density=hold.current_density, duration=hold.duration,
                 direction=hold.direction, compliance=hold.compliance)
        remember(self.settings, "stage", setpoint=stage.setpoint, ramp=stage.ramp, tolerance=stage.tolerance,
                 stable_for=stage.stable_for)
        remember(self.settings, "fit", circuit=self.fit_panel.circuit_box)
        bench = self.bench
        for role, label, instrument in bench.roles():
            dock = InstrumentDock(role, label, bench.config.roles[role], self)
            dock.set_instrument(instrument, emulated=bench.config.roles[role].emulated,
                                error=bench.connection_errors.get(role))
            dock.connect_requested.connect(self.connect_role)
            dock.disconnect_requested.connect(self.disconnect_role)
            self.controls[role].start_requested.connect(self.start_run)
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.docks[role] = dock
        self.controls_dock = ControlsDock({"fra": ("Impedance sweep", sweep), "galvanostat": ("Hold current", hold),
                                           "stage": ("Stage setpoint", stage)}, self)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.controls_dock)
        self.resizeDocks([*self.docks.values(), self.controls_dock], [110, 150, 80, 600], Qt.Vertical)

        # --- actions -------------------------------------------------------------------------------
        self.cell_label = QLabel()
        self.cell_label.setObjectName("cell")
        toolbar = self.addToolBar("Run")
        toolbar.setObjectName("run-toolbar")
        self.cell_action = self._action("Cell…", self.edit_cell, tip="Name, surface history and geometry")
        self.replace_action = self._action("Replace cell", self.replace_cell,
                                           tip="A new pellet of the same description is on the bench")
        self.wizard_action = self._action("CCD test…", self.open_ccd_wizard, tip="Critical current density wizard")
        self.pause_action = self._action("Pause", self.toggle_pause, tip="Pause the run (current off while paused)")
        self.abort_action = self._action("Abort", self.abort_run, shortcut="Ctrl+.",
                                         tip="Abort the run now: current off, data kept")
        run_actions = (self.cell_action, self.replace_action, self.wizard_action, self.pause_action,
                       self.abort_action)
        for action in run_actions:
            toolbar.addAction(action)
        toolbar.addWidget(self.cell_label)
        menu = self.menuBar().addMenu("&File")
        self.file_menu = menu
        self.import_action = self._action("Import…", self.open_import_dialog, shortcut="Ctrl+I",
                                          tip="Bring impedance or cycling files (.mpr, .mpt, .DTA, .z, .par, Maccor, "
                                              "Neware, Arbin, CSV) into the workspace as runs")
        menu.addAction(self.import_action)
        menu.addAction(self._action("Export plot (PNG/SVG)…", lambda: self.export_plot(),
                                    shortcut="Ctrl+E"))
        menu.addAction(self._action("Quit", self.close, shortcut=QKeySequence.Quit))
        run_menu = self.menuBar().addMenu("&Run")
        for action in run_actions:
            run_menu.addAction(action)

        # --- status bar ----------------------------------------------------------------------------
        self.bench_label = ElidedLabel()  # shares the status bar with the activity, never wider than its text
        self.run_state_label = QLabel("")
        self.run_state_label.setObjectName("run-state")
        self.activity_label = ElidedLabel("Idle")
        self.activity_label.setObjectName("activity")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setTextVisible(False)  # the label beside it says the figures
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("progress")
        for widget in (self.run_state_label, self.progress_bar, self.progress_label):
            widget.hide()
        self.statusBar().addWidget(self.run_state_label)
        self.statusBar().addWidget(self.activity_label, 2)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.bench_label, 3)
        self._update_bench_state()

        # --- the session ----------------------------------------------------------------------------
        self.bridge = SessionBridge(session, parent=self)
        self.bridge.sample_changed.connect(self._show_sample)
        self.bridge.run_started.connect(self._run_started)
        self.bridge.points.connect(self._points)
        self.bridge.progress.connect(self._progress)
        self.bridge.step.connect(self._step)
        self.bridge.safety.connect(self._safety)
        self.bridge.state.connect(self._state)
        self.bridge.finished.connect(self._finished)
        self.bridge.spectrum_changed.connect(self._show_spectrum)
        self.bridge.spectrum_changed.connect(self.fit_panel.show_spectrum)
        self.bridge.analysis_changed.connect(self._show_analysis)
        self.bridge.analysis_changed.connect(self.fit_panel.show_analysis)
        self.fit_panel.circuit_changed_since_fit.connect(self._clear_fit_curves)
        self.bridge.readings.connect(self._show_readings)
        self.bridge.reading_series.connect(self._trace_readings)
        self.bridge.instrument_failed.connect(self._show_instrument_failure)
        self._show_sample(session.sample)
        for role, values in dict(session.readings).items():
            self._show_readings(role, values)
            self._trace_readings(role, [values])
        for role in self.controls:
            self._role_available(role)
        self.monitor = session.start_monitor()
        self._set_running(False)
        self._restore_layout()

    @property
    def bench(self):
        return self.session.bench

    @property
    def store(self) -> Store:
        return self.session.store

    @property
    def sample(self):
        return self.session.sample

    def _action(self, text, slot, *, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(shortcut)
        if tip:
            action.setToolTip(tip)  # no status tip: it would hide the run's state in the status bar
        return action

    def say(self, text: str) -> None:
        """One line in the status bar (the whole of it in the tooltip)."""
        self.activity_label.setText(text)
        self.activity_label.setToolTip(text)

    # --- the cell ------------------------------------------------------------------------------
    def set_sample(self, sample, *, fresh: bool = False) -> bool:
        try:
            self.session.set_sample(sample, fresh=fresh)
        except (RunRefused, ValueError) as exc:  # a run is active, or the emulated bench cannot make it
            self.say(f"The cell was not changed: {exc}")
            return False
        return True

    def _show_sample(self, sample) -> None:
        self.cell_label.setText(f"  Cell: {sample.name} · {sample.surface_state} · "
                                f"{sample.thickness_mm:g} mm · {sample.area_cm2:.4f} cm²")
        described = self.session.cell_description
        self.cell_label.setToolTip(described or "the cell on a real bench")
        for role in ("fra", "galvanostat"):  # the roles that measure the cell itself
            emulated = self.bench.config.roles[role].emulated
            self.docks[role].set_cell(described if emulated else None)
        for control in self.controls.values():
            control.check()
        self._update_bench_state()

    def edit_cell(self) -> CellDialog:
        dialog = CellDialog(self.settings, self, emulated=self.bench.cell is not None, store=self.store)
        dialog.accepted.connect(lambda: dialog.page.sample is not None and self.set_sample(dialog.page.sample))
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        self.cell_dialog = dialog
        return dialog

    def replace_cell(self) -> None:
        """A new pellet of the same description: on an emulated bench, a fresh emulated cell."""
        if self.set_sample(self.sample, fresh=True):
            self.say(f"A new cell {self.sample.name} is on the bench.")

    def _normalisation_changed(self, checked: bool) -> None:
        """Ω cm²: each spectrum by the electrode area of the sample it was measured on."""
        area = self.sample.area_cm2 if checked else None  # for a spectrum without an area of its own
        self.nyquist.set_normalisation(area)
        self.bode.set_normalisation(area)

    # --- bench state ---------------------------------------------------------------------------
    def bench_state_text(self) -> str:
        """What the bench is (as its config says, emulated or real per role) and what is connected."""
        specs = self.bench.config.roles
        connected = [r for r, _l, inst in self.bench.roles() if inst is not None]
        emulated = [r for r in specs if specs[r].emulated]
        if len(emulated) == len(specs):
            kind = "all emulated"
        elif not emulated:
            kind = "all real"
        else:
            kind = f"{len(emulated)} emulated, {len(specs) - len(emulated)} real"
        text = f"Bench: {kind} · {len(connected)}/{len(ROLES)} roles connected"
        missing = [label.lower() for role, label, inst in self.bench.roles() if inst is None]
        if missing:
            text += f" ({', '.join(missing)} not connected)"
        if self.session.cell_description:
            text += f" · {self.session.cell_description}"
        speed = self.bench.clock.speed
        if math.isinf(speed):
            text += " · emulated time without waiting"
        elif speed != 1:
            text += f" · clock ×{speed:g}"
        return text

    def _update_bench_state(self) -> None:
        if hasattr(self, "bench_label"):
            text = self.bench_state_text()
            self.bench_label.setText(text)
            self.bench_label.setMaximumWidth(self.bench_label.fontMetrics().horizontalAdvance(text) + 8)

    def connect_role(self, role: str) -> None:
        dock = self.docks[role]
        emulated = self.bench.config.roles[role].emulated
        try:
            instrument = self.bench.connect(role)
        except Exception as exc:  # noqa: BLE001 - shown in the dock, the window stays usable
            dock.set_instrument(None, emulated=emulated, error=str(exc))
            self.say(f"Could not connect the {dock.windowTitle().lower()}: {exc}")
        else:
            dock.set_instrument(instrument, emulated=emulated)
        self._role_available(role)
        self._update_bench_state()

    def disconnect_role(self, role: str) -> None:
        dock = self.docks[role]
        if self.session.is_running:
            self.say("A run is using the instruments; abort it before disconnecting.")
            return
        monitor = self.session.monitor
        if monitor is not None:
            monitor.pause()  # returns once a reading under way has finished
        try:
            self.bench.disconnect(role)
        except Exception as exc:  # noqa: BLE001
            self.say(f"Disconnecting the {dock.windowTitle().lower()} reported: {exc}")
        finally:
            if monitor is not None:
                monitor.resume()
        dock.set_instrument(None, emulated=self.bench.config.roles[role].emulated)
        self._role_available(role)
        self._update_bench_state()

    def _role_available(self, role: str) -> None:
        """A manual control is usable only while its instrument is connected."""
        connected = self.bench.instrument(role) is not None
        name = self.docks[role].windowTitle().lower()
        self.controls[role].set_unavailable(None if connected else f"The {name} is disconnected: connect it in "
                                            "its dock to use this.")

    def _show_readings(self, role: str, values: dict) -> None:
        self.docks[role].show_readings(values)

    def _trace_readings(self, role: str, series: list) -> None:
        """The stage's readings, from the monitor or a run, make the Temperature tab's trace."""
        if role != "stage":
            return
        rows = [(v["time_s"], v["temperature_c"], v.get("setpoint_c", math.nan)) for v in series
                if "temperature_c" in v and "time_s" in v and not v.get("stale")]  # stale: no new reading
        if rows:
            t, temperature, setpoint = (np.array(column, float) for column in zip(*rows, strict=True))
            self.temperature.append(t, temperature, setpoint)

    def _show_instrument_failure(self, role: str, message: str) -> None:
        self.say(f"{self.docks[role].windowTitle()}: {message}")

    # --- runs ----------------------------------------------------------------------------------
    def start_run(self, procedure):
        """Ask the session to run a procedure on the cell; say why when it refuses."""
        try:
            return self.session.start_run(procedure)
        except RunRefused as exc:
            QMessageBox.information(self, "The run cannot start", str(exc))
            self.say(str(exc))
            return None

    def _run_started(self, runner) -> None:
        """Follow a run (started here or by the wizard): live plots, status, controls locked."""
        self.runner = runner
        self._forget_loading()  # the run's live plots, not a stored run read meanwhile
        self._run_started_wall = time.time()
        kind = runner.procedure.kind
        if runner.procedure.uses_galvanostat:
            self.cycling.clear()
            self.cycling.set_time_unit(time_unit_for(runner.plan.total_duration_s))
            self.tabs.setCurrentIndex(1)
        elif kind == "temperature_step":
            self.tabs.setCurrentIndex(2)
        else:
            self.tabs.setCurrentIndex(0)
        self._set_running(True)
        self._steps = [in_words(s["label"]) if s.get("label") else self._step_text(s) for s in runner.plan.steps]
        self.progress_bar.setValue(0)
        self.progress_label.setText(f"{duration_text(runner.plan.total_duration_s)} left")
        self._state_text("Running")
        self.say(f"{runner.procedure.label} on {runner.sample.name} since {time.strftime('%H:%M:%S')}")

    @staticmethod
    def _step_text(step: dict) -> str:
        if "current_density_mA_cm2" in step:
            return f"{step['current_density_mA_cm2']:g} mA/cm²"
        return str(step.get("kind", "step")).replace("_", " ")

    def _set_running(self, running: bool) -> None:
        self.abort_action.setEnabled(running)
        self.pause_action.setEnabled(running)
        self.pause_action.setText("Pause")
        for action in (self.wizard_action, self.cell_action, self.replace_action):
            action.setEnabled(not running)
        for control in self.controls.values():
            control.setEnabled(not running)
        for widget in (self.progress_bar, self.progress_label, self.run_state_label):
            widget.setVisible(running)

    def _state_text(self, text: str, colour: str = "#1565c0") -> None:
        self.run_state_label.setText(text)
        self.run_state_label.setStyleSheet(f"font-weight: bold; color: {colour};")

    def toggle_pause(self) -> None:
        self.session.toggle_pause()

    def abort_run(self) -> None:
        self.session.abort("aborted by the user")

    def _points(self, kind: str, points: list) -> None:
        if kind == "impedance":
            f = np.fromiter((p.values["frequency_hz"] for p in points), float, len(points))
            zr = np.fromiter((p.values["z_real_ohm"] for p in points), float, len(points))
            zi = np.fromiter((p.values["z_imag_ohm"] for p in points), float, len(points))
            for plot in (self.nyquist, self.bode):
                plot.add_point(f, zr, zi, name=LIVE)
            self.fit_panel.points_arrived()
        elif kind == "cycling":
            t = np.fromiter((p.time_s for p in points), float, len(points))
            v = np.fromiter((p.values["voltage_v"] for p in points), float, len(points))
            j = np.fromiter((p.values["current_density_mA_cm2"] for p in points), float, len(points))
            self.cycling.append(t, v, j)

    def _progress(self, progress) -> None:
        self.progress_bar.setValue(int(1000 * progress.fraction))
        self.progress_label.setText(f"{percent_text(progress.fraction)} · {time_left_text(progress)}")

    def _step(self, event) -> None:
        if self.runner is None:
            return
        upcoming = ""
        if (self.runner.plan.kind != "sequence" and 0 <= event.step + 1 < len(self._steps)
                and "short" not in event.label):
            upcoming = f" · next: {self._steps[event.step + 1]}"
        since = time.strftime("%H:%M:%S", time.localtime(self._run_started_wall))
        self.say(f"{self.runner.procedure.label} since {since} · step {step_text(event, self.runner.plan)}"
                 f"{upcoming}")

    def _safety(self, event) -> None:
        self.cycling.mark_event(event.time_s, event.criterion.replace("_", " "))
        self._state_text("Short: current off", "#c62828")
        self.say(safety_text(event))

    def _state(self, event) -> None:
        state = event.state
        self.pause_action.setText("Resume" if state == "paused" else "Pause")
        if state == "paused":
            self._state_text("Paused: current off", "#ef6c00")
            if event.time_s is not None and self.runner is not None and self.runner.procedure.uses_galvanostat:
                self.cycling.mark_pause(event.time_s)
        elif state == "running":
            if self.run_state_label.text().startswith("Paused"):
                if event.time_s is not None and self.runner is not None and self.runner.procedure.uses_galvanostat:
                    self.cycling.mark_resume(event.time_s)
            self._state_text("Running")
        elif state == "stopping":
            self._state_text("Stopping: current off")
            if event.time_s is not None and self.runner is not None and self.runner.procedure.uses_galvanostat:
                self.cycling.mark_pause(event.time_s)  # the output is switched off now

    def _finished(self, finished) -> None:
        self.runner = None
        self._set_running(False)
        self._name_finished_sweep(finished)
        self.fit_panel.run_ended(finished.run_id)  # "so far" becomes the sweep's final count
        self.say(finished_text(finished))
        alarm = output_alarm(finished)
        if alarm is not None:
            self.alarm.raise_alarm(alarm)
        self.history.refresh()

    # --- the spectrum and its fit ----------------------------------------------------------------
    def plot_name(self, spectrum) -> str:
        """The name a spectrum has on the plots (the live sweep is renamed after its run once it ends)."""
        return self._live_name if spectrum.live else spectrum.name

    def _show_spectrum(self, spectrum) -> None:
        """A new spectrum is being looked at: a live sweep began, or a run was opened."""
        for plot in (self.nyquist, self.bode):
            if self._live_name in plot.spectrum_names:  # the previous sweep gives way to the new one
                plot.remove_spectrum(self._live_name)
            plot.clear_fit()
        self._live_name = LIVE
        self.residuals.clear()
        if spectrum is not None and spectrum.live:
            for plot in (self.nyquist, self.bode):
                plot.set_spectrum(LIVE, [], [], [], area_cm2=spectrum.area_cm2)
        elif spectrum is not None:
            for shown in self.session.run_spectra or [spectrum]:  # every sweep of the run, apart
                for plot in (self.nyquist, self.bode):
                    plot.set_spectrum(shown.name, shown.frequency_hz, shown.z.real, shown.z.imag,
                                      area_cm2=shown.area_cm2)
        self._normalisation_changed(self.normalise.isChecked())

    def _name_finished_sweep(self, finished) -> None:
        """The live sweep's legend names its run once the run has ended."""
        spectrum = self.session.spectrum
        if spectrum is None or not spectrum.live or spectrum.run_id != finished.run_id:
            return
        name = f"run {finished.run_id}: {spectrum.sample_name}"
        for plot in (self.nyquist, self.bode):
            if LIVE in plot.spectrum_names:
                plot.rename_spectrum(LIVE, name)
        self._live_name = name

    def _clear_fit_curves(self) -> None:
        for plot in (self.nyquist, self.bode):
            plot.clear_fit()
        self.residuals.clear()

    def _show_analysis(self, analysis) -> None:
        """The fit's curve on the spectrum it is of: a fit just made, or the one kept with an opened run.
        An analysis the session no longer holds (another run was opened meanwhile) is not drawn."""
        spectrum = self.session.spectrum
        if analysis is None or spectrum is None or analysis is not self.session.analysis:
            return
        fit = analysis.fit
        f = spectrum.frequency_hz
        f_dense = np.logspace(np.log10(f.min()), np.log10(f.max()), 300)
        z = fit.predict(f_dense)
        name = self.plot_name(spectrum)
        if name in self.nyquist.spectrum_names:
            self.nyquist.set_fit(name, f_dense, z.real, z.imag)
            self.bode.set_fit(name, f_dense, z.real, z.imag)
        self.residuals.set_residuals(fit.frequency_hz, 100 * fit.residuals_real, 100 * fit.residuals_imag)

    # --- the wizard, history, comparison --------------------------------------------------------
    def open_ccd_wizard(self) -> CCDWizard | None:
        if self.session.is_running:
            self.say("A run is active; the CCD wizard opens once it has ended.")
            return None
        wizard = CCDWizard(self.session, bridge=self.bridge, settings=self.settings, parent=self)
        wizard.setAttribute(Qt.WA_DeleteOnClose)
        wizard.show()
        self.wizard = wizard
        return wizard

    def open_run(self, run_id: int) -> None:
        """Show a stored run in the plots (its spectrum becomes the one the fit panel fits). A run of more
        than ``READ_AT_ONCE`` points is read on a thread of its own, the status bar saying so, while the
        window stays responsive; opening another run, or a run starting, forgets it."""
        self._forget_loading()
        try:
            kinds = self.store.point_kinds(run_id)
            self.store.run(run_id)
        except (ValueError, RuntimeError) as exc:
            self.say(str(exc))
            return
        n = sum(kinds.values())
        if n <= self.READ_AT_ONCE:
            try:
                opened = self.session.read_run(run_id)
            except (ValueError, RuntimeError) as exc:
                self.say(str(exc))
                return
            self._show_opened(opened)
            return
        self._loading_token += 1
        token, cancel = self._loading_token, threading.Event()
        self._loading = (run_id, n, cancel)
        self.say(f"Loading run {run_id} ({n:,} points)…")

        def read() -> None:
            try:
                opened = self.session.read_run(
                    run_id, cancelled=cancel.is_set,
                    progress=lambda done, total: self._load_progress.emit(token, done, total))
            except Exception as exc:  # noqa: BLE001 - said in the status bar, never raised into the thread
                opened = exc
            if not cancel.is_set():
                try:
                    self._load_done.emit(token, opened)
                except RuntimeError:
                    pass  # the window is gone

        threading.Thread(target=read, name=f"open-run-{run_id}", daemon=True).start()

    #: a run of at most this many points is read at once on the GUI thread (a few tens of milliseconds)
    READ_AT_ONCE = 50_000

    @property
    def loading_run(self) -> int | None:
        """The id of the run being read for showing, or None."""
        return self._loading[0] if self._loading is not None else None

    def _forget_loading(self) -> None:
        if self._loading is not None:
            self._loading[2].set()
            self._loading = None
            self._loading_token += 1

    def _loading_progress(self, token: int, done: int, total: int) -> None:
        if token == self._loading_token and self._loading is not None and total:
            self.say(f"Loading run {self._loading[0]} ({total:,} points)… {done / total:.0%}")

    def _loaded(self, token: int, opened) -> None:
        if token != self._loading_token or self._loading is None:
            return  # another run was opened, or a run started, meanwhile
        self._loading = None
        if isinstance(opened, Exception):
            self.say(f"Run could not be opened: {opened}")
        elif opened is not None:
            self._show_opened(opened)

    def _show_opened(self, opened) -> None:
        record, kinds = opened.record, opened.kinds
        self.session.show_run(opened)
        if kinds.get("impedance"):
            self.tabs.setCurrentIndex(0)
        if opened.cycling is not None:
            data = opened.cycling
            self.cycling.clear()
            span = float(data["time_s"][-1] - data["time_s"][0]) if data["time_s"].size else 0.0
            self.cycling.set_time_unit(time_unit_for(span))
            self.cycling.append(data["time_s"], data["voltage_v"], data["current_density_mA_cm2"])
            for event in opened.safety:
                self.cycling.mark_event(event["time_s"], event["criterion"].replace("_", " "))
            if not kinds.get("impedance"):
                self.tabs.setCurrentIndex(1)
        if kinds.get("temperature") and len(kinds) == 1:
            self.tabs.setCurrentIndex(2)
        fitted = ""
        if opened.spectra:
            fitted = " · its kept fit shown" if self.session.analysis is not None else " · not fitted yet"
        self.say(f"Opened run {record.id} ({record.kind.replace('_', ' ')}, {record.status}, "
                 f"{opened.n_points:,} points) of {record.sample_name}{fitted}")

    def open_import_dialog(self) -> ImportDialog:
        """File > Import…: the session imports, the dialog shows each file's outcome, the history lists the runs."""
        dialog = ImportDialog(self.session, self)
        dialog.imported.connect(self._imported)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        self.import_dialog = dialog
        return dialog

    def _imported(self, outcomes: list) -> None:
        self.history.refresh()
        runs = sum(len(o.run_ids) for o in outcomes)
        bad = sum(1 for o in outcomes if not o.ok)
        self.say(f"Imported {runs} run{'s' if runs != 1 else ''} from {len(outcomes)} file"
                 f"{'s' if len(outcomes) != 1 else ''}" + (f"; {bad} could not be read" if bad else ""))

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

    # --- export --------------------------------------------------------------------------------
    def current_plots(self) -> list:
        index = self.tabs.currentIndex()
        return [[self.nyquist, self.bode, self.residuals], [self.cycling], [self.temperature], []][index]

    def export_plot(self, path: str | None = None, plot=None) -> Path | None:
        plots = [plot] if plot is not None else self.current_plots()
        if not plots:
            self.say("The run history has no plot to export; open a run first.")
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export plot", "plot.png", "PNG (*.png);;SVG (*.svg)")
            if not path:
                return None
        try:
            plots[0].export(path)
        except (ValueError, OSError) as exc:
            self.say(f"The plot was not written: {exc}")
            return None
        self.say(f"Plot written to {path}")
        return Path(path)

    def _confirm_abort(self, runner) -> bool:
        """Ask before a close aborts the run under way."""
        answer = QMessageBox.question(
            self, "A run is active",
            f"{runner.procedure.label} on {runner.sample.name} (run {runner.run_id}) is running.\n"
            "Closing the window aborts it (the current is switched off; the data so far are kept).\n\n"
            "Abort the run and close?", QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

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
        runner = self.session.runner
        if runner is not None and self.closing_because is None and not self._confirm_abort(runner):
            event.ignore()
            return
        wizard = getattr(self, "wizard", None)
        self._forget_loading()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/normalise", "true" if self.normalise.isChecked() else "false")
        self.session.close()  # aborts an active run (output off) and stops the monitor
        self.bridge.drain()  # the run's end reaches the wizard and the plots
        if wizard is not None:
            try:
                wizard.close()
            except RuntimeError:
                pass  # already deleted
        self.bridge.stop()
        try:
            self.bench.close()
        finally:
            self._collector.stop()
            super().closeEvent(event)
