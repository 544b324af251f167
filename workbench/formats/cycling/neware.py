"""Neware BTS csv exports (BTSDA "Export to csv", the record layer).

Layout: one header row (``DataPoint``, ``Cycle Index``, ``Step Index``, ``Step Type``, ``Time``,
``Cumulative Time``/``Total Time``, ``Current(A)`` or ``Current(mA)``, ``Voltage(V)``,
``Capacity(Ah)``, ..., ``Date``, ...), then one row per record; comma-separated (semicolons with
decimal commas in some locales), cells or whole lines sometimes in double quotes. Times are
``h:mm:ss`` with hours past 24 (``144:01:18``) or seconds. ``Time`` is the time within the step;
the run's time is ``Cumulative Time`` (or ``Total Time``, ``Relative Time``), else the ``Date``
stamps from the first one. Layout checked against a BTS 8 export published with the cellpy
project.

Sign convention (Neware's): the current is positive while charging and negative while
discharging (``Step Type`` ``CC DChg``); ``Step Type`` is kept as the text column ``state``.
"""

from __future__ import annotations

from pathlib import Path

from .._common import FormatError, RawTable
from . import _table
from ._table import Column, CyclingTable

CURRENT_SIGN = "positive while charging, negative while discharging (Neware)"
_TIME = ("cumulativetime", "totaltime", "relativetime", "testtime")
_STAMPS = ("date", "realtime", "absolutetime", "systemtime")


def _header(lines: list[str]) -> tuple[int, str, list[str]] | None:
    for index, line in enumerate(lines[:20]):
        for separator in (",", ";", "\t"):
            rows, _ = _table.split_delimited([line], 0, separator, header=True)
            names = rows[0] if rows else []
            if len(names) >= 4 and _table.find(names, "steptype", "status") is not None and \
                    _table.find(names, "current") is not None and _table.find(names, "voltage") is not None:
                return index, separator, names
    return None


def sniff(lines: list[str]) -> bool:
    return _header(lines) is not None


def read(lines: list[str], path: str | Path) -> CyclingTable:
    found = _header(lines)
    if found is None:
        raise FormatError(path, 1, "expected a Neware header row (Cycle Index, Step Type, Current(A), Voltage(V), ...)")
    header, separator, names = found
    rows, numbers = _table.split_delimited(lines, header + 1, separator)
    raw = RawTable(format_name="neware", names=names, rows=rows, line_numbers=numbers, header_line=header + 1,
                   decimal_comma=separator != ",", meta={})
    current, voltage = _table.find(names, "current"), _table.find(names, "voltage")
    time = _table.find(names, *_TIME)
    if time is not None:
        time_column = Column(time, kind="duration",
                             scale=_table.unit_scale(names[time], "time", path, header + 1, default="s")
                             if _table.name_and_unit(names[time])[1] not in ("h:min:s.ms", "hh:mm:ss") else 1.0)
    else:
        stamps = _table.find(names, *_STAMPS)
        if stamps is None:
            raise FormatError(path, header + 1, "expected a run time column (Cumulative Time, Total Time) or date "
                                                f"stamps (Date) among {[n.strip() for n in names]}")
        time_column = Column(stamps, kind="timestamp")
    columns = {
        "time_s": time_column,
        "voltage_v": Column(voltage, scale=_table.unit_scale(names[voltage], "voltage", path, header + 1)),
        "current_a": Column(current, scale=_table.unit_scale(names[current], "current", path, header + 1)),
    }
    for out, keys in (("cycle", ("cycleindex", "cycleid", "cycle")), ("step", ("stepindex", "stepid", "step"))):
        index = _table.find(names, *keys)
        if index is not None:
            columns[out] = Column(index, kind="integer")
    columns["state"] = Column(_table.find(names, "steptype", "status"), kind="text")
    return CyclingTable(raw, columns, {"current_sign": CURRENT_SIGN, "current_source": "measured"})
