"""Which parameters does each Development Package technique take, and from which .ecc file?

Labels and types are the Development Package's own (``shared/reference/instrument-protocols.md`` 2.3,
after easy-biologic ``lib/technique_fields.py``); a technique is a list of ``EccParam`` typed from these
tables (a float label given an int is sent as a single, never as an int), array labels (the steps of CA
and CP) carry their step index. Technique files: ``<name>.ecc`` on ESSENTIAL boards (VMP3 family),
``<name>4.ecc`` on PREMIUM boards (SP-300 family, the VMP-300), ``<name>5.ecc`` on DIGICORE.

Hardware parameters (``I_Range``, ``E_Range``, ``Bandwidth``) use kbio's enumerations: current ranges
1 uA (4) to 1 A (10), potential range +-10 V (2), bandwidth 1-9. A VMP-300 measures impedance from 10 uHz
to 7 MHz (BioLogic's specification, reference file biologic-eclib.md); a sweep is refused above that here,
before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from instruments.biologic.binding import ECC_SUFFIX, EccParam

MIN_FREQUENCY_HZ = 10e-6
MAX_FREQUENCY_HZ = 7e6

_STEPS_CA = {"Voltage_step": float, "vs_initial": bool, "Duration_step": float}
_STEPS_CP = {"Current_step": float, "vs_initial": bool, "Duration_step": float}
_HARDWARE = {"I_Range": int, "E_Range": int, "Bandwidth": int}
_EIS_SWEEP = {"Duration_step": float, "Step_number": int, "Record_every_dT": float,
              "Final_frequency": float, "Initial_frequency": float, "sweep": bool, "Frequency_number": int,
              "Average_N_times": int, "Correction": bool, "Wait_for_steady": float}

#: technique -> label -> Python type of its value (float = single, int = int32, bool = boolean)
PARAMETERS: dict[str, dict[str, type]] = {
    "OCV": {"Rest_time_T": float, "Record_every_dE": float, "Record_every_dT": float, "E_Range": int},
    "CA": {**_STEPS_CA, "Step_number": int, "Record_every_dT": float, "Record_every_dI": float, "N_Cycles": int,
           **_HARDWARE},
    "CP": {**_STEPS_CP, "Step_number": int, "Record_every_dT": float, "Record_every_dE": float, "N_Cycles": int,
           **_HARDWARE},
    "PEIS": {"vs_initial": bool, "vs_final": bool, "Initial_Voltage_step": float, "Final_Voltage_step": float,
             "Record_every_dI": float, "Amplitude_Voltage": float, **_EIS_SWEEP, **_HARDWARE},
    "GEIS": {"vs_initial": bool, "vs_final": bool, "Initial_Current_step": float, "Final_Current_step": float,
             "Record_every_dV": float, "Amplitude_Current": float, **_EIS_SWEEP, **_HARDWARE},
}
#: labels that take one value per step (index = step)
STEP_LABELS = {"CA": set(_STEPS_CA), "CP": set(_STEPS_CP)}

#: kbio I_RANGE: code -> full scale (A)
CURRENT_RANGES = {4: 1e-6, 5: 1e-5, 6: 1e-4, 7: 1e-3, 8: 1e-2, 9: 0.1, 10: 1.0}
E_RANGE_10V = 2
BANDWIDTH = 7


class TechniqueError(ValueError):
    """A technique asked for something the instrument cannot do (says what and the limit)."""


@dataclass(frozen=True)
class Technique:
    """One technique to load: its name (OCV, CA, CP, PEIS, GEIS) and its typed parameters."""

    name: str
    parameters: tuple[EccParam, ...]

    def file(self, board_type: int) -> str:
        return technique_file(self.name, board_type)

    def value(self, label: str, index: int = 0):
        return next(p.value for p in self.parameters if p.label == label and p.index == index)


def technique_file(name: str, board_type: int) -> str:
    if board_type not in ECC_SUFFIX:
        raise TechniqueError(f"board type {board_type} is not one the Development Package documents (1, 2, 3)")
    return f"{name.lower()}{ECC_SUFFIX[board_type]}.ecc"


def build(name: str, values: Mapping[str, object]) -> Technique:
    """Typed parameters for ``name``; a list value of a step label gives one parameter per step."""
    table = PARAMETERS[name]
    out: list[EccParam] = []
    for label, value in values.items():
        if label not in table:
            raise TechniqueError(f"{name} has no parameter {label!r}")
        kind = table[label]
        items = list(value) if isinstance(value, list | tuple) else [value]
        if len(items) > 1 and label not in STEP_LABELS.get(name, ()):
            raise TechniqueError(f"{name} parameter {label!r} takes one value, got {len(items)}")
        for index, item in enumerate(items):
            out.append(EccParam(label, kind(item), index))
    return Technique(name, tuple(out))


def current_range(current_a: float) -> int:
    """The smallest kbio current range whose full scale holds ``|current_a|``."""
    for code, full_scale in sorted(CURRENT_RANGES.items()):
        if abs(current_a) <= full_scale:
            return code
    raise TechniqueError(f"{abs(current_a):g} A is above the 1 A range of a VMP-300 channel")


def ocv(duration_s: float, *, record_dt_s: float = 1.0) -> Technique:
    return build("OCV", {"Rest_time_T": duration_s, "Record_every_dE": 0.0, "Record_every_dT": record_dt_s,
                         "E_Range": E_RANGE_10V})


def cp(steps: Sequence[tuple[float, float]], *, record_dt_s: float = 1.0, cycles: int = 0) -> Technique:
    """Chronopotentiometry: (current A, duration s) steps in the instrument's sign (positive = anodic),
    repeated ``cycles`` more times. Plating/stripping is a pair of opposite steps."""
    if not steps:
        raise TechniqueError("CP needs at least one current step")
    currents = [float(i) for i, _ in steps]
    return build("CP", {
        "Current_step": currents, "vs_initial": [False] * len(steps), "Duration_step": [d for _, d in steps],
        "Step_number": len(steps) - 1, "Record_every_dT": record_dt_s, "Record_every_dE": 0.0,
        "N_Cycles": cycles, "I_Range": current_range(max(abs(i) for i in currents)), "E_Range": E_RANGE_10V,
        "Bandwidth": BANDWIDTH,
    })


def ca(steps: Sequence[tuple[float, float]], *, record_dt_s: float = 1.0, current_limit_a: float = 0.1) -> Technique:
    """Chronoamperometry: (potential V, duration s) steps."""
    if not steps:
        raise TechniqueError("CA needs at least one potential step")
    return build("CA", {
        "Voltage_step": [v for v, _ in steps], "vs_initial": [False] * len(steps),
        "Duration_step": [d for _, d in steps], "Step_number": len(steps) - 1, "Record_every_dT": record_dt_s,
        "Record_every_dI": 0.0, "N_Cycles": 0, "I_Range": current_range(current_limit_a), "E_Range": E_RANGE_10V,
        "Bandwidth": BANDWIDTH,
    })


def _check_sweep(start_hz: float, stop_hz: float, points: int) -> None:
    for f in (start_hz, stop_hz):
        if not MIN_FREQUENCY_HZ <= f <= MAX_FREQUENCY_HZ * (1 + 1e-9):
            raise TechniqueError(f"{f:g} Hz is outside the VMP-300's 10 uHz - 7 MHz impedance range")
    if not 1 <= points <= 2000:
        raise TechniqueError(f"{points} frequencies in one sweep; 1 to 2000 are allowed here")


def _eis_common(start_hz, stop_hz, points, average_n, wait_periods) -> dict:
    _check_sweep(start_hz, stop_hz, points)
    return {"Duration_step": 0.0, "Step_number": 0, "Record_every_dT": 0.0, "Initial_frequency": start_hz,
            "Final_frequency": stop_hz, "sweep": False, "Frequency_number": points,
            "Average_N_times": max(1, int(average_n)), "Correction": False, "Wait_for_steady": wait_periods,
            "E_Range": E_RANGE_10V, "Bandwidth": BANDWIDTH}


def peis(start_hz: float, stop_hz: float, points: int, *, amplitude_v: float, dc_v: float = 0.0,
         average_n: int = 1, wait_periods: float = 0.0, current_range_a: float = 0.1) -> Technique:
    """Potentiostatic EIS, logarithmic (``sweep`` False) from ``start_hz`` to ``stop_hz``."""
    return build("PEIS", {
        "vs_initial": False, "vs_final": False, "Initial_Voltage_step": dc_v, "Final_Voltage_step": dc_v,
        "Record_every_dI": 0.0, "Amplitude_Voltage": amplitude_v,
        "I_Range": current_range(current_range_a),
        **_eis_common(start_hz, stop_hz, points, average_n, wait_periods)})


def geis(start_hz: float, stop_hz: float, points: int, *, amplitude_a: float, dc_a: float = 0.0,
         average_n: int = 1, wait_periods: float = 0.0) -> Technique:
    """Galvanostatic EIS; the current range holds twice the amplitude plus the DC current (the
    Development Package asks for an amplitude of at most half the range, as easy-biologic notes)."""
    if not amplitude_a > 0 or not math.isfinite(amplitude_a):
        raise TechniqueError(f"GEIS amplitude {amplitude_a!r} A must be a positive current")
    return build("GEIS", {
        "vs_initial": False, "vs_final": False, "Initial_Current_step": dc_a, "Final_Current_step": dc_a,
        "Record_every_dV": 0.0, "Amplitude_Current": amplitude_a,
        "I_Range": current_range(2 * amplitude_a + abs(dc_a)),
        **_eis_common(start_hz, stop_hz, points, average_n, wait_periods)})
