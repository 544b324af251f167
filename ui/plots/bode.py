"""Bode plot of impedance spectra: |Z| (log scale) and -phase (deg) against frequency (log scale).

Two plots share the frequency axis. Measured points are open circles, fits solid lines, several spectra
overlaid with a legend; `add_point` fills a spectrum live (drawn at display rate). |Z| follows the same
Ohm / Ohm cm² normalisation as the Nyquist plot. The phase is shown as -phase, positive for a capacitive
arc, as -Z'' is in the Nyquist plot.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from ui.plots import _style
from ui.plots._spectra import LIVE, LiveSpectraPlot, Spectrum

__all__ = ["LIVE", "BodePlot", "magnitude_phase"]


def magnitude_phase(frequency_hz, z_real_ohm, z_imag_ohm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted by increasing frequency: frequency_hz, |Z| (Ohm) and -phase (deg)."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    order = np.argsort(f, kind="stable")
    zr = np.asarray(z_real_ohm, dtype=np.float64)[order]
    zi = np.asarray(z_imag_ohm, dtype=np.float64)[order]
    return f[order], np.hypot(zr, zi), -np.degrees(np.arctan2(zi, zr))


class BodePlot(LiveSpectraPlot):
    """|Z| and -phase against log frequency, data and fits, several spectra."""

    MARKER_SIZE = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.magnitude_plot = self.graphics.addPlot(row=0, col=0)
        self.phase_plot = self.graphics.addPlot(row=1, col=0)
        for plot in (self.magnitude_plot, self.phase_plot):
            _style.style_plot(plot)
            plot.getAxis("left").setWidth(60)
        self.magnitude_plot.setLogMode(x=True, y=True)
        self.phase_plot.setLogMode(x=True, y=False)
        self.phase_plot.setXLink(self.magnitude_plot)
        self.magnitude_plot.getAxis("bottom").setStyle(showValues=False)
        _style.set_label(self.phase_plot, "left", "−Phase", "°")
        _style.set_label(self.phase_plot, "bottom", "Frequency", "Hz")
        self.legend = _style.legend(self.magnitude_plot)
        self._update_labels()

    def _update_labels(self) -> None:
        _style.set_label(self.magnitude_plot, "left", "|Z|", self.impedance_unit)

    def _draw(self, name: str, spectrum: Spectrum) -> None:
        items = spectrum.items
        if not items:
            c = spectrum.colour
            items["magnitude"] = _style.add_markers(self.magnitude_plot, c, name=name, size=self.MARKER_SIZE)
            items["phase"] = _style.add_markers(self.phase_plot, c, size=self.MARKER_SIZE)
            items["magnitude_fit"] = _style.add_fit_line(self.magnitude_plot, c)
            items["phase_fit"] = _style.add_fit_line(self.phase_plot, c)
        f, magnitude, phase = magnitude_phase(*spectrum.arrays())
        keep = f > 0  # log axes
        items["magnitude"].setData(f[keep], magnitude[keep] * self.scale_for(spectrum))
        items["phase"].setData(f[keep], phase[keep])
        if spectrum.fit is None:
            items["magnitude_fit"].setData([], [])
            items["phase_fit"].setData([], [])
        else:
            f, magnitude, phase = magnitude_phase(*spectrum.fit)
            keep = f > 0
            items["magnitude_fit"].setData(f[keep], magnitude[keep] * self.scale_for(spectrum))
            items["phase_fit"].setData(f[keep], phase[keep])

    def _remove_items(self, name: str, spectrum: Spectrum) -> None:
        for key, item in spectrum.items.items():
            plot = self.phase_plot if key.startswith("phase") else self.magnitude_plot
            plot.removeItem(item)
        spectrum.items.clear()

    @property
    def plots(self) -> list[pg.PlotItem]:
        return [self.magnitude_plot, self.phase_plot]
