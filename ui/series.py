"""Fit a series of spectra in one go (for example a temperature series): one circuit, every spectrum,
a chosen parameter plotted against temperature, and its Arrhenius activation energy."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.plots import _style
from ui.plots.export import export_plot
from workbench.spectrum_analysis import PRESET_CIRCUITS, arrhenius, fit_series

BOLTZMANN_EV_K = 8.617333262e-5


class SeriesDialog(QDialog):
    """Fits each selected run's spectrum and shows a parameter against temperature with its Arrhenius line."""

    def __init__(self, store, run_ids: list[int], circuit: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Fit a series of spectra")
        self.resize(1100, 600)
        self.circuit = circuit or PRESET_CIRCUITS["R-L-(R|CPE)-(R|CPE): grain boundary + interface"]
        self.rows = []  # (run_id, temperature_c, area_cm2, analysis)
        self.skipped: list[str] = []
        spectra, meta = [], []
        for run_id in run_ids:
            record = store.run(run_id)
            f, z = store.spectrum(run_id)
            if f.size < 10:
                self.skipped.append(f"run {run_id}: no spectrum")
                continue
            if record.temperature_c is None:
                self.skipped.append(f"run {run_id}: no temperature recorded")
                continue
            if not record.area_cm2:
                self.skipped.append(f"run {run_id}: no electrode area recorded")
                continue
            spectra.append((f, z))
            meta.append((run_id, record.temperature_c, record.area_cm2))
        # each spectrum with the area of the sample it was measured on
        analyses = [fit_series([spectrum], self.circuit, area_cm2=m[2])[0] for spectrum, m in zip(spectra, meta,
                                                                                                 strict=True)]
        self.rows = [(*m, a) for m, a in zip(meta, analyses, strict=True)]
        self.rows.sort(key=lambda row: row[1])
        names = list(analyses[0].fit.values) if analyses else []

        self.parameter = QComboBox()
        if analyses and all(a.interface is not None for a in analyses):
            self.parameter.addItems([self.INTERFACE, self.GRAIN_BOUNDARY])
        self.parameter.addItems([n for n in names if n.startswith("R")] or names)
        self.parameter.currentTextChanged.connect(self.update_plot)
        self.table = QTableWidget(len(self.rows), 2 + len(names))
        self.table.setHorizontalHeaderLabels(["Run", "T (°C)", *names])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        for r, (run_id, t, _area, analysis) in enumerate(self.rows):
            cells = [str(run_id), f"{t:.1f}", *(f"{analysis.fit.values[n]:.4g}" for n in names)]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setBackground(_style.BACKGROUND)  # the dark axes are drawn on white, as elsewhere
        self.plot = self.plot_widget.getPlotItem()
        _style.style_plot(self.plot)
        self.plot.setLabel("bottom", "1000 / T (1/K)")
        self.plot.setLabel("left", "ln(T / R)  (R in Ω, T in K)")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        export = QPushButton("Export plot…")
        export.clicked.connect(self._export)
        top = QHBoxLayout()
        top.addWidget(QLabel(f"Circuit {self.circuit}; parameter"))
        top.addWidget(self.parameter)
        top.addStretch(1)
        top.addWidget(export)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        self.close_button = close.button(QDialogButtonBox.Close)
        top.addWidget(close)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.plot_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.result)
        self.update_plot()

    INTERFACE = "Interface resistance (the one method: interface arc, partial arc or Z'data(f_min) − Z'fit(f→0))"
    GRAIN_BOUNDARY = "R of the grain-boundary arc (the nF arc of the same fit)"

    def value(self, analysis, name: str) -> float:
        """A fitted parameter of the chosen circuit, or, from the interface-resistance method, the interface
        resistance in Ω (NaN where it is not resolved) or the grain-boundary arc's R (Ω)."""
        result = analysis.interface
        if name == self.INTERFACE:
            return result.value_ohm_cm2 * 2 / result.area_cm2 if result.resolved else float("nan")
        if name == self.GRAIN_BOUNDARY:
            return result.arc("grain boundary").r_ohm
        return analysis.fit.values[name]

    def update_plot(self, *_args) -> None:
        self.plot.clear()
        name = self.parameter.currentText()
        notes = "; ".join(self.skipped)
        if len(self.rows) < 2 or not name:
            self.result.setText("Select two or more runs with a spectrum and a temperature. " + notes)
            self.activation_energy_ev = None
            return
        t_c = np.array([row[1] for row in self.rows])
        values = np.array([self.value(row[3], name) for row in self.rows])
        unresolved = [f"run {row[0]}: {row[3].interface.text()}" for row, v in zip(self.rows, values, strict=True)
                      if not np.isfinite(v)]
        if unresolved:
            notes = "; ".join([*unresolved, notes]) + " (left out of the fit)"
            keep = np.isfinite(values)
            t_c, values = t_c[keep], values[keep]
            if values.size < 2:
                self.result.setText("Fewer than two spectra resolve it. " + notes)
                self.activation_energy_ev = None
                return
        t_k = t_c + 273.15
        x = 1000 / t_k
        self.plot.plot(x, np.log(t_k / values), pen=None, symbol="o", symbolBrush="#1565c0")
        try:
            fit = arrhenius(t_c, values)
        except ValueError as exc:
            self.result.setText(f"No Arrhenius fit: {exc} {notes}")
            self.activation_energy_ev = None
            return
        line_x = np.linspace(x.min(), x.max(), 50)
        self.plot.plot(line_x, np.log(fit.prefactor) - fit.activation_energy_ev / (BOLTZMANN_EV_K * 1000 / line_x),
                       pen=pg.mkPen("#c62828", width=1))
        self.activation_energy_ev = fit.activation_energy_ev
        self.result.setText(f"{name.split(' (')[0]}: activation energy Ea = {fit.activation_energy_ev:.3f} ± "
                            f"{fit.activation_energy_stderr_ev:.3f} eV over {len(self.rows)} spectra "
                            f"({t_c.min():.0f} to {t_c.max():.0f} °C). {notes}")

    def _export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "arrhenius.png", "PNG (*.png);;SVG (*.svg)")
        if path:
            export_plot(self.plot, path)
