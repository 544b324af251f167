"""The machinery shared by the impedance plots (Nyquist, Bode): named spectra, live filling, fits, units.

Each spectrum is a name (the legend entry, e.g. the cell), its points (frequency in Hz, Z' and Z'' in Ohm,
Z'' with its measured sign, negative for a capacitive arc) and optionally a fitted curve. `add_point` and
`set_spectrum` only store; a timer at display rate redraws the spectra that changed, once per frame.

Values can be shown in Ohm or normalised to the electrode area in Ohm cm²; for a symmetric cell
(Na|NZSP|Na) they are also divided by two, so that one interface is shown (as in the paper's Figure 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.plots import _style
from ui.plots._timeseries import FRAME_INTERVAL_MS
from ui.plots.buffer import SeriesBuffer

LIVE = "live"
SI_PREFIXES = {-3: "m", 0: "", 3: "k", 6: "M", 9: "G"}


def format_frequency(frequency_hz: float) -> str:
    """'1 MHz', '100 kHz', '10 Hz', '100 mHz'... (three significant digits at most)."""
    if frequency_hz <= 0 or not np.isfinite(frequency_hz):
        raise ValueError(f"not a frequency: {frequency_hz!r}")
    exponent = int(np.floor(np.log10(frequency_hz) / 3 + 1e-9)) * 3
    exponent = min(max(exponent, -3), 9)
    value = frequency_hz / 10.0**exponent
    return f"{value:.3g} {SI_PREFIXES[exponent]}Hz"


def decade_indices(frequency_hz: np.ndarray, tolerance_decades: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """For each decade 10**k within the measured frequencies, the index of the point nearest to it (in
    log frequency) if closer than `tolerance_decades`. Returns (decade frequencies in Hz, indices)."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    good = np.flatnonzero(np.isfinite(f) & (f > 0))
    if good.size == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    log_f = np.log10(f[good])
    decades = np.arange(np.ceil(log_f.min() - tolerance_decades), np.floor(log_f.max() + tolerance_decades) + 1)
    nearest = np.abs(log_f[None, :] - decades[:, None]).argmin(axis=1)
    close = np.abs(log_f[nearest] - decades) <= tolerance_decades
    return 10.0 ** decades[close], good[nearest[close]]


@dataclass
class Spectrum:
    """The points of one spectrum, its fit, and the graphics items that show it (owned by the plot)."""

    colour: str
    points: SeriesBuffer = field(default_factory=lambda: SeriesBuffer(2, require_sorted_x=False))
    fit: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # frequency_hz, z_real_ohm, z_imag_ohm
    items: dict = field(default_factory=dict)
    dirty: bool = True
    #: the electrode area of the sample this spectrum was measured on (cm²), for Ohm cm²
    area_cm2: float | None = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """frequency_hz, z_real_ohm, z_imag_ohm of the points."""
        return self.points.x, self.points.y(0), self.points.y(1)


class LiveSpectraPlot(QWidget):
    """Base widget: named spectra with fits, redrawn at display rate. Subclasses implement `_draw`
    (create or update the items of one spectrum), `_remove_items` and `_update_labels`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = _style.new_layout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self._spectra: dict[str, Spectrum] = {}
        self._n_created = 0
        self._area_cm2: float | None = None
        self._symmetric = True
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self._on_frame)
        self._timer.start()

    # -- units -----------------------------------------------------------------------------------------
    def set_normalisation(self, area_cm2: float | None, symmetric: bool = True) -> None:
        """Show Ohm (`area_cm2=None`) or Ohm cm²: values times the electrode area, divided by two for a
        symmetric cell (two identical interfaces in series). Each spectrum given its own area (`set_area`,
        or `set_spectrum(..., area_cm2=)`) is scaled by it; `area_cm2` is for the others."""
        if area_cm2 is not None and not area_cm2 > 0:
            raise ValueError(f"electrode area must be positive, got {area_cm2!r} cm²")
        self._area_cm2 = None if area_cm2 is None else float(area_cm2)
        self._symmetric = bool(symmetric)
        self._update_labels()
        for spectrum in self._spectra.values():
            spectrum.dirty = True
        self.refresh()

    @property
    def impedance_scale(self) -> float:
        """Factor from Ohm to the displayed unit (for a spectrum without an area of its own)."""
        return self.scale_for(None)

    def scale_for(self, spectrum: Spectrum | None) -> float:
        """Factor from Ohm to the displayed unit for `spectrum`: by the area it was measured with."""
        if self._area_cm2 is None:
            return 1.0
        area = spectrum.area_cm2 if spectrum is not None and spectrum.area_cm2 else self._area_cm2
        return area / 2.0 if self._symmetric else area

    def set_area(self, name: str, area_cm2: float | None) -> None:
        """The electrode area (cm²) of the sample spectrum `name` was measured on."""
        spectrum = self._spectrum(name)
        spectrum.area_cm2 = None if area_cm2 is None else float(area_cm2)
        spectrum.dirty = True

    @property
    def impedance_unit(self) -> str:
        return "Ω" if self._area_cm2 is None else "Ω cm²"

    # -- data ------------------------------------------------------------------------------------------
    def _spectrum(self, name: str) -> Spectrum:
        if name not in self._spectra:
            self._spectra[name] = Spectrum(colour=_style.colour(self._n_created))
            self._n_created += 1
        return self._spectra[name]

    def set_spectrum(self, name: str, frequency_hz, z_real_ohm, z_imag_ohm, area_cm2: float | None = None) -> None:
        """Show (or replace) the spectrum `name`: Z = Z' + j Z'' in Ohm at each frequency, measured on
        electrodes of `area_cm2` (for Ohm cm²)."""
        spectrum = self._spectrum(name)
        spectrum.points.clear()
        spectrum.points.append(frequency_hz, z_real_ohm, z_imag_ohm)
        if area_cm2 is not None:
            spectrum.area_cm2 = float(area_cm2)
        spectrum.dirty = True

    def rename_spectrum(self, old: str, new: str) -> None:
        """Give spectrum `old` the name `new` (its legend entry), keeping its points, fit and colour."""
        spectrum = self._spectra.pop(old)
        self._remove_items(old, spectrum)
        if new in self._spectra:
            self.remove_spectrum(new)
        self._spectra[new] = spectrum
        spectrum.dirty = True

    def add_point(self, frequency_hz: float, z_real_ohm: float, z_imag_ohm: float, name: str = LIVE) -> None:
        """Append one measured point (or arrays of points) to spectrum `name`; drawn at the next frame."""
        spectrum = self._spectrum(name)
        spectrum.points.append(frequency_hz, z_real_ohm, z_imag_ohm)
        spectrum.dirty = True

    def set_fit(self, name: str, frequency_hz, z_real_ohm, z_imag_ohm) -> None:
        """Overlay the fitted impedance of spectrum `name` as a solid line."""
        arrays = tuple(np.asarray(a, dtype=np.float64).ravel() for a in (frequency_hz, z_real_ohm, z_imag_ohm))
        if len({a.shape for a in arrays}) != 1:
            raise ValueError("frequency_hz, z_real_ohm and z_imag_ohm must have the same length")
        spectrum = self._spectrum(name)
        spectrum.fit = arrays
        spectrum.dirty = True

    def clear_fit(self, name: str | None = None) -> None:
        """Remove the fit of `name` (of every spectrum if None)."""
        for key, spectrum in self._spectra.items():
            if name is None or key == name:
                spectrum.fit = None
                spectrum.dirty = True

    def remove_spectrum(self, name: str) -> None:
        spectrum = self._spectra.pop(name)
        self._remove_items(name, spectrum)

    def clear(self) -> None:
        """Remove every spectrum."""
        for name in list(self._spectra):
            self.remove_spectrum(name)
        self._n_created = 0

    @property
    def spectrum_names(self) -> list[str]:
        return list(self._spectra)

    def spectrum(self, name: str) -> Spectrum:
        return self._spectra[name]

    # -- drawing ---------------------------------------------------------------------------------------
    def _on_frame(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self, force: bool = False) -> bool:
        """Redraw the spectra that changed since the last frame (all if `force`). Returns True if it drew."""
        drew = False
        for name, spectrum in self._spectra.items():
            if spectrum.dirty or force:
                self._draw(name, spectrum)
                spectrum.dirty = False
                drew = True
        legend = getattr(self, "legend", None)
        if legend is not None and legend.isVisible() != bool(legend.items):
            legend.setVisible(bool(legend.items))  # no empty box over an empty plot
        if drew and legend is not None and hasattr(legend, "place"):
            legend.place()  # out of the way of what was drawn
        return drew

    def _draw(self, name: str, spectrum: Spectrum) -> None:
        raise NotImplementedError

    def _remove_items(self, name: str, spectrum: Spectrum) -> None:
        raise NotImplementedError

    def _update_labels(self) -> None:
        raise NotImplementedError

    def export(self, path) -> None:
        """Write the plot to `path` (.png or .svg)."""
        from ui.plots.export import export_plot

        export_plot(self, path)
