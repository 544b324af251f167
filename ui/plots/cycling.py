"""Live plot of a galvanostatic cycling run: cell voltage and current density against time.

Two x-linked plots share the time axis: voltage (V) on top, current density (mA/cm²) below. Data arrive
through `append` (scalars or arrays), which only stores them; the display timer redraws at ~30 Hz from a
peak-decimated view of the visible range, so hours of data (ten million points) stay fluid. Events such as
a short circuit are marked with `mark_event`; `zoom_to` shows a time window.
"""

from __future__ import annotations

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

    def append(self, time_s, voltage_v, current_density_mA_cm2) -> None:
        """Store one point (scalars) or a block of points (arrays); drawn at the next frame.

        Time must not go backwards (ValueError).
        """
        self._append(time_s, voltage_v, current_density_mA_cm2)
