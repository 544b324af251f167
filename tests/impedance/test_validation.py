"""lin-KK test and DRT on synthetic spectra of the paper's cell."""

import numpy as np

from workbench.impedance.synthetic import log_frequencies, noisy_spectrum, paper_cell_parameters
from workbench.impedance.validation import drt, lin_kk

FREQ = log_frequencies()


def test_lin_kk_passes_on_circuit_spectrum():
    z = noisy_spectrum(paper_cell_parameters(24.2), FREQ, noise=0.001, rng=1)
    result = lin_kk(FREQ, z)
    assert result.passed, result.verdict
    assert result.threshold == 0.01
    assert result.mu >= 0.85 and result.n_elements > 5
    assert result.residuals_real.shape == FREQ.shape


def test_lin_kk_fails_on_drifting_spectrum():
    z = noisy_spectrum(paper_cell_parameters(24.2), FREQ, noise=0.001, rng=1)
    elapsed_s = np.cumsum(1.0 / FREQ)  # sweep from high to low frequency
    drifting = z * (1 + 0.05 * elapsed_s / elapsed_s[-1])
    result = lin_kk(FREQ, drifting)
    assert not result.passed, result.verdict
    assert "fail" in result.verdict


def test_lin_kk_verdict_over_the_trusted_band():
    z = noisy_spectrum(paper_cell_parameters(24.2), FREQ, noise=0.001, rng=1)
    high = FREQ > 1e6
    z_bad_top = z.copy()
    z_bad_top[high] *= 1 + 0.03 * np.sign(np.sin(np.arange(high.sum())))  # analyser error above 1 MHz
    assert not lin_kk(FREQ, z_bad_top).passed
    judged = lin_kk(FREQ, z_bad_top, trusted_max_frequency_hz=1e6)
    assert judged.passed, judged.verdict
    assert judged.max_residual > judged.max_residual_judged
    assert "up to 1e+06 Hz" in judged.verdict
    elapsed_s = np.cumsum(1.0 / FREQ)
    drifting = z * (1 + 0.05 * elapsed_s / elapsed_s[-1])  # drift shows at the low frequencies, measured last
    assert not lin_kk(FREQ, drifting, trusted_max_frequency_hz=1e6).passed


def test_drt_finds_two_arcs_for_paper_spectrum_and_one_without_interface():
    two = drt(FREQ, noisy_spectrum(paper_cell_parameters(24.2), FREQ, noise=0.005, rng=2))
    peaks = two.peaks()
    assert len(peaks) == 2
    assert 5e5 < peaks[1].frequency_hz < 2e6 or 5e5 < peaks[0].frequency_hz < 2e6
    assert abs(two.r_inf_ohm - 19.97) < 2.0
    one = drt(FREQ, noisy_spectrum(paper_cell_parameters(None), FREQ, noise=0.005, rng=2))
    assert len(one.peaks()) == 1
    assert abs(one.peaks()[0].resistance_ohm - 39.9) < 4.0


def test_drt_with_given_lambda_and_identity_penalty():
    z = noisy_spectrum(paper_cell_parameters(24.2), FREQ, noise=0.001, rng=3)
    result = drt(FREQ, z, lambda_=1.0, regularisation="identity")
    assert result.lambda_ == 1.0
    assert np.all(result.gamma_ohm >= 0)
    total = result.r_inf_ohm + np.sum(result.gamma_ohm) * np.log(result.tau_s[1] / result.tau_s[0])
    assert abs(total - z[-1].real) / z[-1].real < 0.05
