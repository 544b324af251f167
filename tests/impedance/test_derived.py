"""Derived quantities against values computed by hand from the NZSP surfaces paper."""

import numpy as np
import pytest

from workbench.impedance import (
    Circuit,
    apex_frequency_hz,
    apply_high_frequency_shift,
    arc_summary,
    area_specific_ohm_cm2,
    brug_capacitance_f,
    conductivity_s_cm,
    electrode_area_cm2,
    fit_circuit,
    high_frequency_intercept_ohm,
    high_frequency_shift_ohm,
    interface_resistance_without_arc,
    q_from_brug_capacitance,
)
from workbench.impedance.synthetic import PAPER_CIRCUIT, log_frequencies, noisy_spectrum, paper_cell_parameters

AREA = 0.5675


def test_electrode_area_and_area_specific_resistance():
    # pi * 0.425^2 = 0.567450
    assert electrode_area_cm2(8.5) == pytest.approx(0.56745, abs=1e-5)
    assert area_specific_ohm_cm2(85.286, AREA) == pytest.approx(24.2, rel=1e-3)
    assert area_specific_ohm_cm2(10.0, 2.0, symmetric=False) == 20.0


def test_paper_interface_arc_brug_round_trip_and_apex():
    r_ohm = 2 * 24.2 / AREA  # 85.286 Ohm
    c_f = 6.99e-7
    q = q_from_brug_capacitance(c_f, r_ohm, 0.9)
    # by hand: (C R)^n / R = (5.9615e-5)^0.9 / 85.286
    assert q == pytest.approx((6.99e-7 * 85.28634) ** 0.9 / 85.28634, rel=1e-6)
    assert q == pytest.approx(1.8490e-6, rel=1e-3)  # exp(0.9 ln 5.9615e-5) = 1.5770e-4, / 85.286
    assert brug_capacitance_f(r_ohm, q, 0.9) == pytest.approx(c_f, rel=1e-12)
    # apex: 1 / (2 pi (R Q)^(1/n)) = 1 / (2 pi R C) for the Brug C
    assert apex_frequency_hz(r_ohm, q, 0.9) == pytest.approx(1 / (2 * np.pi * r_ohm * c_f), rel=1e-12)
    assert apex_frequency_hz(r_ohm, q, 0.9) == pytest.approx(2669.7, rel=1e-3)


def test_conductivity_of_the_paper_pellet():
    r_bulk = 0.170 / (0.015 * AREA)
    assert r_bulk == pytest.approx(19.97, abs=0.01)
    assert conductivity_s_cm(r_bulk, 0.170, AREA) == pytest.approx(0.015)


def test_high_frequency_shift_maps_intercept_to_bulk_conductivity():
    true = paper_cell_parameters(24.2)
    freq = log_frequencies()
    z = Circuit(PAPER_CIRCUIT).impedance(freq, true) + 7.5  # instrument with more ohmic resistance
    shift = high_frequency_shift_ohm(freq, z, 0.170, AREA, r_hf_ohm=true["R0"] + 7.5)
    assert shift == pytest.approx(-7.5, rel=1e-3)
    moved = apply_high_frequency_shift(z, shift)
    np.testing.assert_allclose(moved.imag, z.imag)
    assert conductivity_s_cm(true["R0"] + 7.5 + shift, 0.170, AREA) == pytest.approx(0.015, rel=1e-3)
    # from the data alone: the real-axis crossing lies a little above R0 (part of the grain-boundary arc)
    intercept = high_frequency_intercept_ohm(freq, z)
    assert true["R0"] + 7.5 < intercept < true["R0"] + 7.5 + 0.2 * true["R1"]


def test_interface_resistance_without_arc_close_to_truth():
    true = paper_cell_parameters(3.0)  # R_int = 10.6 Ohm next to R_gb = 40 Ohm, apex ~21 kHz
    freq = log_frequencies()
    z = noisy_spectrum(true, freq, noise=0.001, rng=8)
    estimate = interface_resistance_without_arc(freq, z, fit_min_frequency_hz=3e5)
    assert estimate.r_interface_ohm == pytest.approx(true["R2"], rel=0.15)
    assert estimate.area_specific_ohm_cm2(AREA) == pytest.approx(3.0, rel=0.15)
    # fitting the whole spectrum lets the single arc absorb the interface: a large underestimate
    whole = interface_resistance_without_arc(freq, z)
    assert whole.r_interface_ohm < 0.5 * true["R2"]
    assert estimate.f_min_hz == pytest.approx(5.0)


def test_arc_summary():
    true = paper_cell_parameters(24.2)
    freq = log_frequencies()
    z = noisy_spectrum(true, freq, noise=0.002, rng=3)
    rows = arc_summary(fit_circuit(PAPER_CIRCUIT, freq, z), AREA)
    assert [r.resistor for r in rows] == ["R1", "R2"]
    gb, interface = rows
    assert 3e-9 < gb.capacitance_f < 5e-9
    assert 0.5e6 < gb.apex_frequency_hz < 2e6
    assert interface.r_ohm_cm2 == pytest.approx(24.2, rel=0.02)
    assert interface.capacitance_f == pytest.approx(6.99e-7, rel=0.05)
