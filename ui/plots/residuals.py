"""Relative residuals of an impedance fit against frequency (log scale), in percent.

The residuals come from the fit (the impedance engine computes them, usually (Z_data - Z_fit) / |Z_data|);
this plot shows the real and the imaginary parts as open circles and squares joined by thin lines, around
a zero line; the key is in the title, so that it covers no point.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.plots import _style


class ResidualsPlot(QWidget):
    """Real and imaginary relative residuals (%) against log frequency."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = _style.new_layout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.plot = self.graphics.addPlot()
        _style.style_plot(self.plot)
        self.plot.setLogMode(x=True, y=False)
        _style.set_label(self.plot, "bottom", "Frequency", "Hz")
        _style.set_label(self.plot, "left", "Residual", "%")  # short: the plot is low, a long label is cut
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=_style.pen("#888888", Qt.DashLine)))
        # the key is the title, above the data, where it can hide no point
        self.plot.setTitle(f"<span style='color:{_style.colour(0)}'>○ Δ real</span> &nbsp; "
                           f"<span style='color:{_style.colour(1)}'>□ Δ imag</span> &nbsp; "
                           f"<span style='color:{_style.FOREGROUND}'>(Z<sub>data</sub> − Z<sub>fit</sub>) / "
                           "|Z<sub>data</sub>|</span>", size="9pt")
        self.real_curve = self._add("Δ real", _style.colour(0), "o")
        self.imag_curve = self._add("Δ imag", _style.colour(1), "s")

    def _add(self, name: str, colour: str, symbol: str) -> pg.PlotDataItem:
        curve = pg.PlotDataItem(pen=_style.pen(colour), symbol=symbol, symbolSize=6,
                                symbolPen=_style.pen(colour), symbolBrush=None, name=name)
        self.plot.addItem(curve)
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        return curve

    def set_residuals(self, frequency_hz, real_percent, imag_percent) -> None:
        """Show the relative residuals (in percent) of the real and imaginary parts at each frequency."""
        f = np.asarray(frequency_hz, dtype=np.float64)
        real = np.asarray(real_percent, dtype=np.float64)
        imag = np.asarray(imag_percent, dtype=np.float64)
        if not f.shape == real.shape == imag.shape:
            raise ValueError("frequency_hz, real_percent and imag_percent must have the same shape")
        order = np.argsort(f, kind="stable")
        order = order[f[order] > 0]
        self.real_curve.setData(f[order], real[order])
        self.imag_curve.setData(f[order], imag[order])

    def clear(self) -> None:
        self.real_curve.setData([], [])
        self.imag_curve.setData([], [])

    def refresh(self, force: bool = False) -> bool:
        """Nothing to coalesce here (residuals come whole, after a fit); present for a uniform API."""
        return False

    def export(self, path) -> None:
        """Write the plot to `path` (.png or .svg)."""
        from ui.plots.export import export_plot

        export_plot(self, path)
