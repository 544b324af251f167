"""The interface resistance of a Na|NZSP|Na spectrum: one method, with an honest uncertainty.

``interface_resistance(frequency_hz, z, area_cm2=...)`` is the single source of the number the window,
the store, the exports and the command line show. R_int is in Ohm cm2, symmetric-cell convention
(R_int = R * area / 2: two identical interfaces in series).

How it is obtained:

1. The paper's circuit R0-L0-(R|CPE)-(R|CPE) is fitted with each arc held in its physical class
   (:mod:`workbench.impedance.two_arcs`): the grain-boundary arc nF (apex near 1 MHz), the interface
   arc ~uF per cm2 of electrode. The arcs are named by that class, so a re-fit never swaps them and the
   grain-boundary arc is never reported as the interface.
2. Uncertainty: the linearised standard error where it is reliable (the interface resistance known to
   better than ``LINEAR_MAX_REL_STDERR``, no parameter on a bound); otherwise the profile-likelihood
   interval (chi-square within 4 noise variances of its minimum, ~95 %) is reported as
   value +- 2 stderr, the value being the middle of that interval.
3. Method: "interface arc" when the interval excludes 0 and the arc's apex lies in the measured band;
   "partial arc below f_min" when the apex lies below the lowest frequency and the data still bound
   the arc; when the spectrum shows no interface arc (the interval reaches 0), the estimate the paper
   uses for such spectra, Z'data(f_min) - Z'fit(f -> 0) with the grain-boundary arc alone (Krauskopf
   et al. 2020), with its standard error from the fit's own residual noise at the lowest frequencies
   (leverage-corrected, widened for the few residuals it rests on); "not resolved" when that
   is not above twice its error either: a value >= 0 and an upper bound, "not resolved: < X Ohm cm2".

A resistance is never negative: every value and bound is >= 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.stats

from workbench.impedance.two_arcs import C1, C2, L0, N1, N2, R0, R1, R2, TwoArcFit

CIRCUIT = "R0-L0-p(R1,CPE1)-p(R2,CPE2)"
LINEAR_MAX_REL_STDERR = 0.02
PROFILE_LEVEL = 4.0  # chi-square rise, in noise variances, bounding the ~95 % interval
KRAUSKOPF_POINTS = 10  # lowest frequencies whose residuals give the noise of Z'data(f_min)

METHOD_ARC = "interface arc"
METHOD_PARTIAL = "partial arc below f_min"
METHOD_KRAUSKOPF = "Z'data(f_min) - Z'fit(f->0)"
METHOD_NOT_RESOLVED = "not resolved"


@dataclass(frozen=True)
class ArcValues:
    """One fitted arc, named by its physical class."""

    name: str  # "grain boundary" or "interface"
    r_ohm: float
    r_ohm_cm2: float
    capacitance_f: float
    n: float
    apex_frequency_hz: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class InterfaceResistance:
    """The interface resistance of one spectrum and how it was obtained (see the module docstring)."""

    value_ohm_cm2: float
    stderr_ohm_cm2: float
    method: str
    resolved: bool
    upper_bound_ohm_cm2: float | None = None  # when not resolved
    lower_bound_ohm_cm2: float | None = None  # when a partial arc is bounded only from below
    interval_ohm_cm2: tuple[float, float] = (0.0, math.inf)  # ~95 % (value +- 2 stderr, or the bound)
    uncertainty: str = "linearised"  # or "profile likelihood", "residual noise"
    area_cm2: float = float("nan")
    circuit: str = CIRCUIT
    arcs: tuple[ArcValues, ...] = ()
    parameters: dict = field(default_factory=dict)
    noise_rel: float = float("nan")  # relative noise per part, from the residuals
    f_min_hz: float = float("nan")

    @property
    def r_interface_ohm_cm2(self) -> float:
        """The value (Ohm cm2); read ``resolved`` and ``text()`` before quoting it."""
        return self.value_ohm_cm2

    def arc(self, name: str) -> ArcValues | None:
        return next((a for a in self.arcs if a.name == name), None)

    def text(self) -> str:
        """The one line to show, e.g. "24.2 ± 0.3 Ω cm² (interface arc)" or "not resolved: < 0.4 Ω cm²"."""
        if not self.resolved:
            if self.lower_bound_ohm_cm2 is not None:
                return f"not resolved: > {_round_down(self.lower_bound_ohm_cm2)} Ω cm² ({self.method})"
            return f"not resolved: < {_round_up(self.upper_bound_ohm_cm2)} Ω cm²"
        return f"{_with_error(self.value_ohm_cm2, self.stderr_ohm_cm2)} Ω cm² ({self.method})"

    def to_dict(self) -> dict:
        """Plain values (JSON-ready: no inf or NaN, None instead) for the store and exports."""
        lo, hi = self.interval_ohm_cm2
        return _json_ready({
            "quantity": "interface resistance",
            "unit": "Ohm cm2",
            "value_ohm_cm2": self.value_ohm_cm2,
            "stderr_ohm_cm2": self.stderr_ohm_cm2,
            "upper_bound_ohm_cm2": self.upper_bound_ohm_cm2,
            "lower_bound_ohm_cm2": self.lower_bound_ohm_cm2,
            "interval_95_ohm_cm2": [lo, hi if math.isfinite(hi) else None],
            "method": self.method,
            "resolved": self.resolved,
            "uncertainty": self.uncertainty,
            "text": self.text(),
            "circuit": self.circuit,
            "area_cm2": self.area_cm2,
            "arcs": [a.to_dict() for a in self.arcs],
            "parameters": dict(self.parameters),
            "noise_rel": self.noise_rel,
            "f_min_hz": self.f_min_hz,
        })

    @classmethod
    def from_dict(cls, data: dict) -> InterfaceResistance:
        """The result again from its ``to_dict()`` (as the store keeps it): None stands for what was not
        finite (an infinite error or upper end of the interval, an unknown noise)."""
        def number(key, missing=math.nan):
            value = data.get(key)
            return missing if value is None else float(value)

        lo, hi = (list(data.get("interval_95_ohm_cm2") or [0.0, None]) + [None])[:2]
        return cls(
            value_ohm_cm2=number("value_ohm_cm2"),
            stderr_ohm_cm2=number("stderr_ohm_cm2", math.inf),
            method=str(data.get("method", "")),
            resolved=bool(data.get("resolved", False)),
            upper_bound_ohm_cm2=None if data.get("upper_bound_ohm_cm2") is None else float(data["upper_bound_ohm_cm2"]),
            lower_bound_ohm_cm2=None if data.get("lower_bound_ohm_cm2") is None else float(data["lower_bound_ohm_cm2"]),
            interval_ohm_cm2=(0.0 if lo is None else float(lo), math.inf if hi is None else float(hi)),
            uncertainty=str(data.get("uncertainty", "")),
            area_cm2=number("area_cm2"),
            circuit=str(data.get("circuit", CIRCUIT)),
            arcs=tuple(ArcValues(**{k: arc[k] for k in ("name", "r_ohm", "r_ohm_cm2", "capacitance_f", "n",
                                                        "apex_frequency_hz")}) for arc in data.get("arcs") or ()),
            parameters=dict(data.get("parameters") or {}),
            noise_rel=number("noise_rel"),
            f_min_hz=number("f_min_hz"),
        )


def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _with_error(value: float, err: float) -> str:
    if not (err > 0 and math.isfinite(err)):
        return f"{value:.4g}"
    decimals = max(0, 1 - math.floor(math.log10(err)))
    return f"{value:.{decimals}f} ± {err:.{decimals}f}"


def _two_figures(x: float, rounding) -> str:
    if not (x > 0 and math.isfinite(x)):
        return "0" if x == 0 else f"{x:g}"
    exp = math.floor(math.log10(x)) - 1
    scaled = rounding(x / 10 ** exp) * 10 ** exp
    decimals = max(0, -exp)
    return f"{scaled:.{decimals}f}"


def _round_up(x: float) -> str:
    return _two_figures(x, math.ceil)


def _round_down(x: float) -> str:
    return _two_figures(x, math.floor)


def _check_input(frequency_hz, z, area_cm2):
    f = np.asarray(frequency_hz, dtype=float).ravel()
    z = np.asarray(z, dtype=complex).ravel()
    if f.shape != z.shape:
        raise ValueError(f"{f.size} frequencies but {z.size} impedance values")
    if not (np.all(np.isfinite(f)) and np.all(f > 0)):
        raise ValueError("frequencies must be positive and finite")
    if not np.all(np.isfinite(z)):
        raise ValueError("the spectrum holds non-finite impedance values (NaN or inf)")
    if not (isinstance(area_cm2, (int, float)) and math.isfinite(area_cm2) and area_cm2 > 0):
        raise ValueError(f"area_cm2 must be a positive number, got {area_cm2!r}")
    if np.unique(f).size < 10:
        raise ValueError(f"{np.unique(f).size} distinct frequencies are too few for the interface resistance "
                         "(the two-arc circuit has 8 parameters; measure at least 10 frequencies)")
    if np.all(np.abs(z) == 0):
        raise ValueError("the spectrum is zero at every frequency: nothing to fit")
    if np.any(np.abs(z) == 0):
        raise ValueError("the spectrum is zero at some frequencies: check the measurement")
    return f, z


def _arcs(fit: TwoArcFit, theta, with_interface: bool) -> tuple[ArcValues, ...]:
    half_area = fit.area_cm2 / 2
    out = [ArcValues("grain boundary", float(theta[R1]), float(theta[R1] * half_area), float(theta[C1]),
                     float(theta[N1]), float(1 / (2 * np.pi * theta[R1] * theta[C1])))]
    if with_interface and theta[R2] > 0:
        out.append(ArcValues("interface", float(theta[R2]), float(theta[R2] * half_area), float(theta[C2]),
                             float(theta[N2]), float(1 / (2 * np.pi * theta[R2] * theta[C2]))))
    return tuple(out)


def _parameters(theta) -> dict:
    return {"R0_ohm": float(theta[R0]), "L0_h": float(theta[L0])}


def interface_resistance(frequency_hz, z, *, area_cm2: float) -> InterfaceResistance:
    """The interface resistance (Ohm cm2, symmetric cell) of one spectrum; see the module docstring."""
    f, z = _check_input(frequency_hz, z, area_cm2)
    with np.errstate(all="ignore"):  # trial steps of the fits may overflow; they are rejected
        return _interface_resistance(f, z, float(area_cm2))


def _interface_resistance(f, z, area_cm2: float) -> InterfaceResistance:
    fit = TwoArcFit(f, z, area_cm2)
    best = fit.best()
    fit.reweight(best)  # each band weighed by its own noise
    best = fit.refine(best.theta, best.free)
    half_area = area_cm2 / 2
    f_min = float(f.min())
    common = {"area_cm2": float(area_cm2), "f_min_hz": f_min}

    r2 = float(best.theta[R2])
    cov, idx = fit.covariance(best)
    se_lin = float(np.sqrt(max(cov[list(idx).index(R2)][list(idx).index(R2)], 0.0))) if r2 > 0 else math.inf
    if r2 > 0 and se_lin <= LINEAR_MAX_REL_STDERR * r2 and not fit.on_bound(best):
        lo, hi = r2 - 2 * se_lin, r2 + 2 * se_lin
        value, se, how = r2, se_lin, "linearised"
    else:
        lo, hi, best = fit.profile(best, PROFILE_LEVEL, scale=se_lin)
        r2 = float(best.theta[R2])
        value, se, how = 0.5 * (lo + hi), 0.25 * (hi - lo), "profile likelihood"
    noise = float(np.median(fit.noise_rel)) * math.sqrt(best.chi2 / fit.dof)
    apex = 1 / (2 * np.pi * best.theta[R2] * best.theta[C2]) if best.theta[R2] > 0 else math.nan
    arcs = _arcs(fit, best.theta, True)
    common.update(arcs=arcs, parameters=_parameters(best.theta), noise_rel=noise)

    pinned_slow = "C2" in fit.on_bound(best) and best.theta[C2] >= 0.5 * fit.hi[C2]
    if lo > 0 and math.isinf(hi) and not pinned_slow:  # a partial arc whose end the data do not reach
        return InterfaceResistance(r2 * half_area, math.inf, METHOD_PARTIAL, False,
                                   lower_bound_ohm_cm2=lo * half_area, interval_ohm_cm2=(lo * half_area, math.inf),
                                   uncertainty=how, **common)
    if lo > 0 and not pinned_slow:
        method = METHOD_ARC if apex >= f_min else METHOD_PARTIAL
        return InterfaceResistance(value * half_area, se * half_area, method, True,
                                   interval_ohm_cm2=(lo * half_area, hi * half_area), uncertainty=how, **common)

    # no interface arc (or only a process slower than any interface arc): the paper's estimate for such
    # spectra, Z'data(f_min) - Z'fit(f->0), Z'fit being the bulk and grain-boundary part of the fit
    one = fit.fixed_r2(0.0, best)
    s2 = one.chi2 / max(2 * f.size - len(one.free), 1)
    slow = fit.low_frequency_process(one, best)
    dc_fit = slow if one.chi2 - slow.chi2 > PROFILE_LEVEL * s2 else one
    k_value, k_se, k_noise = _krauskopf(fit, dc_fit)
    one_common = {**common, "arcs": _arcs(fit, dc_fit.theta, False), "parameters": _parameters(dc_fit.theta),
                  "noise_rel": k_noise}
    if k_value > 2 * k_se:
        interval = ((k_value - 2 * k_se) * half_area, (k_value + 2 * k_se) * half_area)
        return InterfaceResistance(k_value * half_area, k_se * half_area, METHOD_KRAUSKOPF, True,
                                   interval_ohm_cm2=interval, uncertainty="residual noise", **one_common)
    bound = max(hi if lo == 0 else 0.0, max(k_value, 0.0) + 2 * k_se) * half_area
    return InterfaceResistance(bound / 2, bound / 4, METHOD_NOT_RESOLVED, False, upper_bound_ohm_cm2=bound,
                               interval_ohm_cm2=(0.0, bound), uncertainty=how, **one_common)


def _krauskopf(fit: TwoArcFit, one) -> tuple[float, float, float]:
    """Z'data(f_min) - Z'fit(f -> 0) in Ohm, its standard error and the relative noise of the fit.

    The error combines the noise of the data point at f_min and the linearised error of R0 + R1, the
    fit's real part at f -> 0. The noise is the relative residual rms of the ``KRAUSKOPF_POINTS`` lowest
    frequencies, each residual's variance taken as the noise variance times (1 - its leverage): the fit
    follows the points at the end of the band closely (a low-frequency process is fitted to them), so
    their residuals alone would understate the noise of the point read."""
    i = int(np.argmin(fit.frequency_hz))
    noise = _end_noise(fit, one)
    value = float(fit.z[i].real - (one.theta[R0] + one.theta[R1]))
    cov, idx = fit.covariance(one)  # R0 and R1 are free in every fit
    pos = [list(idx).index(R0), list(idx).index(R1)]
    var_dc = float(cov[np.ix_(pos, pos)].sum())
    se = math.sqrt((noise * abs(fit.z[i])) ** 2 + max(var_dc, 0.0))
    return value, se, noise


def _end_noise(fit: TwoArcFit, sol) -> float:
    """Relative noise (per part) at the low-frequency end of the band, corrected for the fit's leverage."""
    z_fit, j = fit.model(sol.theta, want_jac=True)
    jw = j[list(sol.free)] * fit.w
    jr = np.concatenate([jw.real, jw.imag], axis=1).T  # (2 N, free)
    scale = np.sqrt(np.sum(jr * jr, axis=0))
    scale[scale == 0] = 1.0
    u, sv, _ = np.linalg.svd(jr / scale, full_matrices=False)
    u = u[:, sv > np.finfo(float).eps * max(jr.shape) * sv[0]]
    h = np.sum(u * u, axis=1)  # leverage of each residual
    n = fit.z.size
    low = np.argsort(fit.frequency_hz)[:KRAUSKOPF_POINTS]
    e = np.abs(fit.z[low] - z_fit[low]) ** 2 / np.abs(z_fit[low]) ** 2  # both parts
    dof = max(float(np.sum(2.0 - h[low] - h[low + n])), 1.0)
    # the noise is known from ``dof`` residuals only: its error widened as Student's t widens a 95 % interval
    widen = float(scipy.stats.t.ppf(0.975, dof) / scipy.stats.norm.ppf(0.975))
    return float(np.sqrt(np.sum(e) / dof)) * widen
