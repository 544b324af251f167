"""BioLogic EC-Lab text exports (``.mpt``) of impedance (PEIS/GEIS) runs.

Layout, as EC-Lab 11.x writes it: a first line ``EC-Lab ASCII FILE``, a second line
``Nb header lines : N`` where N counts every line up to and including the tab-separated column
header (``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm``, ..., ``cycle number``, ...), then one data
row per line. The same table can also be exported without the header block (the column header
is then the first line). Numbers use a decimal comma in European locales; files are Latin-1
(``cm²``). Several sweeps in one file are told apart by the ``cycle number`` column, and
``Loop i from point number a to b`` lines of the header mark loops. Rows of frequency 0 are the
instrument's rest points between sweeps: they are skipped (counted in ``attrs["skipped_rest_rows"]``)
and the ``sweep`` column numbers the sweeps (a new one after rest rows, or where the cycle number or
loop changes). Layout checked against EC-Lab v11.18, v11.50 (European locale), v11.52 (three sweeps)
and v11.61 exports.
"""

from __future__ import annotations

import re
from pathlib import Path

from ._common import FormatError, RawTable, WrongKind, role_of, to_float_or_none

MAGIC = "EC-Lab ASCII FILE"
_HEADER_COUNT = re.compile(r"^\s*Nb header lines\s*:\s*([0-9]{1,6})\s*$")
_LOOP = re.compile(r"^\s*Loop\s+([0-9]{1,9})\s+from point number\s+([0-9]{1,12})\s+to\s+([0-9]{1,12})\s*$")
_KEY_VALUE = re.compile(r"^\s*([^:]{1,60}?)\s+:\s*(.*?)\s*$")
_FIXED = re.compile(r"^(\S.{0,18}?)\s{2,}(\S.*?)\s*$")  # 'Va (mV)             20.0'


def sniff(lines: list[str]) -> bool:
    first = lines[0].strip() if lines else ""
    return first == MAGIC or ("freq/Hz" in first and "Re(Z)/Ohm" in first)


def _split(line: str, *, row: bool = False) -> list[str]:
    """Tab-separated cells; trailing empty cells are dropped from a header, kept in a data row."""
    cells = line.split("\t")
    while not row and cells and not cells[-1].strip():
        cells.pop()
    return cells


def _metadata(header: list[str]) -> tuple[dict, list[tuple[int, int, int]]]:
    values: dict[str, str] = {}
    loops: list[tuple[int, int, int]] = []
    for line in header:
        loop = _LOOP.match(line)
        if loop:
            loops.append(tuple(int(g) for g in loop.groups()))
            continue
        match = _KEY_VALUE.match(line) or _FIXED.match(line)
        if match and match.group(2):
            values.setdefault(match.group(1).strip(), match.group(2))
    meta: dict = {"header": values}
    if len(header) > 3 and header[3].strip() and ":" not in header[3]:
        meta["technique"] = header[3].strip()
    if "Acquisition started on" in values:
        meta["date"] = values["Acquisition started on"]
    if "Device" in values:
        meta["instrument"] = values["Device"]
    for key in values:
        if key.startswith("EC-Lab for windows"):
            meta["software"] = key
    for key, name in (("Electrode surface area", "area_cm2"), ("Va (mV)", "amplitude_mv")):
        number = to_float_or_none(values.get(key, ""))
        if number is not None:
            meta[name] = number
    return meta, loops


def read_table(lines: list[str], path: str | Path) -> RawTable:
    """The header block, column names and data rows of an EC-Lab text export; the caller checks the names."""
    if not lines:
        raise FormatError(path, None, "expected an EC-Lab text export, found an empty file")
    if lines[0].strip() == MAGIC:
        count = _HEADER_COUNT.match(lines[1]) if len(lines) > 1 else None
        if count is None:
            raise FormatError(path, 2, "expected 'Nb header lines : N'")
        n_header = int(count.group(1))
        if not 3 <= n_header <= len(lines):
            raise FormatError(path, 2, f"header of {n_header} lines does not fit a file of {len(lines)} lines")
        header_index = n_header - 1
    else:
        header_index = 0
    meta, loops = _metadata(lines[:header_index])
    names = _split(lines[header_index])
    rows, numbers = [], []
    for index in range(header_index + 1, len(lines)):
        if lines[index].strip():
            rows.append(_split(lines[index], row=True))
            numbers.append(index + 1)
    table = RawTable(format_name="biologic", names=names, rows=rows, line_numbers=numbers,
                     header_line=header_index + 1, decimal_comma=True, meta=meta)
    if loops:
        table.extra["loop"] = _loops(loops, len(rows), path, numbers)
    return table


def read(lines: list[str], path: str | Path) -> RawTable:
    table = read_table(lines, path)
    roles, sign = {}, None
    for index, name in enumerate(table.names):
        role, negated = role_of(name)
        if role and role not in roles:
            roles[role] = index
            if role == "z_imag_ohm":
                sign = -1 if negated else 1
    if len(roles) < 3:
        stripped = [n.strip() for n in table.names]
        kind = WrongKind if "time/s" in stripped and "freq/Hz" not in stripped else FormatError
        raise kind(path, table.header_line,
                          "expected the column header (freq/Hz, Re(Z)/Ohm, -Im(Z)/Ohm), "
                          f"found {lines[table.header_line - 1].strip()[:60]!r}")
    table.roles, table.imag_sign, table.imag_sign_source = roles, sign, "name"
    table.rest_rows_between_sweeps = True
    stripped = [n.strip() for n in table.names]
    if "cycle number" in stripped:
        table.int_columns["cycle"] = stripped.index("cycle number")
    return table


def _loops(loops: list[tuple[int, int, int]], n_rows: int, path: str | Path, numbers: list[int]) -> list[int]:
    labels = [-1] * n_rows
    for loop, first, last in loops:
        for point in range(first, min(last, n_rows - 1) + 1):
            labels[point] = loop
    if -1 in labels:
        missing = labels.index(-1)
        raise FormatError(path, numbers[missing], f"data point {missing} is in none of the header's loops")
    return labels
