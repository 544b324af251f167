"""Each arc's derived quantities carry a standard error propagated from the fit's covariance of R, Q and n,
and it agrees with the scatter of the quantity over fits of independently noisy spectra."""

import numpy as np

from workbench.impedance import arc_summary, fit_circuit
from workbench.impedance.synthetic import PAPER_CIRCUIT, log_frequencies, noisy_spectrum, paper_cell_parameters

AREA = 0.5675


def test_propagated_errors_match_the_scatter_of_repeated_fits():
    true = paper_cell_parameters(24.2)
    freq = log_frequencies()
    rows = [arc_summary(fit_circuit(PAPER_CIRCUIT, freq, noisy_spectrum(true, freq, noise=0.01, rng=seed)), AREA)
            for seed in range(24)]
    for k in range(2):
        arcs = [r[k] for r in rows]
        for value, error in (("capacitance_f", "capacitance_stderr_f"),
                             ("apex_frequency_hz", "apex_frequency_stderr_hz"),
                             ("r_ohm_cm2", "r_stderr_ohm_cm2"), ("n", "n_stderr")):
            scatter = np.std([getattr(a, value) for a in arcs], ddof=1)
            said = np.median([getattr(a, error) for a in arcs])
            assert np.isfinite(said) and said > 0, (k, error)
            assert 0.5 < said / scatter < 2.0, (k, value, said, scatter)


def test_a_fixed_parameter_adds_no_error():
    true = paper_cell_parameters(24.2)
    freq = log_frequencies()
    z = noisy_spectrum(true, freq, noise=0.002, rng=3)
    free = arc_summary(fit_circuit(PAPER_CIRCUIT, freq, z), AREA)[1]
    fixed = arc_summary(fit_circuit(PAPER_CIRCUIT, freq, z, fixed={"CPE2_1": free.n}), AREA)[1]
    assert fixed.n_stderr == 0.0
    assert 0 < fixed.capacitance_stderr_f < free.capacitance_stderr_f, "n held: C is known better"
