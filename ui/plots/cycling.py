"""Live plot of a galvanostatic cycling run: cell voltage and current density against time.

Two x-linked plots share the time axis: voltage (V) on top, current density (mA/cm²) below. Data arrive
through `append` (scalars or arrays), which only stores them; the display timer redraws at ~30 Hz from a
peak-decimated view of the visible range, so hours of data (ten million points) stay fluid. Events such as
a short circuit are marked with `mark_event`; `zoom_to` shows a time window. A pause (`mark_pause`, then
`mark_resume`) is drawn as what it is: no voltage (a gap: the source is off, nothing is measured) and zero
current.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import QWidget

from ui.plots import _style
from ui.plots._timeseries import LiveTimeSeries

VOLTAGE, CURRENT_DENSITY = 0, 1


class CyclingPlot(LiveTimeSeries):
    """Voltage (V) and current density (mA/cm²) against time (s, min or h)."""

    def __init__(self, time_unit: str = "h", parent: QWidget | None = None) -> None:
        super().__init__(n_columns=2, time_unit=time_unit, parent=parent)
        self.voltage_plot = self._add_plot("Voltage", "V")
        self.current_plot = self._add_plot("Current density", "mA/cm²")
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 2)
        self.voltage_curve = self._add_curve(self.voltage_plot, VOLTAGE, _style.colour(0))
        self.current_curve = self._add_curve(self.current_plot, CURRENT_DENSITY, _style.colour(1))

    #: the least voltage span shown (V): a steady voltage is drawn steady, not its noise magnified
    MIN_VOLTAGE_SPAN_V = 0.01

    def refresh(self, force: bool = False) -> bool:
        drew = super().refresh(force)
        if drew:
            self._keep_voltage_span()
        return drew

    def _keep_voltage_span(self) -> None:
        x, y = self.voltage_curve.getData()
        vb = self.voltage_plot.getViewBox()
        finite = y[np.isfinite(y)] if y is not None and len(y) else np.empty(0)
        if finite.size and finite.max() - finite.min() < self.MIN_VOLTAGE_SPAN_V:
            middle = 0.5 * (finite.max() + finite.min())
            vb.setYRange(middle - self.MIN_VOLTAGE_SPAN_V / 2, middle + self.MIN_VOLTAGE_SPAN_V / 2, padding=0)
        elif not vb.autoRangeEnabled()[1]:
            vb.enableAutoRange(axis="y")

    def append(self, time_s, voltage_v, current_density_mA_cm2) -> None:
        """Store one point (scalars) or a block of points (arrays); drawn at the next frame.

        Time must not go backwards (ValueError).
        """
        self._append(time_s, voltage_v, current_density_mA_cm2)

    def mark_pause(self, time_s: float) -> None:
        """The current was switched off at ``time_s``: the voltage stops, the current drops to zero."""
        n = len(self.buffer)
        if n and time_s < self.buffer.x[-1]:
            time_s = float(self.buffer.x[-1])
        last_j = float(self.buffer.y(CURRENT_DENSITY)[-1]) if n else 0.0
        self._append([time_s, time_s], [math.nan, math.nan], [last_j, 0.0])

    def mark_resume(self, time_s: float) -> None:
        """The current is on again from ``time_s``: zero current up to then, a gap in the voltage."""
        n = len(self.buffer)
        if n and time_s < self.buffer.x[-1]:
            time_s = float(self.buffer.x[-1])
        self._append(time_s, math.nan, 0.0)
