"""The paper's cell fitted with its grain-boundary and interface arcs held in their physical classes.

Circuit R0-L0-p(R1,CPE1)-p(R2,CPE2) (impedance.py notation; R0 the high-frequency resistance, L0 the
leads), written in each arc's resistance R, Brug capacitance C and exponent n: an arc is
R / (1 + (j w R C)^n), i.e. Q = (C R)^n / R, with its apex at f = 1 / (2 pi R C).

Arcs are told apart by their capacitance per electrode area, as the field does, never by their place
in the string or by which apex is lower: the grain boundary's (paper: 3-5e-9 F on 0.57 cm2, about
7e-9 F/cm2, apex near 1 MHz) is held below ``SPLIT_F_CM2``, the interface's (paper: 6.99e-7 F, about
1.2e-6 F/cm2) between ``SPLIT_F_CM2`` and ``INTERFACE_MAX_F_CM2``. So a re-fit never swaps them, the
grain-boundary arc cannot be split in two and called an interface, and an interface arc cannot hide
inside the grain-boundary arc with more than the resistance its capacitance allows there.

Starts come from a scan over arc shapes (time constant, exponent) in which the circuit is linear in
R0, L0, R1 and R2 (as in :mod:`.guess`), keeping only pairs whose capacitances fall in their classes;
the best are refined by bounded least squares (modulus weighting: sigma = |Z| for both parts; the noise
level is the fit's own, from the reduced chi-square).

:meth:`TwoArcFit.profile` gives the profile likelihood interval of R2: R2 held at trial values, all
else refitted, the interval being where chi-square rises by less than ``level`` times the noise
variance. It is the uncertainty to use where the linearised covariance is not (an arc near the noise,
a parameter on a class bound, strong correlation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import two_arc_lm as lm

#: Brug capacitance per electrode area (F/cm2) separating grain-boundary (below) and interface arcs.
SPLIT_F_CM2 = 3e-7
GRAIN_BOUNDARY_MIN_F_CM2 = 1e-13
INTERFACE_MAX_F_CM2 = 1e-4
N_BOUNDS = (0.5, 1.0)
TAU_POINTS_PER_DECADE = 4
SCAN_EXPONENTS = (0.7, 0.8, 0.9, 1.0)
#: a partial arc below f_min is searched down to this factor below the lowest frequency
PARTIAL_DECADES = 1.5
N_STARTS = 3
#: relative cost decrease at which the fits of the starts stop (the chosen one is refined after reweighting)
BEST_TOL = 1e-4
#: a profile bound is where sqrt(chi-square rise / noise variance) is within this of sqrt(level)
ROOT_TOL = 0.1
#: the two further trials of a root-finding round, either side of the regula falsi point (share of the bracket)
ROOT_SPREAD = 0.1
#: a bracket this share of the first one wide ends the search (the profile steps across the level there)
ROOT_WIDTH = 0.03
#: relative cost decrease at which the refits of the profile stop: ~0.03 noise variances, against the
#: 0.4 that ``ROOT_TOL`` allows a bound's chi-square
PROFILE_TOL = 1e-4
#: accepted steps allowed to a profile refit from the class-edge start (one from the neighbouring
#: profile point gets 100): it is there to find another minimum, and it only ever counts if it ends lower
EDGE_ITER = 6

R0, L0, R1, C1, N1, R2, C2, N2 = range(8)
NAMES = ("R0", "L0", "R1", "C1", "n1", "R2", "C2", "n2")
_SHAPES: dict[bytes, tuple] = {}
_LOG = np.array([True, True, True, True, False, True, True, False])


class _Lazy:
    def __init__(self, make, args):
        self.make, self.args = make, args

    def __call__(self):
        return self.make(*self.args)


@dataclass
class Solution:
    """A least-squares optimum: parameters (R0, L0, R1, C1, n1, R2, C2, n2), chi-square, free indices."""

    theta: np.ndarray
    chi2: float
    free: tuple[int, ...]
    nfev: int = 0

    def value(self, name: str) -> float:
        return float(self.theta[NAMES.index(name)])


class TwoArcFit:
    """Fits of the classed two-arc circuit to one spectrum (see the module docstring)."""

    def __init__(self, frequency_hz, z, area_cm2: float):
        self.frequency_hz = np.asarray(frequency_hz, dtype=float).ravel()
        self.z = np.asarray(z, dtype=complex).ravel()
        self.area_cm2 = float(area_cm2)
        self.omega = 2 * np.pi * self.frequency_hz
        self.jw = 1j * self.omega
        self.log_jw = np.log(self.omega) + 0.5j * np.pi
        self.w = 1.0 / np.abs(self.z)
        self.zscale = float(np.max(np.abs(self.z)))
        a = self.area_cm2
        self.lo = np.array([0, 0, 0, GRAIN_BOUNDARY_MIN_F_CM2 * a, N_BOUNDS[0], 0, SPLIT_F_CM2 * a, N_BOUNDS[0]],
                           dtype=float)
        self.hi = np.array([np.inf, np.inf, np.inf, SPLIT_F_CM2 * a, N_BOUNDS[1], np.inf, INTERFACE_MAX_F_CM2 * a,
                            N_BOUNDS[1]])
        self.n_eval = 0
        self._cache: dict[float, Solution] = {}
        self.noise_rel: np.ndarray | None = None  # local relative noise once reweighted
        self._sp: lm.Spectrum | None = None

    def reweight(self, sol: Solution, window: int = 15) -> np.ndarray:
        """Weights from the fit's own residuals: sigma = |Z| times the local relative noise.

        The relative residual variance of each point (mean of both parts) is averaged over ``window``
        neighbouring frequencies, so that a band where the analyser is noisier (near 10 MHz, at the
        lowest frequencies) weighs less and the noise level is the data's. Returns the local relative
        noise per point (one standard deviation per part)."""
        z_fit = self.model(sol.theta, want_jac=False)[0]
        e = np.abs(z_fit - self.z) ** 2 / (2 * np.abs(z_fit) ** 2)
        order = np.argsort(self.frequency_hz)
        k = min(window, e.size)
        kernel = np.ones(k) / k
        padded = np.pad(e[order], (k // 2, k - 1 - k // 2), mode="edge")
        local = np.empty_like(e)
        local[order] = np.convolve(padded, kernel, mode="valid")
        noise = np.sqrt(np.maximum(local, 1e-6 * np.median(local) + 1e-30))
        self.w = 1.0 / (np.abs(z_fit) * noise)  # the model's |Z|: the data's own noise does not weigh
        self.__dict__.pop("_proj", None)
        self._sp = None
        self._cache.clear()
        self.noise_rel = noise
        return noise

    @property
    def dof(self) -> int:
        return 2 * self.z.size - 8

    # --- model --------------------------------------------------------------------------------
    def _arc(self, r, c, n, want_jac):
        if r <= 0:
            zero = np.zeros(self.omega.shape, complex)
            return zero, (np.ones(self.omega.shape, complex), zero, zero) if want_jac else None
        log_x = self.log_jw + np.log(r * c)
        x = np.exp(n * log_x)
        d = 1.0 / (1.0 + x)
        za = r * d
        if not want_jac:
            return za, None
        d2 = d * d
        return za, (d - n * x * d2, -r * n * x * d2 / c, -r * x * log_x * d2)

    def impedance(self, theta, frequency_hz=None) -> np.ndarray:
        """Model impedance (Ohm) at the fitted frequencies or at ``frequency_hz``."""
        if frequency_hz is not None:
            other = TwoArcFit(frequency_hz, np.ones(np.size(frequency_hz)), self.area_cm2)
            return other.impedance(theta)
        return self.model(theta, want_jac=False)[0]

    def model(self, theta, want_jac=True):
        z1, j1 = self._arc(theta[R1], theta[C1], theta[N1], want_jac)
        z2, j2 = self._arc(theta[R2], theta[C2], theta[N2], want_jac)
        z = theta[R0] + self.jw * theta[L0] + z1 + z2
        self.n_eval += 1
        if not want_jac:
            return z, None
        ones = np.ones(self.omega.shape, complex)
        return z, np.array([ones, self.jw, *j1, *j2])  # (8, n_freq)

    # --- least squares ------------------------------------------------------------------------
    def residuals(self, theta) -> np.ndarray:
        z = self.model(theta, want_jac=False)[0]
        diff = (z - self.z) * self.w
        return np.concatenate([diff.real, diff.imag])

    def chi2(self, theta) -> float:
        r = self.residuals(theta)
        return float(r @ r)

    def _spectrum(self) -> lm.Spectrum:
        if self._sp is None:
            self._sp = lm.Spectrum(self.omega, self.z, self.w)
        return self._sp

    def refine(self, theta0, free=tuple(range(8)), max_iter: int = 100) -> Solution:
        """Bounded least squares from theta0 over the parameters ``free`` (others held).

        A projected Levenberg-Marquardt in log R, log C, L, n (bounds by clipping, variables on a bound
        with the gradient pushing outwards held for the step): see :mod:`.two_arc_lm`."""
        return self.refine_many([(theta0, free)], max_iter)[0]

    def refine_many(self, starts, max_iter=100, cost_tol: float = lm.COST_TOL) -> list[Solution]:
        """``refine`` of each (theta0, free) of ``starts``, all in one batch (the same result as one by one)."""
        if not starts:
            return []
        thetas = np.array([np.asarray(t, float) for t, _ in starts])
        frees = [tuple(f) for _, f in starts]
        mask = np.zeros((len(starts), 8), bool)
        for i, f in enumerate(frees):
            mask[i, list(f)] = True
        lo, hi = lm.bounds_x(self.lo, self.hi)
        theta, cost, nfev = lm.refine_batch(self._spectrum(), thetas, mask, lo, hi, max_iter, cost_tol)
        self.n_eval += int(nfev.sum())
        return [Solution(theta[i], float(cost[i]), frees[i], int(nfev[i])) for i in range(len(starts))]

    def covariance(self, sol: Solution) -> tuple[np.ndarray, np.ndarray]:
        """Linearised covariance of the free parameters (natural units) and the reduced chi-square scale.

        cov = s^2 (J^T J)^-1, s^2 = chi-square / (2 N - free); returns (cov, indices)."""
        idx = np.array(sol.free)
        _, j = self.model(sol.theta, want_jac=True)
        jw = j[idx] * self.w
        jr = np.concatenate([jw.real, jw.imag], axis=1).T
        s2 = sol.chi2 / max(2 * self.z.size - idx.size, 1)
        scale = np.sqrt(np.sum(jr * jr, axis=0))
        scale[scale == 0] = 1.0
        _, sv, vt = np.linalg.svd(jr / scale, full_matrices=False)
        tol = np.finfo(float).eps * max(jr.shape) * sv[0]
        cov = (vt.T / np.maximum(sv, tol) ** 2) @ vt / np.outer(scale, scale)
        return cov * s2, idx

    def on_bound(self, sol: Solution, fraction: float = 1e-3) -> list[str]:
        """Names of free parameters sitting on a class or exponent bound."""
        out = []
        for i in sol.free:
            lo, hi = self.lo[i], self.hi[i]
            if _LOG[i]:
                if sol.theta[i] <= 0:
                    out.append(NAMES[i])
                    continue
                v = np.log(sol.theta[i])
                lo_, hi_ = (np.log(lo) if lo > 0 else -np.inf), np.log(hi)
                tol = fraction * 10.0  # in ln units: 1 %
            else:
                v, lo_, hi_, tol = sol.theta[i], lo, hi, fraction
            if (np.isfinite(lo_) and v - lo_ < tol) or (np.isfinite(hi_) and hi_ - v < tol):
                out.append(NAMES[i])
        return out

    # --- starts -------------------------------------------------------------------------------
    def _shapes(self):
        """Arc shapes 1 / (1 + (j w tau)^n) over the scan grid, computed once per frequency grid."""
        key = self.frequency_hz.tobytes()
        if key not in _SHAPES:
            f_max, f_min = self.frequency_hz.max(), self.frequency_hz.min()
            lo = np.log10(1.0 / (2 * np.pi * f_max)) - 0.5
            hi = np.log10(1.0 / (2 * np.pi * f_min)) + PARTIAL_DECADES
            taus = np.logspace(lo, hi, int(np.ceil((hi - lo) * TAU_POINTS_PER_DECADE)) + 1)
            tau, n = np.meshgrid(taus, np.array(SCAN_EXPONENTS), indexing="ij")
            tau, n = tau.ravel(), n.ravel()
            x = np.exp(n[:, None] * (self.log_jw[None, :] + np.log(tau)[:, None]))
            if len(_SHAPES) >= 16:
                _SHAPES.pop(next(iter(_SHAPES)))
            _SHAPES[key] = (tau, n, 1.0 / (1.0 + x))
        return _SHAPES[key]

    def _stack(self, v):
        v = v * self.w
        return np.concatenate([v.real, v.imag], axis=-1)

    def _projected(self):
        """Arc shapes, their weighted columns with R0 and L0 projected out, and the projected data."""
        if not hasattr(self, "_proj"):
            tau, n, g = self._shapes()
            lin = np.array([self._stack(np.ones(self.omega.shape, complex)), self._stack(self.jw)])
            q, _ = np.linalg.qr(lin.T)
            cols = self._stack(g)
            y = self._stack(self.z)
            self._proj = (tau, n, g, cols - (cols @ q) @ q.T, y - (y @ q) @ q.T)
        return self._proj

    def scan_one_arc(self) -> np.ndarray | None:
        """Start for the grain-boundary arc alone (R2 = 0) from the shape scan."""
        tau, n, g, cols, y = self._projected()
        a = self.area_cm2
        gg = np.einsum("ij,ij->i", cols, cols)
        b = cols @ y
        with np.errstate(divide="ignore", invalid="ignore"):
            r1 = b / gg
            c1 = tau / r1
            ok = (r1 > 0) & (c1 <= SPLIT_F_CM2 * a) & (c1 >= GRAIN_BOUNDARY_MIN_F_CM2 * a)
            gain = np.where(ok, b * r1, -np.inf)
        if not np.isfinite(gain.max()):
            return None
        i = int(np.argmax(gain))
        return self._complete(tau[i], n[i], r1[i], None, None, 0.0)

    def scan_pairs(self) -> list[np.ndarray]:
        """Starts for both arcs, best first, each further one with its interface arc a decade away."""
        tau, n, g, cols, y = self._projected()
        a = self.area_cm2
        gii = np.einsum("ij,ij->i", cols, cols)
        gij = cols @ cols.T
        b = cols @ y
        det = gii[:, None] * gii[None, :] - gij * gij
        with np.errstate(divide="ignore", invalid="ignore"):
            x1 = (b[:, None] * gii[None, :] - gij * b[None, :]) / det
            x2 = (gii[:, None] * b[None, :] - gij * b[:, None]) / det
            c1 = tau[:, None] / x1
            c2 = tau[None, :] / x2
            ok = ((det > 1e-9 * gii[:, None] * gii[None, :]) & (x1 > 0) & (x2 > 0)
                  & (c1 <= SPLIT_F_CM2 * a) & (c1 >= GRAIN_BOUNDARY_MIN_F_CM2 * a)
                  & (c2 >= SPLIT_F_CM2 * a) & (c2 <= INTERFACE_MAX_F_CM2 * a))
            gain = np.where(ok, x1 * b[:, None] + x2 * b[None, :], -np.inf)
        starts = []
        for _ in range(N_STARTS):
            k = int(np.argmax(gain))
            if not np.isfinite(gain.flat[k]):
                break
            i, j = np.unravel_index(k, gain.shape)
            starts.append((tau[i], n[i], x1[i, j], tau[j], n[j], x2[i, j]))
            gain[:, np.abs(np.log10(tau / tau[j])) < 1.0] = -np.inf
        return [_Lazy(self._complete, s) for s in starts]

    def _fallback_start(self) -> np.ndarray:
        """A start from the spectrum's extent when no scanned shape fits (e.g. an inductive spectrum)."""
        re = self.z.real
        r0 = max(float(re.min()), 1e-6 * self.zscale)
        r1 = max(float(re.max() - re.min()), 1e-6 * self.zscale)
        tau = 1.0 / (2 * np.pi * np.sqrt(self.frequency_hz.max() * self.frequency_hz.min()))
        c1 = float(np.clip(tau / r1, self.lo[C1], self.hi[C1]))
        return np.array([r0, 1e-9, r1, c1, 0.9, 0.0, 1e-6 * self.area_cm2, 0.9])

    def _complete(self, tau1, n1, r1, tau2, n2, r2) -> np.ndarray:
        """Full parameter vector for chosen shapes: R0 and L0 by linear least squares."""
        a = self.area_cm2
        z1 = r1 / (1.0 + np.exp(n1 * (self.log_jw + np.log(tau1))))
        z2 = 0.0 if not r2 else r2 / (1.0 + np.exp(n2 * (self.log_jw + np.log(tau2))))
        rest = self.z - z1 - z2
        lin = np.array([self._stack(np.ones(self.omega.shape, complex)), self._stack(self.jw)]).T
        coef = np.linalg.lstsq(lin, self._stack(rest), rcond=None)[0]
        r0 = coef[0] if coef[0] > 0 else 1e-6 * self.zscale
        ind = coef[1] if coef[1] > 0 else 1e-12
        theta = np.array([r0, ind, r1, tau1 / r1, n1, r2, 1e-6 * a, 0.9])
        if r2:
            theta[C2], theta[N2] = tau2 / r2, n2
        theta[C1] = np.clip(theta[C1], self.lo[C1], self.hi[C1])
        theta[C2] = np.clip(theta[C2], self.lo[C2], self.hi[C2])
        theta[N1] = np.clip(theta[N1], *N_BOUNDS)
        theta[N2] = np.clip(theta[N2], *N_BOUNDS)
        return theta

    # --- the best fit and the profile ---------------------------------------------------------
    def best(self) -> Solution:
        """The lowest chi-square classed two-arc fit.

        The best start of the scan is refined, and with it (in the same batch) further starts (an arc
        a decade or more away), taken only when the first fit ends with a parameter on a class or
        exponent bound."""
        starts = self.scan_pairs()
        if not starts:  # no interface-class arc improves on the grain-boundary arc alone
            one = self.scan_one_arc()
            if one is None:
                one = self._fallback_start()
            one[R2] = 1e-6 * self.zscale
            one[C2] = 1e-6 * self.area_cm2
            starts = [lambda: one]
        best = self.refine_many([(starts[0](), range(8))], cost_tol=BEST_TOL)[0]
        if self.on_bound(best) and len(starts) > 1:
            for sol in self.refine_many([(start(), range(8)) for start in starts[1:]], 40, cost_tol=BEST_TOL):
                if sol.chi2 < best.chi2:
                    best = sol
        return best

    def fixed_r2(self, r2: float, near: Solution | None = None) -> Solution:
        """The best fit with R2 held at ``r2`` (0: no interface arc).

        Starts: ``near`` with the interface arc's time constant kept (within its class), and the
        same with the arc at the low-capacitance edge of its class, where it overlaps the grain
        boundary most; for r2 = 0 the one-arc scan."""
        return self.fixed_r2_many([(r2, near)])[0]

    def fixed_r2_many(self, requests) -> list[Solution]:
        """``fixed_r2`` for each (r2, near) or (r2, near, explore) of ``requests``, every start of every
        request in one batch. ``explore`` False leaves out the start at the class edge: for a trial
        between two profile points already fitted from both starts, the nearer of which is ``near``."""
        todo: dict[float, list[np.ndarray]] = {}
        for r2, near, *explore in requests:
            key = float(r2)
            if key in self._cache or key in todo:
                continue
            todo[key] = self._fixed_r2_starts(key, near, explore[0] if explore else True)
        starts, owners, limits = [], [], []
        for key, candidates in todo.items():
            free = (R0, L0, R1, C1, N1) if key == 0 else (R0, L0, R1, C1, N1, C2, N2)
            for k, start in enumerate(candidates):
                start = start.copy()
                start[R2] = key
                starts.append((start, free))
                owners.append(key)
                limits.append(100 if k == 0 else EDGE_ITER)
        for key, sol in zip(owners, self.refine_many(starts, limits, cost_tol=PROFILE_TOL), strict=True):
            if key not in self._cache or sol.chi2 < self._cache[key].chi2:
                self._cache[key] = sol
        return [self._cache[float(r2)] for r2, *_ in requests]

    def _fixed_r2_starts(self, r2: float, near: Solution | None, explore: bool = True) -> list[np.ndarray]:
        candidates = []
        if r2 == 0:
            one = self.scan_one_arc()
            if one is not None:
                candidates.append(one)
        if near is not None:
            start = near.theta.copy()
            if r2 > 0 and near.theta[R2] > 0:
                start[C2] = np.clip(near.theta[C2] * near.theta[R2] / r2, self.lo[C2], self.hi[C2])
            candidates.append(start)
            if explore and r2 > 0 and start[C2] > 1.05 * self.lo[C2]:
                edge = start.copy()
                edge[C2] = self.lo[C2]
                candidates.append(edge)
        return candidates

    def low_frequency_process(self, one: Solution, near: Solution | None = None) -> Solution:
        """The second arc with no upper bound on its capacitance: a process slower than any interface
        arc (e.g. a low-frequency tail), fitted so that it does not leak into the grain-boundary arc.

        Starts: ``near`` (typically an interface arc pressed against its class's upper bound) and an arc
        of the resistance the grain-boundary arc alone leaves at f_min, peaking at f_min."""
        saved = self.hi[C2]
        self.hi[C2] = np.inf
        try:
            i = int(np.argmin(self.frequency_hz))
            r2 = max(float(self.z[i].real - one.theta[R0] - one.theta[R1]), 1e-4 * self.zscale)
            start = one.theta.copy()
            start[R2], start[C2], start[N2] = r2, 1 / (2 * np.pi * r2 * self.frequency_hz[i]), 0.9
            starts = [start] + ([near.theta] if near is not None and near.theta[R2] > 0 else [])
            sols = self.refine_many([(s, range(8)) for s in starts])
        finally:
            self.hi[C2] = saved
        return min(sols, key=lambda sol: sol.chi2)

    def profile(self, best: Solution, level: float = 4.0, scale: float | None = None, max_steps: int = 30):
        """(lower, upper, best) of R2 where chi-square is within ``level`` noise variances of its minimum.

        The noise variance is the reduced chi-square of ``best``; ``scale`` (e.g. the linearised standard
        error) sets the first trial step. ``upper`` is inf when the data do not bound R2 from above (a
        partial arc continuing far below f_min). If a lower chi-square turns up on the way, the profile
        restarts from it and returns it as ``best``.

        The lower and the upper bound are searched side by side: each round refits the trial values both
        searches ask for in one batch (:meth:`fixed_r2_many`).
        """
        while True:
            if not (scale and np.isfinite(scale) and scale > 0):
                scale = max(float(best.theta[R2]), 1e-3 * self.zscale)
            scale = min(scale, max(float(best.theta[R2]), 1e-3 * self.zscale) * 10)
            s2 = best.chi2 / self.dof
            steps = [0]  # trial fits so far (the upper search stops stepping out at max_steps)
            searches = {"lower": self._lower_search(best, level, scale),
                        "upper": self._upper_search(best, level, scale,
                                                    lambda steps=steps, limit=max_steps: steps[0] < limit)}
            bounds: dict[str, float] = {}
            asks = {}
            for side, search in searches.items():
                try:
                    asks[side] = next(search)
                except StopIteration as done:
                    bounds[side] = done.value
            better = None
            while asks:
                sides = list(asks)
                sols = iter(self.fixed_r2_many([ask for side in sides for ask in asks[side]]))
                answers = {}
                for side in sides:
                    steps[0] += 1
                    answers[side] = []
                    for sol in [next(sols) for _ in asks[side]]:
                        d = (sol.chi2 - best.chi2) / s2
                        if d < -0.05 and steps[0] < max_steps and (better is None or sol.chi2 < better.chi2):
                            better = sol
                        answers[side].append((d, sol))
                if better is not None:
                    break
                for side in sides:
                    try:
                        asks[side] = searches[side].send(answers[side])
                    except StopIteration as done:
                        bounds[side] = done.value
                        del asks[side]
            if better is None:
                return bounds["lower"], bounds["upper"], best
            best, max_steps = better, max_steps - steps[0]

    @staticmethod
    def _lower_search(best: Solution, level: float, scale: float):
        """Generator of the lower bound: yields (trial R2, near fit), receives (delta, fit), returns it."""
        r_hat = float(best.theta[R2])
        if r_hat <= 0:
            return 0.0
        [(d0, sol0)] = yield [(0.0, best)]
        if d0 <= level:
            return 0.0
        r = r_hat - np.sqrt(level) * scale
        if r <= 0:
            return (yield from TwoArcFit._root(0.0, d0, sol0, r_hat, 0.0, best, level))
        [(d, sol)] = yield [(r, best)]
        if _at_level(d, level):
            return r
        if d > level:
            return (yield from TwoArcFit._root(r, d, sol, r_hat, 0.0, best, level))
        return (yield from TwoArcFit._root(0.0, d0, sol0, r, d, sol, level))

    def _upper_search(self, best: Solution, level: float, scale: float, may_step):
        """Generator of the upper bound: step out until chi-square has risen past the level, then find the
        crossing; returns inf if the data do not bound R2 from above."""
        r_hat = float(best.theta[R2])
        r_in, d_in, near = r_hat, 0.0, best
        r = r_hat + np.sqrt(level) * scale
        while may_step() and r < 1e3 * self.zscale:
            [(d, sol)] = yield [(r, near)]
            if _at_level(d, level):
                return r
            if d > level:
                return (yield from TwoArcFit._root(r_in, d_in, near, r, d, sol, level))
            r_in, d_in, near = r, d, sol
            grow = np.sqrt(level / d) if d > 0.05 * level else 4.0
            r = r_hat + (r - r_hat) * float(np.clip(1.15 * grow, 1.3, 4.0))
        return np.inf

    @staticmethod
    def _root(r_a, d_a, sol_a, r_b, d_b, sol_b, level, iterations: int = 6):
        """Generator of the R2 between r_a and r_b where delta crosses ``level``.

        Each round asks for three trials in one batch: the regula falsi point on sqrt(delta) (Illinois) and two
        points ``ROOT_SPREAD`` of the bracket to either side of it, each started from the nearer fitted
        point; the next bracket is the tightest pair of points around the crossing, so a profile that is
        not linear in sqrt(delta) still closes in within a round or two. Where the profile steps across
        the level (another minimum takes over), the bracket narrows around the step and the search ends
        once it is ``ROOT_WIDTH`` of the first one wide."""
        target = np.sqrt(level)
        points = [(r_a, np.sqrt(max(d_a, 0.0)) - target, sol_a), (r_b, np.sqrt(max(d_b, 0.0)) - target, sol_b)]
        a, b = points
        start_width = abs(r_b - r_a)
        for _ in range(iterations):
            (ra, ga, sa), (rb, gb, sb) = a, b
            width = abs(rb - ra)
            if ga == gb or width <= ROOT_WIDTH * start_width:  # closed in on a step of the profile
                break
            inner = (min(ra, rb) + 0.02 * width, max(ra, rb) - 0.02 * width)
            r = float(np.clip(ra + (rb - ra) * ga / (ga - gb), *inner))
            trials = sorted({float(np.clip(r + k * ROOT_SPREAD * width, *inner)) for k in (-1, 0, 1)})
            answers = yield [(t, sa if abs(t - ra) < abs(t - rb) else sb, False) for t in trials]
            new = [(t, np.sqrt(max(d, 0.0)) - target, sol) for t, (d, sol) in zip(trials, answers, strict=True)]
            closest = min(new, key=lambda p: abs(p[1]))
            if abs(closest[1]) < ROOT_TOL:
                return closest[0]
            # the new bracket: the first sign change met going from a towards b
            ordered = sorted([a, b, *new], key=lambda p: p[0], reverse=bool(ra > rb))
            for p, q in zip(ordered, ordered[1:], strict=False):
                if (p[1] > 0) != (q[1] > 0):
                    # an end kept from the last bracket weighs half (Illinois), so that regula falsi
                    # does not creep towards the crossing from one side
                    a, b = [(e[0], 0.5 * e[1], e[2]) if e is a or e is b else e for e in (p, q)]
                    break
        (ra, ga, _), (rb, gb, _) = a, b
        return float(ra + (rb - ra) * ga / (ga - gb)) if ga != gb else float(0.5 * (ra + rb))

def _at_level(delta: float, level: float) -> bool:
    """A profile trial close enough to the bound sought: sqrt(delta) within ``ROOT_TOL`` of sqrt(level)."""
    return abs(np.sqrt(max(delta, 0.0)) - np.sqrt(level)) < ROOT_TOL
