"""Live plot of the cell temperature and the temperature controller's setpoint against time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ui.plots import _style
from ui.plots._timeseries import LiveTimeSeries

TEMPERATURE, SETPOINT = 0, 1


class TemperaturePlot(LiveTimeSeries):
    """Temperature (°C, solid) and setpoint (°C, dashed) against time (s, min or h)."""

    def __init__(self, time_unit: str = "h", parent: QWidget | None = None) -> None:
        super().__init__(n_columns=2, time_unit=time_unit, parent=parent)
        self.plot = self._add_plot("Temperature", "°C")
        _style.legend(self.plot)
        self.temperature_curve = self._add_curve(self.plot, TEMPERATURE, _style.colour(1), name="temperature")
        self.setpoint_curve = self._add_curve(self.plot, SETPOINT, _style.FOREGROUND, name="setpoint",
                                              style=Qt.DashLine)

    def append(self, time_s, temperature_c, setpoint_c) -> None:
        """Store one reading (scalars) or a block (arrays); drawn at the next frame."""
        self._append(time_s, temperature_c, setpoint_c)
