"""The workbench's own CSV export of a run (``python -m workbench export``, the history's Export CSV…).

Layout: a first line ``# run N: KIND, STATUS; sample NAME (SURFACE), area_cm2=A``, then the column
header ``seq,time_s,voltage_v,current_a,current_density_mA_cm2,half_cycle,step`` (a run with several
kinds of points has a ``kind`` column after ``seq`` and the columns of every kind; only its
``cycling`` rows are read here), then one comma-separated row per point, empty where a kind has no
value. Times in s, voltage in V, current in A.

Sign convention (the workbench's, see the README): the current is the working electrode's; a
negative current plates Na on the working electrode.
"""

from __future__ import annotations

import re
from pathlib import Path

from .._common import FormatError, RawTable, WrongKind
from . import _table
from ._table import Column, CyclingTable

CURRENT_SIGN = "negative: Na plated on the working electrode (the workbench's convention)"
_FIRST = re.compile(r"^#\s*run\s+\d+:")


def _header(lines: list[str]) -> int | None:
    first = next((i for i, line in enumerate(lines[:5]) if line.strip()), None)
    if first is None or not _FIRST.match(lines[first].strip()) or first + 1 >= len(lines):
        return None
    names = [n.strip() for n in lines[first + 1].split(",")]
    return first + 1 if {"seq", "time_s"} <= set(names) else None


def sniff(lines: list[str]) -> bool:
    header = _header(lines)
    return header is not None and {"voltage_v", "current_a"} <= {n.strip() for n in lines[header].split(",")}


def read(lines: list[str], path: str | Path) -> CyclingTable:
    header = _header(lines)
    if header is None:
        raise FormatError(path, 1, "expected '# run N: ...' and a header with seq and time_s (the workbench's CSV "
                                   "export)")
    names = [n.strip() for n in lines[header].split(",")]
    if not {"voltage_v", "current_a"} <= set(names):
        raise WrongKind(path, header + 1, "this workbench export has no cycling points (no voltage_v, current_a)")
    rows, numbers = _table.split_delimited(lines, header + 1, ",")
    if "kind" in names:
        kind = names.index("kind")
        chosen = [k for k, cells in enumerate(rows) if kind < len(cells) and cells[kind].strip() == "cycling"]
        rows, numbers = [rows[k] for k in chosen], [numbers[k] for k in chosen]
    raw = RawTable(format_name="workbench", names=names, rows=rows, line_numbers=numbers, header_line=header + 1,
                   decimal_comma=False, meta={"header": {"run": lines[header - 1].strip().lstrip("#").strip()}})
    columns = {"time_s": Column(names.index("time_s")), "voltage_v": Column(names.index("voltage_v")),
               "current_a": Column(names.index("current_a"))}
    for out in ("half_cycle", "step"):
        if out in names:
            columns[out] = Column(names.index(out), kind="integer")
    return CyclingTable(raw, columns, {"current_sign": CURRENT_SIGN, "current_source": "measured"})
