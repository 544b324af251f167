"""Measurement noise of an emulated frequency response analyser.

Relative noise on Z, smallest mid-band and growing at both ends of the band (stray capacitance and
lead inductance at MHz, few cycles integrated at low frequency), shrinking with the number of cycles
integrated (about 1/sqrt(cycles), up to a floor). Orders of magnitude follow a 1260-class analyser with a 50 mV
excitation on a ~60 Ohm cell: ~1e-4 relative mid-band, ~1e-2 at 10 MHz.
"""

from __future__ import annotations

import numpy as np


def relative_noise(frequency_hz, integration_cycles) -> np.ndarray:
    f = np.asarray(frequency_hz, dtype=float)
    # beyond ~1000 cycles the correlator's own floor dominates
    cycles = np.clip(np.asarray(integration_cycles, dtype=float), 1.0, 1000.0)
    band = 1.0 + (f / 1e6) ** 2 + (2.0 / f)
    return 3e-3 * band / np.sqrt(cycles)


def add_noise(z: np.ndarray, frequency_hz, integration_cycles, rng: np.random.Generator) -> np.ndarray:
    """Z with complex Gaussian noise proportional to |Z|."""
    sigma = relative_noise(frequency_hz, integration_cycles) * np.abs(z)
    return z + sigma * (rng.standard_normal(np.shape(z)) + 1j * rng.standard_normal(np.shape(z)))
