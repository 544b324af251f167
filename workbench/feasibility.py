"""Will a run do what its parameters say on this cell? The warnings a form shows before it starts.

Parameters can each be valid and still ask for the impossible together with the cell: a current density
whose voltage exceeds the source's compliance (the source clamps and the current is not what was set),
or a half-cycle shorter than the sample period (it passes without a single measured point).

The cell's DC resistance is the measured one when the caller has it (the low-frequency end of a
spectrum of this sample), else an estimate from the paper's typical values: a total (bulk + grain
boundary) conductivity of 5 mS/cm at 25 °C and, for each surface state, its interface resistance
(Quérel et al.: 0.1-0.6 Ω cm² thermally activated, 22-24 Ω cm² polished at grit 500, 4-9 kΩ cm² at
grit 4000), two interfaces in series.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.cell import Sample

#: Total (bulk + grain-boundary) conductivity of NZSP at 25 °C (the paper: 5 mS/cm).
TOTAL_CONDUCTIVITY_S_CM = 5e-3

#: Typical interface resistance (Ω cm², one interface) by polishing grit, from the paper (grit 500: 22-24,
#: grit 4000: 4-9 k); grits 1200 and 2400 are not in the paper: assumed like their nearer neighbour.
#: Annealed and as-sintered surfaces (thermally activated) are below 1 Ω cm² (0.1-0.6 in the paper).
_R_INTERFACE_BY_GRIT_OHM_CM2 = {500: 24.0, 1200: 24.0, 2400: 6000.0, 4000: 7000.0}
_R_INTERFACE_ACTIVATED_OHM_CM2 = 0.3


@dataclass(frozen=True)
class Resistance:
    """The cell's DC resistance and where the number comes from."""

    ohm: float
    source: str


def typical_resistance(sample: Sample) -> Resistance:
    """The DC resistance the paper's values give for this sample's geometry and surface."""
    surface = sample.surface
    if surface.thermally_activated:
        r_int = _R_INTERFACE_ACTIVATED_OHM_CM2
    else:
        r_int = _R_INTERFACE_BY_GRIT_OHM_CM2[surface.grit]
    electrolyte = sample.thickness_cm / (TOTAL_CONDUCTIVITY_S_CM * sample.area_cm2)
    interfaces = 2 * r_int / sample.area_cm2
    return Resistance(electrolyte + interfaces,
                      f"estimated from the paper's typical values for {sample.surface_state}")


def _cycling_currents(parameters) -> list[float]:
    """The current densities (mA/cm²) a cycling procedure's parameters drive, and nothing for others."""
    if hasattr(parameters, "current_densities_mA_cm2"):
        values = parameters.current_densities_mA_cm2
        return list(values() if callable(values) else values)
    if hasattr(parameters, "current_density_mA_cm2"):
        return [parameters.current_density_mA_cm2]
    return []


def _half_cycles_s(parameters, densities: list[float]) -> list[tuple[float, float]]:
    """(current density, half-cycle duration) pairs."""
    if hasattr(parameters, "half_cycle_duration_s"):
        return [(j, parameters.half_cycle_duration_s(j)) for j in densities]
    if hasattr(parameters, "half_cycles_s"):
        return list(zip(densities, parameters.half_cycles_s, strict=False))
    if hasattr(parameters, "half_cycle_s") and parameters.half_cycle_s is not None:
        return [(j, parameters.half_cycle_s) for j in densities]
    if hasattr(parameters, "duration_s"):
        return [(j, parameters.duration_s) for j in densities]
    return []


def concerns(parameters, sample: Sample, resistance: Resistance | None = None) -> list[str]:
    """What the user should know before starting: one sentence each, empty when all is well (a sequence:
    its steps' concerns, each said once)."""
    from workbench.procedures.sequence import SequenceParameters

    if isinstance(parameters, SequenceParameters):
        said = [c for step in parameters.steps for c in concerns(step, sample, resistance)]
        return list(dict.fromkeys(said))
    found: list[str] = []
    densities = _cycling_currents(parameters)
    compliance = getattr(parameters, "compliance_v", None)
    if densities and compliance is not None:
        resistance = resistance or typical_resistance(sample)
        j = max(densities)
        current_a = sample.current_a(j)
        needed_v = current_a * resistance.ohm
        if needed_v > compliance:
            found.append(
                f"At {j:g} mA/cm² ({current_a * 1e3:.4g} mA) the cell needs about {needed_v:.3g} V "
                f"(R ≈ {resistance.ohm:.3g} Ω, {resistance.source}), more than the {compliance:g} V compliance: "
                "the source would clamp and the current would not be what was set.")
    period = getattr(parameters, "sample_period_s", None)
    if densities and period:
        short = [(j, t) for j, t in _half_cycles_s(parameters, densities) if t < period]
        if short:
            j, t = min(short, key=lambda pair: pair[1])
            found.append(
                f"A half-cycle of {t:.3g} s (at {j:g} mA/cm²) is shorter than the {period:g} s sample period: "
                "it would pass without a measured point. Lower the sample period or lengthen the half-cycle.")
    return found
