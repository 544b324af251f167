"""Impedance analysis engine: circuits, fitting, derived quantities, validation (no Qt)."""

from .circuits import Arc, Circuit, CircuitError, find_arcs
from .derived import (
    ArcSummary,
    InterfaceEstimate,
    apex_frequency_hz,
    apply_high_frequency_shift,
    arc_summary,
    area_specific_ohm_cm2,
    brug_capacitance_f,
    conductivity_s_cm,
    electrode_area_cm2,
    high_frequency_intercept_ohm,
    high_frequency_shift_ohm,
    interface_resistance_without_arc,
    q_from_brug_capacitance,
    resistance_ohm,
)
from .fitting import FitResult, fit_circuit

__all__ = [
    "Arc",
    "ArcSummary",
    "Circuit",
    "CircuitError",
    "FitResult",
    "InterfaceEstimate",
    "apex_frequency_hz",
    "apply_high_frequency_shift",
    "arc_summary",
    "area_specific_ohm_cm2",
    "brug_capacitance_f",
    "conductivity_s_cm",
    "electrode_area_cm2",
    "find_arcs",
    "fit_circuit",
    "high_frequency_intercept_ohm",
    "high_frequency_shift_ohm",
    "interface_resistance_without_arc",
    "q_from_brug_capacitance",
    "resistance_ohm",
]
