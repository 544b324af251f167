"""Circuit parsing, impedance values and analytic Jacobians."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.impedance import Circuit, CircuitError, find_arcs

FREQ = np.logspace(6, -1, 15)


def test_parameter_names_follow_impedance_py():
    c = Circuit("R0-L0-p(R1,CPE1)-p(R2,CPE2)")
    assert c.parameter_names == ["R0", "L0", "R1", "CPE1_0", "CPE1_1", "R2", "CPE2_0", "CPE2_1"]
    assert Circuit("R0-Wo1-Ws2-W3-C4").parameter_names == [
        "R0", "Wo1_0", "Wo1_1", "Ws2_0", "Ws2_1", "W3", "C4"]


def test_impedance_matches_hand_formulas():
    w = 2 * np.pi * FREQ
    c = Circuit("R0-L0-p(R1,CPE1)")
    p = {"R0": 20.0, "L0": 5e-8, "R1": 40.0, "CPE1_0": 2e-8, "CPE1_1": 0.9}
    zcpe = 1 / (2e-8 * (1j * w) ** 0.9)
    expected = 20 + 1j * w * 5e-8 + 1 / (1 / 40 + 1 / zcpe)
    np.testing.assert_allclose(c.impedance(FREQ, p), expected, rtol=1e-12)
    np.testing.assert_allclose(c.impedance(FREQ, list(p.values())), expected, rtol=1e-12)


def test_warburg_conventions():
    w = 2 * np.pi * FREQ
    np.testing.assert_allclose(Circuit("W0").impedance(FREQ, [3.0]), 3.0 * (1 - 1j) / np.sqrt(w))
    s = np.sqrt(1j * w * 0.5)
    np.testing.assert_allclose(Circuit("Wo0").impedance(FREQ, [2.0, 0.5]), 2.0 / (s * np.tanh(s)))
    np.testing.assert_allclose(Circuit("Ws0").impedance(FREQ, [2.0, 0.5]), 2.0 * np.tanh(s) / s)


def _finite_difference(c, p, rel=1e-6):
    jac = np.empty((FREQ.size, p.size), complex)
    for i in range(p.size):
        h = rel * abs(p[i])
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        jac[:, i] = (c.impedance(FREQ, up) - c.impedance(FREQ, down)) / (2 * h)
    return jac


@pytest.mark.parametrize("text, values", [
    ("R0", [5.0]),
    ("C0", [1e-6]),
    ("L0", [1e-7]),
    ("CPE0", [1e-6, 0.8]),
    ("W0", [30.0]),
    ("Wo0", [50.0, 0.3]),
    ("Ws0", [50.0, 0.3]),
    ("R0-L0-p(R1,CPE1)-p(R2,CPE2)", [20, 5e-8, 40, 2e-8, 0.9, 85, 2e-6, 0.85]),
    ("p(R1,C1-p(R2,Wo2),CPE3)-Ws4", [10, 1e-6, 30, 20, 0.01, 1e-5, 0.7, 5, 0.1]),
])
def test_jacobian_equals_central_difference(text, values):
    c = Circuit(text)
    p = np.array(values, float)
    analytic = c.jacobian(FREQ, p)
    assert analytic.shape == (FREQ.size, p.size)
    numeric = _finite_difference(c, p)
    scale = np.abs(c.impedance(FREQ, p))[:, None]
    np.testing.assert_allclose(analytic / scale * np.abs(p), numeric / scale * np.abs(p), atol=1e-6)


@pytest.mark.parametrize("text, position, expected", [
    ("", 0, "expected an element"),
    ("R0-", 3, "expected an element"),
    ("R0-X1", 3, "unknown element type 'X'"),
    ("R0-p(R1)", 7, "at least two branches"),
    ("R0-p(R1,C1", 10, "expected ',' or ')'"),
    ("R0-R0", 3, "duplicate element name 'R0'"),
    ("R0)", 2, "expected '-' or end"),
    ("R0--C1", 3, "expected an element"),
    ("p(R1,,C1)", 5, "expected an element"),
])
def test_errors_say_where_and_what(text, position, expected):
    with pytest.raises(CircuitError) as info:
        Circuit(text)
    message = str(info.value)
    assert expected in message
    assert f"position {position}" in message
    caret_line = message.splitlines()[-1]
    assert caret_line.index("^") - 4 == position


def test_parameter_vector_errors():
    c = Circuit("R0-p(R1,C1)")
    with pytest.raises(CircuitError):
        c.impedance(FREQ, [1.0, 2.0])
    with pytest.raises(CircuitError):
        c.impedance(FREQ, {"R0": 1.0, "R1": 1.0})


def test_find_arcs():
    arcs = find_arcs("R0-L0-p(R1,CPE1)-p(C2,R2)-p(R3,W3)")
    assert [(a.r_name, a.q_name, a.n_name) for a in arcs] == [("R1", "CPE1_0", "CPE1_1"), ("R2", "C2", None)]


ALPHABET = list("RCLPEWosp(),-_ 0123456789") + ["CPE", "Wo", "Ws", "p("]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=20).map("".join))
def test_parser_fuzz_raises_only_circuit_error(text):
    try:
        c = Circuit(text)
    except CircuitError:
        return
    p = np.full(c.n_params, 0.5)
    z = c.impedance(FREQ, p)
    assert z.shape == FREQ.shape
