"""Bounded least squares of the two-arc circuit for many starts at once.

The circuit R0-L0-(R1|CPE1)-(R2|CPE2), each arc R / (1 + (j w R C)^n), is evaluated with its Jacobian
for a batch of parameter vectors in one pass of array operations (a spectrum has ~130 points, so the
cost of an evaluation is the number of array operations, not their size). :func:`refine_batch` runs a
projected Levenberg-Marquardt on every member of the batch in lockstep: one evaluation per iteration
gives the trial's cost and, if the trial is accepted, its Jacobian. Each member follows exactly the
iteration of a one-start Levenberg-Marquardt (its own damping, its own bound set, its own stopping
test); the batch only shares the array operations.

Optimisation variables: log R0, log L0, log R1, log C1, n1, log R2, log C2, n2 (``LOG`` marks the logs);
parameters not free in a member are held at their value (an arc with R = 0 contributes nothing).
"""

from __future__ import annotations

import numpy as np

LOG = np.array([True, True, True, True, False, True, True, False])
#: relative cost decrease at which a member stops: ~3e-6 noise variances for 130 points
COST_TOL = 1e-6
LAMBDA_START, LAMBDA_MAX = 1e-3, 1e12
_J_HALF_PI = 0.5j * np.pi


class Spectrum:
    """What every evaluation of one spectrum reuses: log w, the weights, and j w and the data weighted."""

    def __init__(self, omega, z, w):
        self.log_w = np.log(omega)
        self.w = w
        self.jw_w = 1j * omega * w
        self.z_w = z * w
        self.size = z.size


def residuals_and_jacobian(sp: Spectrum, theta: np.ndarray, want_jac: bool = True):
    """Weighted residuals (B, 2N) and, if wanted, their Jacobian (B, 8, 2N) in the optimisation variables.

    Real and imaginary parts are interleaved (the order of residuals does not change a least-squares
    problem). Written for few array operations: both arcs at once, basic slices only."""
    r = theta[:, 2::3]  # R1, R2 (B, 2)
    nn = theta[:, 4::3, None]  # n1, n2 (B, 2, 1)
    u = np.log(np.maximum(r, 1e-300) * theta[:, 3::3])[..., None] + sp.log_w  # log(w R C), (B, 2, N)
    x = np.exp(nn * u) * np.exp(_J_HALF_PI * nn)  # (j w R C)^n
    d = 1.0 / (1.0 + x)
    za = (r[..., None] * sp.w) * d  # each arc, weighted
    jac = np.empty((theta.shape[0], 8, sp.size), complex)
    r0 = np.multiply(theta[:, 0, None], sp.w, out=jac[:, 0].real)  # d/d log R0 (real)
    jac[:, 0].imag = 0.0
    l0 = np.multiply(theta[:, 1, None], sp.jw_w, out=jac[:, 1])  # d/d log L0
    z = za[:, 0] + za[:, 1]
    z += l0
    z.real += r0
    z -= sp.z_w
    res = z.view(float)
    if not want_jac:
        return res, None
    q = za * x * d  # R x d^2
    dlog_c = np.multiply(-nn, q, out=jac[:, 3::3])
    np.add(za, dlog_c, out=jac[:, 2::3])
    u = u + _J_HALF_PI
    u *= q
    np.negative(u, out=jac[:, 4::3])
    return res, jac.view(float)


def to_x(theta: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(LOG, np.log(np.maximum(theta, 1e-300)), theta)


def bounds_x(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds in the optimisation variables (log of 0 is -inf)."""
    with np.errstate(divide="ignore"):
        return np.where(LOG, np.log(lo), lo), np.where(LOG, np.log(hi), hi)


def refine_batch(sp: Spectrum, thetas, free, lo_x, hi_x, max_iter=100, cost_tol: float = COST_TOL):
    """Refine every start of ``thetas`` (B, 8); ``free`` (B, 8) bool marks each member's free parameters,
    ``lo_x``/``hi_x`` (8,) or (B, 8) the bounds in the optimisation variables; ``max_iter`` (int or (B,))
    the accepted steps allowed to each. Returns (thetas (B, 8), chi-square (B,), evaluations (B,)).

    Per member: a projected Levenberg-Marquardt (bounds by clipping; a variable on a bound with the
    gradient pushing outwards held for the step), stopping when a step no longer lowers the cost by more
    than ``cost_tol`` relative, when the linearisation (trusted: little damping) predicts no more than that
    for the next step, which is then not tried, or when no damping finds a lower cost.
    The state of the members still iterating is kept compact, so an iteration costs the same few dozen
    array operations whatever the batch size."""
    with np.errstate(all="ignore"):  # trial steps may overflow or meet a singular system: they are rejected
        return _refine_batch(sp, thetas, free, lo_x, hi_x, max_iter, cost_tol)


def _refine_batch(sp, thetas, free, lo_x, hi_x, max_iter, cost_tol):
    base = np.array(thetas, dtype=float, copy=True)
    b = base.shape[0]
    free = np.broadcast_to(np.asarray(free, bool), (b, 8))
    x_base = to_x(base)
    # a held parameter is a variable whose bounds are its value: clipping keeps it, and it is never active
    lo = np.where(free, np.broadcast_to(lo_x, (b, 8)), x_base)
    hi = np.where(free, np.broadcast_to(hi_x, (b, 8)), x_base)
    max_iter = np.array(np.broadcast_to(np.asarray(max_iter), (b,)))
    x = np.clip(x_base, lo, hi)
    x = np.where(np.isfinite(x), x, 0.0)
    theta = _theta_of(x)
    res, jac = residuals_and_jacobian(sp, theta)
    cost = np.einsum("bi,bi->b", res, res)
    cost[~np.isfinite(cost)] = np.inf
    out_theta, out_cost, nfev = theta.copy(), cost.copy(), np.ones(b, int)
    idx = np.arange(b)
    lam = np.full(b, LAMBDA_START)
    nu = np.full(b, 2.0)
    steps = np.zeros(b, int)
    live = np.isfinite(cost) & (max_iter > 0)
    eye = np.eye(8)
    evaluations = 1
    while True:
        if not live.all():
            nfev[idx[~live]] = evaluations
            idx, x, theta, cost, res, jac = idx[live], x[live], theta[live], cost[live], res[live], jac[live]
            lam, nu, steps, lo, hi, max_iter = lam[live], nu[live], steps[live], lo[live], hi[live], max_iter[live]
            if idx.size == 0:
                break
        g = np.einsum("bkn,bn->bk", jac, res)  # half the gradient of the cost
        # active: free and not on a bound with the gradient pushing outwards
        act = np.clip(x - g * 1e300, lo, hi) != x
        live = act.any(1)
        if not live.all():  # every free variable held on a bound: done
            out_theta[idx[~live]], out_cost[idx[~live]] = theta[~live], cost[~live]
            continue
        m = np.where(act[:, :, None] & act[:, None, :], jac @ jac.transpose(0, 2, 1), eye)
        diag = np.einsum("bii->bi", m)  # a view: Marquardt's damping added in place
        diag += lam[:, None] * np.maximum(diag, 1e-30)
        g = np.where(act, g, 0.0)
        x_full = x - _solve(m, g)
        x_new = np.clip(x_full, lo, hi)
        over = x_new != x_full  # variables the step would take past a bound: taken to it, the rest re-solved
        if over.any():
            x_full, x_new, over = _to_bounds(x, x_new, over, act, m, g, lo, hi)
        dx = x_new - x
        jdx = np.einsum("bk,bkn->bn", dx, jac)
        # the cost decrease the linearisation predicts for the step taken
        pred = -2.0 * np.einsum("bk,bk->b", g, dx) - np.einsum("bn,bn->b", jdx, jdx)
        # a step that by the linearisation cannot lower the cost by more than the tolerance ends the fit
        # without being tried (with little damping the linearisation is trusted), unless a bound still cuts
        # the step short: then the prediction is of another step and says nothing of the optimum
        flat = (pred <= cost_tol * cost) & (lam <= 1e-2) & ~over.any(1)
        if flat.all():
            out_theta[idx], out_cost[idx] = theta, cost
            nfev[idx] = evaluations
            break
        theta_new = _theta_of(x_new)
        res_new, jac_new = residuals_and_jacobian(sp, theta_new)
        evaluations += 1
        c_new = np.einsum("bi,bi->b", res_new, res_new)
        gain = cost - c_new
        ok = gain > 0  # NaN never is
        steps += ok
        # damping from the gain ratio (Nielsen): less where the linearisation predicted the step well
        t = 2.0 * gain / pred - 1.0
        lam *= np.where(ok, np.fmax(1.0 / 3.0, 1.0 - t * t * t), nu)
        np.maximum(lam, 1e-9, out=lam)
        nu = np.where(ok, 2.0, nu + nu)
        ok &= ~flat
        done = np.where(ok, (gain <= cost_tol * cost) | (steps >= max_iter), lam >= LAMBDA_MAX) | flat
        if ok.all():
            x, theta, cost, res, jac = x_new, theta_new, c_new, res_new, jac_new
        else:
            x = np.where(ok[:, None], x_new, x)
            theta = np.where(ok[:, None], theta_new, theta)
            cost = np.where(ok, c_new, cost)
            res = np.where(ok[:, None], res_new, res)
            jac = np.where(ok[:, None, None], jac_new, jac)
        live = ~done
        if done.any():
            out_theta[idx[done]], out_cost[idx[done]] = theta[done], cost[done]
    return np.where(free, out_theta, base), out_cost, nfev


def _to_bounds(x, x_new, over, act, m, g, lo, hi):
    """The step with the variables in ``over`` taken to their bounds and the other active ones re-solved
    for that (the damped normal equations restricted to them): a projected Newton step whose predicted
    decrease is that of the step taken. Returns (unclipped, clipped, still past a bound)."""
    d_over = np.where(over, x_new - x, 0.0)
    keep = act & ~over
    eye = np.eye(m.shape[1])
    m_keep = np.where(keep[:, :, None] & keep[:, None, :], m, eye)
    rhs = np.where(keep, -g - np.einsum("bkl,bl->bk", np.where(keep[:, :, None], m, 0.0), d_over), 0.0)
    x_full = x + d_over + _solve(m_keep, rhs)
    x_clip = np.clip(x_full, lo, hi)
    return x_full, x_clip, x_clip != x_full


def _theta_of(x):
    theta = np.exp(x)
    theta[:, 4::3] = x[:, 4::3]  # the exponents are not logs
    return theta


try:  # the stacked solver without np.linalg.solve's per-call checks (a singular system gives NaN: rejected)
    from numpy.linalg._umath_linalg import solve1 as _solve1
except ImportError:  # pragma: no cover - numpy without the private gufunc
    _solve1 = None


def _solve(m, rhs):
    if _solve1 is not None:
        return _solve1(m, rhs)
    try:
        return np.linalg.solve(m, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.full_like(rhs, np.nan)
