"""Shared pieces of the cycling readers: column names and units, times, and the checked DataFrame.

A reader finds the header row and returns a :class:`CyclingTable`: the raw table (cell text and
line numbers, as the impedance readers make it) and, for each output column, which file column
holds it, what kind of text it is and the factor to SI units. :func:`to_frame` reads every cell
strictly, refuses rows shorter than the header, drops a cut-off last line with a warning (see
:mod:`workbench.formats._common`) and builds the DataFrame.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._common import FormatError, RawTable, check_width, drop_cut_rows, parse_number

OUTPUT_FLOATS = ("time_s", "voltage_v", "current_a")
OUTPUT_INTEGERS = ("cycle", "step", "half_cycle")

UNIT_FACTORS = {
    "time": {"s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "h": 3600.0, "hr": 3600.0},
    "current": {"a": 1.0, "ma": 1e-3, "µa": 1e-6, "ua": 1e-6, "na": 1e-9},
    "voltage": {"v": 1.0, "mv": 1e-3},
}
_UNIT = re.compile(r"^(.*?)\s*(?:/\s*([^/()\[\]]+?)|[(\[]\s*([^()\[\]]+?)\s*[)\]])\s*$")
_DURATION = re.compile(r"^(?:(\d+)\s*(?:d|days?|-)\s*)?(\d+):([0-5]?\d):([0-5]?\d(?:[.,]\d*)?)$")
_SHORT_DURATION = re.compile(r"^(\d+):([0-5]?\d(?:[.,]\d*)?)$")
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S",
                     "%d.%m.%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M:%S")


def name_and_unit(name: str) -> tuple[str, str | None]:
    """A column name reduced to a comparable key, and its unit: ``'Current(mA)'`` -> ``('current', 'ma')``."""
    text = name.strip().strip('"').strip()
    match = _UNIT.match(text)
    unit = None
    if match and (match.group(2) or match.group(3)):
        text, unit = match.group(1), (match.group(2) or match.group(3)).strip().lower()
    key = re.sub(r"[\s_.]+", "", text.lower())
    return key, unit


def find(names: list[str], *keys: str) -> int | None:
    """Index of the first column whose reduced name is one of ``keys`` (in the order of ``keys``)."""
    reduced = [name_and_unit(n)[0] for n in names]
    for key in keys:
        if key in reduced:
            return reduced.index(key)
    return None


@dataclass
class Column:
    """Where an output column comes from: file column, kind of text and factor to SI."""

    index: int
    kind: str = "number"  # number | duration (a number or [d ]h:mm:ss) | timestamp | integer | text
    scale: float = 1.0


@dataclass
class CyclingTable:
    raw: RawTable
    columns: dict[str, Column]
    attrs: dict = field(default_factory=dict)
    # a factor found from the data (e.g. Maccor's unitless TestTime against its time stamps)
    time_scale_from: int | None = None


def unit_scale(name: str, quantity: str, path: str | Path, line: int | None, *, default: str | None = None) -> float:
    """Factor to SI of a column from the unit in its name; FormatError if the unit is not one we know."""
    unit = name_and_unit(name)[1] or default
    factors = UNIT_FACTORS[quantity]
    if unit is None or unit.replace("μ", "µ") not in factors:
        raise FormatError(path, line, f"column {name.strip()!r}: expected a {quantity} unit "
                                      f"({', '.join(factors)}), found {unit!r}")
    return factors[unit.replace("μ", "µ")]


def split_delimited(lines: list[str], start: int, separator: str, *,
                    header: bool = False) -> tuple[list[list[str]], list[int]]:
    """Rows from ``start`` on, split with quotes honoured; a line quoted whole is split inside its quotes.
    Trailing empty cells are dropped from a header, kept in a data row."""
    rows, numbers = [], []
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        cells = next(csv.reader([line], delimiter=separator), [])
        if len(cells) == 1 and separator in cells[0]:
            cells = next(csv.reader([cells[0]], delimiter=separator), [])
        while header and cells and not cells[-1].strip():
            cells.pop()
        rows.append(cells)
        numbers.append(index + 1)
    return rows, numbers


def parse_clock(text: str) -> float | None:
    """Seconds of ``'144:01:18'``, ``'1d 02:03:04.5'`` or ``'12:30.5'`` (m:s); None if not such a time."""
    token = text.strip().strip('"').strip()
    match = _DURATION.match(token)
    if match:
        days, hours, minutes, seconds = match.groups()
        return (int(days or 0) * 24 + int(hours)) * 3600 + int(minutes) * 60 + float(seconds.replace(",", "."))
    match = _SHORT_DURATION.match(token)
    if match:
        return int(match.group(1)) * 60 + float(match.group(2).replace(",", "."))
    return None


class _Timestamps:
    """Date-time text to seconds since the epoch, the format found once and then kept."""

    def __init__(self):
        self.format: str | None = None

    def __call__(self, text: str) -> float | None:
        token = text.strip().strip('"').strip()
        number = parse_number(token, decimal_comma=False)
        if number is not None:
            return number  # seconds since the epoch, as Arbin's database writes them
        fraction = 0.0
        fractional = re.match(r"^(.*\d:\d\d)[.,](\d+)(.*)$", token)
        if fractional:
            token, fraction = fractional.group(1) + fractional.group(3), float("0." + fractional.group(2))
        for candidate in ([self.format] if self.format else []) + list(TIMESTAMP_FORMATS):
            try:
                moment = _dt.datetime.strptime(token, candidate)
            except ValueError:
                continue
            self.format = candidate
            return moment.replace(tzinfo=_dt.UTC).timestamp() + fraction
        return None


def to_frame(table: CyclingTable, path: str | Path, format_name: str) -> pd.DataFrame:
    """Check every used cell of the table and build the cycling DataFrame."""
    raw = table.raw
    used = {c.index for c in table.columns.values()}
    if table.time_scale_from is not None:
        used.add(table.time_scale_from)
    warnings = drop_cut_rows(raw, path, used)
    if not raw.rows:
        found = "only a cut-off line" if warnings else "none"
        raise FormatError(path, raw.header_line, f"expected data rows after the header, found {found}")
    n = len(raw.rows)
    values: dict[str, np.ndarray] = {}
    timestamp = _Timestamps()
    for name, column in table.columns.items():
        label = raw.names[column.index].strip() if column.index < len(raw.names) else f"column {column.index + 1}"
        if column.kind == "text":
            values[name] = np.array([cells[column.index].strip().strip('"') if column.index < len(cells) else ""
                                     for cells in raw.rows], dtype=object)
            continue
        out = np.empty(n, dtype=np.int64 if column.kind == "integer" else np.float64)
        for r, (cells, line) in enumerate(zip(raw.rows, raw.line_numbers, strict=True)):
            token = cells[column.index] if column.index < len(cells) else None
            if token is None:
                check_width(raw, path, cells, line)
                raise FormatError(path, line, f"expected a value in column {label}, found none")
            scale = column.scale
            if column.kind == "duration":
                number = parse_clock(token)
                if number is None:
                    number = parse_number(token, decimal_comma=raw.decimal_comma)
                else:
                    scale = 1.0  # h:mm:ss is in seconds whatever the column's unit
                expected = "a time (a number or h:mm:ss)"
            elif column.kind == "timestamp":
                number = timestamp(token)
                expected = "a date and time"
            else:
                number = parse_number(token, decimal_comma=raw.decimal_comma)
                expected = "a number"
            if number is None:
                raise FormatError(path, line, f"expected {expected} in column {label}, found {token.strip()[:40]!r}")
            if not math.isfinite(number):
                raise FormatError(path, line, f"non-finite value {token.strip()[:30]!r} in column {label}")
            if column.kind == "integer":
                if number != int(number) or abs(number) > 2**53:
                    raise FormatError(path, line, f"expected a whole number in column {label}, "
                                                  f"found {token.strip()[:40]!r}")
                out[r] = int(number)
            else:
                out[r] = number * scale
        values[name] = out
    for cells, line in zip(raw.rows, raw.line_numbers, strict=True):
        check_width(raw, path, cells, line)
    if table.columns["time_s"].kind == "timestamp":
        values["time_s"] = values["time_s"] - values["time_s"][0]
    return cycling_frame(values, path=path, format_name=format_name, attrs={**raw.meta, **table.attrs},
                         warnings=warnings, line_numbers=raw.line_numbers,
                         columns_used={k: raw.names[c.index].strip() for k, c in table.columns.items()
                                       if c.index < len(raw.names)})


def cycling_frame(values: dict[str, np.ndarray], *, path: str | Path, format_name: str, attrs: dict,
                  warnings: list[str], line_numbers: list[int] | None = None,
                  columns_used: dict | None = None) -> pd.DataFrame:
    """The cycling DataFrame: time_s, voltage_v, current_a, then cycle/step/half_cycle and text columns."""
    time = values["time_s"]
    back = np.flatnonzero(np.diff(time) < 0)
    if len(back):
        i = int(back[0])
        where = (lambda k: f"line {line_numbers[k]}") if line_numbers else (lambda k: f"point {k + 1}")
        raise FormatError(path, line_numbers[i + 1] if line_numbers else None,
                          f"time goes back from {time[i]:g} s ({where(i)}) to {time[i + 1]:g} s ({where(i + 1)}): "
                          "rows out of order, or several runs in one file")
    ordered = [c for c in (*OUTPUT_FLOATS, *OUTPUT_INTEGERS) if c in values]
    ordered += [c for c in values if c not in ordered]
    frame = pd.DataFrame({c: values[c] for c in ordered}, copy=False)
    frame.attrs.update(attrs)
    frame.attrs["format"] = format_name
    frame.attrs["source_path"] = str(path)
    if columns_used:
        frame.attrs["columns_used"] = columns_used
    if warnings:
        frame.attrs["warnings"] = list(warnings)
    return frame
