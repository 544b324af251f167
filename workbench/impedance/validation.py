"""Data validation: the linear Kramers-Kronig test (lin-KK) of Schoenleber et al. (2014).

The spectrum is fitted, linearly and in the complex plane with 1/|Z| weights,
by a series resistance, M Voigt (R|C) elements with fixed time constants
tau_k log-spaced from 1/w_max to 1/w_min, and optionally a series inductance
and capacitance.  Such a model is Kramers-Kronig compliant by construction, so
large residuals reveal non-causal, non-linear or time-varying (drifting) data.

M is chosen automatically with the mu criterion: mu = 1 - sum|R_k<0| / sum|R_k>=0|
drops below ``mu_threshold`` (0.85) once the Voigt elements start to fit noise.
Schoenleber et al. stop at the first M with mu < 0.85; with an inductive tail
and depressed (CPE) arcs mu also dips below 0.85 briefly at small M, where the
model under-fits.  We therefore increase M until mu has stayed below the
threshold for MU_PATIENCE (5) consecutive M and keep the largest M with
mu >= 0.85.

Verdict: pass when max(|residual_real|, |residual_imag|) < ``threshold`` with
residuals relative to |Z|.  Default threshold: 1 %.  Random noise of relative
size s on each part produces maxima near 3 s, so 1 % suits spectra with noise
below ~0.3 %; pass a larger threshold for noisier data.

``trusted_max_frequency_hz`` limits the verdict to the frequencies where the
analyser is accurate to better than the threshold: a frequency response
analyser's error grows above about 1 MHz (cables, stray capacitance; the
Solartron 1260's specified accuracy degrades to percents there), which would
otherwise fail every spectrum measured to 13 MHz, while the violations the test
is for (a cell that drifts during the sweep, non-linearity) show at the low-
frequency end, measured last.  The residuals above that frequency are still
returned and reported (``max_residual`` covers all points).

The distribution of relaxation times (DRT) lives in :mod:`.drt` and is
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .drt import DRTPeak, DRTResult, drt

__all__ = ["DRTPeak", "DRTResult", "KramersKronigResult", "drt", "lin_kk"]

DEFAULT_MU_THRESHOLD = 0.85
DEFAULT_RESIDUAL_THRESHOLD = 0.01
MU_PATIENCE = 5


@dataclass(frozen=True)
class KramersKronigResult:
    """Outcome of :func:`lin_kk`; residuals are (Z - Z_KK)/|Z|."""

    frequency_hz: np.ndarray
    z_fit: np.ndarray
    residuals_real: np.ndarray
    residuals_imag: np.ndarray
    n_elements: int
    mu: float
    threshold: float
    max_residual: float
    rms_residual: float
    passed: bool
    tau_s: np.ndarray
    resistances_ohm: np.ndarray
    #: The verdict's band: points at or below this frequency (None: every point).
    trusted_max_frequency_hz: float | None = None
    #: The largest residual within that band (the one compared with ``threshold``).
    max_residual_judged: float | None = None

    @property
    def verdict(self) -> str:
        word = "pass" if self.passed else "fail"
        if self.trusted_max_frequency_hz is not None:
            return (f"lin-KK {word}: max |residual| {100 * self.max_residual_judged:.2f}% up to "
                    f"{self.trusted_max_frequency_hz:g} Hz (threshold {100 * self.threshold:.2f}%), "
                    f"{100 * self.max_residual:.2f}% over the whole band, rms {100 * self.rms_residual:.2f}%, "
                    f"M = {self.n_elements}, mu = {self.mu:.3f}")
        return (f"lin-KK {word}: max |residual| {100 * self.max_residual:.2f}% "
                f"(threshold {100 * self.threshold:.2f}%), rms {100 * self.rms_residual:.2f}%, "
                f"M = {self.n_elements}, mu = {self.mu:.3f}")


def _design(omega, tau, with_inductance, with_capacitance):
    jw = 1j * omega
    columns = [np.ones_like(jw)]
    columns.extend(1.0 / (1.0 + jw * t) for t in tau)
    if with_inductance:
        columns.append(jw)
    if with_capacitance:
        columns.append(1.0 / jw)
    return np.array(columns).T


def _fit(omega, z, weights, m, with_inductance, with_capacitance):
    tau = np.logspace(np.log10(1.0 / omega.max()), np.log10(1.0 / omega.min()), m)
    a = _design(omega, tau, with_inductance, with_capacitance)
    a_real = np.concatenate([a.real * weights[:, None], a.imag * weights[:, None]])
    y = np.concatenate([z.real * weights, z.imag * weights])
    scale = np.sqrt(np.sum(a_real * a_real, axis=0))
    scale[scale == 0] = 1.0
    coef = np.linalg.lstsq(a_real / scale, y, rcond=None)[0] / scale
    r_k = coef[1:1 + m]
    positive = np.sum(r_k[r_k >= 0])
    mu = 1.0 - np.sum(np.abs(r_k[r_k < 0])) / positive if positive > 0 else -np.inf
    return tau, coef, a @ coef, float(mu)


def lin_kk(frequency_hz, z, *, mu_threshold: float = DEFAULT_MU_THRESHOLD,
           threshold: float = DEFAULT_RESIDUAL_THRESHOLD, max_elements: int | None = None,
           with_inductance: bool = True, with_capacitance: bool = False,
           trusted_max_frequency_hz: float | None = None) -> KramersKronigResult:
    """Linear Kramers-Kronig test with automatic number of RC elements (mu criterion); the verdict
    judges the points at or below ``trusted_max_frequency_hz`` (all points when None)."""
    frequency_hz = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z, dtype=complex)
    omega = 2.0 * np.pi * frequency_hz
    weights = 1.0 / np.abs(z)
    n_extra = 1 + int(with_inductance) + int(with_capacitance)
    if max_elements is None:
        max_elements = max(1, z.size - n_extra - 1)
    max_elements = min(max_elements, 2 * z.size - n_extra - 1)
    chosen, below = None, 0
    for m in range(1, max_elements + 1):
        fit = _fit(omega, z, weights, m, with_inductance, with_capacitance)
        if fit[3] >= mu_threshold:
            chosen, below = (m, fit), 0
        else:
            below += 1
            if below >= MU_PATIENCE:
                break
    if chosen is None:
        chosen = (1, _fit(omega, z, weights, 1, with_inductance, with_capacitance))
    m, (tau, coef, z_fit, mu) = chosen
    res_re = (z.real - z_fit.real) * weights
    res_im = (z.imag - z_fit.imag) * weights
    max_res = float(max(np.max(np.abs(res_re)), np.max(np.abs(res_im))))
    rms = float(np.sqrt(np.mean(np.concatenate([res_re, res_im]) ** 2)))
    judged = max_res
    if trusted_max_frequency_hz is not None:
        band = frequency_hz <= trusted_max_frequency_hz
        if not band.any():
            raise ValueError(f"no point at or below {trusted_max_frequency_hz:g} Hz to judge the spectrum by")
        judged = float(max(np.max(np.abs(res_re[band])), np.max(np.abs(res_im[band]))))
    return KramersKronigResult(
        frequency_hz=frequency_hz, z_fit=z_fit, residuals_real=res_re, residuals_imag=res_im,
        n_elements=m, mu=mu, threshold=threshold, max_residual=max_res, rms_residual=rms,
        passed=judged < threshold, tau_s=tau, resistances_ohm=coef[1:1 + m],
        trusted_max_frequency_hz=trusted_max_frequency_hz, max_residual_judged=judged,
    )
