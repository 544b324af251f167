"""Gamry Framework data files (``.DTA``) of potentiostatic/galvanostatic EIS.

Layout, as Gamry Framework 7.x writes it: a first line ``EXPLAIN``, then tab-separated header
lines ``KEY<TAB>TYPE<TAB>value<TAB>label`` (``DATE``, ``TIME``, ``PSTAT``, ``VAC`` in mV rms,
``AREA`` in cm², ...), possibly other tables (``OCVCURVE``), and the impedance table announced
by ``ZCURVE<TAB>TABLE``: a line of column names (``Pt Time Freq Zreal Zimag ...``), a line of
units, then one tab-indented row per point until the first line that does not start with a tab.
``Zimag`` carries its physical sign. European installations write decimal commas. Layout checked
against Framework 7.10 exports and a European-locale fixture.
"""

from __future__ import annotations

from pathlib import Path

from ._common import FormatError, RawTable, to_float_or_none

MAGIC = "EXPLAIN"


def sniff(lines: list[str]) -> bool:
    return bool(lines) and lines[0].strip() == MAGIC


def _cells(line: str, *, row: bool = False) -> list[str]:
    """Cells after the leading tab; trailing empty cells are dropped from a header, kept in a data row."""
    cells = line.split("\t")[1:]
    while not row and cells and not cells[-1].strip():
        cells.pop()
    return cells


def _metadata(lines: list[str]) -> dict:
    header: dict[str, str] = {}
    for line in lines:
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip() and parts[1].strip() not in ("TABLE", "NOTES"):
            header.setdefault(parts[0].strip(), parts[2].strip())
    meta: dict = {"header": header}
    for key, name in (("DATE", "date"), ("TIME", "time"), ("PSTAT", "instrument"), ("TAG", "technique"),
                      ("FRAMEWORKVERSION", "software")):
        if header.get(key):
            meta[name] = header[key]
    for key, name in (("AREA", "area_cm2"), ("VAC", "amplitude_mv"), ("VDC", "dc_potential_v")):
        number = to_float_or_none(header.get(key, ""))
        if number is not None:
            meta[name] = number
    return meta


def read(lines: list[str], path: str | Path) -> RawTable:
    start = next((i for i, line in enumerate(lines) if line.split("\t")[:2] == ["ZCURVE", "TABLE"]), None)
    if start is None:
        raise FormatError(path, max(len(lines), 1), "expected a 'ZCURVE<TAB>TABLE' block, reached end of file")
    names = _cells(lines[start + 1]) if start + 1 < len(lines) else []
    wanted = {"Freq": "frequency_hz", "Zreal": "z_real_ohm", "Zimag": "z_imag_ohm"}
    roles = {wanted[n.strip()]: i for i, n in enumerate(names) if n.strip() in wanted}
    if len(roles) < 3:
        found = lines[start + 1].strip()[:60] if start + 1 < len(lines) else "end of file"
        raise FormatError(path, start + 2, f"expected column names including Freq, Zreal, Zimag, found {found!r}")
    first = start + 2
    if first < len(lines) and _cells(lines[first])[:1] == ["#"]:
        first += 1  # the units line
    rows, numbers = [], []
    for index in range(first, len(lines)):
        if not lines[index].startswith("\t"):
            break
        rows.append(_cells(lines[index], row=True))
        numbers.append(index + 1)
    return RawTable(format_name="gamry", names=names, rows=rows, line_numbers=numbers,
                    header_line=start + 2, roles=roles, imag_sign=1, imag_sign_source="format",
                    decimal_comma=True, meta=_metadata(lines[:start]))
