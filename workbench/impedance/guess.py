"""Starting values for circuit fits, estimated from the spectrum itself.

For circuits that are a series of R, L, C, W, CPE, Wo, Ws and R|CPE (or R|C)
blocks -- which covers R0-L0-p(R1,CPE1)-p(R2,CPE2) -- the impedance is linear
in one coefficient per term once the "shape" of each nonlinear term is fixed
(an arc's time constant tau and exponent n, a finite Warburg's tau, a series
CPE's n).  We therefore scan a grid of shapes (tau log-spaced from half a decade
above the highest to one decade below the lowest measured frequency, a few n)
and, for every combination, solve the weighted linear least-squares problem
for the coefficients (R0, L, arc resistances, ...).  Combinations with a
non-positive arc resistance are discarded; the best few by cost are the starts
that the nonlinear fit refines.  Arcs are assigned in the order they appear in
the string from high to low frequency (first block = smallest tau).

Two nonlinear terms are scanned exhaustively; three or more by coordinate
sweeps.  Circuits of any other shape get a scale-based start plus random
log-space restarts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .circuits import Circuit, Element, Parallel, Series
from .elements import FrequencyGrid

TAU_POINTS_PER_DECADE = 4
ARC_EXPONENTS = (0.7, 0.85, 0.97)
SERIES_CPE_EXPONENTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.97)


@dataclass
class _Linear:
    index: int
    basis: np.ndarray
    reciprocal: bool  # coefficient is 1/value (capacitor)


@dataclass
class _Family:
    """A term linear in one coefficient once its shape (tau and/or n) is chosen from a grid."""

    kind: str  # "arc", "warburg" or "cpe"
    bases: np.ndarray  # (n_shapes, n_freq) complex, for coefficient 1
    tau: np.ndarray  # (n_shapes,) time constant, nan if none
    n: np.ndarray  # (n_shapes,) exponent, nan if none
    coef_index: int  # parameter set from the coefficient (R, Z0, or Q of a series CPE)
    tau_index: int | None = None  # Wo/Ws tau
    q_index: int | None = None  # arc CPE Q or capacitor C
    n_index: int | None = None  # CPE exponent

    def assign(self, p: np.ndarray, shape: int, coef: float) -> None:
        if self.kind == "cpe":
            p[self.coef_index] = 1.0 / coef
        else:
            p[self.coef_index] = coef
        if self.n_index is not None:
            p[self.n_index] = self.n[shape]
        if self.kind == "warburg":
            p[self.tau_index] = self.tau[shape]
        if self.kind == "arc":
            # R|CPE: tau^n = R Q;  R|C: tau = R C
            p[self.q_index] = self.tau[shape] ** self.n[shape] / coef


def _tau_grid(grid: FrequencyGrid) -> np.ndarray:
    lo = np.log10(1.0 / grid.omega.max()) - 0.5
    hi = np.log10(1.0 / grid.omega.min()) + 1.0
    n = int(np.ceil((hi - lo) * TAU_POINTS_PER_DECADE)) + 1
    return np.logspace(lo, hi, n)


def _arc_family(grid, r_el: Element, c_el: Element, fixed: dict[int, float]) -> _Family:
    taus = _tau_grid(grid)
    is_cpe = c_el.kind.symbol == "CPE"
    n_index = c_el.first_param + 1 if is_cpe else None
    exponents = np.array(ARC_EXPONENTS if is_cpe else (1.0,))
    if is_cpe and n_index in fixed:
        exponents = np.array([fixed[n_index]])
    key = ("arc", tuple(exponents))
    if key not in grid.cache:
        n = np.repeat(exponents, taus.size)
        tau = np.tile(taus, exponents.size)
        bases = 1.0 / (1.0 + np.exp(n[:, None] * (grid.log_jomega[None, :] + np.log(tau)[:, None])))
        grid.cache[key] = (n, tau, bases)
    n, tau, bases = grid.cache[key]
    return _Family("arc", bases, tau, n, r_el.first_param, q_index=c_el.first_param, n_index=n_index)


def _warburg_family(grid, el: Element) -> _Family:
    taus = _tau_grid(grid)
    bases = np.array([el.kind.impedance(grid, (1.0, tau)) for tau in taus])
    return _Family("warburg", bases, taus, np.full(taus.size, np.nan), el.first_param,
                   tau_index=el.first_param + 1)


def _series_cpe_family(grid, el: Element, fixed) -> _Family:
    exponents = np.array(SERIES_CPE_EXPONENTS)
    if el.first_param + 1 in fixed:
        exponents = np.array([fixed[el.first_param + 1]])
    bases = np.exp(-exponents[:, None] * grid.log_jomega[None, :])
    return _Family("cpe", bases, np.full(exponents.size, np.nan), exponents, el.first_param,
                   n_index=el.first_param + 1)


def _decompose(circuit: Circuit, grid: FrequencyGrid, fixed: dict[int, float]):
    """Split the top-level series into linear terms and shape families, or None if unsupported."""
    terms = circuit.root.children if isinstance(circuit.root, Series) else (circuit.root,)
    linear, families = [], []
    for term in terms:
        if isinstance(term, Element):
            symbol = term.kind.symbol
            if symbol == "R":
                linear.append(_Linear(term.first_param, np.ones(len(grid), complex), False))
            elif symbol == "L":
                linear.append(_Linear(term.first_param, grid.jomega, False))
            elif symbol == "C":
                linear.append(_Linear(term.first_param, 1.0 / grid.jomega, True))
            elif symbol == "W":
                linear.append(_Linear(term.first_param, grid.warburg_factor, False))
            elif symbol == "CPE":
                families.append(_series_cpe_family(grid, term, fixed))
            elif symbol in ("Wo", "Ws"):
                families.append(_warburg_family(grid, term))
            else:
                return None
        elif isinstance(term, Parallel) and len(term.children) == 2 and all(
                isinstance(c, Element) for c in term.children):
            symbols = {c.kind.symbol: c for c in term.children}
            if "R" in symbols and ("CPE" in symbols or "C" in symbols):
                families.append(_arc_family(grid, symbols["R"], symbols.get("CPE") or symbols["C"], fixed))
            else:
                return None
        else:
            return None
    return linear, families


def _scale(grid: FrequencyGrid, z: np.ndarray) -> float:
    return float(np.max(np.abs(z)))


def _negligible(symbol: str, grid: FrequencyGrid, zscale: float) -> float:
    """A value for a linear element that makes it (almost) vanish from the spectrum."""
    if symbol == "L":
        return 1e-4 * zscale / grid.omega.max()
    if symbol == "C":
        return 1e4 / (grid.omega.min() * zscale)
    if symbol == "W":
        return 1e-4 * zscale * np.sqrt(grid.omega.min())
    return 1e-4 * zscale


def _projector(columns: np.ndarray):
    """Function removing from vectors their component in the span of ``columns`` (m, 2N)."""
    if columns.shape[0] == 0:
        return lambda v: v
    q, _ = np.linalg.qr(columns.T)
    return lambda v: v - (v @ q) @ q.T


def _order_mask(fa: _Family, fb: _Family) -> np.ndarray | bool:
    """Arcs keep string order from high to low frequency: tau of a below tau of b."""
    if fa.kind == "arc" and fb.kind == "arc":
        return fa.tau[:, None] < fb.tau[None, :]
    return True


def _scan_one(f: np.ndarray, y: np.ndarray, allowed) -> np.ndarray:
    """Gain (cost decrease) of each shape alone, -inf where invalid."""
    g = np.einsum("ij,ij->i", f, f)
    b = f @ y
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where((b > 0) & (g > 0) & allowed, b * b / g, -np.inf)
    return gain


def _scan_two(f1, f2, y, allowed) -> np.ndarray:
    """Gain of every pair of shapes (closed-form 2x2 least squares), -inf where invalid."""
    g1 = np.einsum("ij,ij->i", f1, f1)[:, None]
    g2 = np.einsum("ij,ij->i", f2, f2)[None, :]
    g12 = f1 @ f2.T
    b1 = (f1 @ y)[:, None]
    b2 = (f2 @ y)[None, :]
    det = g1 * g2 - g12 * g12
    with np.errstate(divide="ignore", invalid="ignore"):
        x1 = (b1 * g2 - g12 * b2) / det
        x2 = (g1 * b2 - g12 * b1) / det
        gain = x1 * b1 + x2 * b2
    ok = (det > 1e-9 * g1 * g2) & (x1 > 0) & (x2 > 0) & allowed
    return np.where(ok, gain, -np.inf)


def _coordinate_scan(lin, fams, fam_cols, y, sweeps: int = 4) -> np.ndarray:
    """Shapes for three or more families, one family at a time with the others held."""
    k = len(fams)
    choice = np.empty(k, int)
    arc_ids = [i for i, f in enumerate(fams) if f.kind == "arc"]
    for rank, i in enumerate(arc_ids):
        taus = np.unique(fams[i].tau)
        target = taus[int((rank + 1) * taus.size / (len(arc_ids) + 1))]
        choice[i] = int(np.argmin(np.abs(np.log(fams[i].tau / target)) + np.abs(fams[i].n - 0.85)))
    for i in range(k):
        if i not in arc_ids:
            choice[i] = fams[i].tau.size // 2
    for _ in range(sweeps):
        for j in range(k):
            others = [fam_cols[i][choice[i]] for i in range(k) if i != j]
            project = _projector(np.vstack([lin, *others]) if others else lin)
            allowed = np.ones(fams[j].tau.size, bool)
            for i in range(k):
                if i < j and fams[i].kind == "arc" and fams[j].kind == "arc":
                    allowed &= fams[j].tau > fams[i].tau[choice[i]]
                if i > j and fams[i].kind == "arc" and fams[j].kind == "arc":
                    allowed &= fams[j].tau < fams[i].tau[choice[i]]
            gain = _scan_one(project(fam_cols[j]), project(y), allowed)
            if np.isfinite(gain.max()):
                choice[j] = int(np.argmax(gain))
    return choice[None, :]


def _best_distinct(gain: np.ndarray, fams, n_starts: int) -> list[tuple[int, ...]]:
    """Best shape combinations; each further one differs by a decade in some tau (or in n)."""
    gain = np.array(gain, dtype=float, copy=True)
    chosen: list[tuple[int, ...]] = []
    while len(chosen) < n_starts:
        idx = int(np.argmax(gain))
        if not np.isfinite(gain.flat[idx]):
            break
        combo = np.unravel_index(idx, gain.shape)
        chosen.append(tuple(int(c) for c in combo))
        near = np.ones(gain.shape, bool)
        for axis, (fam, c) in enumerate(zip(fams, combo, strict=True)):
            if np.isfinite(fam.tau[c]):
                close = np.abs(np.log10(fam.tau / fam.tau[c])) < 1.0
            else:
                close = fam.n == fam.n[c]
            shape = [1] * gain.ndim
            shape[axis] = -1
            near &= close.reshape(shape)
        gain[near] = -np.inf
    return chosen


def structured_starts(circuit: Circuit, grid: FrequencyGrid, z: np.ndarray, w_re: np.ndarray,
                      w_im: np.ndarray, fixed: dict[int, float], n_starts: int = 2) -> list[np.ndarray] | None:
    """Starting vectors from the linear-coefficient grid scan, best first; None if unsupported."""
    parts = _decompose(circuit, grid, fixed)
    if parts is None:
        return None
    linear, fams = parts
    target = z.astype(complex).copy()
    free_linear = []
    for term in linear:
        if term.index in fixed:
            value = fixed[term.index]
            target -= term.basis / value if term.reciprocal else term.basis * value
        else:
            free_linear.append(term)

    def stack(v):
        v = np.concatenate([v.real * w_re, v.imag * w_im], axis=-1)
        norm = np.sqrt(np.sum(v * v, axis=-1, keepdims=True))
        return v / np.where(norm > 0, norm, 1.0)

    fam_cols = [stack(f.bases) for f in fams]
    y = np.concatenate([target.real * w_re, target.imag * w_im])
    lin = np.array([stack(t.basis) for t in free_linear]).reshape(len(free_linear), y.size)
    project = _projector(lin)
    if len(fams) == 0:
        combos = [()]
    elif len(fams) == 1:
        combos = _best_distinct(_scan_one(project(fam_cols[0]), project(y), True), fams, n_starts)
    elif len(fams) == 2:
        gain = _scan_two(project(fam_cols[0]), project(fam_cols[1]), project(y),
                         _order_mask(fams[0], fams[1]))
        combos = _best_distinct(gain, fams, n_starts)
    else:
        combos = [tuple(_coordinate_scan(lin, fams, fam_cols, y)[0])]
    if not combos:
        return None

    zscale = _scale(grid, z)
    starts = []
    for combo in combos:
        columns = [t.basis for t in free_linear] + [f.bases[c] for f, c in zip(fams, combo, strict=True)]
        a = np.array([np.concatenate([c.real * w_re, c.imag * w_im]) for c in columns]).reshape(len(columns), -1)
        norm = np.sqrt(np.sum(a * a, axis=1))
        norm[norm == 0] = 1.0
        coef = np.linalg.lstsq((a / norm[:, None]).T, y, rcond=None)[0] / norm
        p = np.full(circuit.n_params, np.nan)
        for k, term in enumerate(free_linear):
            if coef[k] <= 0:
                p[term.index] = _negligible(_element_of(circuit, term.index).kind.symbol, grid, zscale)
            else:
                p[term.index] = 1.0 / coef[k] if term.reciprocal else coef[k]
        for k, (fam, shape) in enumerate(zip(fams, combo, strict=True)):
            fam.assign(p, shape, max(coef[len(free_linear) + k], 1e-6 * zscale))
        for i, v in fixed.items():
            p[i] = v
        starts.append(p)
    return starts


def _element_of(circuit: Circuit, index: int) -> Element:
    for el in circuit.elements:
        if el.first_param <= index < el.first_param + el.kind.n_params:
            return el
    raise IndexError(index)


def generic_starts(circuit: Circuit, grid: FrequencyGrid, z: np.ndarray, fixed: dict[int, float],
                   n_random: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Scale-based start from |Z| and the frequency band, plus random log-space perturbations."""
    zscale = _scale(grid, z)
    omega_mid = float(np.sqrt(grid.omega.min() * grid.omega.max()))
    n_r = max(1, sum(el.kind.symbol == "R" for el in circuit.elements))
    base = np.empty(circuit.n_params)
    for el in circuit.elements:
        i = el.first_param
        s = el.kind.symbol
        if s == "R":
            base[i] = zscale / n_r
        elif s == "C":
            base[i] = 1.0 / (omega_mid * zscale)
        elif s == "L":
            base[i] = 1e-3 * zscale / grid.omega.max()
        elif s == "CPE":
            base[i], base[i + 1] = 1.0 / (omega_mid ** 0.85 * zscale), 0.85
        elif s == "W":
            base[i] = 0.1 * zscale * np.sqrt(omega_mid)
        else:
            base[i], base[i + 1] = zscale / 2, 1.0 / omega_mid
    exponent = np.array([k == "exponent" for k in circuit.parameter_kinds])
    starts = [base]
    for _ in range(n_random):
        p = base * 10 ** rng.uniform(-1.5, 1.5, base.size)
        p[exponent] = rng.uniform(0.5, 1.0, exponent.sum())
        starts.append(p)
    for p in starts:
        for i, v in fixed.items():
            p[i] = v
    return starts


def _top_level_arc(circuit: Circuit, r_index: int) -> tuple[Element, Element] | None:
    terms = circuit.root.children if isinstance(circuit.root, Series) else (circuit.root,)
    for term in terms:
        if isinstance(term, Parallel) and len(term.children) == 2 and all(
                isinstance(c, Element) for c in term.children):
            symbols = {c.kind.symbol: c for c in term.children}
            r_el = symbols.get("R")
            c_el = symbols.get("CPE") or symbols.get("C")
            if r_el is not None and c_el is not None and r_el.first_param == r_index:
                return r_el, c_el
    return None


def arc_insertion_starts(circuit: Circuit, grid: FrequencyGrid, weights: np.ndarray, target: np.ndarray,
                         jac: np.ndarray, p: np.ndarray, r_index: int, fixed: dict[int, float],
                         n_starts: int = 2) -> list[tuple[np.ndarray, np.ndarray]]:
    """Starts that add the top-level arc with resistor ``r_index`` to a fit made without it.

    ``p`` is the fit without the arc, ``target`` its weighted misfit (data - model) and
    ``jac`` its weighted Jacobian (rows interleaved re, im as ``weights``).  To first
    order, adding the arc with shape (tau, n) and resistance R while the other
    parameters move along ``jac`` is a linear problem, so every shape on the grid-scan
    grid is scored by the cost decrease it allows (with R > 0); the best shapes a
    decade apart in tau give the starts.
    """
    arc = _top_level_arc(circuit, r_index)
    if arc is None:
        return []
    fam = _arc_family(grid, arc[0], arc[1], fixed)
    cols = fam.bases.view(float) * weights
    q, r = np.linalg.qr(jac)

    def project(v):
        return v - (v @ q) @ q.T

    pc, py = project(cols), project(target)
    gain = _scan_one(pc, py, True)
    starts = []
    for (shape,) in _best_distinct(gain, [fam], n_starts):
        coef = float(pc[shape] @ py) / float(pc[shape] @ pc[shape])
        start = p.copy()
        fam.assign(start, shape, coef)
        # the other parameters' share of the same linear step
        step = np.linalg.lstsq(r, q.T @ (target - coef * cols[shape]), rcond=None)[0]
        starts.append((start, step))
    return starts
