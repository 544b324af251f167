"""The interface resistance of synthetic spectra of the paper's cell with known truth, 0.1-9,000 Ohm cm2.

Criteria (0.5 % noise, many seeds): R_int >= 10 Ohm cm2 within 2 % in >= 99 % of spectra; below, the truth
inside value +- 2 stderr in >= 90 % and stderr <= max(0.3 Ohm cm2, 50 % of the truth); never a negative
value; the grain-boundary arc never reported as the interface.
"""

import json
import math

import numpy as np
import pytest

from workbench.impedance.derived import electrode_area_cm2, q_from_brug_capacitance
from workbench.impedance.synthetic import (
    PAPER_CIRCUIT,
    log_frequencies,
    noisy_spectrum,
    paper_cell_parameters,
    paper_cell_population,
)
from workbench.spectrum_analysis import interface_resistance

AREA = float(electrode_area_cm2(8.5))
F = log_frequencies(13e6, 5.0, 20)


def truth_of(params):
    return params["R2"] * AREA / 2


def check_population(cases):
    """cases: (truth Ohm cm2, result). Returns the shares the issue's criteria name."""
    large = [(t, r) for t, r in cases if t >= 10]
    small = [(t, r) for t, r in cases if t < 10]
    within = np.mean([abs(r.value_ohm_cm2 / t - 1) < 0.02 for t, r in large]) if large else 1.0
    covered = np.mean([abs(r.value_ohm_cm2 - t) <= 2 * r.stderr_ohm_cm2 for t, r in small]) if small else 1.0
    se_ok = all(r.stderr_ohm_cm2 <= max(0.3, 0.5 * t) for t, r in small)
    return within, covered, se_ok


def test_population_across_five_decades_meets_the_coverage_criteria():
    # 160 randomised cells (C_gb, n, C_int, L, conductivities varied), interface log-spread over 0.1-9000
    cells = paper_cell_population(160, seed=11)
    rng = np.random.default_rng(12)
    cases = [(truth_of(p), interface_resistance(F, noisy_spectrum(p, F, 0.005, rng), area_cm2=AREA))
             for p in cells]
    within, covered, se_ok = check_population(cases)
    assert within >= 0.99
    assert covered >= 0.90
    assert se_ok
    assert all(r.value_ohm_cm2 >= 0 and (r.upper_bound_ohm_cm2 or 0) >= 0 for _, r in cases)
    # the large ones are resolved arcs, by their capacitance
    for t, r in cases:
        if t >= 10:
            assert r.resolved and r.method == "interface arc"
            assert r.arc("interface").capacitance_f > 1e-7


@pytest.mark.parametrize("seed", range(3))
def test_small_interfaces_over_many_seeds(seed):
    # 0.1-1 Ohm cm2: the interface arc lies inside the grain-boundary arc (apex 65-650 kHz)
    rng = np.random.default_rng(100 + seed)
    cases = []
    for r_area in np.geomspace(0.1, 9.0, 12):
        params = paper_cell_parameters(float(r_area), n_gb=rng.uniform(0.85, 0.95), n_interface=rng.uniform(0.8, 0.95))
        cases.append((r_area, interface_resistance(F, noisy_spectrum(params, F, 0.005, rng), area_cm2=AREA)))
    _, covered, se_ok = check_population(cases)
    assert covered >= 0.90
    assert se_ok
    for _, r in cases:
        assert r.value_ohm_cm2 >= 0
        if not r.resolved:
            assert r.text().startswith("not resolved: < ")
            assert r.upper_bound_ohm_cm2 >= r.value_ohm_cm2 >= 0


@pytest.mark.parametrize("f_min", [15.0, 25.0])
def test_partial_arc_with_its_apex_below_f_min(f_min):
    # 6000 and 9000 Ohm cm2 with C_int 7e-7 F peak near 11 and 7 Hz: the sweep stops above them
    f = log_frequencies(13e6, f_min, 20)
    cases = []
    for seed in range(6):
        for r_area in (6000.0, 9000.0):
            z = noisy_spectrum(paper_cell_parameters(r_area), f, 0.005, seed)
            cases.append((r_area, interface_resistance(f, z, area_cm2=AREA)))
    for truth, r in cases:
        assert r.arc("interface").apex_frequency_hz < f_min
        assert r.method == "partial arc below f_min" and r.resolved
        assert abs(r.value_ohm_cm2 / truth - 1) < 0.02
        assert "partial arc below f_min" in r.text()


def test_grain_boundary_arc_is_never_the_interface_and_refits_agree():
    # as sintered (paper: no interface arc): the grain-boundary arc alone, a default two-arc fit would split it
    params = paper_cell_parameters(None)
    for seed in range(5):
        z = noisy_spectrum(params, F, 0.005, seed)
        first = interface_resistance(F, z, area_cm2=AREA)
        again = interface_resistance(F, z.copy(), area_cm2=AREA)
        assert first.to_dict() == again.to_dict()
        gb = first.arc("grain boundary")
        assert 3e-9 * 0.7 < gb.capacitance_f < 5e-9 * 1.3
        assert first.value_ohm_cm2 < 1.0  # not the grain boundary's ~11 Ohm cm2
        interface = first.arc("interface")
        assert interface is None or interface.capacitance_f >= 1e-7 * AREA
        assert not first.resolved or first.value_ohm_cm2 - 2 * first.stderr_ohm_cm2 <= 0.3


def test_spectrum_with_a_low_frequency_process_and_no_interface_arc_is_bounded_honestly():
    # a 0.2 Ohm cm2 process far slower than any interface arc (C ~ 4 mF): not hidden, never negative
    r = 2 * 0.2 / AREA
    c = 1 / (2 * np.pi * r * 50.0)
    params = paper_cell_parameters(None)
    params.update(R2=r, CPE2_0=q_from_brug_capacitance(c, r, 0.9), CPE2_1=0.9)
    for seed in range(4):
        result = interface_resistance(F, noisy_spectrum(params, F, 0.005, seed, circuit=PAPER_CIRCUIT), area_cm2=AREA)
        lo, hi = result.interval_ohm_cm2
        assert lo <= 0.2 <= hi
        assert result.value_ohm_cm2 >= 0


def test_text_and_dict():
    z = noisy_spectrum(paper_cell_parameters(24.2), F, 0.005, 1)
    result = interface_resistance(F, z, area_cm2=AREA)
    assert result.text().endswith("Ω cm² (interface arc)")
    value, err = result.text().split(" Ω")[0].split(" ± ")
    assert float(value) == pytest.approx(24.2, rel=0.02) and 0 < float(err) < 0.2
    d = json.loads(json.dumps(result.to_dict()))
    assert d["method"] == "interface arc" and d["resolved"] is True and d["unit"] == "Ohm cm2"
    assert d["circuit"] == "R0-L0-p(R1,CPE1)-p(R2,CPE2)"
    assert {a["name"] for a in d["arcs"]} == {"grain boundary", "interface"}
    assert d["text"] == result.text()
    assert math.isclose(d["value_ohm_cm2"], result.value_ohm_cm2)


@pytest.mark.parametrize("bad, message", [
    (lambda f, z: (f, np.zeros_like(z)), "zero at every frequency"),
    (lambda f, z: (f, np.where(f > 1e3, z, np.nan)), "non-finite"),
    (lambda f, z: (f[:8], z[:8]), "too few"),
    (lambda f, z: (np.full(f.size, 1e3), z), "too few"),
    (lambda f, z: (f, z[:-1]), "frequencies but"),
    (lambda f, z: (-f, z), "positive"),
])
def test_bad_spectra_are_refused_with_a_reason(bad, message):
    z = noisy_spectrum(paper_cell_parameters(24.2), F, 0.005, 1)
    with pytest.raises(ValueError, match=message):
        interface_resistance(*bad(F, z), area_cm2=AREA)
    with pytest.raises(ValueError, match="area_cm2"):
        interface_resistance(F, z, area_cm2=0.0)
