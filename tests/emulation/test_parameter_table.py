"""Every constant of the emulated cell has a row in instruments/emulation/PARAMETERS.md, with its value."""

import math
import re
from dataclasses import fields
from pathlib import Path

from instruments.emulation.cell import CellParameters
from instruments.emulation.surfaces import C_ACTIVATED_F_CM2, C_POLISHED_F_CM2, PRESETS

TABLE = (Path(__file__).resolve().parents[2] / "instruments" / "emulation" / "PARAMETERS.md").read_text()
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def row(key: str) -> list[str]:
    line = next((ln for ln in TABLE.splitlines() if ln.startswith(f"| {key} |")), None)
    assert line is not None, f"{key} has no row in PARAMETERS.md"
    return [cell.strip() for cell in line.strip("|").split("|")]


def shows(cell: str, value: float) -> bool:
    return any(math.isclose(float(n), value, rel_tol=1e-3) for n in NUMBER.findall(cell))


def test_every_cell_parameter_has_a_row_with_its_value_and_source():
    defaults = CellParameters()
    for f in fields(CellParameters):
        cells = row(f"`{f.name}`")
        value = getattr(defaults, f.name)
        for v in value if isinstance(value, tuple) else (value,):
            assert shows(cells[1], v), (f.name, v, cells[1])
        assert cells[2], f"{f.name} has no source"


def test_every_surface_preset_has_a_row_with_its_values():
    for name, preset in PRESETS.items():
        if "1200" in name or "2400" in name:
            assert "EtOH1200, EtOH2400, dry1200, dry2400" in TABLE
            continue
        cells = row(name)
        for column, v in enumerate((preset.r_interface_ohm_cm2, preset.c_interface_F_cm2, preset.ccd_mA_cm2,
                                    preset.pore_onset_mA_cm2), start=1):
            assert shows(cells[column], v), (name, v, cells[column])
        assert cells[5]
    assert shows(TABLE, C_POLISHED_F_CM2) and shows(TABLE, C_ACTIVATED_F_CM2)
