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

The first grid start is refined with the full budget.  If the fit looks
degenerate (budget exhausted, a CPE exponent pinned near 0 or 1, a parameter
with relative standard error above 100 %) or two arcs have time constants
within a decade of each other (one arc split in two, typically with a small
arc hidden under it), each top-level arc is in turn taken out, the rest
refitted, and the arc put back where a linearised scan over the grid shapes
says it lowers the cost most (the other parameters moved by the same linear
step); these starts are refined with a smaller budget and the lowest cost
wins, continued if it ran out of evaluations.  Circuits without top-level arcs
try further grid starts (up to four) instead.  A parameter that runs into a
finite bound during a fit (a CPE exponent heading for 1) is refitted on the
bound, which is kept when its cost is no higher, so such an exponent is
reported as exactly 1.

The optimum of a small arc under a large one is not unique in any useful
sense: e.g. a 0.35 Ohm interface arc under a 40 Ohm grain-boundary arc with
0.5 % noise cannot be located, and the best fit may instead split the
grain-boundary arc.  Check ``stderr`` before trusting such a resistance.

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
from .guess import arc_insertion_starts, generic_starts, structured_starts
from .transforms import Transform

N_GENERIC_STARTS = 12
N_GRID_STARTS = 4
FTOL = 1e-7  # relative cost change: ~3e-5 in chi-square units for 130 points, far below noise
ILL_DETERMINED_REL_STDERR = 1.0
CLAMP_FRACTION = 0.01  # a parameter this close (fraction of its range) to a finite bound is tried on it
STAGE_NFEV = 30  # evaluations between checks for parameters running into a bound
EXPLORE_NFEV = 100  # budget of each further start; the best is then continued if it ran out
OVERLAP_DECADES = 1.0  # arcs whose time constants are closer than this may be one arc split in two
ABSENT_R = 1e-9  # resistance (relative to max |Z|) of an arc taken out of the circuit
N_INSERTION_STARTS = 2  # places tried per arc when it is put back
MAX_STEP = 1.0  # cap on the linearised move of the other free variables when an arc is put back


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
    #: what makes the fit untrustworthy whatever its cost (too few distinct frequencies, the imaginary part
    #: on the wrong side); a fit with warnings has success False
    warnings: list[str] = field(default_factory=list)

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
        lines.extend(f"WARNING: {w}" for w in self.warnings)
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
        out = {i: _finite(initial[circuit.parameter_names[i]], circuit.parameter_names[i], "initial") for i in idx}
    else:
        vector = circuit.parameter_vector(initial)
        out = {i: _finite(v, circuit.parameter_names[i], "initial") for i, v in enumerate(vector)}
    return out


def _finite(value, name: str, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} value of {name} is {value!r}: give a number") from None
    if not np.isfinite(v):
        raise ValueError(f"{what} value of {name} is {v}: give a finite number")
    return v


def _check_in_range(circuit: Circuit, values: dict[int, float], what: str) -> None:
    """A value no element can have (a negative resistance, a CPE exponent outside (0, 1], a zero
    capacitance or CPE coefficient) is refused naming the parameter."""
    for i, v in values.items():
        name = circuit.parameter_names[i]
        if circuit.parameter_kinds[i] == EXPONENT:
            if not 0 < v <= 1:
                raise ValueError(f"{what} value of {name} is {v:g}: a CPE exponent lies in (0, 1]")
        elif v <= 0:
            unit = circuit.parameter_units[i]
            raise ValueError(f"{what} value of {name} is {v:g} {unit}: it must be positive")


def input_warnings(circuit: Circuit, frequency_hz: np.ndarray, z: np.ndarray, n_free: int) -> list[str]:
    """What makes a fit of these data untrustworthy before it starts: fewer distinct frequencies than
    free parameters, or an imaginary part on the inductive side where the circuit is capacitive."""
    out = []
    distinct = np.unique(frequency_hz).size
    if distinct < n_free:
        out.append(f"{distinct} distinct frequenc{'y' if distinct == 1 else 'ies'} cannot determine {n_free} "
                   "free parameters: measure more frequencies or fix parameters")
    capacitive = any(e.kind.symbol in ("C", "CPE", "W", "Wo", "Ws") for e in circuit.elements)
    positive = float(np.mean(z.imag > 0))
    if capacitive and positive > 0.5:
        out.append(f"the imaginary part is positive (inductive) at {100 * positive:.0f} % of the frequencies, "
                   "where the circuit's capacitive elements make it negative: the spectrum's sign convention "
                   "looks flipped (expected Z = Z' + j Z'' with Z'' < 0 on an arc)")
    return out


def _bounds(circuit: Circuit, bounds) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([0.0] * circuit.n_params)
    hi = np.array([1.0 if k == EXPONENT else np.inf for k in circuit.parameter_kinds])
    if bounds:
        for i in _names_to_indices(circuit, bounds.keys(), "bounds"):
            lo[i], hi[i] = (float(b) for b in bounds[circuit.parameter_names[i]])
    return lo, hi


def _spectrum_arrays(frequency_hz, z) -> tuple[np.ndarray, np.ndarray]:
    """The spectrum as flat float and complex arrays; a ValueError saying what is wrong with it."""
    frequency_hz = np.asarray(frequency_hz, dtype=float).ravel()
    z = np.asarray(z, dtype=complex).ravel()
    if frequency_hz.shape != z.shape:
        raise ValueError(f"{frequency_hz.size} frequencies but {z.size} impedance values")
    if not (np.all(np.isfinite(frequency_hz)) and np.all(frequency_hz > 0) and np.all(np.isfinite(z))):
        raise ValueError("frequencies must be positive and finite, impedances finite")
    return frequency_hz, z


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
    frequency_hz, z = _spectrum_arrays(frequency_hz, z)
    if z.size and np.all(z == 0):
        raise ValueError("the spectrum is zero at every frequency: nothing to fit")
    if isinstance(weighting, str) and weighting in ("modulus", "proportional") and np.any(z == 0):
        raise ValueError(f"the impedance is exactly zero at {int(np.sum(z == 0))} frequencies, which "
                         f"{weighting} weighting cannot weigh: drop those points or pass sigmas")
    s_re, s_im, weighting_name = _sigmas(z, weighting)

    given = _initial_map(circuit, initial)
    if fixed is None:
        fixed_map: dict[int, float] = {}
    elif isinstance(fixed, Mapping):
        fixed_map = {i: _finite(fixed[circuit.parameter_names[i]], circuit.parameter_names[i], "fixed")
                     for i in _names_to_indices(circuit, fixed.keys(), "fixed")}
    else:
        idx = _names_to_indices(circuit, list(fixed), "fixed")
        missing = [circuit.parameter_names[i] for i in idx if i not in given]
        if missing:
            raise ValueError(f"fixed parameters {missing} need a value: pass fixed as a dict or give initial")
        fixed_map = {i: given[i] for i in idx}
    _check_in_range(circuit, fixed_map, "fixed")
    free = np.array([i for i in range(circuit.n_params) if i not in fixed_map], dtype=int)
    n_obs = 2 * z.size
    if n_obs <= free.size:
        raise ValueError(f"{z.size} points cannot determine {free.size} free parameters")
    warnings = input_warnings(circuit, frequency_hz, z, free.size)

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
    search = _Search(circuit, grid, z, s_re, s_im, lo, hi, problem)
    best, n_refined = None, 0
    explore = min(EXPLORE_NFEV, max_nfev)
    for k, p0 in enumerate(starts):
        if free.size == 0:
            break
        budget = max_nfev if k == 0 else explore
        cand = search.refine(problem, p0, budget)
        n_refined += 1
        if best is None or cand.cost < best.cost:
            best = cand
        settled = not search.ill_determined(best, exponent)
        if settled and auto_start and _arcs_overlap(circuit, best.p):
            settled = False
        if settled:
            break
        if k == 0 and auto_start:
            # take each arc out and put it back where it helps most; if that is possible
            # it replaces the remaining grid starts
            pinned = set(fixed_map) | set(_names_to_indices(circuit, bounds or {}, ""))
            moved = False
            for cand in search.arc_moves(best, pinned, fixed_map, explore):
                moved = True
                n_refined += 1
                if cand.cost < best.cost:
                    best = cand
            if moved:
                break
    if best is not None:
        best = search.polish(best, max(max_nfev // 2, 1))
    if best is None:
        p_opt = base.copy()
        success, message = True, "all parameters fixed"
    else:
        p_opt = best.p
        success, message = best.success, best.message
    if warnings:
        success, message = False, "; ".join(warnings)
    if auto_start and order_arcs:
        p_opt = _order_arcs(circuit, p_opt, set(fixed_map) | set(_names_to_indices(circuit, bounds or {}, "")))

    return _result_at(circuit, frequency_hz, z, s_re, s_im, weighting_name, grid, p_opt, free, fixed_map,
                      success=success, message=message, n_function_evals=search.n_eval,
                      elapsed_s=time.perf_counter() - t0, n_starts=n_refined, warnings=warnings)


def evaluate_fit(circuit, frequency_hz, z, values: Mapping[str, float], *, fixed: Iterable[str] = (),
                 weighting="modulus") -> FitResult:
    """The ``FitResult`` of ``circuit`` at the given ``values`` on a spectrum, without fitting: residuals,
    chi-square, and the standard errors and correlations of the parameters not in ``fixed``, as
    :func:`fit_circuit` reports them at its optimum (the same values on the same spectrum give the same
    result). For showing a fit kept earlier with its data."""
    t0 = time.perf_counter()
    circuit = as_circuit(circuit)
    frequency_hz, z = _spectrum_arrays(frequency_hz, z)
    p = circuit.parameter_vector(dict(values))
    fixed_idx = _names_to_indices(circuit, list(fixed), "fixed")
    fixed_map = {i: float(p[i]) for i in fixed_idx}
    free = np.array([i for i in range(circuit.n_params) if i not in fixed_map], dtype=int)
    if 2 * z.size <= free.size:
        raise ValueError(f"{z.size} points cannot determine {free.size} free parameters")
    s_re, s_im, weighting_name = _sigmas(z, weighting)
    warnings = input_warnings(circuit, frequency_hz, z, free.size)
    return _result_at(circuit, frequency_hz, z, s_re, s_im, weighting_name, circuit.grid(frequency_hz), p, free,
                      fixed_map, success=not warnings, message="; ".join(warnings) or "evaluated at given values",
                      n_function_evals=1, elapsed_s=time.perf_counter() - t0, n_starts=0, warnings=warnings)


def _result_at(circuit, frequency_hz, z, s_re, s_im, weighting_name, grid, p_opt, free, fixed_map, *,
               success, message, n_function_evals, elapsed_s, n_starts, warnings) -> FitResult:
    """Residuals, chi-square and the covariance of the free parameters at ``p_opt``."""
    n_obs = 2 * z.size
    with np.errstate(all="ignore"):  # a parameter run off to 0 or inf gives no information
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
        n_function_evals=n_function_evals,
        elapsed_s=elapsed_s,
        n_starts=n_starts,
        warnings=warnings,
    )


@dataclass
class _Candidate:
    """A refined fit: full parameter vector, cost, and its free variables u in ``problem``."""

    cost: float
    p: np.ndarray
    success: bool
    message: str
    nfev: int
    u: np.ndarray | None
    problem: _Problem | None = None
    converged: bool = True


class _Search:
    """Refinement of starts: Levenberg-Marquardt, bound clamping and arc moves."""

    def __init__(self, circuit, grid, z, s_re, s_im, lo, hi, problem: _Problem):
        self.circuit, self.grid, self.z = circuit, grid, z
        self.s_re, self.s_im = s_re, s_im
        self.lo, self.hi = lo, hi
        self.problem = problem
        self._others: list[_Problem] = []

    @property
    def n_eval(self) -> int:
        return self.problem.n_eval + sum(p.n_eval for p in self._others)

    def sub_problem(self, free: np.ndarray, base: np.ndarray) -> _Problem:
        prob = _Problem(self.circuit, self.grid, self.z, self.s_re, self.s_im, free, base,
                        Transform(self.lo[free], self.hi[free]))
        self._others.append(prob)
        return prob

    @staticmethod
    def lm(problem: _Problem, p0: np.ndarray | None, budget: int, u0: np.ndarray | None = None):
        if u0 is None:
            u0 = problem.transform.to_free(p0[problem.free])
        # trial steps may overflow (R -> 0 or inf); _compute replaces non-finite values
        with np.errstate(all="ignore"):
            return least_squares(problem.residuals, u0,
                                 jac=problem.jacobian, method="lm", xtol=1e-8, ftol=FTOL, gtol=1e-10,
                                 max_nfev=budget)

    def refine(self, problem: _Problem, p0: np.ndarray | None, budget: int, clamp: bool = True,
               u0: np.ndarray | None = None) -> _Candidate:
        """Levenberg-Marquardt from p0 (or free variables u0); parameters running into a finite bound are clamped.

        The fit runs in stages of STAGE_NFEV evaluations: one still moving after a
        stage with a parameter crowding a finite bound (typically a CPE exponent
        heading for 1, approached only slowly through the logistic transform) is
        refitted with that parameter on the bound, and that fit is kept if its
        cost is no higher.
        """
        u = problem.transform.to_free(p0[problem.free]) if u0 is None else u0
        nfev = 0
        while True:
            sol = self.lm(problem, None, min(budget - nfev, STAGE_NFEV) if clamp else budget - nfev, u0=u)
            nfev += int(sol.nfev)
            cand = self._candidate(problem, sol, nfev)
            if not clamp:
                return cand
            if sol.status != 0 or nfev >= budget:
                return self.clamp(problem, cand, budget)
            clamped = self.clamp(problem, cand, budget - nfev)
            if clamped is not cand:
                return clamped
            u = sol.x

    def polish(self, cand: _Candidate, budget: int) -> _Candidate:
        """Continue a fit that ran out of evaluations."""
        if cand.converged or cand.problem is None:
            return cand
        more = self.refine(cand.problem, None, budget, clamp=cand.problem is self.problem, u0=cand.u)
        more.nfev += cand.nfev
        return more if more.cost <= cand.cost else cand

    def _candidate(self, problem: _Problem, sol, nfev: int) -> _Candidate:
        with np.errstate(all="ignore"):
            p, _ = problem.params(sol.x)
        return _Candidate(float(sol.cost), p, bool(sol.success), str(sol.message), nfev, sol.x, problem,
                          sol.status != 0)

    def clamp(self, problem: _Problem, cand: _Candidate, budget: int) -> _Candidate:
        """Refit with parameters that crowd a finite bound put on it; keep it if the cost is no higher.

        A CPE exponent whose optimum is n = 1 is otherwise approached only slowly
        through the logistic transform.
        """
        lo, hi = self.lo[problem.free], self.hi[problem.free]
        finite = np.isfinite(lo) & np.isfinite(hi)
        if not np.any(finite):
            return cand
        p_free = cand.p[problem.free]
        frac = np.full(p_free.shape, 0.5)
        frac[finite] = (p_free[finite] - lo[finite]) / (hi[finite] - lo[finite])
        at_hi, at_lo = frac > 1 - CLAMP_FRACTION, frac < CLAMP_FRACTION
        if not np.any(at_hi | at_lo):
            return cand
        base = cand.p.copy()
        base[problem.free[at_hi]] = hi[at_hi]
        base[problem.free[at_lo]] = lo[at_lo]
        free = problem.free[~(at_hi | at_lo)]
        if free.size == 0:
            return cand
        sub = self.sub_problem(free, base)
        other = self.refine(sub, base, budget, clamp=False)
        if other.cost <= cand.cost:
            other.nfev += cand.nfev
            return other
        return cand

    def ill_determined(self, cand: _Candidate, exponent: np.ndarray) -> bool:
        """True if a fit looks degenerate and further starts are worth trying.

        Signs: evaluation budget used up, a parameter clamped to a bound, a CPE exponent
        pinned near 0 or 1, or a parameter whose relative standard error exceeds
        ILL_DETERMINED_REL_STDERR (in the log-transformed variables this is the
        stderr of u).
        """
        if not cand.converged or not cand.success or cand.problem is not self.problem:
            return True
        problem = self.problem
        p_free = cand.p[problem.free]
        if np.any(p_free[exponent] > 0.99) or np.any(p_free[exponent] < 0.4):
            return True
        with np.errstate(all="ignore"):
            _, dp = problem.params(cand.u)
            jac = problem.jacobian(cand.u)
            dof = max(jac.shape[0] - jac.shape[1], 1)
            cov_u = _covariance(jac) * (2.0 * cand.cost / dof)
            rel = np.sqrt(np.clip(np.diag(cov_u), 0, None)) * np.abs(dp) / np.maximum(np.abs(p_free), 1e-300)
        return bool(np.any(rel > ILL_DETERMINED_REL_STDERR))

    def arc_moves(self, cand: _Candidate, pinned: set[int], fixed: dict[int, float], budget: int):
        """Refined fits in which one top-level arc is taken out and put back where it helps most."""
        problem = self.problem
        free = set(problem.free.tolist())
        zscale = float(np.max(np.abs(self.z)))
        weights = problem.weights
        for idx in _top_arc_indices(self.circuit):
            members = [i for i in idx if i is not None]
            if pinned.intersection(members) or not free.issuperset(members):
                continue
            base = cand.p.copy()
            base[idx[0]] = ABSENT_R * zscale
            sub = self.sub_problem(np.array([i for i in problem.free if i not in members], dtype=int), base)
            sol = self.lm(sub, base, budget)
            with np.errstate(all="ignore"):
                res, jac = sub._compute(sol.x)
                p_without, _ = sub.params(sol.x)
                starts = arc_insertion_starts(self.circuit, self.grid, weights, -res, jac, p_without, idx[0],
                                              fixed, n_starts=N_INSERTION_STARTS)
                for p0, step in starts:
                    moved, _ = sub.params(sol.x + np.clip(step, -MAX_STEP, MAX_STEP))
                    p0[sub.free] = moved[sub.free]
            for p0, _ in starts:
                if np.all(np.isfinite(p0)):
                    yield self.refine(problem, p0, budget)


def _top_arc_indices(circuit: Circuit) -> list[tuple[int, int, int | None]]:
    """(R, Q or C, n or None) parameter indices of the top-level R|CPE and R|C blocks."""
    root = circuit.root
    terms = root.children if isinstance(root, Series) else (root,)
    top = {id(t) for t in terms}
    out = []
    for arc in find_arcs(circuit):
        if id(_block_of(circuit, arc)) in top:
            out.append((circuit.parameter_names.index(arc.r_name), circuit.parameter_names.index(arc.q_name),
                        circuit.parameter_names.index(arc.n_name) if arc.n_name else None))
    return out


def _arcs_overlap(circuit: Circuit, p: np.ndarray) -> bool:
    """True if two top-level arcs have time constants within OVERLAP_DECADES of each other."""
    arcs = _top_arc_indices(circuit)
    if len(arcs) < 2:
        return False
    with np.errstate(all="ignore"):
        log_tau = np.array([np.log10(p[r] * p[q]) / (p[n] if n is not None else 1.0) for r, q, n in arcs])
    if not np.all(np.isfinite(log_tau)):
        return False
    log_tau.sort()
    return bool(np.any(np.diff(log_tau) < OVERLAP_DECADES))


def _order_arcs(circuit: Circuit, p: np.ndarray, pinned: set[int]) -> np.ndarray:
    """Permute interchangeable top-level arcs so that Brug capacitances increase in string order."""
    groups: dict[bool, list[tuple[int, int, int | None]]] = {}
    for idx in _top_arc_indices(circuit):
        if pinned.intersection(i for i in idx if i is not None):
            continue
        groups.setdefault(idx[2] is None, []).append(idx)
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
    if not np.all(np.isfinite(jw)):  # parameters run off to 0 or inf: no information there
        jw = np.where(np.isfinite(jw), jw, 0.0)
    scale = np.sqrt(np.sum(jw * jw, axis=0))
    scale[scale == 0] = 1.0
    _, s, vt = np.linalg.svd(jw / scale, full_matrices=False)
    tol = np.finfo(float).eps * max(jw.shape) * s[0]
    inv_s2 = 1.0 / np.maximum(s, tol) ** 2
    cov = (vt.T * inv_s2) @ vt
    return cov / np.outer(scale, scale)
