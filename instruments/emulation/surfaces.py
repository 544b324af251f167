"""What each surface treatment of the pellet gives the emulated cell's Na|NZSP interfaces.

One ``SurfacePreset`` per surface state of the paper's nomenclature (as sintered, EtOH500, dry4000-anneal,
...). Values and sources are tabulated in ``PARAMETERS.md``; in short:

- ``r_interface_ohm_cm2``: the interface resistance the paper measures on that surface (per interface,
  symmetric-cell convention, 25 C), i.e. the resistive part of the interface that shows in the spectrum:
  constriction by pores, contaminants and interphase. Charge transfer (``CellParameters.r_ct_ohm_cm2``)
  comes on top of it and hides under the grain-boundary arc.
- ``c_interface_F_cm2``: the capacitance of that process per electrode area. Polished surfaces: the
  paper's interface arc (C_int = 6.99e-7 F for the cell, i.e. 2.46e-6 F/cm2 per electrode). Thermally
  activated surfaces: no interface arc shows; what remains of the interface resistance is a
  low-frequency process (apparent capacitance 2e-3 F/cm2, apex 0.1-1 kHz), far below the grain-boundary
  arc and well above the 5 Hz end of the paper's sweep, which is what Z'data(f_min) - Z'fit(f->0) reads.
- ``ccd_mA_cm2``: the critical stripping current density of the working electrode at 25 C: stripping it
  at or above this rate leaves voids on which the next plating nucleates a filament.
- ``pore_onset_mA_cm2``: stripping faster than this opens pores (the rising voltage within a
  half-cycle, "more clearly observable from 4 mA/cm2 onwards" on the paper's thermally activated cell).

Grits 1200 and 2400 (the paper polishes with 500, 1200, 2400 and 4000 but reports 500 and 4000 only)
are interpolated log-linearly in the grit size between the 500 and 4000 values of the same solvent and
annealing (an assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: per-electrode capacitance of the paper's interface arc: 2 x 6.99e-7 F over 0.5675 cm2
C_POLISHED_F_CM2 = 2.46e-6
#: apparent capacitance of the low-frequency process of thermally activated interfaces (assumed)
C_ACTIVATED_F_CM2 = 2.0e-3


@dataclass(frozen=True)
class SurfacePreset:
    """What the surface processing of the pellet gives each Na|NZSP interface (25 C)."""

    name: str
    r_interface_ohm_cm2: float     # per interface, the part the paper's analysis measures
    c_interface_F_cm2: float       # capacitance of that process per electrode area
    ccd_mA_cm2: float              # critical stripping current density (working electrode, nominal)
    pore_onset_mA_cm2: float       # stripping rate above which pores grow
    thermally_activated: bool


def _preset(name, r, ccd, onset, activated):
    return SurfacePreset(name, r, C_ACTIVATED_F_CM2 if activated else C_POLISHED_F_CM2, ccd, onset, activated)


#: The paper's surface states (sources in PARAMETERS.md).
PRESETS: dict[str, SurfacePreset] = {p.name: p for p in (
    _preset("as sintered", 0.2, 9.8, 3.0, True),
    _preset("EtOH500", 24.2, 1.4, 0.6, False),
    _preset("dry500", 22.1, 1.4, 0.6, False),
    _preset("EtOH500-anneal", 0.1, 9.8, 3.0, True),
    _preset("dry500-anneal", 0.3, 9.8, 3.0, True),
    _preset("EtOH4000", 6000.0, 0.28, 0.1, False),
    _preset("dry4000", 8000.0, 0.28, 0.1, False),
    _preset("EtOH4000-anneal", 0.5, 9.8, 3.0, True),
    _preset("dry4000-anneal", 0.6, 9.8, 3.0, True),
)}


def _interpolated(solvent: str, grit: int, suffix: str) -> SurfacePreset:
    """A grit between the paper's 500 and 4000: log-linear in the grit size (assumed)."""
    low, high = PRESETS[f"{solvent}500{suffix}"], PRESETS[f"{solvent}4000{suffix}"]
    x = math.log(grit / 500) / math.log(4000 / 500)

    def between(a: float, b: float) -> float:
        return math.exp(math.log(a) + x * (math.log(b) - math.log(a)))

    return SurfacePreset(
        f"{solvent}{grit}{suffix}", between(low.r_interface_ohm_cm2, high.r_interface_ohm_cm2),
        between(low.c_interface_F_cm2, high.c_interface_F_cm2), between(low.ccd_mA_cm2, high.ccd_mA_cm2),
        between(low.pore_onset_mA_cm2, high.pore_onset_mA_cm2), low.thermally_activated)


for _solvent in ("EtOH", "dry"):
    for _grit in (1200, 2400):
        for _suffix in ("", "-anneal"):
            _p = _interpolated(_solvent, _grit, _suffix)
            PRESETS[_p.name] = _p


def find_preset(name: str) -> SurfacePreset:
    """The preset for a surface state name (case, '_' and '-' spacing forgiven)."""
    key = name.strip().lower().replace("_", " ")
    for preset in PRESETS.values():
        if preset.name.lower() == key:
            return preset
    raise ValueError(f"unknown surface state {name!r}; expected one of {sorted(PRESETS)}")
