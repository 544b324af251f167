"""Quantities derived from fitted circuits: capacitances, apex frequencies, area-specific values.

Units are in the names: ``r_ohm`` (Ohm), ``q`` (CPE coefficient, Ohm^-1 s^n),
``n`` (CPE exponent, 1), ``area_cm2`` (cm2), ``thickness_cm`` (cm),
conductivities in S/cm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_BULK_CONDUCTIVITY_S_CM = 0.015  # NZSP bulk, as measured in the paper


def brug_capacitance_f(r_ohm, q, n):
    """Brug capacitance of an R|CPE arc, C = (Q R)^(1/n) / R, in F."""
    r_ohm = np.asarray(r_ohm, dtype=float)
    return (np.asarray(q) * r_ohm) ** (1.0 / np.asarray(n)) / r_ohm


def q_from_brug_capacitance(c_f, r_ohm, n):
    """Inverse of the Brug formula: Q = (C R)^n / R, in Ohm^-1 s^n."""
    r_ohm = np.asarray(r_ohm, dtype=float)
    return (np.asarray(c_f) * r_ohm) ** np.asarray(n) / r_ohm


def apex_frequency_hz(r_ohm, q, n):
    """Frequency of the top of an R|CPE arc, f = 1 / (2 pi (R Q)^(1/n)), in Hz."""
    return 1.0 / (2.0 * np.pi * (np.asarray(r_ohm) * np.asarray(q)) ** (1.0 / np.asarray(n)))


def area_specific_ohm_cm2(r_ohm, area_cm2, symmetric=True):
    """Area-specific resistance in Ohm cm2: R area, divided by 2 for a symmetric cell (two interfaces)."""
    value = np.asarray(r_ohm) * area_cm2
    return value / 2.0 if symmetric else value


def electrode_area_cm2(diameter_mm):
    """Area of a disc electrode, pi (d / 2)^2 with d converted from mm to cm, in cm2."""
    return np.pi * (np.asarray(diameter_mm) / 20.0) ** 2


def conductivity_s_cm(r_ohm, thickness_cm, area_cm2):
    """Conductivity sigma = thickness / (R area), in S/cm."""
    return thickness_cm / (np.asarray(r_ohm) * area_cm2)


def resistance_ohm(conductivity_s_cm_, thickness_cm, area_cm2):
    """Resistance of a pellet, R = thickness / (sigma area), in Ohm."""
    return thickness_cm / (np.asarray(conductivity_s_cm_) * area_cm2)


@dataclass(frozen=True)
class InterfaceEstimate:
    """Interface resistance from Z'data(f_min) - Z'fit(f -> 0) and the fit used."""

    r_interface_ohm: float
    z_real_data_ohm: float
    z_real_fit_dc_ohm: float
    f_min_hz: float
    fit: object

    def area_specific_ohm_cm2(self, area_cm2: float, symmetric: bool = True) -> float:
        return float(area_specific_ohm_cm2(self.r_interface_ohm, area_cm2, symmetric))


def interface_resistance_without_arc(frequency_hz, z, circuit="R0-L0-p(R1,CPE1)", *,
                                     fit_min_frequency_hz=None, **fit_kwargs) -> InterfaceEstimate:
    """Interface resistance when no interface arc can be resolved (Krauskopf et al. 2020).

    Fits ``circuit`` (which has no interface element) and returns
    R_int = Z'data(f_min) - Z'fit(f -> 0) in Ohm, f_min being the lowest measured
    frequency.  Z'fit(f -> 0) is the fitted real part evaluated at 1e-12 Hz.
    ``fit_min_frequency_hz`` optionally excludes the lowest frequencies from the fit.

    Caveat: the estimate is biased low.  Fitted over the whole spectrum, the
    single R|CPE arc stretches (smaller n) to absorb most of a small interface
    contribution; restrict the fit to the grain-boundary frequencies
    (e.g. ``fit_min_frequency_hz=3e5`` for the paper's cell), which still gives
    ~10 % low values when the arcs overlap.
    """
    from .fitting import fit_circuit

    frequency_hz = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z, dtype=complex)
    keep = np.ones(frequency_hz.shape, bool)
    if fit_min_frequency_hz is not None:
        keep = frequency_hz >= fit_min_frequency_hz
    fit = fit_circuit(circuit, frequency_hz[keep], z[keep], **fit_kwargs)
    i_min = int(np.argmin(frequency_hz))
    z_data = float(z[i_min].real)
    z_dc = float(fit.predict(np.array([1e-12]))[0].real)
    return InterfaceEstimate(z_data - z_dc, z_data, z_dc, float(frequency_hz[i_min]), fit)


def high_frequency_intercept_ohm(frequency_hz, z) -> float:
    """Real part where the spectrum crosses the real axis at the highest frequency, in Ohm.

    Linear interpolation between the two points around the first sign change of
    -Z'' when sweeping down from the highest frequency; without a crossing,
    Z' at the highest frequency.
    """
    order = np.argsort(frequency_hz)[::-1]
    z = np.asarray(z, dtype=complex)[order]
    im = z.imag
    crossing = np.nonzero(np.signbit(im[:-1]) != np.signbit(im[1:]))[0]
    if crossing.size == 0:
        return float(z[0].real)
    i = crossing[0]
    t = im[i] / (im[i] - im[i + 1])
    return float(z[i].real + t * (z[i + 1].real - z[i].real))


def high_frequency_shift_ohm(frequency_hz, z, thickness_cm, area_cm2,
                             bulk_conductivity_s_cm=DEFAULT_BULK_CONDUCTIVITY_S_CM, r_hf_ohm=None) -> float:
    """Real-axis shift (Ohm) that puts the high-frequency intercept on a known bulk conductivity.

    shift = thickness / (sigma_bulk area) - R_HF, with R_HF the fitted R_HF if
    given (``r_hf_ohm``), else :func:`high_frequency_intercept_ohm` of the data.
    Negative when the instrument adds ohmic resistance.  Apply it with
    :func:`apply_high_frequency_shift`.
    """
    if r_hf_ohm is None:
        r_hf_ohm = high_frequency_intercept_ohm(frequency_hz, z)
    return float(resistance_ohm(bulk_conductivity_s_cm, thickness_cm, area_cm2) - r_hf_ohm)


def apply_high_frequency_shift(z, shift_ohm):
    """Spectrum moved along the real axis by shift_ohm (Ohm): Z + shift."""
    return np.asarray(z, dtype=complex) + shift_ohm


@dataclass(frozen=True)
class ArcSummary:
    """One R|CPE arc of a fit, with its derived quantities."""

    resistor: str
    r_ohm: float
    r_stderr_ohm: float
    r_ohm_cm2: float
    q: float
    n: float
    capacitance_f: float
    apex_frequency_hz: float
    #: standard errors propagated from the fit's covariance of R, Q and n (0 for fixed parameters)
    r_stderr_ohm_cm2: float = float("nan")
    n_stderr: float = float("nan")
    capacitance_stderr_f: float = float("nan")
    apex_frequency_stderr_hz: float = float("nan")


def _covariance(fit_result, names: list[str]) -> np.ndarray:
    """The fit's covariance of ``names`` (a fixed parameter, or a fit without correlations: zero rows,
    or the standard errors alone)."""
    stderr = np.array([fit_result.stderr.get(name, 0.0) for name in names], dtype=float)
    cov = np.diag(stderr ** 2)
    free = list(getattr(fit_result, "correlation_names", []) or [])
    corr = getattr(fit_result, "correlation", None)
    if corr is not None and np.ndim(corr) == 2:
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if i != j and a in free and b in free:
                    c = corr[free.index(a), free.index(b)]
                    if np.isfinite(c):
                        cov[i, j] = c * stderr[i] * stderr[j]
    return cov


def _propagated(function, x: np.ndarray, cov: np.ndarray) -> float:
    """The standard error of ``function(x)`` by first-order propagation (central differences)."""
    grad = np.zeros(x.size)
    for k in range(x.size):
        h = 1e-6 * (abs(x[k]) or 1.0)
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        grad[k] = (function(up) - function(down)) / (2 * h)
    variance = float(grad @ cov @ grad)
    return float(np.sqrt(variance)) if np.isfinite(variance) and variance >= 0 else float("nan")


def _rqn(p: np.ndarray) -> tuple:
    return p[0], p[1], (p[2] if p.size > 2 else 1.0)


def arc_summary(fit_result, area_cm2, symmetric=True) -> list[ArcSummary]:
    """Per R|CPE (or R|C) arc of a fit: R in Ohm and Ohm cm2, Q, n, Brug C (F), apex frequency (Hz),
    each with its standard error (propagated from the fit's covariance of R, Q and n)."""
    from .circuits import find_arcs

    values, stderr = fit_result.values, fit_result.stderr
    rows = []
    for arc in find_arcs(fit_result.circuit):
        r = values[arc.r_name]
        q = values[arc.q_name]
        n = values[arc.n_name] if arc.n_name else 1.0
        names = [arc.r_name, arc.q_name] + ([arc.n_name] if arc.n_name else [])
        x = np.array([values[name] for name in names], dtype=float)
        cov = _covariance(fit_result, names)

        rows.append(ArcSummary(
            resistor=arc.resistor,
            r_ohm=r,
            r_stderr_ohm=stderr[arc.r_name],
            r_ohm_cm2=float(area_specific_ohm_cm2(r, area_cm2, symmetric)),
            q=q,
            n=n,
            capacitance_f=float(brug_capacitance_f(r, q, n)),
            apex_frequency_hz=float(apex_frequency_hz(r, q, n)),
            r_stderr_ohm_cm2=float(area_specific_ohm_cm2(stderr[arc.r_name], area_cm2, symmetric)),
            n_stderr=float(stderr.get(arc.n_name, 0.0)) if arc.n_name else 0.0,
            capacitance_stderr_f=_propagated(lambda p: brug_capacitance_f(*_rqn(p)), x, cov),
            apex_frequency_stderr_hz=_propagated(lambda p: apex_frequency_hz(*_rqn(p)), x, cov),
        ))
    return rows
