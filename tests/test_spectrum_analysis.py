"""What the workbench reads off a spectrum: arcs, the interface resistance as the paper obtains it,
and the Arrhenius activation energy of a temperature series."""

import numpy as np
import pytest

from workbench.impedance.derived import electrode_area_cm2
from workbench.impedance.synthetic import log_frequencies, noisy_spectrum, paper_cell_parameters
from workbench.spectrum_analysis import PRESET_CIRCUITS, analyse_spectrum, arrhenius, fit_series, interface_resistance

AREA = electrode_area_cm2(8.5)
F = log_frequencies(13e6, 5, 20)


@pytest.mark.parametrize("r_area", [24.2, 22.1, 6000.0])
def test_resolved_interface_arc_gives_the_paper_value(r_area):
    z = noisy_spectrum(paper_cell_parameters(r_area), F, noise=0.002, rng=1)
    result = interface_resistance(F, z, area_cm2=AREA)
    assert result.method == "interface arc"
    assert result.value_ohm_cm2 == pytest.approx(r_area, rel=0.03)
    assert result.arc("interface").capacitance_f == pytest.approx(6.99e-7, rel=0.1)


def test_user_circuit_names_its_arcs_by_capacitance_not_by_position():
    z = noisy_spectrum(paper_cell_parameters(24.2), F, noise=0.002, rng=4)
    # the interface arc written first: still named by its uF capacitance
    analysis = analyse_spectrum(F, z, "R0-L0-p(R2,CPE2)-p(R1,CPE1)", area_cm2=AREA, validate=False)
    assert analysis.interface_arc.capacitance_f == pytest.approx(7e-7, rel=0.1)
    assert analysis.arc_name(analysis.grain_boundary_arc) == "grain boundary"
    assert analysis.r_interface_ohm_cm2 == pytest.approx(24.2, rel=0.03)
    # one arc only: no interface arc, the Z'data(f_min) - Z'fit(f->0) estimate instead
    one = analyse_spectrum(F, z, PRESET_CIRCUITS["R-L-(R|CPE): no interface arc"], area_cm2=AREA, validate=False)
    assert one.interface_arc is None
    assert one.interface_estimate is not None


def test_analysis_reports_kramers_kronig_and_too_few_points():
    z = noisy_spectrum(paper_cell_parameters(24.2), F, noise=0.002, rng=3)
    analysis = analyse_spectrum(F, z, PRESET_CIRCUITS["R-L-(R|CPE)-(R|CPE): grain boundary + interface"],
                                area_cm2=AREA)
    assert analysis.kramers_kronig.passed
    assert len(analysis.arcs) == 2
    with pytest.raises(ValueError, match="too few"):
        analyse_spectrum(F[:5], z[:5], "R0-L0-p(R1,CPE1)-p(R2,CPE2)", area_cm2=AREA)


def test_arrhenius_recovers_the_activation_energy_of_a_series():
    k = 8.617333262e-5
    ea = 0.35
    temperatures_c = np.array([25.0, 40.0, 55.0, 70.0])
    t_k = temperatures_c + 273.15
    spectra = []
    for t in t_k:
        params = paper_cell_parameters(24.2)
        scale = np.exp(ea / k * (1 / t - 1 / 298.15)) * t / 298.15  # sigma T Arrhenius, R ~ 1/sigma
        for name in ("R0", "R1", "R2"):
            params[name] *= scale
        spectra.append((F, noisy_spectrum(params, F, noise=0.002, rng=int(t))))
    analyses = fit_series(spectra, PRESET_CIRCUITS["R-L-(R|CPE)-(R|CPE): grain boundary + interface"], area_cm2=AREA)
    r_gb = [a.fit.values["R1"] if a.arcs[0].apex_frequency_hz > a.arcs[1].apex_frequency_hz else a.fit.values["R2"]
            for a in analyses]
    fit = arrhenius(temperatures_c, r_gb)
    assert fit.activation_energy_ev == pytest.approx(ea, abs=0.01)
    with pytest.raises(ValueError, match="two or more"):
        arrhenius([25.0, 25.0], [1.0, 2.0])
