"""Nyquist plot of impedance spectra: -Z'' against Z', with equal scales on both axes.

As in the paper's Figure 1: measured points as open circles, the point nearest each frequency decade as a
filled circle with its label ("1 MHz", "10 kHz"...), the fit as a solid line, several spectra overlaid
with a legend to compare cells. `set_normalisation(area_cm2, symmetric=True)` switches the axes from Ohm
to Ohm cm² (values times the electrode area, divided by two for a symmetric cell).

Clip-to-view and auto-downsampling stay off here: both assume increasing x, which Z' is not (inductive
tails, overlapping arcs), and a spectrum has at most a few hundred points.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from ui.plots import _style
from ui.plots._spectra import LIVE, LiveSpectraPlot, Spectrum, decade_indices, format_frequency

__all__ = ["LIVE", "NyquistPlot"]


class NyquistPlot(LiveSpectraPlot):
    """-Z'' against Z' (Ohm or Ohm cm²), equal aspect, decade markers, fits, several spectra."""

    MARKER_SIZE = 7
    DECADE_MARKER_SIZE = 8

    def __init__(self, label_decades: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_decades = label_decades
        self.plot = self.graphics.addPlot()
        _style.style_plot(self.plot)
        self.plot.setAspectLocked(True, ratio=1.0)
        self.legend = _style.legend(self.plot)
        self._update_labels()

    def _update_labels(self) -> None:
        _style.set_label(self.plot, "bottom", "Z′", self.impedance_unit)
        _style.set_label(self.plot, "left", "−Z″", self.impedance_unit)

    def decade_markers(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(decade frequencies in Hz, Z', -Z'') of the decade markers of spectrum `name`, in display units."""
        f, zr, zi = self._spectra[name].arrays()
        decades, idx = decade_indices(f)
        scale = self.impedance_scale
        return decades, zr[idx] * scale, -zi[idx] * scale

    def _draw(self, name: str, spectrum: Spectrum) -> None:
        items = spectrum.items
        if not items:
            items["data"] = _style.add_markers(self.plot, spectrum.colour, name=name, size=self.MARKER_SIZE,
                                               sorted_x=False)
            items["fit"] = _style.add_line(self.plot, spectrum.colour, sorted_x=False)
            items["decades"] = _style.add_markers(self.plot, spectrum.colour, filled=True,
                                                  size=self.DECADE_MARKER_SIZE, sorted_x=False)
            items["labels"] = []
        scale = self.impedance_scale
        _, zr, zi = spectrum.arrays()
        items["data"].setData(zr * scale, -zi * scale)
        if spectrum.fit is None:
            items["fit"].setData([], [])
        else:
            _, fit_zr, fit_zi = spectrum.fit
            items["fit"].setData(fit_zr * scale, -fit_zi * scale)
        _, x, y = self.decade_markers(name)
        items["decades"].setData(x, y)

    def refresh(self, force: bool = False) -> bool:
        drew = super().refresh(force)
        if drew:
            self._place_labels()
        return drew

    def _place_labels(self) -> None:
        """Label the decade markers, skipping a label that would sit on one already placed (a crowded
        end of an arc, or overlaid spectra): closer than 4 % of the data span."""
        for spectrum in self._spectra.values():
            for label in spectrum.items.get("labels", []):
                self.plot.removeItem(label)
            if spectrum.items:
                spectrum.items["labels"] = []
        if not self.label_decades:
            return
        markers = [(name, *self.decade_markers(name)) for name in self._spectra]
        all_x = np.concatenate([m[2] for m in markers] + [np.empty(0)])
        all_y = np.concatenate([m[3] for m in markers] + [np.empty(0)])
        if all_x.size == 0:
            return
        span = max(np.ptp(all_x), np.ptp(all_y), 1e-300)
        placed: list[tuple[float, float]] = []
        for name, decades, x, y in markers:
            spectrum = self._spectra[name]
            for f, xi, yi in zip(decades, x, y, strict=True):
                if any(np.hypot(xi - px, yi - py) < 0.04 * span for px, py in placed):
                    continue
                label = pg.TextItem(format_frequency(f), color=spectrum.colour, anchor=(-0.15, 1.0))
                label.setPos(xi, yi)
                self.plot.addItem(label, ignoreBounds=True)
                spectrum.items["labels"].append(label)
                placed.append((xi, yi))

    def decade_labels(self, name: str) -> list[str]:
        """The texts of the decade labels shown for spectrum `name`."""
        return [label.toPlainText() for label in self._spectra[name].items.get("labels", [])]

    def _remove_items(self, name: str, spectrum: Spectrum) -> None:
        for key, item in spectrum.items.items():
            for graphics_item in item if key == "labels" else [item]:
                self.plot.removeItem(graphics_item)  # and from the legend
        spectrum.items.clear()
