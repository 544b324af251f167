"""Plain delimited text tables of impedance data (CSV, semicolon, tab or space separated).

The header row is found by column-name aliases (``freq``/``frequency``/``f``; ``Z'``/``Zre``/
``Re(Z)``/``z_real``; ``Z''``/``Zim``/``-Im(Z)``/``z_imag``, units allowed in the names); a
leading minus in the imaginary column's name means it holds -Z'', otherwise the sign is taken
from the data (capacitive spectra have mostly negative Z''). Lines before the header of the form
``key = value`` or ``key: value`` are kept as metadata. This also reads the CH Instruments
"A.C. Impedance" text export (a dated preamble, then ``Freq/Hz, Z'/ohm, Z"/ohm, ...``) and the
PARSTAT tab-separated export (``Frequency (Hz)``, ``Zre (ohms)``, ``Zim (ohms)``), whose DC rows
have frequency and impedance all zero and are skipped, and the workbench's own CSV export of a run
(``# run N: ...``, then ``seq,kind,time_s,frequency_hz,...``): a ``kind`` column keeps only the
``impedance`` rows. Layouts checked against CH Instruments
660E and PARSTAT exports published with the impedance.py project.
"""

from __future__ import annotations

import re
from pathlib import Path

from ._common import FormatError, RawTable, match_roles, parse_number, to_float_or_none

SEPARATORS = ("\t", ";", ",", None)  # None: runs of whitespace
HEADER_SEARCH_LINES = 500  # a header row is looked for in the first lines only
_KEY_VALUE = re.compile(r"^\s*([^=:]{1,60}?)\s*[=:]\s*(.+?)\s*$")
_CHI_DATE = re.compile(r"^[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4}\s+\d{1,2}:\d{2}:\d{2}$")


def split(line: str, separator: str | None, *, row: bool = False) -> list[str]:
    """Cells of a line; trailing empty cells are dropped from a header, kept in a data row (an empty last
    value is not a row cut short)."""
    cells = line.split() if separator is None else line.split(separator)
    while not row and cells and not cells[-1].strip():
        cells.pop()
    return cells


def find_header(lines: list[str], separators=SEPARATORS) -> tuple[int, str | None, list[str]] | None:
    """First line (index, separator, names) naming frequency, Z' and Z'' columns."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        for separator in separators:
            names = split(line, separator)
            if len(names) >= 3 and len(match_roles(names)) == 3:
                return index, separator, names
    return None


def _is_numeric_row(cells: list[str], decimal_comma: bool) -> bool:
    return len(cells) >= 3 and all(parse_number(c, decimal_comma=decimal_comma) is not None for c in cells)


def header_metadata(preamble: list[str]) -> dict:
    """Key/value lines of a preamble, plus the common ones under standard names."""
    header: dict[str, str] = {}
    meta: dict = {}
    for line in preamble:
        text = line.strip().strip('"').strip()
        if _CHI_DATE.match(text):
            meta["date"] = text
            continue
        match = _KEY_VALUE.match(text)
        if match:
            header[match.group(1)] = match.group(2)
    for key, value in header.items():
        lowered = key.lower()
        if lowered in ("instrument model", "instrument", "device", "potentiostat"):
            meta["instrument"] = value
        elif lowered in ("date", "acquisition date"):
            meta.setdefault("date", value)
        elif "area" in lowered:
            number = to_float_or_none(value)
            if number is not None:
                meta["area_cm2"] = number
        elif lowered.startswith("amplitude"):
            number = to_float_or_none(value)
            if number is not None:
                meta["amplitude_mv"] = number * 1000 if "(v)" in lowered else number
    if header:
        meta["header"] = header
    return meta


def parse_table(lines: list[str], path: str | Path, format_name: str = "csv") -> RawTable:
    """Find the header row (or a headerless numeric table) and collect the data rows after it."""
    found = find_header(lines[:HEADER_SEARCH_LINES])
    if found is not None:
        start, separator, names = found
        first_data = start + 1
        header_line: int | None = start + 1
        decimal_comma = separator != ","
        roles = match_roles(names)
        meta = header_metadata(lines[:start])
    else:
        first = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
                     None)
        if first is None:
            raise FormatError(path, None, "expected a header row and numeric data, found an empty file")
        separator = next((s for s in SEPARATORS if _is_numeric_row(split(lines[first], s), s != ",")), "")
        if separator != "":
            first_data, header_line = first, None
            names = [f"column {i + 1}" for i in range(len(split(lines[first], separator)))]
            roles = {"frequency_hz": 0, "z_real_ohm": 1, "z_imag_ohm": 2}
            meta = {"columns_assumed": "frequency, Z', Z'' in the first three columns"}
        else:
            # a header whose names are not known aliases: the caller may still map them with columns=
            separator = max(SEPARATORS, key=lambda s: len(split(lines[first], s)))
            names = split(lines[first], separator)
            if len(names) < 2:
                raise FormatError(path, first + 1, "expected a header row naming frequency, Z' and Z'' columns "
                                                   f"(e.g. freq, Z', Z''), found {lines[first].strip()[:60]!r}")
            first_data, header_line = first + 1, first + 1
            roles = match_roles(names)
            meta = header_metadata(lines[:first])
        decimal_comma = separator != ","
    rows, numbers = [], []
    for index in range(first_data, len(lines)):
        line = lines[index]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append(split(line, separator, row=True))
        numbers.append(index + 1)
    stripped_names = [n.strip().strip('"').lower() for n in names]
    if "kind" in stripped_names:  # the workbench's export of a run with several kinds of points
        kind = stripped_names.index("kind")
        chosen = [k for k, cells in enumerate(rows) if kind < len(cells) and cells[kind].strip() == "impedance"]
        rows, numbers = [rows[k] for k in chosen], [numbers[k] for k in chosen]
    if meta.get("instrument", "").upper().startswith("CHI"):
        format_name = "chi"
    stripped = [n.strip().strip('"').lower() for n in names]
    int_columns = {name: stripped.index(name) for name in ("cycle", "loop") if name in stripped}
    return RawTable(format_name=format_name, names=names, rows=rows, line_numbers=numbers,
                    header_line=header_line, roles=roles, imag_sign=None, imag_sign_source="data",
                    decimal_comma=decimal_comma, skip_all_zero_rows=True, meta=meta, int_columns=int_columns)


def sniff(lines: list[str]) -> bool:
    """True if the first lines contain a recognisable header row."""
    return find_header(lines[:200]) is not None


def read(lines: list[str], path: str | Path) -> RawTable:
    return parse_table(lines, path, "csv")
