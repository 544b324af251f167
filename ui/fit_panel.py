"""Inline equivalent-circuit fitting beside the Nyquist plot.

A thin client of ``workbench.spectrum_analysis``: pick or type a circuit, press Fit (no initial guess
needed), read the parameters with their standard errors, each arc named by its capacitance ("grain
boundary" nF, "interface" ~uF/cm2) with its Ohm cm2, Brug capacitance and apex frequency, the
Kramers-Kronig verdict, and the interface resistance by the workbench's one method (its ``text()``:
value and uncertainty or "not resolved: < X", and how it was obtained), whatever circuit was fitted. Any
parameter can be fixed at a typed value. With "Re-fit as the sweep fills" the fit follows a live sweep.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.history import started_text as local_time
from workbench.impedance import CircuitError
from workbench.impedance.circuits import as_circuit
from workbench.spectrum_analysis import PRESET_CIRCUITS, SpectrumAnalysis


def si(value: float, unit: str, digits: int = 4) -> str:
    """A value with an SI prefix: 6.99e-7 F -> '699.0 nF'."""
    if value == 0 or not np.isfinite(value):
        return f"{value:g} {unit}"
    prefixes = [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"),
                (1e-12, "p"), (1e-15, "f")]
    for scale, prefix in prefixes:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"


def pm(value: float, stderr: float) -> str:
    """A value and its standard error in plain notation, the error to two significant figures and the value
    to the same decimal place: '4.0010 ± 0.0075', '447 ± 140' ('± ?' when the error is not known)."""
    if not (np.isfinite(stderr) and stderr > 0 and np.isfinite(value)):
        return f"{value:#.4g} ± ?" if not np.isfinite(stderr) else f"{value:#.4g} ± {stderr:g}"
    exponent = int(np.floor(np.log10(stderr))) - 1  # of the error's second significant figure
    decimals = max(0, -exponent)
    error = round(stderr, -exponent)
    return f"{round(value, -exponent):.{decimals}f} ± {error:.{decimals}f}"


def si_pm(value: float, stderr: float, unit: str) -> str:
    """A value and its standard error with one SI prefix: '4.009 ± 0.031 nF', '447 ± 140 µF' ('± ?' when
    unknown)."""
    text = si(value, unit)
    number, _, prefixed = text.partition(" ")
    scale = value / float(number) if value and np.isfinite(value) and float(number) else 1.0
    return f"{pm(value / scale, stderr / scale)} {prefixed}"



def arc_doubt(arc, band_hz: tuple[float, float]) -> str:
    """Why the data do not determine an arc of a fit ("" when they do): its resistance's standard error
    larger than the resistance, or its apex more than a decade outside the measured band."""
    lo, hi = band_hz
    if np.isfinite(arc.r_stderr_ohm) and arc.r_stderr_ohm > arc.r_ohm:
        return (f"Not resolved: the standard error of {arc.resistor} is larger than its value; the data do not "
                "determine this arc (the interface resistance below is the one method's, not this arc's).")
    if np.isfinite(arc.apex_frequency_hz) and not 0.1 * lo <= arc.apex_frequency_hz <= 10 * hi:
        return (f"Not resolved: the apex of {arc.resistor} lies more than a decade outside the measured band "
                f"({si(lo, 'Hz', 3)} to {si(hi, 'Hz', 3)}); the data do not determine this arc.")
    return ""


def unit_words(unit: str) -> str:
    """The impedance engine's units as the window writes them: 'Ohm^-1 s^n' -> 'Ω⁻¹ sⁿ'."""
    return unit.replace("Ohm^-1", "Ω⁻¹").replace("Ohm", "Ω").replace("s^n", "sⁿ").replace("s^0.5", "s^½")


class FitPanel(QWidget):
    """Circuit editor, Fit button and the tables of results."""

    fitted = Signal(object)  # SpectrumAnalysis
    circuit_changed_since_fit = Signal()  # the fit on show is not of the circuit typed now
    PARAM_COLUMNS = ["Parameter", "Value", "± Std. error", "Unit", "Ω cm²", "Fixed"]
    #: R in Ω with its error is in the parameters table; the arcs table says what each arc is
    ARC_COLUMNS = ["Arc", "R (Ω cm²)", "C Brug", "f apex", "n"]

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._fixed: dict[str, float] = {}
        self._ended_runs: set[int] = set()

        self.circuit_box = QComboBox()
        self.circuit_box.setEditable(True)
        self.circuit_box.setToolTip("A preset, or any circuit in impedance.py notation, e.g. R0-p(R1,CPE1)-W1")
        for label, text in PRESET_CIRCUITS.items():
            self.circuit_box.addItem(text, label)
            self.circuit_box.setItemData(self.circuit_box.count() - 1, label, Qt.ToolTipRole)
        self.circuit_box.setCurrentIndex(1)
        self.circuit_box.currentTextChanged.connect(self._circuit_changed)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Fit the circuit to the spectrum; no initial guess is needed")
        self.fit_button.clicked.connect(self.fit)
        self.auto_refit = QCheckBox("Re-fit as the sweep fills")
        self.sweep_box = QComboBox()  # the sweeps of an opened run (a CCD test has one before, one after)
        self.sweep_box.setToolTip("The sweep of the opened run to fit")
        self.sweep_box.activated.connect(self._sweep_chosen)
        self.sweep_box.hide()
        self.status = QLabel("No spectrum yet: run a sweep or open a run.")
        self.status.setWordWrap(True)
        self.note = QLabel("")
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #e65100;")
        self.note.hide()
        #: whose fit is on show: the one kept with the opened run (and when it was made), or that the run
        #: is not fitted yet
        self.origin = QLabel("")
        self.origin.setObjectName("fit-origin")
        self.origin.setWordWrap(True)
        self.origin.hide()

        self.param_table = QTableWidget(0, len(self.PARAM_COLUMNS))
        self.param_table.setHorizontalHeaderLabels(self.PARAM_COLUMNS)
        self.param_table.verticalHeader().setVisible(False)
        self.param_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.param_table.itemChanged.connect(self._param_edited)
        self.arc_table = QTableWidget(0, len(self.ARC_COLUMNS))
        self.arc_table.setHorizontalHeaderLabels(self.ARC_COLUMNS)
        self.arc_table.verticalHeader().setVisible(False)
        self.arc_table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.arc_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.kk_label = QLabel("Kramers-Kronig: —")
        self.kk_label.setWordWrap(True)
        self.interface_label = QLabel("")
        self.interface_label.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Circuit"))
        top.addWidget(self.circuit_box, 1)
        top.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.auto_refit)
        layout.addWidget(self.sweep_box)
        layout.addWidget(self.origin)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        params = QGroupBox("Parameters")
        QVBoxLayout(params).addWidget(self.param_table)
        arcs = QGroupBox("Arcs (symmetric cell: R × area / 2)")
        QVBoxLayout(arcs).addWidget(self.arc_table)
        layout.addWidget(params, 3)
        layout.addWidget(arcs, 2)
        layout.addWidget(self.kk_label)
        layout.addWidget(self.interface_label)

        self._refit_timer = QTimer(self)
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(300)
        self._refit_timer.timeout.connect(self._auto_fit)
        self._circuit_changed(self.circuit_box.currentText())

    # --- what the session holds -------------------------------------------------------------------
    @property
    def spectrum(self):
        """The spectrum being fitted: the session's (the live sweep, or the run opened last)."""
        return self.session.spectrum

    @property
    def analysis(self) -> SpectrumAnalysis | None:
        return self.session.analysis

    @property
    def frequency_hz(self) -> np.ndarray:
        spectrum = self.spectrum
        return np.empty(0) if spectrum is None else spectrum.frequency_hz

    @property
    def area_cm2(self) -> float | None:
        """The electrode area of the sample the spectrum was measured on."""
        spectrum = self.spectrum
        return None if spectrum is None else spectrum.area_cm2

    def _describe_spectrum(self) -> str:
        spectrum = self.spectrum
        if spectrum is None:
            opened = self.session.opened_run
            if opened is not None:
                return (f"Run {opened.id} has no spectrum (it is a {opened.kind.replace('_', ' ')} run); open "
                        "a run with a sweep to fit it.")
            return "No spectrum yet: run a sweep or open a run."
        # running until the window has shown the run's end (the points on screen are "so far" until then)
        running = spectrum.live and spectrum.run_id not in self._ended_runs
        source = "the sweep running now" if running else (
            f"run {spectrum.run_id}" if spectrum.run_id is not None else spectrum.name)
        what = f"{spectrum.n_points} points of {source} ({spectrum.sample_name}, {spectrum.area_cm2:.4f} cm²)"
        if running:
            return f"{what} so far."
        if not spectrum.live and spectrum.run_id is not None:
            return f"{what}, not fitted yet. Press Fit."
        return f"{what}. Press Fit."

    def show_spectrum(self, _spectrum=None) -> None:
        """A new spectrum: the results of the previous one are cleared; an opened run with several sweeps
        offers them; what to know about the spectrum (measured after a short) is said."""
        spectrum = self.spectrum
        sweeps = self.session.run_spectra
        self.sweep_box.blockSignals(True)
        self.sweep_box.clear()
        for item in sweeps:
            self.sweep_box.addItem(item.name)
        if spectrum is not None and spectrum.name in [item.name for item in sweeps]:
            self.sweep_box.setCurrentText(spectrum.name)
        self.sweep_box.blockSignals(False)
        self.sweep_box.setVisible(len(sweeps) > 1)
        note = spectrum.note if spectrum is not None else ""
        self.note.setText(f"⚠ {note[0].upper()}{note[1:]}." if note else "")
        self.note.setVisible(bool(note))
        self.show_analysis(None)

    def _sweep_chosen(self, index: int) -> None:
        self.session.select_sweep(index)

    def run_ended(self, run_id: int) -> None:
        """The window has shown the end of run ``run_id``: its sweep is complete."""
        self._ended_runs.add(run_id)
        self.points_arrived()

    def points_arrived(self) -> None:
        """The live sweep has new points (or ended): say how many; re-fit when asked to follow it."""
        if self.analysis is None:
            self.status.setText(self._describe_spectrum())
        if self.auto_refit.isChecked() and not self._refit_timer.isActive():
            self._refit_timer.start()

    def show_analysis(self, analysis: SpectrumAnalysis | None) -> None:
        """Show the session's analysis (None: the spectrum is not fitted). An analysis the session no longer
        holds (another run was opened since it was announced) is not shown: the current one follows."""
        if analysis is not None and analysis is not self.session.analysis:
            return
        if analysis is None:
            self.arc_table.setRowCount(0)
            self.kk_label.setText("Kramers-Kronig: —")
            self.kk_label.setStyleSheet("")
            self.interface_label.setText("")
            self.status.setText(self._describe_spectrum())
            self._say_origin(None)
            try:
                self._fill_params(as_circuit(self.circuit_text()), {}, {})
            except CircuitError:
                pass
            return
        self._show(analysis)

    def _say_origin(self, analysis: SpectrumAnalysis | None) -> None:
        """Above the tables: the kept fit of which run, made when; or that the opened run is not fitted."""
        spectrum = self.spectrum
        kept = getattr(analysis, "kept", None)
        if kept is not None:
            sweeps = self.session.run_spectra
            sweep = f", {sweeps[kept.sweep].name.partition(', ')[2]}" if len(sweeps) > 1 else ""
            made = f", made {local_time(kept.created_at)}" if kept.created_at else ""
            what = ("interface resistance kept by the analysis (workbench analyse)" if kept.by_analysis
                    else "fit kept with the run")
            self.origin.setText(f"Run {kept.run_id}{sweep}: {what}{made}. Press Fit to fit it again.")
            self.origin.setStyleSheet("color: #1b5e20; font-weight: bold;")
        elif analysis is None and spectrum is not None and not spectrum.live and spectrum.run_id is not None:
            self.origin.setText(f"Run {spectrum.run_id}: not fitted yet.")
            self.origin.setStyleSheet("color: #37474f; font-weight: bold;")
        elif analysis is not None and spectrum is not None and spectrum.run_id is not None:
            self.origin.setText(f"Run {spectrum.run_id}: fitted now, kept with the run.")
            self.origin.setStyleSheet("color: #1b5e20; font-weight: bold;")
        else:
            self.origin.setText("")
        self.origin.setVisible(bool(self.origin.text()))

    # --- circuit and parameters ----------------------------------------------------------------
    def circuit_text(self) -> str:
        return self.circuit_box.currentText().strip()

    def set_circuit(self, text: str) -> None:
        self.circuit_box.setEditText(text)
        self._circuit_changed(text)

    def _clear_results(self) -> None:
        """The arcs, verdicts and residuals of a fit no longer on show (another circuit was typed)."""
        self.arc_table.setRowCount(0)
        self.kk_label.setText("Kramers-Kronig: —")
        self.kk_label.setStyleSheet("")
        self.interface_label.setText("")

    def _circuit_changed(self, text: str) -> None:
        analysis = self.analysis
        if analysis is not None and str(analysis.fit.circuit) != text.strip():
            self._clear_results()
            self.circuit_changed_since_fit.emit()
        try:
            circuit = as_circuit(text.strip())
        except CircuitError as exc:
            self.status.setText(f"Circuit not understood: {exc}")
            self.fit_button.setEnabled(False)
            self.param_table.setRowCount(0)
            return
        if analysis is not None and str(analysis.fit.circuit) != text.strip():
            self.status.setText(f"{self._describe_spectrum().removesuffix('. Press Fit.')}. Circuit changed: "
                                "press Fit to fit it.")
        self.fit_button.setEnabled(True)
        self._fixed = {k: v for k, v in self._fixed.items() if k in circuit.parameter_names}
        self._fill_params(circuit, {}, {})

    def fix(self, name: str, value: float) -> None:
        """Hold a parameter at a value in the next fits."""
        self._fixed[name] = float(value)
        self._fill_params(as_circuit(self.circuit_text()), *self._current_values())

    def free(self, name: str) -> None:
        self._fixed.pop(name, None)
        self._fill_params(as_circuit(self.circuit_text()), *self._current_values())

    def fixed(self) -> dict[str, float]:
        return dict(self._fixed)

    def _current_values(self):
        if self.analysis is None:
            return {}, {}
        return self.analysis.fit.values, self.analysis.fit.stderr

    def _fill_params(self, circuit, values: dict, stderr: dict) -> None:
        table = self.param_table
        table.blockSignals(True)
        table.setRowCount(circuit.n_params)
        for row, (name, unit) in enumerate(zip(circuit.parameter_names, circuit.parameter_units, strict=True)):
            value = self._fixed.get(name, values.get(name))
            cells = [
                name,
                "" if value is None else f"{value:.5g}",
                "fixed" if name in self._fixed else (
                    "" if not np.isfinite(stderr.get(name, np.nan)) else f"{stderr[name]:.2g}"),
                unit_words(unit),
                (f"{value * self.area_cm2 / 2:.4g}"
                 if value is not None and name.startswith("R") and self.area_cm2 else ""),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
                item.setFlags(flags | Qt.ItemIsEditable if col == 1 else flags)
                table.setItem(row, col, item)
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            check.setCheckState(Qt.Checked if name in self._fixed else Qt.Unchecked)
            table.setItem(row, 5, check)
        table.blockSignals(False)

    def _param_edited(self, item: QTableWidgetItem) -> None:
        name = self.param_table.item(item.row(), 0).text()
        value_item = self.param_table.item(item.row(), 1)
        if item.column() == 5:
            if item.checkState() == Qt.Checked:
                try:
                    self.fix(name, float(value_item.text()))
                except ValueError:
                    self.status.setText(f"Type a value for {name} before fixing it.")
                    self._fill_params(as_circuit(self.circuit_text()), *self._current_values())
            else:
                self.free(name)
        elif item.column() == 1 and name in self._fixed:
            try:
                self.fix(name, float(item.text()))
            except ValueError:
                self.status.setText(f"{name}: {item.text()!r} is not a number.")

    # --- fitting -------------------------------------------------------------------------------
    def _auto_fit(self) -> None:
        if self.frequency_hz.size >= 3 * as_circuit(self.circuit_text()).n_params:
            self.fit()

    def fit(self) -> SpectrumAnalysis | None:
        text = self.circuit_text()
        try:
            as_circuit(text)
        except CircuitError as exc:
            self.status.setText(f"Circuit not understood: {exc}")
            return None
        if self.frequency_hz.size == 0:
            self.status.setText(self._describe_spectrum() if self.session.opened_run is not None
                                else "No spectrum to fit: run a sweep or open a run first.")
            return None
        try:
            analysis = self.session.analyse(text, fixed=self._fixed or None)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            self.status.setText(f"Fit failed: {exc}")
            return None
        if self.session.analysis is analysis:  # (not when the spectrum changed during the fit)
            self.show_analysis(analysis)
        self.fitted.emit(analysis)
        return analysis

    def _show(self, analysis: SpectrumAnalysis) -> None:
        fit = analysis.fit
        kept = analysis.kept
        if kept is not None:  # the circuit and the fixed parameters it was fitted with
            self._fixed = {name: fit.values[name] for name in fit.fixed}
            self.circuit_box.blockSignals(True)
            self.circuit_box.setEditText(str(fit.circuit))
            self.circuit_box.blockSignals(False)
            self.fit_button.setEnabled(True)
        self._fill_params(fit.circuit, fit.values, fit.stderr)
        spectrum = self.spectrum
        source = "" if spectrum is None else (
            f" of run {spectrum.run_id}" if spectrum.run_id is not None else f" of {spectrum.name}")
        if kept is not None and kept.by_analysis:
            self.status.setText(f"Two-arc fit of the one method to {fit.frequency_hz.size} points{source} "
                                "(no standard error per parameter was kept)")
        elif kept is not None:
            self.status.setText(f"Fitted {fit.frequency_hz.size} points{source}: χ² = {fit.chi_square:.3g}")
        else:
            self.status.setText(f"Fitted {fit.frequency_hz.size} points{source}: χ² = {fit.chi_square:.3g}, "
                                f"{fit.elapsed_s * 1e3:.1f} ms")
        self._say_origin(analysis)
        self.arc_table.setRowCount(len(analysis.arcs))
        band = (float(np.min(fit.frequency_hz)), float(np.max(fit.frequency_hz)))
        for row, arc in enumerate(analysis.arcs):
            doubt = arc_doubt(arc, band)
            cells = [f"{arc.resistor}: {analysis.arc_name(arc)}" + (" (not resolved)" if doubt else ""),
                     pm(arc.r_ohm_cm2, arc.r_stderr_ohm_cm2),
                     si_pm(arc.capacitance_f, arc.capacitance_stderr_f, "F"),
                     si_pm(arc.apex_frequency_hz, arc.apex_frequency_stderr_hz, "Hz"),
                     pm(arc.n, arc.n_stderr)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if doubt:
                    item.setForeground(QColor("#b00020"))
                    item.setToolTip(doubt)
                self.arc_table.setItem(row, col, item)
        kk = analysis.kramers_kronig
        if kk is None:
            self.kk_label.setText("Kramers-Kronig: not checked")
        else:
            verdict = "valid" if kk.passed else "NOT valid"
            band = "" if kk.trusted_max_frequency_hz is None else f" up to {si(kk.trusted_max_frequency_hz, 'Hz')}"
            text = (f"Kramers-Kronig: {verdict}{band} (max residual {kk.max_residual_judged * 100:.2f}% against a "
                    f"{kk.threshold * 100:.1f}% threshold, {kk.n_elements} RC elements)")
            if kk.max_residual > kk.max_residual_judged:
                text += f"; above, the residuals reach {kk.max_residual * 100:.2f}% (analyser accuracy)"
            self.kk_label.setText(text)
            self.kk_label.setStyleSheet("" if kk.passed else "color: #c62828;")
        result = analysis.interface
        self.interface_label.setText(f"Interface resistance: {result.text()}" if result is not None
                                     else analysis.interface_note)
        if analysis.fit.warnings:
            self.status.setText(self.status.text() + "; WARNING: " + "; ".join(analysis.fit.warnings))
