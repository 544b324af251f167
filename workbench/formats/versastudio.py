"""AMETEK VersaStudio data files (``.par``) of impedance runs.

Layout, as VersaStudio 2.x writes it: sections between ``<Name>`` and ``</Name>`` lines holding
``key=value`` lines (``<Application>``, ``<Instrument>`` with ``Type`` and ``SN``,
``<Experiment>`` with ``DateAcquired``/``TimeAcquired``, ``<Action0>`` with ``Working Electrode
Area (cm2)``, ...). The data are in ``<Segment1>``, ``<Segment2>``, ...: ``Type``, ``Version``,
then ``Definition=`` followed by the comma-separated column names (``Segment #, Point #, E(V),
I(A), ..., Frequency(Hz), ..., Z Real, Z Imag, ...``; the list ends with a stray ``0`` that names
no column), then one comma-separated row per point until ``</SegmentN>``. ``Z Imag`` has its
physical sign. Other sections (graphs, an XML docking layout) are skipped. Layout checked against
a VersaStudio 2.52 file (VersaSTAT 4) published with the impedance.py project.
"""

from __future__ import annotations

import re
from pathlib import Path

from ._common import FormatError, RawTable, to_float_or_none

_OPEN = re.compile(r"^<(Segment\d+|Application|Instrument|Experiment|Action\d+)>\s*$")
_CLOSE = re.compile(r"^</(\w+)>\s*$")
WANTED = {"Frequency(Hz)": "frequency_hz", "Z Real": "z_real_ohm", "Z Imag": "z_imag_ohm"}


def sniff(lines: list[str]) -> bool:
    head = [line.strip() for line in lines[:3]]
    return bool(head) and head[0] == "<Application>" and any(line.startswith("Name=") for line in head[1:])


def _split(line: str) -> list[str]:
    """The cells of a data row, an empty last value kept as such."""
    return line.split(",")


def read(lines: list[str], path: str | Path) -> RawTable:
    sections: dict[str, dict[str, str]] = {}
    names: list[str] | None = None
    rows, numbers = [], []
    header_line = None
    current, definition_seen = None, False
    for index, line in enumerate(lines):
        stripped = line.strip()
        opening = _OPEN.match(stripped)
        if current is None:
            if opening:
                current, definition_seen = opening.group(1), False
                sections.setdefault(current, {})
            continue
        closing = _CLOSE.match(stripped)
        if closing or opening:
            if opening or closing.group(1) != current:
                raise FormatError(path, index + 1, f"expected </{current}>, found {stripped[:40]!r}")
            current = None
            continue
        if current.startswith("Segment") and definition_seen:
            if stripped:
                rows.append(_split(line))
                numbers.append(index + 1)
            continue
        key, _, value = line.partition("=")
        if current.startswith("Segment") and key.strip() == "Definition":
            columns = [c.strip() for c in value.split(",")]
            if columns and to_float_or_none(columns[-1]) is not None:
                columns.pop()  # the stray number that ends the list
            if names is not None and columns != names:
                raise FormatError(path, index + 1, "expected the same columns in every segment")
            names, header_line, definition_seen = columns, index + 1, True
        else:
            sections[current].setdefault(key.strip(), value.strip())
    if names is None:
        raise FormatError(path, max(len(lines), 1), "expected a <Segment1> section with a Definition= line of "
                                                    "column names, reached end of file")
    roles = {WANTED[n]: i for i, n in enumerate(names) if n in WANTED}
    if len(roles) < 3:
        raise FormatError(path, header_line, f"expected columns Frequency(Hz), Z Real, Z Imag among {names}")
    meta: dict = {"header": {f"{s}/{k}": v for s, values in sections.items() for k, v in values.items()}}
    instrument = sections.get("Instrument", {})
    if instrument.get("Type"):
        meta["instrument"] = " ".join(filter(None, [instrument["Type"], f"(SN {instrument['SN']})"
                                                    if instrument.get("SN") else ""]))
    experiment = sections.get("Experiment", {})
    if experiment.get("DateAcquired"):
        meta["date"] = f"{experiment['DateAcquired']} {experiment.get('TimeAcquired', '')}".strip()
    application = sections.get("Application", {})
    if application.get("Name"):
        meta["software"] = f"{application['Name']} {application.get('Version', '')}".strip()
    for values in sections.values():
        area = to_float_or_none(values.get("Working Electrode Area (cm2)", ""))
        if area is not None:
            meta["area_cm2"] = area
            break
    return RawTable(format_name="versastudio", names=names, rows=rows, line_numbers=numbers,
                    header_line=header_line, roles=roles, imag_sign=1, imag_sign_source="format",
                    decimal_comma=False, meta=meta)
