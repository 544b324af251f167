"""Arbin csv exports (MITS Pro / the Arbin database's channel table).

Layout: one header row naming the columns with underscores (``Data_Point``, ``Test_Time`` or
``Test_Time(s)``, ``Date_Time``/``DateTime``, ``Step_Time``, ``Step_Index``, ``Cycle_Index``,
``Current`` or ``Current(A)``, ``Voltage`` or ``Voltage(V)``, ``Charge_Capacity``, ...), then one
comma-separated row per point. ``Test_Time`` is in seconds; indices may be written as ``3.0``. A
unit-less ``Current``/``Voltage`` is in A/V. Layout checked against a file from the Arbin
database published with the beep project.

Sign convention (Arbin's): the current is positive while charging and negative while discharging.
"""

from __future__ import annotations

from pathlib import Path

from .._common import FormatError, RawTable
from . import _table
from ._table import Column, CyclingTable

CURRENT_SIGN = "positive while charging, negative while discharging (Arbin)"


def _header(lines: list[str]) -> tuple[int, str, list[str]] | None:
    for index, line in enumerate(lines[:20]):
        for separator in (",", ";", "\t"):
            rows, _ = _table.split_delimited([line], 0, separator, header=True)
            names = rows[0] if rows else []
            if len(names) >= 4 and _table.find(names, "testtime") is not None and \
                    _table.find(names, "stepindex") is not None and _table.find(names, "cycleindex") is not None:
                return index, separator, names
    return None


def sniff(lines: list[str]) -> bool:
    return _header(lines) is not None


def read(lines: list[str], path: str | Path) -> CyclingTable:
    found = _header(lines)
    if found is None:
        raise FormatError(path, 1, "expected an Arbin header row (Test_Time, Step_Index, Cycle_Index, Current, "
                                   "Voltage, ...)")
    header, separator, names = found
    rows, numbers = _table.split_delimited(lines, header + 1, separator)
    raw = RawTable(format_name="arbin", names=names, rows=rows, line_numbers=numbers, header_line=header + 1,
                   decimal_comma=separator != ",", meta={})
    current, voltage = _table.find(names, "current"), _table.find(names, "voltage")
    for what, index in (("Current", current), ("Voltage", voltage)):
        if index is None:
            raise FormatError(path, header + 1, f"expected a {what} column among {[n.strip() for n in names]}")
    time = _table.find(names, "testtime")
    columns = {
        "time_s": Column(time, kind="duration",
                         scale=_table.unit_scale(names[time], "time", path, header + 1, default="s")),
        "voltage_v": Column(voltage, scale=_table.unit_scale(names[voltage], "voltage", path, header + 1,
                                                             default="v")),
        "current_a": Column(current, scale=_table.unit_scale(names[current], "current", path, header + 1,
                                                             default="a")),
        "cycle": Column(_table.find(names, "cycleindex"), kind="integer"),
        "step": Column(_table.find(names, "stepindex"), kind="integer"),
    }
    return CyclingTable(raw, columns, {"current_sign": CURRENT_SIGN, "current_source": "measured"})
