"""Compare cells side by side: their spectra overlaid, and the interface resistance by surface state
as a bar chart (the paper's Figure 6: Ω cm² on a log axis from 0.03 to 30 000, the mean of the cells of
each state with its error bar, each cell as a point, "< X" for interfaces the spectra do not resolve)."""

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

from ui.plots import _style
from ui.plots.export import export_plot
from ui.plots.nyquist import NyquistPlot
from workbench.interface import _with_error
from workbench.spectrum_analysis import interface_resistance


class InterfaceBarChart(QWidget):
    """The paper's Figure 6: interface resistance (Ω cm², log axis from 0.03 to 30 000) by surface state.

    Per state a bar to the mean of its resolved cells, with an error bar (one standard error: the cell's
    own for one cell; for several, the larger of the scatter's standard error of the mean and the cells'
    propagated errors); each cell a point with its own error bar; an unresolved cell a downward triangle
    at its bound "< X"; a state whose cells are all unresolved an outlined bar up to its largest bound,
    labelled "< X". Values come from ``InterfaceResistance.to_dict()``.
    """

    Y_RANGE_OHM_CM2 = (0.03, 30000.0)
    TICKS = (0.1, 1, 10, 100, 1000, 10000)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(background=_style.BACKGROUND)
        self.plot = self.plot_widget.getPlotItem()
        _style.style_plot(self.plot, grid=False)  # dark axes, ticks and labels, as every plot of the window
        _style.set_label(self.plot, "left", "Interface resistance (Ω cm²)")
        _style.set_label(self.plot, "bottom", "Surface state")
        self.plot.setLogMode(y=True)
        self.plot.showGrid(y=True, alpha=_style.GRID_ALPHA * 2)  # a little darker: read across to the bars
        axis = self.plot.getAxis("left")
        axis.enableAutoSIPrefix(False)
        axis.setTicks([[(math.log10(t), f"{t:g}") for t in self.TICKS], []])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.means: dict[str, float] = {}
        self.errors: dict[str, float] = {}
        self.bounds: dict[str, float] = {}  # states with no resolved cell: the largest "< X"
        self.labels: list[str] = []

    @staticmethod
    def _log_error(value: float, err: float) -> tuple[float, float]:
        """(down, up) lengths in log10 units of value -+ err, the lower end kept above the axis floor."""
        floor = InterfaceBarChart.Y_RANGE_OHM_CM2[0] / 10
        up = math.log10(value + err) - math.log10(value)
        down = math.log10(value) - math.log10(max(value - err, floor))
        return down, up

    def set_results(self, results_by_state: dict[str, list[dict]]) -> None:
        """Draw the chart from each state's cells (``to_dict()`` of their interface resistance)."""
        self.plot.clear()
        self.means, self.errors, self.bounds, self.labels = {}, {}, {}, []
        lo, hi = (math.log10(v) for v in self.Y_RANGE_OHM_CM2)
        states = list(results_by_state)
        for i, state in enumerate(states):
            cells = results_by_state[state]
            resolved = [c for c in cells if c["resolved"] and c["value_ohm_cm2"] > 0]
            unresolved = [c for c in cells if not c["resolved"]]
            if resolved:
                values = np.array([c["value_ohm_cm2"] for c in resolved])
                errs = np.array([c["stderr_ohm_cm2"] or 0.0 for c in resolved])
                mean = float(values.mean())
                err = float(np.sqrt(np.sum(errs ** 2)) / values.size)
                if values.size > 1:
                    err = max(err, float(values.std(ddof=1) / np.sqrt(values.size)))
                self.means[state], self.errors[state] = mean, err
                top = math.log10(mean)
                self.plot.addItem(pg.BarGraphItem(x=[i], y0=[lo], height=[top - lo], width=0.6,
                                                  brush=pg.mkBrush("#90caf9"), pen=pg.mkPen("#1565c0")))
                down, up = self._log_error(mean, err)
                self.plot.addItem(pg.ErrorBarItem(x=np.array([i]), y=np.array([top]), top=np.array([up]),
                                                  bottom=np.array([down]), beam=0.25, pen=pg.mkPen("#0d47a1", width=2)))
                offsets = np.linspace(-0.15, 0.15, values.size) if values.size > 1 else np.zeros(1)
                x = i + offsets
                y = np.log10(values)
                ups, downs = zip(*(self._log_error(v, e)[::-1] for v, e in zip(values, errs, strict=True)),
                                 strict=True)
                self.plot.addItem(pg.ErrorBarItem(x=x, y=y, top=np.array(ups), bottom=np.array(downs), beam=0.05,
                                                  pen=pg.mkPen("#37474f")))
                self.plot.addItem(pg.ScatterPlotItem(x=x, y=y, size=7, brush=pg.mkBrush("#0d47a1"), pen=None))
                self.labels.append(f"{state}: {_with_error(mean, err)} Ω cm² ({values.size} cell"
                                   f"{'s' if values.size > 1 else ''})")
            if unresolved:
                bounds = np.array([c["upper_bound_ohm_cm2"] or c["value_ohm_cm2"] for c in unresolved])
                x = i + (np.linspace(-0.15, 0.15, bounds.size) if bounds.size > 1 else np.zeros(1)) + 0.2
                self.plot.addItem(pg.ScatterPlotItem(x=x, y=np.log10(bounds), symbol="t", size=11,
                                                     brush=pg.mkBrush("#ffffff"), pen=pg.mkPen("#c62828", width=2)))
                if not resolved:
                    bound = float(bounds.max())
                    self.bounds[state] = bound
                    self.plot.addItem(pg.BarGraphItem(x=[i], y0=[lo], height=[math.log10(bound) - lo], width=0.6,
                                                      brush=pg.mkBrush(255, 255, 255, 0),
                                                      pen=pg.mkPen("#c62828", width=1.5, style=Qt.DashLine)))
                    self.labels.append(f"{state}: not resolved, < {bound:.2g} Ω cm²")
                text = pg.TextItem(f"< {float(bounds.max()):.2g}", color="#c62828", anchor=(0.5, 1.2))
                text.setPos(i + 0.2, math.log10(float(bounds.max())))
                self.plot.addItem(text)
        self.plot.getAxis("bottom").setTicks([[(i, s) for i, s in enumerate(states)]])
        self.plot.setXRange(-0.6, max(len(states) - 0.4, 0.6))
        self.plot.setYRange(lo, hi, padding=0)
        self.plot.setLimits(yMin=lo - 1, yMax=hi + 1)

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
        self.results: dict[int, object] = {}  # run id -> InterfaceResistance
        self.skipped: list[str] = []
        by_state: dict[str, list[dict]] = defaultdict(list)
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
            self.results[run_id] = result
            by_state[record.surface_state or "unknown"].append(result.to_dict())
        self.bars.set_results(dict(by_state))
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.nyquist)
        splitter.addWidget(self.bars)
        note = QLabel("; ".join([*self.bars.labels, *self.skipped]) +
                      ". Error bars: one standard error; ▽ < X: interfaces the spectra do not resolve.")
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
