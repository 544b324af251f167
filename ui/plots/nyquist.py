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
        scale = self.scale_for(self._spectra[name])
        return decades, zr[idx] * scale, -zi[idx] * scale

    def _draw(self, name: str, spectrum: Spectrum) -> None:
        items = spectrum.items
        if not items:
            items["data"] = _style.add_markers(self.plot, spectrum.colour, name=name, size=self.MARKER_SIZE,
                                               sorted_x=False)
            items["fit"] = _style.add_fit_line(self.plot, spectrum.colour, sorted_x=False)
            items["decades"] = _style.add_markers(self.plot, spectrum.colour, filled=True,
                                                  size=self.DECADE_MARKER_SIZE, sorted_x=False)
            items["labels"] = []
        scale = self.scale_for(spectrum)
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
            self.legend.place()  # out of the way of the labels too
        return drew

    def _place_labels(self) -> None:
        """Label the decade markers. A label goes right of its marker, or left of it in the right fifth of
        the data; a label that would overlap one already placed (the crowded end of an arc, overlaid
        spectra) is left out. Overlap is judged on a label's rough size relative to the data span."""
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
        right_fifth = all_x.max() - 0.2 * np.ptp(all_x)
        placed: list[tuple[float, float]] = []  # left end and centre height of each label
        for name, decades, x, y in markers:
            spectrum = self._spectra[name]
            for f, xi, yi in zip(decades, x, y, strict=True):
                leftwards = xi > right_fifth and np.ptp(all_x) > 0
                left_end = xi - 0.13 * span if leftwards else xi
                if any(abs(left_end - px) < 0.13 * span and abs(yi - py) < 0.045 * span for px, py in placed):
                    continue
                anchor = (1.1, 1.0) if leftwards else (-0.15, 1.0)
                label = pg.TextItem(format_frequency(f), color=spectrum.colour, anchor=anchor)
                label.setPos(xi, yi)
                self.plot.addItem(label, ignoreBounds=True)
                spectrum.items["labels"].append(label)
                placed.append((left_end, yi))

    def decade_labels(self, name: str) -> list[str]:
        """The texts of the decade labels shown for spectrum `name`."""
        return [label.toPlainText() for label in self._spectra[name].items.get("labels", [])]

    def _remove_items(self, name: str, spectrum: Spectrum) -> None:
        for key, item in spectrum.items.items():
            for graphics_item in item if key == "labels" else [item]:
                self.plot.removeItem(graphics_item)  # and from the legend
        spectrum.items.clear()
