"""Compare cells side by side: their spectra overlaid, and the interface resistance by surface state
as a bar chart (the paper's Figure 6: mean of the cells of each state, each cell as a point)."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui.plots.export import export_plot
from ui.plots.nyquist import NyquistPlot
from workbench.spectrum_analysis import interface_resistance


class InterfaceBarChart(QWidget):
    """Mean interface resistance (Ω cm², log scale) per surface state."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("left", "Interface resistance", units="Ω cm²")
        self.plot.setLogMode(y=True)
        self.plot.showGrid(y=True, alpha=0.3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.means: dict[str, float] = {}

    def set_values(self, values_by_state: dict[str, list[float]]) -> None:
        """Bars from the mean of each state's (positive) values; log scale, so bars start at 0.01 Ω cm²."""
        self.plot.clear()
        states = list(values_by_state)
        self.means = {s: float(np.mean(v)) for s, v in values_by_state.items() if v}
        floor = -2.0
        for i, state in enumerate(states):
            positive = [v for v in values_by_state[state] if v > 0]
            if not positive:
                continue
            top = math.log10(float(np.mean(positive)))
            bar = pg.BarGraphItem(x=[i], y0=[floor], height=[top - floor], width=0.6,
                                  brush=pg.mkBrush("#90caf9"), pen=pg.mkPen("#1565c0"))
            self.plot.addItem(bar)
            scatter = pg.ScatterPlotItem(x=[i] * len(positive), y=np.log10(positive), size=7,
                                         brush=pg.mkBrush("#0d47a1"), pen=None)
            self.plot.addItem(scatter)
        self.plot.getAxis("bottom").setTicks([[(i, s) for i, s in enumerate(states)]])
        self.plot.setXRange(-0.6, max(len(states) - 0.4, 0.6))

    def export(self, path) -> None:
        export_plot(self.plot, path)


class CompareDialog(QDialog):
    """Spectra of several runs overlaid, and their interface resistance by surface state."""

    def __init__(self, store, run_ids: list[int], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Compare runs {', '.join(map(str, run_ids))}")
        self.resize(1200, 600)
        self.nyquist = NyquistPlot()
        self.bars = InterfaceBarChart()
        self.results: dict[int, float] = {}
        self.skipped: list[str] = []
        by_state: dict[str, list[float]] = defaultdict(list)
        for run_id in run_ids:
            record = store.run(run_id)
            f, z = store.spectrum(run_id)
            if f.size < 10:
                self.skipped.append(f"run {run_id} has no spectrum")
                continue
            area = record.area_cm2
            if not area:
                self.skipped.append(f"run {run_id} has no electrode area recorded (no Ω cm²)")
                continue
            label = f"{run_id}: {record.sample_name} ({record.surface_state})"
            self.nyquist.set_spectrum(label, f, z.real, z.imag)
            try:
                result = interface_resistance(f, z, area_cm2=area)
            except (ValueError, RuntimeError) as exc:
                self.skipped.append(f"run {run_id}: {exc}")
                continue
            self.results[run_id] = result.r_interface_ohm_cm2
            by_state[record.surface_state or "unknown"].append(result.r_interface_ohm_cm2)
        self.bars.set_values(dict(by_state))
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.nyquist)
        splitter.addWidget(self.bars)
        note = QLabel("; ".join(self.skipped) or
                      "Interface resistance: the interface arc where resolved, else Z'data(f_min) − Z'fit(f→0).")
        note.setWordWrap(True)
        export = QPushButton("Export chart…")
        export.clicked.connect(self._export)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        self.close_button = close.button(QDialogButtonBox.Close)
        row = QHBoxLayout()
        row.addWidget(note, 1)
        row.addWidget(export)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(row)

    def _export(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Export chart", "interface-resistance.png",
                                              "PNG (*.png);;SVG (*.svg)")
        if path:
            self.bars.export(path)
