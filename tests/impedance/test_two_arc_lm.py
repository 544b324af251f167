"""The batched Levenberg-Marquardt of the two-arc circuit: its Jacobian; a batch gives each member its own fit."""

import numpy as np

from workbench.impedance import two_arc_lm as lm
from workbench.impedance.derived import electrode_area_cm2
from workbench.impedance.synthetic import log_frequencies, noisy_spectrum, paper_cell_parameters
from workbench.impedance.two_arcs import R2, TwoArcFit

AREA = float(electrode_area_cm2(8.5))
F = log_frequencies(13e6, 5.0, 20)


def test_jacobian_matches_finite_differences():
    fit = TwoArcFit(F, noisy_spectrum(paper_cell_parameters(3.0), F, 0.005, 0), AREA)
    sp = lm.Spectrum(fit.omega, fit.z, fit.w)
    theta = np.array([[20.5, 1e-7, 39.9, 4e-9, 0.9, 10.6, 7e-7, 0.85],
                      [19.0, 3e-7, 45.0, 2e-9, 0.8, 1.0, 3e-7, 0.95]])
    res, jac = lm.residuals_and_jacobian(sp, theta)
    x = lm.to_x(theta)
    for k in range(8):
        h = 1e-6
        xp, xm = x.copy(), x.copy()
        xp[:, k] += h
        xm[:, k] -= h
        num = (lm.residuals_and_jacobian(sp, lm._theta_of(xp), False)[0]
               - lm.residuals_and_jacobian(sp, lm._theta_of(xm), False)[0]) / (2 * h)
        assert np.allclose(jac[:, k], num, rtol=1e-5, atol=1e-6 * np.abs(num).max())
    # the residuals are the weighted model minus the weighted data
    z = fit.impedance(theta[0])
    assert np.allclose(res[0].view(complex), (z - fit.z) * fit.w)


def test_a_batch_gives_each_member_its_own_fit():
    z = noisy_spectrum(paper_cell_parameters(24.2), F, 0.005, 3)
    fit = TwoArcFit(F, z, AREA)
    best = fit.best()
    starts = [(best.theta * f, free) for f, free in ((1.0, range(8)), (1.3, range(8)),
                                                      (0.8, (0, 1, 2, 3, 4, 6, 7)))]
    batch = fit.refine_many(starts)
    for (theta0, free), sol in zip(starts, batch, strict=True):
        alone = fit.refine(theta0, free)
        assert np.allclose(alone.theta, sol.theta, rtol=1e-9) and np.isclose(alone.chi2, sol.chi2, rtol=1e-9)
    # a parameter not free is held where it started
    assert batch[2].theta[R2] == starts[2][0][R2]
    # the fit reaches the truth's neighbourhood: chi-square near the number of residuals (0.5 % noise, |Z| weights)
    assert batch[0].chi2 / fit.dof < 2 * 0.005 ** 2
