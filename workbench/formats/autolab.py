"""Metrohm Autolab NOVA text/CSV exports of impedance (FRA) measurements.

NOVA's "Export ASCII data" writes one header row of column names with units, e.g.
``Index;Frequency (Hz);Z' (Ω);-Z'' (Ω);Z (Ω);-Phase (°);Time (s)``, separated by ``;``, tab or
``,``, then one row per point; with ``;`` or tab the numbers may carry a decimal comma. The
imaginary column is ``-Z''`` (its sign is taken from the leading minus of the name). Layout
known from NOVA 2.1 exports as read by published EIS tools (impedance.py ``readAutolab``,
the corrosionR ``openNOVA`` reader).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import plain_csv
from ._common import RawTable

_NOVA_FREQUENCY = re.compile(r"(^|[;\t,])\s*Frequency \(Hz\)\s*([;\t,]|$)")
_NOVA_IMPEDANCE = re.compile(r"Z'+ \((\u03a9|\u2126|Ohm|ohm)\)")


def sniff(lines: list[str]) -> bool:
    for line in lines[:5]:
        if _NOVA_FREQUENCY.search(line) and _NOVA_IMPEDANCE.search(line):
            return True
    return False


def read(lines: list[str], path: str | Path) -> RawTable:
    table = plain_csv.parse_table(lines, path, "autolab")
    table.skip_all_zero_rows = False
    return table
