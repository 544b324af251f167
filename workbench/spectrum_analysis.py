"""What the workbench reads off one impedance spectrum, and off a series of them.

``analyse_spectrum`` fits a circuit without an initial guess and gathers the paper's quantities:
each R|CPE arc in Ohm and Ohm cm2 (symmetric-cell convention) with its Brug capacitance and apex
frequency, the Kramers-Kronig verdict, and, when the circuit has no interface arc, the interface
resistance estimated as Z'data(f_min) - Z'fit(f -> 0) (Krauskopf et al. 2020).

``fit_series`` fits one circuit to a series of spectra (for example a temperature series) and
``arrhenius`` turns a resistance against temperature into an activation energy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.impedance import fit_circuit
from workbench.impedance.circuits import as_circuit, find_arcs
from workbench.impedance.derived import ArcSummary, InterfaceEstimate, arc_summary

BOLTZMANN_EV_K = 8.617333262e-5

#: The Kramers-Kronig verdict judges the points up to 1 MHz, where the analyser is accurate to better than
#: the 1 % threshold; above it the residuals are shown but not judged (see ``validation.lin_kk``).
KK_TRUSTED_MAX_FREQUENCY_HZ = 1e6

#: The paper's equivalent circuits (Figure 1): one arc (grain boundary) or two (plus the interface).
PRESET_CIRCUITS = {
    "R-L-(R|CPE): no interface arc": "R0-L0-p(R1,CPE1)",
    "R-L-(R|CPE)-(R|CPE): grain boundary + interface": "R0-L0-p(R1,CPE1)-p(R2,CPE2)",
}


@dataclass
class SpectrumAnalysis:
    fit: object
    arcs: list[ArcSummary]
    area_cm2: float
    kramers_kronig: object | None = None
    interface_estimate: InterfaceEstimate | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def interface_arc(self) -> ArcSummary | None:
        """The arc at the lowest apex frequency, when there are two or more (the grain boundary's is
        near 1 MHz, the interface's in the kHz to Hz range)."""
        if len(self.arcs) < 2:
            return None
        return min(self.arcs, key=lambda arc: arc.apex_frequency_hz)

    @property
    def r_interface_ohm_cm2(self) -> float | None:
        """The interface resistance: the second arc's, or the estimate when there is no second arc."""
        if len(self.arcs) >= 2:
            return self.interface_arc.r_ohm_cm2
        if self.interface_estimate is not None:
            return self.interface_estimate.area_specific_ohm_cm2(self.area_cm2)
        return None


def analyse_spectrum(
    frequency_hz, z, circuit: str, *, area_cm2: float, fixed: dict[str, float] | None = None,
    initial: dict[str, float] | None = None, validate: bool = True,
) -> SpectrumAnalysis:
    """Fit ``circuit`` to the spectrum and derive the paper's quantities; see the module docstring."""
    frequency_hz = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z, dtype=complex)
    if frequency_hz.size < 2 * as_circuit(circuit).n_params:
        raise ValueError(
            f"{frequency_hz.size} points are too few to fit {circuit} "
            f"({as_circuit(circuit).n_params} parameters); measure more frequencies."
        )
    fit = fit_circuit(circuit, frequency_hz, z, initial=initial, fixed=fixed or None)
    analysis = SpectrumAnalysis(fit=fit, arcs=arc_summary(fit, area_cm2), area_cm2=area_cm2)
    if len(find_arcs(circuit)) == 1:
        from workbench.impedance.derived import interface_resistance_without_arc

        analysis.interface_estimate = interface_resistance_without_arc(frequency_hz, z, circuit)
    if validate:
        from workbench.impedance.validation import lin_kk

        analysis.kramers_kronig = lin_kk(frequency_hz, z, trusted_max_frequency_hz=KK_TRUSTED_MAX_FREQUENCY_HZ)
    return analysis


@dataclass(frozen=True)
class ArrheniusFit:
    """sigma T = A exp(-Ea / k T), with sigma proportional to 1/R."""

    activation_energy_ev: float
    activation_energy_stderr_ev: float
    prefactor: float


def arrhenius(temperature_c, resistance_ohm) -> ArrheniusFit:
    """Activation energy from resistances at several temperatures.

    Fits ln(T / R) = ln(A) - Ea / (k T) by linear least squares (T in K, k = 8.617e-5 eV/K), the
    usual form for an ionic conductor (sigma T against 1/T).
    """
    t_k = np.asarray(temperature_c, dtype=float) + 273.15
    r = np.asarray(resistance_ohm, dtype=float)
    if t_k.size < 2 or np.unique(t_k).size < 2:
        raise ValueError("An Arrhenius fit needs resistances at two or more different temperatures.")
    if np.any(r <= 0) or np.any(~np.isfinite(r)):
        raise ValueError("An Arrhenius fit needs positive, finite resistances.")
    x = 1.0 / (BOLTZMANN_EV_K * t_k)
    y = np.log(t_k / r)
    design = np.vstack([np.ones_like(x), -x]).T
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    stderr = 0.0
    if x.size > 2:
        residual = y - design @ coef
        s2 = residual @ residual / (x.size - 2)
        stderr = float(np.sqrt(s2 * np.linalg.inv(design.T @ design)[1, 1]))
    return ArrheniusFit(float(coef[1]), stderr, float(np.exp(coef[0])))


def fit_series(spectra, circuit: str, *, area_cm2: float) -> list[SpectrumAnalysis]:
    """Fit one circuit to each (frequency_hz, z) of a series; each fit needs no guess."""
    return [analyse_spectrum(f, z, circuit, area_cm2=area_cm2, validate=False) for f, z in spectra]


@dataclass(frozen=True)
class InterfaceResult:
    """The interface resistance of one spectrum and how it was obtained."""

    r_interface_ohm_cm2: float
    method: str  # "interface arc" or "Z'data(f_min) - Z'fit(f->0)"
    analysis: SpectrumAnalysis


def interface_resistance(frequency_hz, z, *, area_cm2: float) -> InterfaceResult:
    """The interface resistance (Ohm cm2, symmetric-cell convention) as the paper obtains it.

    Fits the two-arc circuit R-L-(R|CPE)-(R|CPE). The interface arc counts as resolved when both arcs'
    resistances are known to better than 50 % (standard error), their apex frequencies lie a decade or
    more apart and the lower one (the interface's: its capacitance is about a hundred times the grain
    boundary's) falls inside the measured band. Otherwise the spectrum shows no interface arc and the
    one-arc circuit is fitted instead, with R_int = Z'data(f_min) - Z'fit(f -> 0) (Krauskopf et al.
    2020), as for the paper's as-sintered and EtOH500-anneal cells.
    """
    frequency_hz = np.asarray(frequency_hz, dtype=float)
    two = analyse_spectrum(frequency_hz, z, PRESET_CIRCUITS["R-L-(R|CPE)-(R|CPE): grain boundary + interface"],
                           area_cm2=area_cm2, validate=False)
    if len(two.arcs) == 2:
        grain_boundary, interface = sorted(two.arcs, key=lambda arc: -arc.apex_frequency_hz)
        certain = all(np.isfinite(a.r_stderr_ohm) and a.r_stderr_ohm < 0.5 * a.r_ohm for a in two.arcs)
        apart = grain_boundary.apex_frequency_hz >= 10 * interface.apex_frequency_hz
        inside = frequency_hz.min() <= interface.apex_frequency_hz <= frequency_hz.max()
        if certain and apart and inside:
            return InterfaceResult(interface.r_ohm_cm2, "interface arc", two)
    one = analyse_spectrum(frequency_hz, z, PRESET_CIRCUITS["R-L-(R|CPE): no interface arc"],
                           area_cm2=area_cm2, validate=False)
    return InterfaceResult(one.r_interface_ohm_cm2, "Z'data(f_min) - Z'fit(f->0)", one)
