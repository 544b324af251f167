"""Distribution of relaxation times (DRT) by Tikhonov-regularised nonnegative least squares.

Model on a log-spaced grid tau_k (10 per decade, one decade beyond the
measured band on each side)::

    Z(w) = R_inf + j w L + sum_k gamma_k dlnτ / (1 + j w tau_k),   gamma_k >= 0

gamma is in Ohm per unit ln(tau), so the area under a peak is the resistance of
that process.  Residuals are weighted by 1/|Z|.  The penalty is
lambda ||D gamma||^2 with D the second-difference ("second") or identity
("identity") matrix; R_inf and L are not penalised.

The penalty acts on gamma / max|Z|, so lambda is dimensionless.  Automatic
lambda (a discrepancy-principle heuristic): among lambda = 1e-4 ... 1e2 (two per
decade) take the largest whose rms relative residual is at most 1.5 times the
noise estimate, the noise estimate being the rms residual of the least
regularised fit, floored at 0.2 % (so that noise-free spectra are not fitted
into ringing side lobes).

Peaks: local maxima of gamma inside the measured band (1/(2 pi f_max) <= tau
<= 1/(2 pi f_min)) with a prominence of at least ``min_prominence`` (default
10 %) of max(gamma); each peak's resistance is the area between the
neighbouring minima.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks

LAMBDA_GRID = np.logspace(-4, 2, 13)
DISCREPANCY_FACTOR = 1.5
NOISE_FLOOR = 0.002
POINTS_PER_DECADE = 10


@dataclass(frozen=True)
class DRTPeak:
    tau_s: float
    frequency_hz: float
    gamma_ohm: float
    resistance_ohm: float


@dataclass(frozen=True)
class DRTResult:
    """gamma(tau) in Ohm per ln(tau) on tau_s; r_inf_ohm, inductance_h; the lambda used."""

    tau_s: np.ndarray
    gamma_ohm: np.ndarray
    r_inf_ohm: float
    inductance_h: float
    lambda_: float
    z_fit: np.ndarray
    regularisation: str
    band_tau_s: tuple[float, float]

    def peaks(self, min_prominence: float = 0.10) -> list[DRTPeak]:
        """Arcs as DRT peaks, ordered from short to long time constant."""
        g = self.gamma_ohm
        if not np.any(g > 0):
            return []
        padded = np.concatenate([[0.0], g, [0.0]])
        idx, _ = find_peaks(padded, prominence=min_prominence * g.max())
        idx = idx - 1
        dln = np.log(self.tau_s[1] / self.tau_s[0])
        minima = [0]
        for a, b in zip(idx[:-1], idx[1:], strict=True):
            minima.append(a + int(np.argmin(g[a:b + 1])))
        minima.append(g.size - 1)
        tau_lo, tau_hi = self.band_tau_s
        out = []
        for k, i in enumerate(idx):
            if not tau_lo <= self.tau_s[i] <= tau_hi:
                continue
            area = float(np.sum(g[minima[k]:minima[k + 1] + 1]) * dln)
            out.append(DRTPeak(float(self.tau_s[i]), float(1 / (2 * np.pi * self.tau_s[i])),
                               float(g[i]), area))
        return out


def _tau_grid(frequency_hz):
    lo = np.log10(1.0 / (2 * np.pi * frequency_hz.max())) - 1.0
    hi = np.log10(1.0 / (2 * np.pi * frequency_hz.min())) + 1.0
    return np.logspace(lo, hi, int(round((hi - lo) * POINTS_PER_DECADE)) + 1)


def drt(frequency_hz, z, lambda_: float | None = None, *, regularisation: str = "second",
        with_inductance: bool = True) -> DRTResult:
    """DRT of a spectrum; ``lambda_`` None selects it by GCV (see module docstring)."""
    frequency_hz = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z, dtype=complex)
    omega = 2 * np.pi * frequency_hz
    tau = _tau_grid(frequency_hz)
    dln = np.log(tau[1] / tau[0])
    jw = 1j * omega
    cols = [np.ones_like(jw)]
    if with_inductance:
        cols.append(jw)
    n_head = len(cols)
    kernel = dln / (1.0 + jw[:, None] * tau[None, :])
    a = np.column_stack(cols + [kernel])
    w = 1.0 / np.abs(z)
    a_real = np.concatenate([a.real * w[:, None], a.imag * w[:, None]])
    y = np.concatenate([z.real * w, z.imag * w])
    scale = np.sqrt(np.sum(a_real * a_real, axis=0))
    scale[scale == 0] = 1.0
    a_s = a_real / scale  # unknowns x_s = x * scale
    n_g = tau.size
    if regularisation == "second":
        d = np.diff(np.eye(n_g), 2, axis=0)
    elif regularisation == "identity":
        d = np.eye(n_g)
    else:
        raise ValueError("regularisation must be 'second' or 'identity'")
    # penalty on gamma relative to the spectrum's size: D gamma / R_ref, gamma = x_s / scale
    r_ref = float(np.max(np.abs(z)))
    pen = np.zeros((d.shape[0], a.shape[1]))
    pen[:, n_head:] = d / (scale[n_head:] * r_ref)
    if lambda_ is None:
        lambda_ = _discrepancy_lambda(a_s, pen, y, n_head)
    aug = np.vstack([a_s, np.sqrt(lambda_) * pen])
    rhs = np.concatenate([y, np.zeros(pen.shape[0])])
    x_s, _ = nnls(aug, rhs, maxiter=50 * aug.shape[1])
    x = x_s / scale
    return DRTResult(
        tau_s=tau, gamma_ohm=x[n_head:], r_inf_ohm=float(x[0]),
        inductance_h=float(x[1]) if with_inductance else 0.0, lambda_=float(lambda_),
        z_fit=a @ x, regularisation=regularisation,
        band_tau_s=(float(1 / omega.max()), float(1 / omega.min())),
    )


def _discrepancy_lambda(a, pen, y, n_head) -> float:
    """Largest lambda whose residual rms stays within DISCREPANCY_FACTOR of the noise estimate.

    The noise estimate is the rms of the least regularised nonnegative fit,
    floored at NOISE_FLOOR (so noise-free data are not fitted into ringing).
    """
    rms = []
    for lam in LAMBDA_GRID:
        x, _ = nnls(np.vstack([a, np.sqrt(lam) * pen]), np.concatenate([y, np.zeros(pen.shape[0])]),
                    maxiter=50 * a.shape[1])
        r = y - a @ x
        rms.append(np.sqrt(np.mean(r * r)))
    rms = np.array(rms)
    limit = DISCREPANCY_FACTOR * max(rms[0], NOISE_FLOOR)
    ok = np.flatnonzero(rms <= limit)
    return float(LAMBDA_GRID[ok.max()]) if ok.size else float(LAMBDA_GRID[0])
