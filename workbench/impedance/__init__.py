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
from .fitting import FitResult, evaluate_fit, fit_circuit
from .validation import DRTPeak, DRTResult, KramersKronigResult, drt, lin_kk

__all__ = [
    "Arc",
    "ArcSummary",
    "Circuit",
    "CircuitError",
    "DRTPeak",
    "DRTResult",
    "FitResult",
    "InterfaceEstimate",
    "KramersKronigResult",
    "apex_frequency_hz",
    "apply_high_frequency_shift",
    "arc_summary",
    "area_specific_ohm_cm2",
    "brug_capacitance_f",
    "conductivity_s_cm",
    "drt",
    "electrode_area_cm2",
    "evaluate_fit",
    "find_arcs",
    "fit_circuit",
    "high_frequency_intercept_ohm",
    "high_frequency_shift_ohm",
    "interface_resistance_without_arc",
    "lin_kk",
    "q_from_brug_capacitance",
    "resistance_ohm",
]
