"""Equivalent-circuit elements: impedance and analytic parameter derivatives.

Conventions follow impedance.py so that circuit strings and fitted values are
interchangeable with that package:

========  ==========  ==================================================  ===============
symbol    parameters  impedance                                           units
========  ==========  ==================================================  ===============
R         R           R                                                   Ohm
C         C           1 / (j w C)                                         F
L         L           j w L                                               H
CPE       Q, n        1 / (Q (j w)^n)                                     Ohm^-1 s^n, 1
W         A_W         A_W (1 - j) / sqrt(w)                               Ohm s^-1/2
Wo        Z0, tau     Z0 coth(sqrt(j w tau)) / sqrt(j w tau)              Ohm, s
Ws        Z0, tau     Z0 tanh(sqrt(j w tau)) / sqrt(j w tau)              Ohm, s
========  ==========  ==================================================  ===============

with w = 2 pi f the angular frequency.  Every element provides its impedance
and the complex derivatives dZ/dp, vectorised over a :class:`FrequencyGrid`;
R, C and CPE also give their admittance Y = 1/Z and dY/dp, which is cheaper
to combine in parallel blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

POSITIVE = "positive"
EXPONENT = "exponent"


class FrequencyGrid:
    """Frequency-dependent quantities shared by all elements, computed once per grid."""

    def __init__(self, frequency_hz):
        self.frequency_hz = np.atleast_1d(np.asarray(frequency_hz, dtype=float))
        self.omega = 2.0 * np.pi * self.frequency_hz

    def __len__(self) -> int:
        return self.frequency_hz.size

    @cached_property
    def cache(self) -> dict:
        """Per-grid storage for derived arrays (e.g. basis functions of the start scan)."""
        return {}

    @cached_property
    def jomega(self) -> np.ndarray:
        return 1j * self.omega

    @cached_property
    def log_jomega(self) -> np.ndarray:
        """Principal log of j w: ln(w) + j pi/2."""
        return np.log(self.omega) + 0.5j * np.pi

    @cached_property
    def warburg_factor(self) -> np.ndarray:
        """(1 - j) / sqrt(w), the semi-infinite Warburg shape."""
        return (1.0 - 1.0j) / np.sqrt(self.omega)


_GRIDS: dict[bytes, FrequencyGrid] = {}
_MAX_GRIDS = 16


def grid_for(frequency_hz) -> FrequencyGrid:
    """FrequencyGrid for an array of frequencies, reused for repeated identical arrays."""
    if isinstance(frequency_hz, FrequencyGrid):
        return frequency_hz
    arr = np.atleast_1d(np.asarray(frequency_hz, dtype=float))
    key = arr.tobytes() + str(arr.shape).encode()
    grid = _GRIDS.get(key)
    if grid is None:
        if len(_GRIDS) >= _MAX_GRIDS:
            _GRIDS.pop(next(iter(_GRIDS)))
        grid = _GRIDS[key] = FrequencyGrid(arr.copy())
    return grid


def _r(grid, p):
    return np.complex128(p[0])


def _r_d(grid, p, z):
    return [np.complex128(1.0)]


def _r_y(grid, p):
    y = 1.0 / p[0]
    return y, [-y * y]


def _c(grid, p):
    return 1.0 / (p[0] * grid.jomega)


def _c_d(grid, p, z):
    return [-z / p[0]]


def _c_y(grid, p):
    return p[0] * grid.jomega, [grid.jomega]


def _l(grid, p):
    return p[0] * grid.jomega


def _l_d(grid, p, z):
    return [grid.jomega]


def _cpe_y(grid, p):
    e = np.exp(p[1] * grid.log_jomega)
    y = p[0] * e
    return y, [e, y * grid.log_jomega]


def _cpe(grid, p):
    return 1.0 / (p[0] * np.exp(p[1] * grid.log_jomega))


def _cpe_d(grid, p, z):
    return [-z / p[0], -z * grid.log_jomega]


def _w(grid, p):
    return p[0] * grid.warburg_factor


def _w_d(grid, p, z):
    return [grid.warburg_factor]


def _finite_warburg_s(grid, tau):
    return np.sqrt(grid.jomega * tau)


def _wo(grid, p):
    s = _finite_warburg_s(grid, p[1])
    return p[0] / (s * np.tanh(s))


def _wo_d(grid, p, z):
    # d/dtau [coth(s)/s] with s = sqrt(j w tau): (-csch^2(s) - coth(s)/s) * s/(2 tau) / s
    s = _finite_warburg_s(grid, p[1])
    coth = 1.0 / np.tanh(s)
    csch2 = coth * coth - 1.0
    return [z / p[0], p[0] * (-csch2 - coth / s) / (2.0 * p[1])]


def _ws(grid, p):
    s = _finite_warburg_s(grid, p[1])
    return p[0] * np.tanh(s) / s


def _ws_d(grid, p, z):
    s = _finite_warburg_s(grid, p[1])
    tanh = np.tanh(s)
    sech2 = 1.0 - tanh * tanh
    return [z / p[0], p[0] * (sech2 - tanh / s) / (2.0 * p[1])]


@dataclass(frozen=True)
class ElementKind:
    """One kind of circuit element (R, C, CPE, ...)."""

    symbol: str
    parameter_kinds: tuple[str, ...]
    units: tuple[str, ...]
    impedance: Callable
    derivatives: Callable
    admittance: Callable | None = None  # (grid, p) -> (Y, [dY/dp ...]), cheaper inside parallel blocks

    @property
    def n_params(self) -> int:
        return len(self.parameter_kinds)

    def parameter_names(self, element_name: str) -> list[str]:
        """impedance.py naming: ``R0`` for one parameter, ``CPE1_0``, ``CPE1_1`` for several."""
        if self.n_params == 1:
            return [element_name]
        return [f"{element_name}_{i}" for i in range(self.n_params)]


ELEMENT_KINDS: dict[str, ElementKind] = {
    kind.symbol: kind
    for kind in (
        ElementKind("R", (POSITIVE,), ("Ohm",), _r, _r_d, _r_y),
        ElementKind("C", (POSITIVE,), ("F",), _c, _c_d, _c_y),
        ElementKind("L", (POSITIVE,), ("H",), _l, _l_d),
        ElementKind("CPE", (POSITIVE, EXPONENT), ("Ohm^-1 s^n", ""), _cpe, _cpe_d, _cpe_y),
        ElementKind("W", (POSITIVE,), ("Ohm s^-1/2",), _w, _w_d),
        ElementKind("Wo", (POSITIVE, POSITIVE), ("Ohm", "s"), _wo, _wo_d),
        ElementKind("Ws", (POSITIVE, POSITIVE), ("Ohm", "s"), _ws, _ws_d),
    )
}
