"""Complex nonlinear least-squares fitting of equivalent circuits.

Residuals are the real and imaginary misfits stacked, each divided by a
per-point sigma chosen by ``weighting``:

* ``"modulus"``      sigma = |Z| for both parts (default; relative errors)
* ``"proportional"`` sigma_re = |Z'|, sigma_im = |Z''| (floored at 1e-6 |Z|)
* ``"unit"``         sigma = 1
* an array          per-point sigma; a complex array gives sigma_re = real part,
                     sigma_im = imaginary part

The optimiser (scipy's MINPACK Levenberg-Marquardt with the analytic
Jacobian) works on unconstrained variables (see :mod:`.transforms`): log for
positive parameters, logistic for the CPE exponent in (0, 1).  Without
``initial`` the start comes from :mod:`.guess` (a linear-coefficient grid scan);
the best two distinct starts are refined and the lower cost wins.

Starts are refined one at a time; further grid starts (up to four) are tried
only when a fit looks degenerate (budget exhausted, a CPE exponent pinned near
0 or 1, or a parameter with relative standard error above 100 %), which is
what happens when an arc is hidden in the noise.  Then the lowest cost wins,
but the optimum itself is not unique in any useful sense: e.g. a 0.35 Ohm
interface arc under a 40 Ohm grain-boundary arc with 0.5 % noise cannot be
located, and the best fit may instead split the grain-boundary arc.  Check
``stderr`` before trusting such a resistance.

Speed: the circuit's evaluation plan is parsed once, frequency-dependent
arrays are cached per frequency grid, and everything is vectorised over
frequency; a no-guess fit of the paper's circuit takes a few ms.  The grid
scan uses BLAS on small matrices: for batch fitting on a busy machine set
OPENBLAS_NUM_THREADS=1.

Standard errors: cov = s^2 (J^T J)^-1 with J the weighted Jacobian in parameter
space at the optimum and s^2 the reduced chi-square; fixed parameters have
stderr 0.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from .circuits import Circuit, CircuitError, Parallel, Series, as_circuit, find_arcs
from .derived import brug_capacitance_f
from .elements import EXPONENT
from .guess import generic_starts, structured_starts
from .transforms import Transform

N_GENERIC_STARTS = 12
N_GRID_STARTS = 4
FTOL = 1e-7  # relative cost change: ~3e-5 in chi-square units for 130 points, far below noise
ILL_DETERMINED_REL_STDERR = 1.0


@dataclass
class FitResult:
    """Outcome of :func:`fit_circuit`."""

    circuit: Circuit
    values: dict[str, float]
    stderr: dict[str, float]
    correlation: np.ndarray
    correlation_names: list[str]
    chi_square: float
    reduced_chi_square: float
    residuals_real: np.ndarray
    residuals_imag: np.ndarray
    frequency_hz: np.ndarray
    z: np.ndarray
    fixed: tuple[str, ...]
    weighting: str
    success: bool
    message: str
    n_function_evals: int
    elapsed_s: float
    n_starts: int = 1
    extra: dict = field(default_factory=dict)

    def predict(self, frequency_hz) -> np.ndarray:
        """Fitted impedance (Ohm) at the given frequencies."""
        return self.circuit.impedance(np.asarray(frequency_hz, dtype=float), self.values)

    @property
    def cost(self) -> float:
        return 0.5 * self.chi_square

    def report(self) -> str:
        """Plain-text summary: parameters with standard errors, fit statistics."""
        lines = [
            f"Circuit: {self.circuit.text}",
            f"Points: {self.frequency_hz.size}  weighting: {self.weighting}  "
            f"success: {self.success}  evaluations: {self.n_function_evals}  "
            f"time: {self.elapsed_s * 1e3:.1f} ms",
            f"chi-square: {self.chi_square:.4g}  reduced: {self.reduced_chi_square:.4g}",
            f"{'parameter':<10} {'value':>13} {'stderr':>11} {'rel.':>8}  unit",
        ]
        for name, unit in zip(self.circuit.parameter_names, self.circuit.parameter_units, strict=True):
            value, err = self.values[name], self.stderr[name]
            if name in self.fixed:
                err_text, rel_text = "fixed", ""
            else:
                err_text = f"{err:.4g}"
                rel_text = f"{100 * err / abs(value):.2f}%" if value else ""
            lines.append(f"{name:<10} {value:>13.6g} {err_text:>11} {rel_text:>8}  {unit}")
        rms = np.sqrt(np.mean(np.concatenate([self.residuals_real, self.residuals_imag]) ** 2))
        lines.append(f"relative residual rms: {100 * rms:.3f}%")
        return "\n".join(lines)


def _sigmas(z: np.ndarray, weighting) -> tuple[np.ndarray, np.ndarray, str]:
    if isinstance(weighting, str):
        modulus = np.abs(z)
        if weighting == "modulus":
            return modulus, modulus, weighting
        if weighting == "proportional":
            floor = 1e-6 * modulus
            return np.maximum(np.abs(z.real), floor), np.maximum(np.abs(z.imag), floor), weighting
        if weighting == "unit":
            ones = np.ones(z.shape)
            return ones, ones, weighting
        raise ValueError(f"unknown weighting {weighting!r}: use 'modulus', 'proportional', 'unit' "
                         "or an array of sigmas")
    sigma = np.asarray(weighting)
    if sigma.shape != z.shape:
        raise ValueError(f"sigma array has shape {sigma.shape}, data has {z.shape}")
    if np.iscomplexobj(sigma):
        s_re, s_im = sigma.real.astype(float), sigma.imag.astype(float)
    else:
        s_re = s_im = sigma.astype(float)
    if np.any(s_re <= 0) or np.any(s_im <= 0):
        raise ValueError("sigmas must be positive")
    return s_re, s_im, "sigma array"


class _Problem:
    """Weighted residuals and Jacobian in the free variables, for one fit.

    Real and imaginary parts are interleaved (re0, im0, re1, ...), which lets
    complex arrays be viewed as float arrays without copies.
    """

    def __init__(self, circuit, grid, z, s_re, s_im, free, fixed_vector, transform):
        self.circuit = circuit
        self.grid = grid
        self.z = z
        self.weights = np.empty(2 * z.size)
        self.weights[0::2] = 1.0 / s_re
        self.weights[1::2] = 1.0 / s_im
        self.free = free
        self.all_free = free.size == circuit.n_params
        self.base = fixed_vector
        self.transform = transform
        self.n_eval = 0
        self._cache_u = None
        self._cache = None

    def params(self, u):
        p_free, dp = self.transform.to_params(u)
        if self.all_free:
            return p_free, dp
        p = self.base.copy()
        p[self.free] = p_free
        return p, dp

    def _compute(self, u):
        if self._cache_u is not None and np.array_equal(u, self._cache_u):
            return self._cache
        p, dp = self.params(u)
        zf, jac_t = self.circuit.evaluate_transposed(self.grid, p)
        self.n_eval += 1
        res = (zf - self.z).view(float) * self.weights
        if not self.all_free:
            jac_t = jac_t[self.free]
        jac_t = jac_t * dp[:, None]
        jr = (jac_t.view(float) * self.weights).T
        if not np.isfinite(res.sum() + jr.sum()):
            res = np.where(np.isfinite(res), res, 1e150)
            jr = np.where(np.isfinite(jr), jr, 0.0)
        self._cache_u = u.copy()
        self._cache = (res, jr)
        return self._cache

    def residuals(self, u):
        return self._compute(u)[0]

    def jacobian(self, u):
        return self._compute(u)[1]


def _names_to_indices(circuit: Circuit, names: Iterable[str], what: str) -> list[int]:
    out = []
    for name in names:
        if name not in circuit.parameter_names:
            raise CircuitError(f"{what}: {name!r} is not a parameter of {circuit.text!r} "
                               f"({circuit.parameter_names})")
        out.append(circuit.parameter_names.index(name))
    return out


def _initial_map(circuit: Circuit, initial) -> dict[int, float]:
    if initial is None:
        return {}
    if isinstance(initial, Mapping):
        idx = _names_to_indices(circuit, initial.keys(), "initial")
        return {i: float(initial[circuit.parameter_names[i]]) for i in idx}
    vector = circuit.parameter_vector(initial)
    return dict(enumerate(vector))


def _bounds(circuit: Circuit, bounds) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([0.0] * circuit.n_params)
    hi = np.array([1.0 if k == EXPONENT else np.inf for k in circuit.parameter_kinds])
    if bounds:
        for i in _names_to_indices(circuit, bounds.keys(), "bounds"):
            lo[i], hi[i] = (float(b) for b in bounds[circuit.parameter_names[i]])
    return lo, hi


def fit_circuit(circuit, frequency_hz, z, *, initial=None, bounds=None, fixed=None,
                weighting="modulus", max_nfev: int | None = None, order_arcs: bool = True,
                seed: int = 0) -> FitResult:
    """Fit ``circuit`` (Circuit or string) to impedance data ``z`` (Ohm) at ``frequency_hz``.

    initial: None (estimated from the spectrum), a dict (missing parameters are
        estimated) or a full sequence in ``circuit.parameter_names`` order.
    bounds: dict name -> (lo, hi); defaults (0, inf), and (0, 1) for CPE exponents.
    fixed: dict name -> value, or names whose values are taken from ``initial``.
    weighting: "modulus", "proportional", "unit" or an array of per-point sigmas.
    order_arcs: with an estimated start, report interchangeable top-level R|CPE (R|C)
        blocks in order of increasing Brug capacitance (grain boundary before
        interface); blocks with fixed or bounded parameters keep their place.
    seed: for the random restarts used only on circuits the grid scan cannot handle.
    """
    t0 = time.perf_counter()
    circuit = as_circuit(circuit)
    frequency_hz = np.asarray(frequency_hz, dtype=float).ravel()
    z = np.asarray(z, dtype=complex).ravel()
    if frequency_hz.shape != z.shape:
        raise ValueError(f"{frequency_hz.size} frequencies but {z.size} impedance values")
    if not (np.all(np.isfinite(frequency_hz)) and np.all(frequency_hz > 0) and np.all(np.isfinite(z))):
        raise ValueError("frequencies must be positive and finite, impedances finite")
    s_re, s_im, weighting_name = _sigmas(z, weighting)

    given = _initial_map(circuit, initial)
    if fixed is None:
        fixed_map: dict[int, float] = {}
    elif isinstance(fixed, Mapping):
        fixed_map = {i: float(fixed[circuit.parameter_names[i]])
                     for i in _names_to_indices(circuit, fixed.keys(), "fixed")}
    else:
        idx = _names_to_indices(circuit, list(fixed), "fixed")
        missing = [circuit.parameter_names[i] for i in idx if i not in given]
        if missing:
            raise ValueError(f"fixed parameters {missing} need a value: pass fixed as a dict or give initial")
        fixed_map = {i: given[i] for i in idx}
    free = np.array([i for i in range(circuit.n_params) if i not in fixed_map], dtype=int)
    n_obs = 2 * z.size
    if n_obs <= free.size:
        raise ValueError(f"{z.size} points cannot determine {free.size} free parameters")

    lo, hi = _bounds(circuit, bounds)
    transform = Transform(lo[free], hi[free])
    base = np.zeros(circuit.n_params)
    for i, v in fixed_map.items():
        base[i] = v
    grid = circuit.grid(frequency_hz)

    auto_start = len(given) < circuit.n_params
    if not auto_start:
        starts = [np.array([given[i] for i in range(circuit.n_params)])]
    else:
        known = {**given, **fixed_map}
        starts = structured_starts(circuit, grid, z, 1.0 / s_re, 1.0 / s_im, fixed_map,
                                   n_starts=N_GRID_STARTS)
        if starts is None:
            rng = np.random.default_rng(seed)
            starts = generic_starts(circuit, grid, z, fixed_map, N_GENERIC_STARTS - 1, rng)
        for p in starts:
            for i, v in known.items():
                p[i] = v

    problem = _Problem(circuit, grid, z, s_re, s_im, free, base, transform)
    if max_nfev is None:
        max_nfev = 60 * (free.size + 1)
    exponent = np.array([circuit.parameter_kinds[i] == EXPONENT for i in free], dtype=bool)
    best, n_refined = None, 0
    for k, p0 in enumerate(starts):
        if free.size == 0:
            break
        budget = max_nfev if k == 0 else max(max_nfev // 2, 1)
        # trial steps may overflow (R -> 0 or inf); _compute replaces non-finite values
        with np.errstate(all="ignore"):
            sol = least_squares(problem.residuals, transform.to_free(p0[free]), jac=problem.jacobian,
                                method="lm", xtol=1e-8, ftol=FTOL, gtol=1e-10, max_nfev=budget)
        n_refined += 1
        if best is None or sol.cost < best.cost:
            best = sol
        with np.errstate(all="ignore"):
            settled = not _ill_determined(problem, best, exponent, max_nfev)
        if settled:
            break
    if best is None:
        p_opt = base.copy()
        success, message = True, "all parameters fixed"
    else:
        p_opt, _ = problem.params(best.x)
        success, message = bool(best.success), str(best.message)
    if auto_start and order_arcs:
        p_opt = _order_arcs(circuit, p_opt, set(fixed_map) | set(_names_to_indices(circuit, bounds or {}, "")))

    zf, jac = circuit.evaluate(grid, p_opt, want_jac=True)
    diff = zf - z
    res = np.concatenate([diff.real / s_re, diff.imag / s_im])
    chi2 = float(res @ res)
    dof = n_obs - free.size
    red = chi2 / dof
    jf = jac[:, free]
    jw = np.concatenate([jf.real / s_re[:, None], jf.imag / s_im[:, None]])
    cov = _covariance(jw) * red
    std = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(std, std)
    names = circuit.parameter_names
    stderr = {n: 0.0 for n in names}
    for k, i in enumerate(free):
        stderr[names[i]] = float(std[k])
    modulus = np.abs(z)
    return FitResult(
        circuit=circuit,
        values={n: float(v) for n, v in zip(names, p_opt, strict=True)},
        stderr=stderr,
        correlation=corr,
        correlation_names=[names[i] for i in free],
        chi_square=chi2,
        reduced_chi_square=red,
        residuals_real=(z.real - zf.real) / modulus,
        residuals_imag=(z.imag - zf.imag) / modulus,
        frequency_hz=frequency_hz,
        z=z,
        fixed=tuple(names[i] for i in sorted(fixed_map)),
        weighting=weighting_name,
        success=success,
        message=message,
        n_function_evals=problem.n_eval,
        elapsed_s=time.perf_counter() - t0,
        n_starts=n_refined,
    )


def _ill_determined(problem: _Problem, sol, exponent: np.ndarray, max_nfev: int) -> bool:
    """True if a fit looks degenerate and further starts are worth trying.

    Signs: evaluation budget used up, a CPE exponent pinned near 0 or 1, or a
    parameter whose relative standard error exceeds ILL_DETERMINED_REL_STDERR
    (in the log-transformed variables this is the stderr of u).
    """
    if sol.nfev >= max_nfev or not sol.success:
        return True
    p, dp = problem.params(sol.x)
    p_free = p[problem.free]
    if np.any(p_free[exponent] > 0.99) or np.any(p_free[exponent] < 0.4):
        return True
    jac = problem.jacobian(sol.x)
    dof = max(jac.shape[0] - jac.shape[1], 1)
    cov_u = _covariance(jac) * (2.0 * sol.cost / dof)
    rel = np.sqrt(np.clip(np.diag(cov_u), 0, None)) * np.abs(dp) / np.maximum(np.abs(p_free), 1e-300)
    return bool(np.any(rel > ILL_DETERMINED_REL_STDERR))


def _order_arcs(circuit: Circuit, p: np.ndarray, pinned: set[int]) -> np.ndarray:
    """Permute interchangeable top-level arcs so that Brug capacitances increase in string order."""
    root = circuit.root
    terms = root.children if isinstance(root, Series) else (root,)
    top = {id(t) for t in terms}
    arcs = [a for a in find_arcs(circuit) if id(_block_of(circuit, a)) in top]
    groups: dict[bool, list[tuple[int, int, int | None]]] = {}
    for arc in arcs:
        idx = (circuit.parameter_names.index(arc.r_name), circuit.parameter_names.index(arc.q_name),
               circuit.parameter_names.index(arc.n_name) if arc.n_name else None)
        if pinned.intersection(i for i in idx if i is not None):
            continue
        groups.setdefault(arc.n_name is None, []).append(idx)
    p = p.copy()
    for members in groups.values():
        if len(members) < 2:
            continue
        values = [tuple(p[i] if i is not None else 1.0 for i in idx) for idx in members]
        values.sort(key=lambda v: brug_capacitance_f(v[0], v[1], v[2]))
        for idx, v in zip(members, values, strict=True):
            for i, x in zip(idx, v, strict=True):
                if i is not None:
                    p[i] = x
    return p


def _block_of(circuit: Circuit, arc):
    for term in (circuit.root.children if isinstance(circuit.root, Series) else (circuit.root,)):
        if isinstance(term, Parallel) and any(getattr(c, "name", None) == arc.resistor for c in term.children):
            return term
    return None


def _covariance(jw: np.ndarray) -> np.ndarray:
    """(J^T J)^-1 via SVD with column scaling; near-singular directions give large variances."""
    if jw.shape[1] == 0:
        return np.zeros((0, 0))
    scale = np.sqrt(np.sum(jw * jw, axis=0))
    scale[scale == 0] = 1.0
    _, s, vt = np.linalg.svd(jw / scale, full_matrices=False)
    tol = np.finfo(float).eps * max(jw.shape) * s[0]
    inv_s2 = 1.0 / np.maximum(s, tol) ** 2
    cov = (vt.T * inv_s2) @ vt
    return cov / np.outer(scale, scale)
