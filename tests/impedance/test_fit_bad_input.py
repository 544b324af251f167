"""Bad input to the fitter gets a clear error or a warning carried by the result, never a silent success.

Classes: deeply nested circuits (CircuitError, not RecursionError), zero spectra, non-finite or non-numeric
starting and fixed values, fewer distinct frequencies than free parameters, an imaginary part on the
wrong side. Property-based over generated inputs (run with --hypothesis-show-statistics for the counts).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.impedance import CircuitError, fit_circuit
from workbench.impedance.circuits import MAX_NESTING, Circuit
from workbench.impedance.synthetic import PAPER_CIRCUIT, log_frequencies, noisy_spectrum, paper_cell_parameters

FREQ = log_frequencies(1e6, 1.0, 8)
ONE_ARC = "R0-p(R1,CPE1)"
TRUE = {"R0": 10.0, "R1": 100.0, "CPE1_0": 1e-6, "CPE1_1": 0.9}
Z = Circuit(ONE_ARC).impedance(FREQ, TRUE)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def nested(depth: int, leaf: str = "C") -> str:
    return "R0-" + "".join(f"p(R{i},{leaf}{i}-" for i in range(1, depth + 1)) + "R999" + ")" * depth


@SETTINGS
@given(st.integers(min_value=0, max_value=600), st.sampled_from(["C", "CPE", "L"]))
def test_deep_nesting_is_a_circuit_error_not_a_recursion_error(depth, leaf):
    text = nested(depth, leaf)
    if depth > MAX_NESTING:
        with pytest.raises(CircuitError, match="nested more than"):
            Circuit(text)
        with pytest.raises(CircuitError):
            fit_circuit(text, FREQ, Z)
    else:
        circuit = Circuit(text)
        z = circuit.impedance(FREQ, np.full(circuit.n_params, 0.5))
        assert np.all(np.isfinite(z))


@SETTINGS
@given(st.sampled_from([0.0, 1e-300, 1.0, -1.0]), st.integers(min_value=0, max_value=FREQ.size))
def test_zero_spectra_are_refused_or_weighed_with_a_reason(value, n_zero):
    z = np.full(FREQ.size, value, dtype=complex)
    z[:n_zero] = 0.0
    if np.all(z == 0):
        with pytest.raises(ValueError, match="zero at every frequency"):
            fit_circuit(ONE_ARC, FREQ, z)
    elif np.any(z == 0):
        with pytest.raises(ValueError, match="exactly zero at"):
            fit_circuit(ONE_ARC, FREQ, z)
    else:  # a constant real spectrum: fitted (an arc of no size), never a crash
        fit = fit_circuit(ONE_ARC, FREQ, z)
        assert np.isfinite(fit.chi_square)


@SETTINGS
@given(st.sampled_from(list(TRUE)), st.sampled_from([np.nan, np.inf, -np.inf, "abc", None]),
       st.sampled_from(["initial", "fixed"]))
def test_non_finite_start_or_fixed_value_names_the_parameter(name, bad, where):
    values = dict(TRUE)
    values[name] = bad
    kwargs = {"initial": values} if where == "initial" else {"fixed": {name: bad}}
    with pytest.raises(ValueError, match=f"{where} value of {name} is"):
        fit_circuit(ONE_ARC, FREQ, Z, **kwargs)


@SETTINGS
@given(st.integers(min_value=1, max_value=8), st.integers(min_value=4, max_value=40), st.integers(0, 2 ** 16))
def test_fewer_distinct_frequencies_than_parameters_is_never_a_silent_success(n_distinct, n_points, seed):
    rng = np.random.default_rng(seed)
    distinct = np.geomspace(1e5, 1e2, n_distinct)
    f = rng.choice(distinct, size=max(n_points, n_distinct))
    f[:n_distinct] = distinct
    z = Circuit(ONE_ARC).impedance(f, TRUE) * (1 + 0.001 * rng.standard_normal(f.size))
    fit = fit_circuit(ONE_ARC, f, z)
    if n_distinct < 4:
        assert not fit.success
        assert any("distinct frequenc" in w for w in fit.warnings)
        assert "WARNING" in fit.report()
    else:
        assert not any("distinct" in w for w in fit.warnings)


@SETTINGS
@given(st.floats(min_value=0.0, max_value=1.0), st.integers(0, 2 ** 16))
def test_imaginary_part_on_the_wrong_side_is_never_a_silent_success(flipped_share, seed):
    rng = np.random.default_rng(seed)
    z = Z * (1 + 0.002 * rng.standard_normal(FREQ.size))
    flip = rng.random(FREQ.size) < flipped_share
    z = np.where(flip, np.conj(z), z)
    fit = fit_circuit(ONE_ARC, FREQ, z)
    share_positive = np.mean(z.imag > 0)
    if share_positive > 0.5:
        assert not fit.success
        assert any("sign convention" in w for w in fit.warnings)
    if fit.success:
        assert share_positive <= 0.5


def test_forty_points_at_one_frequency_and_a_sign_flipped_spectrum():
    f = np.full(40, 1e3)
    z = Circuit(ONE_ARC).impedance(f, TRUE) * (1 + 0.001 * np.random.default_rng(1).standard_normal(40))
    fit = fit_circuit(ONE_ARC, f, z)
    assert not fit.success and "1 distinct frequency cannot determine 4 free parameters" in fit.message
    flipped = fit_circuit(ONE_ARC, FREQ, np.conj(Z))
    assert not flipped.success and "sign convention looks flipped" in flipped.message
    paper = noisy_spectrum(paper_cell_parameters(24.2), FREQ, 0.002, 3)
    assert not fit_circuit(PAPER_CIRCUIT, FREQ, np.conj(paper)).success


@SETTINGS
@given(st.sampled_from(list(TRUE)), st.floats(min_value=-1e3, max_value=10.0, allow_nan=False))
def test_a_fixed_value_no_element_can_have_is_refused_naming_it(name, value):
    exponent = name.endswith("_1")
    impossible = not (0 < value <= 1) if exponent else value <= 0
    if impossible:
        with pytest.raises(ValueError, match=f"fixed value of {name} is"):
            fit_circuit(ONE_ARC, FREQ, Z, fixed={name: value})
    else:
        fit = fit_circuit(ONE_ARC, FREQ, Z, fixed={name: value})
        assert fit.values[name] == value
