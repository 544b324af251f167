"""Circuit fitting: recovery without a guess, fixed parameters, weighting, standard errors."""

import numpy as np
import pytest

from workbench.impedance import Circuit, fit_circuit
from workbench.impedance.synthetic import (
    PAPER_CIRCUIT,
    PAPER_CIRCUIT_ONE_ARC,
    log_frequencies,
    noisy_spectrum,
    paper_cell_parameters,
    paper_cell_population,
)

FREQ = log_frequencies(13e6, 5.0, 20)


@pytest.mark.parametrize("r_interface_ohm_cm2", [2.0, 24.2, 300.0, 3000.0, 9000.0])
def test_recovers_paper_cell_without_guess(r_interface_ohm_cm2):
    true = paper_cell_parameters(r_interface_ohm_cm2)
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=5)
    fit = fit_circuit(PAPER_CIRCUIT, FREQ, z)
    assert fit.success
    for name in ("R0", "R1", "R2"):
        assert fit.values[name] == pytest.approx(true[name], rel=0.02), name
    for name in ("CPE1_1", "CPE2_1"):
        assert fit.values[name] == pytest.approx(true[name], abs=0.02), name


def test_no_guess_reaches_the_optimum_found_from_the_truth():
    true = paper_cell_parameters(24.2)
    z = noisy_spectrum(true, FREQ, noise=0.005, rng=9)
    auto = fit_circuit(PAPER_CIRCUIT, FREQ, z)
    from_truth = fit_circuit(PAPER_CIRCUIT, FREQ, z, initial=true)
    assert auto.chi_square <= from_truth.chi_square * (1 + 1e-6)


def test_one_arc_circuit_and_noise_free_exactness():
    true = paper_cell_parameters(None)
    z = Circuit(PAPER_CIRCUIT_ONE_ARC).impedance(FREQ, true)
    fit = fit_circuit(PAPER_CIRCUIT_ONE_ARC, FREQ, z)
    for name, value in true.items():
        assert fit.values[name] == pytest.approx(value, rel=1e-5), name
    assert fit.chi_square < 1e-12


def test_arcs_reported_grain_boundary_first_even_if_written_in_other_order():
    true = paper_cell_parameters(24.2)
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=1)
    fit = fit_circuit("R0-L0-p(R2,CPE2)-p(R1,CPE1)", FREQ, z)
    # the first block in the string gets the smaller capacitance (grain boundary)
    assert fit.values["R2"] == pytest.approx(true["R1"], rel=0.02)
    assert fit.values["R1"] == pytest.approx(true["R2"], rel=0.02)


def test_fixed_parameters_stay_and_others_are_fitted():
    true = paper_cell_parameters(24.2)
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=2)
    fit = fit_circuit(PAPER_CIRCUIT, FREQ, z, fixed={"L0": 5e-8, "CPE2_1": 0.9})
    assert fit.values["L0"] == 5e-8 and fit.values["CPE2_1"] == 0.9
    assert fit.stderr["L0"] == 0.0
    assert set(fit.fixed) == {"L0", "CPE2_1"}
    assert "L0" not in fit.correlation_names and fit.correlation.shape == (6, 6)
    assert fit.values["R2"] == pytest.approx(true["R2"], rel=0.02)
    # a wrong fixed value changes the others: they really are fitted around it
    shifted = fit_circuit(PAPER_CIRCUIT, FREQ, z, fixed={"R0": 25.0})
    assert shifted.values["R0"] == 25.0
    assert shifted.values["R1"] < true["R1"] - 3.0


def test_fixed_names_take_values_from_initial():
    true = paper_cell_parameters(300.0)
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=3)
    start = {k: v * 1.3 for k, v in true.items()}
    fit = fit_circuit(PAPER_CIRCUIT, FREQ, z, initial=start, fixed=["R1"])
    assert fit.values["R1"] == start["R1"]
    with pytest.raises(ValueError):
        fit_circuit(PAPER_CIRCUIT, FREQ, z, fixed=["CPE1_1"])
    with pytest.raises(ValueError, match="a CPE exponent lies in"):  # 0.9 x 1.3: no exponent can be that
        fit_circuit(PAPER_CIRCUIT, FREQ, z, initial=start, fixed=["CPE1_1"])


def test_bounds_are_respected():
    true = paper_cell_parameters(24.2)
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=4)
    fit = fit_circuit(PAPER_CIRCUIT, FREQ, z, bounds={"R0": (21.0, 30.0), "CPE2_1": (0.5, 0.8)})
    assert 21.0 <= fit.values["R0"] <= 30.0
    assert 0.5 <= fit.values["CPE2_1"] <= 0.8


@pytest.mark.parametrize("weighting", ["modulus", "proportional", "unit", "sigma"])
def test_weighting_options(weighting):
    true = paper_cell_parameters(24.2)
    circuit = Circuit(PAPER_CIRCUIT)
    z_true = circuit.impedance(FREQ, true)
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=6)
    w = 0.002 * np.abs(z_true) if weighting == "sigma" else weighting
    fit = fit_circuit(circuit, FREQ, z, weighting=w)
    assert fit.values["R2"] == pytest.approx(true["R2"], rel=0.02)
    diff = z - fit.predict(FREQ)
    if weighting == "unit":
        expected = np.sum(diff.real ** 2 + diff.imag ** 2)
    elif weighting == "proportional":
        expected = np.sum((diff.real / np.abs(z.real)) ** 2 + (diff.imag / np.abs(z.imag)) ** 2)
    elif weighting == "sigma":
        expected = np.sum((diff.real ** 2 + diff.imag ** 2) / w ** 2)
        assert fit.reduced_chi_square == pytest.approx(1.0, abs=0.25)
    else:
        expected = np.sum((diff.real ** 2 + diff.imag ** 2) / np.abs(z) ** 2)
    assert fit.chi_square == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(fit.residuals_real, diff.real / np.abs(z))


def test_result_report_and_bad_input():
    true = paper_cell_parameters(24.2)
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=7)
    fit = fit_circuit(PAPER_CIRCUIT, FREQ, z)
    text = fit.report()
    assert "R2" in text and "reduced" in text
    assert fit.n_function_evals > 0 and fit.elapsed_s > 0
    with pytest.raises(ValueError):
        fit_circuit(PAPER_CIRCUIT, FREQ, z, weighting="bogus")
    with pytest.raises(ValueError):
        fit_circuit(PAPER_CIRCUIT, FREQ[:-1], z)


def test_generic_circuit_without_grid_scan():
    circuit = Circuit("R0-p(R1,C1-p(R2,CPE2))")
    true = np.array([10.0, 100.0, 1e-6, 50.0, 1e-4, 0.85])
    freq = log_frequencies(1e6, 0.1, 10)
    z = circuit.impedance(freq, true)
    fit = fit_circuit(circuit, freq, z)
    assert fit.chi_square < 1e-10
    np.testing.assert_allclose([fit.values[n] for n in circuit.parameter_names], true, rtol=1e-4)


def test_standard_errors_match_scatter():
    true = paper_cell_parameters(24.2)
    circuit = Circuit(PAPER_CIRCUIT)
    rng = np.random.default_rng(123)
    names = circuit.parameter_names
    values, errors = [], []
    for _ in range(50):
        z = noisy_spectrum(true, FREQ, noise=0.005, rng=rng)
        fit = fit_circuit(circuit, FREQ, z, initial=true)
        values.append([fit.values[n] for n in names])
        errors.append([fit.stderr[n] for n in names])
    ratio = np.median(errors, axis=0) / np.std(values, axis=0, ddof=1)
    assert np.all((ratio > 1 / 1.5) & (ratio < 1.5)), dict(zip(names, ratio, strict=True))


def _population_spectra(indices, seed=2024, n_cells=200, noise=0.005):
    cells = paper_cell_population(n_cells, seed=seed)
    rng = np.random.default_rng(seed + 1)
    spectra = [noisy_spectrum(p, FREQ, noise, rng) for p in cells]
    return [(cells[i], spectra[i]) for i in indices]


@pytest.mark.parametrize("index", [20, 93, 122, 188])
def test_small_interface_arc_reaches_the_optimum_found_from_the_truth(index):
    # 0.2-1.1 Ohm cm2 interface arcs under the grain-boundary arc, where the first
    # grid start ends in a split grain-boundary arc
    (true, z), = _population_spectra([index])
    auto = fit_circuit(PAPER_CIRCUIT, FREQ, z)
    from_truth = fit_circuit(PAPER_CIRCUIT, FREQ, z, initial=true)
    assert auto.chi_square <= from_truth.chi_square * (1 + 1e-4)


def test_small_debye_arc_is_not_replaced_by_a_split_grain_boundary_arc():
    true = paper_cell_parameters(0.3)
    true["CPE2_1"] = 1.0
    z = noisy_spectrum(true, FREQ, noise=0.002, rng=3)
    auto = fit_circuit(PAPER_CIRCUIT, FREQ, z)
    from_truth = fit_circuit(PAPER_CIRCUIT, FREQ, z, initial=true)
    assert auto.chi_square <= from_truth.chi_square * (1 + 1e-4)
    assert auto.values["R1"] == pytest.approx(true["R1"], rel=0.02)


def test_exponent_heading_for_one_is_put_on_the_bound():
    true = paper_cell_parameters(None)
    true["CPE1_1"] = 1.0
    z = Circuit(PAPER_CIRCUIT_ONE_ARC).impedance(FREQ, true)
    fit = fit_circuit(PAPER_CIRCUIT_ONE_ARC, FREQ, z)
    assert fit.values["CPE1_1"] == 1.0
    assert fit.chi_square < 1e-12
    assert fit.n_function_evals < 250  # not followed there through the logistic transform
    for name, value in true.items():
        assert fit.values[name] == pytest.approx(value, rel=1e-5), name
