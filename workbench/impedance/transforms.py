"""Unconstrained reparametrisation of bounded circuit parameters for the optimiser.

Each parameter p is written as a function of a free variable u:

* (0, inf)            p = exp(u)                   default for R, C, L, Q, tau ...
* (lo, hi), 0 < lo    log p = a + (b - a) s(u)      a, b = log lo, log hi; s = logistic
* (lo, hi), lo <= 0   p = lo + (hi - lo) s(u)       default for CPE n: (0, 1)
* (lo, inf)           p = lo + exp(u)
* (-inf, hi)          p = hi - exp(u)
* (-inf, inf)         p = u

so parameters that span many decades are searched on a log scale and the
optimiser can run without explicit bounds.
"""

from __future__ import annotations

import numpy as np

LOG, LOG_LOGISTIC, LOGISTIC, SHIFTED_LOG, MIRRORED_LOG, LINEAR = range(6)
_EDGE = 1e-3  # starts are kept this fraction of the range away from finite bounds


def _sigmoid(u):
    return 0.5 * (1.0 + np.tanh(0.5 * u))


class Transform:
    """Vectorised map between free variables u and parameters p within (lo, hi)."""

    def __init__(self, lower, upper):
        lo = np.asarray(lower, dtype=float)
        hi = np.asarray(upper, dtype=float)
        if np.any(lo >= hi):
            raise ValueError("every lower bound must be below its upper bound")
        self.lo, self.hi = lo, hi
        kind = np.full(lo.shape, LINEAR)
        finite_lo, finite_hi = np.isfinite(lo), np.isfinite(hi)
        kind[finite_lo & ~finite_hi] = SHIFTED_LOG
        kind[(lo == 0) & ~finite_hi] = LOG
        kind[~finite_lo & finite_hi] = MIRRORED_LOG
        kind[finite_lo & finite_hi] = LOGISTIC
        kind[finite_lo & finite_hi & (lo > 0)] = LOG_LOGISTIC
        self.kind = kind
        self._groups = [(k, np.flatnonzero(kind == k)) for k in (LOG, LOG_LOGISTIC, LOGISTIC, SHIFTED_LOG,
                                                                   MIRRORED_LOG) if np.any(kind == k)]
        with np.errstate(divide="ignore"):
            self.log_lo = np.where(lo > 0, np.log(np.where(lo > 0, lo, 1.0)), 0.0)
            self.log_hi = np.where(hi > 0, np.log(np.where(hi > 0, hi, 1.0)), 0.0)

    def to_params(self, u):
        """p(u) and dp/du."""
        u = np.asarray(u, dtype=float)
        p = u.copy()
        dp = np.ones_like(u)
        for kind, m in self._groups:
            if kind == LOG:
                e = np.exp(u[m])
                p[m], dp[m] = e, e
            elif kind == SHIFTED_LOG:
                e = np.exp(u[m])
                p[m], dp[m] = self.lo[m] + e, e
            elif kind == MIRRORED_LOG:
                e = np.exp(u[m])
                p[m], dp[m] = self.hi[m] - e, -e
            elif kind == LOGISTIC:
                s = _sigmoid(u[m])
                span = self.hi[m] - self.lo[m]
                p[m], dp[m] = self.lo[m] + span * s, span * s * (1.0 - s)
            elif kind == LOG_LOGISTIC:
                s = _sigmoid(u[m])
                span = self.log_hi[m] - self.log_lo[m]
                pm = np.exp(self.log_lo[m] + span * s)
                p[m], dp[m] = pm, pm * span * s * (1.0 - s)
        return p, dp

    def to_free(self, p):
        """u(p), with p first moved inside the bounds."""
        p = np.asarray(p, dtype=float)
        lo, hi, k = self.lo, self.hi, self.kind
        span = np.where(np.isfinite(hi - lo), hi - lo, 0.0)
        inside = np.clip(p, lo + _EDGE * span, hi - _EDGE * span)
        u = inside.copy()
        tiny = np.finfo(float).tiny
        m = k == LOG
        u[m] = np.log(np.maximum(inside[m], tiny))
        m = k == SHIFTED_LOG
        u[m] = np.log(np.maximum(inside[m] - lo[m], tiny))
        m = k == MIRRORED_LOG
        u[m] = np.log(np.maximum(hi[m] - inside[m], tiny))
        m = k == LOGISTIC
        s = (inside[m] - lo[m]) / (hi[m] - lo[m])
        s = np.clip(s, _EDGE, 1 - _EDGE)
        u[m] = np.log(s / (1.0 - s))
        m = k == LOG_LOGISTIC
        s = (np.log(inside[m]) - self.log_lo[m]) / (self.log_hi[m] - self.log_lo[m])
        s = np.clip(s, _EDGE, 1 - _EDGE)
        u[m] = np.log(s / (1.0 - s))
        return u
