"""What the workbench reads off one impedance spectrum, and off a series of them.

``analyse_spectrum`` fits a circuit without an initial guess and gathers the paper's quantities:
each R|CPE arc in Ohm and Ohm cm2 (symmetric-cell convention) with its Brug capacitance and apex
frequency, the Kramers-Kronig verdict, and, when the circuit has no interface arc, the interface
resistance estimated as Z'data(f_min) - Z'fit(f -> 0) (Krauskopf et al. 2020).

The interface resistance as the workbench reports it (one method, with its uncertainty and how it was
obtained) is ``interface_resistance`` (see :mod:`workbench.interface`); the fit of a circuit the user
chose names its arcs by their capacitance (``arc_name``) but does not replace that number.

``fit_series`` fits one circuit to a series of spectra (for example a temperature series) and
``arrhenius`` turns a resistance against temperature into an activation energy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.impedance import fit_circuit
from workbench.impedance.circuits import as_circuit, find_arcs
from workbench.impedance.derived import ArcSummary, InterfaceEstimate, arc_summary
from workbench.impedance.two_arcs import INTERFACE_MAX_F_CM2, SPLIT_F_CM2
from workbench.interface import InterfaceResistance, interface_resistance

__all__ = ["PRESET_CIRCUITS", "ArrheniusFit", "InterfaceResistance", "SpectrumAnalysis", "analyse_spectrum", "arc_name",
           "arrhenius", "fit_series", "interface_resistance"]

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
    #: the interface resistance of the spectrum by the one method (whatever the circuit fitted), or None
    #: with the reason in ``interface_note``
    interface: InterfaceResistance | None = None
    interface_note: str = ""
    #: the fit kept in the store that this analysis shows again (``workbench.kept_fit.KeptFit``), or None for
    #: a fit made now
    kept: object | None = None

    def arc_name(self, arc: ArcSummary) -> str:
        """"grain boundary" or "interface", by the arc's capacitance per electrode area."""
        return arc_name(arc.capacitance_f, self.area_cm2)

    @property
    def interface_arc(self) -> ArcSummary | None:
        """The arc whose capacitance is of the interface's class (~uF/cm2; the largest if several),
        never a grain-boundary (nF) arc whatever its place in the circuit or its apex."""
        candidates = [a for a in self.arcs if self.arc_name(a) == "interface"]
        return max(candidates, key=lambda a: a.capacitance_f) if candidates else None

    @property
    def r_interface_ohm_cm2(self) -> float | None:
        """In the user's circuit: the interface-class arc's resistance, or the Z'data(f_min) - Z'fit(f->0)
        estimate of a one-arc circuit; None otherwise. The reported value is ``interface_resistance``'s."""
        if self.interface_arc is not None:
            return self.interface_arc.r_ohm_cm2
        if self.interface_estimate is not None:
            return self.interface_estimate.area_specific_ohm_cm2(self.area_cm2)
        return None

    @property
    def grain_boundary_arc(self) -> ArcSummary | None:
        candidates = [a for a in self.arcs if self.arc_name(a) == "grain boundary"]
        return max(candidates, key=lambda a: a.r_ohm) if candidates else None


def arc_name(capacitance_f: float, area_cm2: float) -> str:
    """What an arc is, by its Brug capacitance per cm2 of electrode: "grain boundary" below SPLIT_F_CM2
    (paper: 3-5e-9 F on 0.57 cm2), "interface" up to INTERFACE_MAX_F_CM2 (paper: 6.99e-7 F), and
    "low-frequency process" above (slower than any interface arc)."""
    per_cm2 = capacitance_f / area_cm2
    if per_cm2 < SPLIT_F_CM2:
        return "grain boundary"
    return "interface" if per_cm2 <= INTERFACE_MAX_F_CM2 else "low-frequency process"


def analyse_spectrum(
    frequency_hz, z, circuit: str, *, area_cm2: float, fixed: dict[str, float] | None = None,
    initial: dict[str, float] | None = None, validate: bool = True, interface: bool = True,
) -> SpectrumAnalysis:
    """Fit ``circuit`` to the spectrum and derive the paper's quantities; see the module docstring.

    ``interface``: also the interface resistance by the one method (``analysis.interface``)."""
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
    if interface:
        try:
            analysis.interface = interface_resistance(frequency_hz, z, area_cm2=area_cm2)
        except ValueError as exc:
            analysis.interface_note = f"Interface resistance: not computed ({exc})"
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
