"""Shared pieces of the impedance readers: text decoding, strict number parsing,
column-name aliases, and the conversion of a parsed table into the spectrum DataFrame.

Every reader returns a :class:`RawTable` (column names, cell text and the line number of
each row); :func:`to_frame` then picks the frequency / real / imaginary columns, checks
every value and builds the DataFrame, so all formats report errors the same way.

Cut-off files: a data row with fewer cells than the header is an error naming its line, except
the file's last line when it has no line break (the file was cut there), which is dropped with a
warning in ``df.attrs["warnings"]``. That last line is also dropped when its last cell is a
value the reader uses and that cell's digits do not have the layout of the same column in every
other row (a number cut short: ``-0.9079`` for ``-0.9079192``, ``1.2E+00`` for ``1.2E+003``),
or when no layout can prove it whole. A cut row is never read as data.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

STANDARD_COLUMNS = ("frequency_hz", "z_real_ohm", "z_imag_ohm")
ROLE_LABELS = {"frequency_hz": "frequency", "z_real_ohm": "Z'", "z_imag_ohm": "Z''"}

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity|1\.#inf|1\.#ind|1\.#qnan)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class FormatError(ValueError):
    """A file is not a readable impedance spectrum; the message names file, line and expectation."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.detail = message
        where = Path(self.path).name if line is None else f"{Path(self.path).name}, line {line}"
        super().__init__(f"{where}: {message}")


class WrongKind(FormatError):
    """The file is not of the kind asked for: a cycling file given to the impedance readers, or the
    reverse, or a file of no known layout. :func:`workbench.formats.read_measurement` then tries the other."""


def decode(data: bytes) -> str:
    """Decode instrument text: UTF-8 (with or without BOM), else Latin-1 (EC-Lab, Gamry on Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_lines(text: str) -> list[str]:
    """Split on CR, LF or CRLF only, so line numbers match what an editor shows."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_number(token: str, *, decimal_comma: bool) -> float | None:
    """Parse one numeric cell strictly; ``None`` if it is not a number.

    Non-finite spellings return ``nan`` so the caller can report them as such.
    """
    text = token.strip().strip('"').strip()
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".", 1)
    if _NUMBER.fullmatch(text):
        return float(text)
    if _NON_FINITE.fullmatch(text):
        return math.nan
    return None


def to_float_or_none(text: str) -> float | None:
    """Leading number of a header value such as ``'0,001 cm²'`` or ``'20.0'``; ``None`` if absent."""
    match = re.match(r"\s*([+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?)", text)
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    return value if math.isfinite(value) else None


# --- column names ------------------------------------------------------------------------------

_ALIASES = {
    "frequency_hz": {"f", "freq", "frequency", "fre", "frequencies", "frequencyhz", "freqhz"},
    "z_real_ohm": {"z'", "re", "re(z)", "rez", "zre", "zreal", "real", "realz", "zr", "z1", "zrealohm"},
    "z_imag_ohm": {"z''", "im", "im(z)", "imz", "zim", "zimag", "imag", "imagz", "zi", "z2", "zimagohm",
                   "zimaginary"},
}


@functools.lru_cache(maxsize=4096)
def normalise_name(name: str) -> tuple[str, bool]:
    """Reduce a column name to an alias key; return (key, has_leading_minus)."""
    s = name.strip().strip('"').strip()
    negated = s[:1] in ("-", "\u2212")
    if negated:
        s = s[1:].strip()
    s = s.lower().replace("\u2033", "''").replace("\u2032", "'").replace("\u2019", "'").replace('"', "''")
    s = re.sub(r"\s*/\s*[^/]*$", "", s) if "/" in s else s
    group = re.search(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$", s)
    if group and group.group(1).strip() not in ("z", "y"):
        s = s[: group.start()]
    s = re.sub(r"[_\s]+(hz|ohms?|\u03c9|\u2126)$", "", s)
    s = re.sub(r"[\s_.\-]", "", s)
    return s, negated


def role_of(name: str) -> tuple[str | None, bool]:
    """Which standard column a file column name stands for, and whether it carries a leading minus."""
    key, negated = normalise_name(name)
    for role, aliases in _ALIASES.items():
        if key in aliases:
            return role, negated
    return None, negated


def match_roles(names: list[str]) -> dict[str, int]:
    """Index of the first column matching each role (only the roles found)."""
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        role, _ = role_of(name)
        if role and role not in found:
            found[role] = index
    return found


# --- the parsed table --------------------------------------------------------------------------


@dataclass
class RawTable:
    """A data table as a reader found it, before values are checked."""

    format_name: str
    names: list[str]
    rows: list[list[str]]
    line_numbers: list[int]
    header_line: int | None = None
    roles: dict[str, int] = field(default_factory=dict)
    # +1: the imaginary column holds Z'' with its physical sign; -1: it holds -Z''; None: decide
    imag_sign: int | None = None
    imag_sign_source: str = "format"
    decimal_comma: bool = False
    # rows whose frequency, Z' and Z'' are all exactly zero are placeholders (PARSTAT's DC rows)
    skip_all_zero_rows: bool = False
    # rows with frequency <= 0 are the instrument's rest points between sweeps (EC-Lab): skipped,
    # and a 'sweep' column numbers the sweeps they separate
    rest_rows_between_sweeps: bool = False
    extra: dict[str, list[int]] = field(default_factory=dict)
    # integer columns kept in the output (e.g. 'cycle' -> index of EC-Lab's 'cycle number')
    int_columns: dict[str, int] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    # cells every data row must have; None: as many as the header names
    row_width: int | None = None
    # line number of the file's last line when it has no line break (set by the caller)
    open_last_line: int | None = None


def open_last_line(text: str, lines: list[str]) -> int | None:
    """Line number of the last line of ``text`` when the text does not end with a line break."""
    return len(lines) if lines and text and text[-1] not in "\r\n" else None


_LAYOUT = re.compile(r"[+-]?([0-9]*)(?:[.,]([0-9]*))?(?:[eE][+-]?([0-9]*))?")


def _layout(token: str) -> tuple[int | None, int | None] | None:
    """Digits after the decimal mark and in the exponent of a number (None where absent)."""
    match = _LAYOUT.fullmatch(token.strip().strip('"').strip())
    if not match or not (match.group(1) or match.group(2)):
        return None
    fraction, exponent = match.group(2), match.group(3)
    return (None if fraction is None else len(fraction), None if exponent is None else len(exponent))


def _whole(table: RawTable, index: int) -> bool:
    """True if the open last row's cell ``index`` has the layout of that column in every other row."""
    layout = _layout(table.rows[-1][index])
    if layout is None or layout == (None, None) or len(table.rows) < 2:
        return False  # not a number, a bare integer whose missing digits cannot be seen, or nothing to compare
    return all(index < len(cells) and _layout(cells[index]) == layout for cells in table.rows[:-1])


def row_width(table: RawTable) -> int:
    return table.row_width if table.row_width is not None else len(table.names)


def check_width(table: RawTable, path: str | Path, cells: list[str], line: int) -> None:
    """Refuse a data row with fewer cells than the header (called once its used cells are read)."""
    width = row_width(table)
    if len(cells) < width:
        where = "" if table.header_line is None else f" (line {table.header_line})"
        raise FormatError(path, line, f"expected {width} cells as in the header{where}, found {len(cells)}: "
                                      "the row is cut short")


def drop_cut_rows(table: RawTable, path: str | Path, used: set[int]) -> list[str]:
    """Drop the file's last line when it has no line break and looks cut off; return the warnings.

    ``used`` holds the indices of the cells the caller reads. Mutates ``table`` (rows, line
    numbers and the per-row ``extra`` columns) when the last row is dropped.
    """
    width = row_width(table)
    last = len(table.rows) - 1
    is_open = last >= 0 and table.open_last_line is not None and table.line_numbers[last] == table.open_last_line
    if not is_open:
        return []
    cells = table.rows[last]
    if len(cells) < width:
        reason = f"has {len(cells)} of the header's {width} cells"
    elif len(cells) - 1 in used and not _whole(table, len(cells) - 1):
        reason = f"ends in {cells[-1].strip()[:30]!r}, which may be a number cut short"
    else:
        return []
    del table.rows[last], table.line_numbers[last]
    for values in table.extra.values():
        del values[last:]
    return [f"line {table.open_last_line} was not read: it has no line break and {reason}; the file looks cut off "
            "there"]


def _resolve_override(table: RawTable, columns: dict, path: str | Path) -> dict[str, int]:
    """Apply a ``columns=`` mapping (standard name -> file column, or file column -> standard name)."""
    if not isinstance(columns, dict) or not columns:
        raise ValueError("columns must be a non-empty dict mapping standard names to file columns")
    if set(columns) <= set(STANDARD_COLUMNS):
        mapping = dict(columns)
    elif set(columns.values()) <= set(STANDARD_COLUMNS):
        mapping = {target: source for source, target in columns.items()}
    else:
        raise ValueError(f"columns must map {', '.join(STANDARD_COLUMNS)} to file columns, got {columns!r}")
    roles = dict(table.roles)
    for role, source in mapping.items():
        if isinstance(source, int) and not isinstance(source, bool):
            if source < 0:
                raise ValueError(f"column position for {role} must be >= 0, got {source}")
            roles[role] = source
        elif isinstance(source, str):
            stripped = [n.strip() for n in table.names]
            if source.strip() not in stripped:
                raise FormatError(path, table.header_line,
                                  f"column {source!r} requested for {role} not found; columns are {stripped}")
            roles[role] = stripped.index(source.strip())
        else:
            raise ValueError(f"column for {role} must be a name or a position, got {source!r}")
    return roles


def _column_label(table: RawTable, index: int) -> str:
    return table.names[index].strip() if index < len(table.names) else f"column {index + 1}"


def _integer_cell(table: RawTable, cells: list[str], index: int, path: str | Path, line: int) -> int:
    value = parse_number(cells[index], decimal_comma=table.decimal_comma) if index < len(cells) else None
    if value is None or not math.isfinite(value) or abs(value) > 2**53 or value != int(value):
        found = cells[index] if index < len(cells) else "\t".join(cells)
        label = _column_label(table, index)
        raise FormatError(path, line, f"expected an integer {label}, found {found.strip()[:40]!r}")
    return int(value)


def to_frame(table: RawTable, path: str | Path, *, columns: dict | None = None,
             imag_sign: int | None = None) -> pd.DataFrame:
    """Check the table's values and build the spectrum DataFrame with its metadata in ``attrs``."""
    if imag_sign not in (None, 1, -1):
        raise ValueError(f"imag_sign must be +1, -1 or None, got {imag_sign!r}")
    roles = _resolve_override(table, columns, path) if columns is not None else dict(table.roles)
    missing = [ROLE_LABELS[r] for r in STANDARD_COLUMNS if r not in roles]
    if missing:
        raise WrongKind(path, table.header_line,
                        f"expected columns for frequency, Z' and Z''; no column found for {', '.join(missing)}"
                        f" among {[n.strip() for n in table.names]}")
    order = [roles[r] for r in STANDARD_COLUMNS]
    warnings = drop_cut_rows(table, path, set(order) | set(table.int_columns.values()))
    if not table.rows:
        found = "only a cut-off line" if warnings else "none"
        raise FormatError(path, table.header_line, f"expected numeric data rows after the header, found {found}")
    labels = ", ".join(_column_label(table, i) for i in order)
    values = np.empty((len(table.rows), 3))
    kept = np.ones(len(table.rows), dtype=bool)
    integers = {name: np.zeros(len(table.rows), dtype=np.int64) for name in table.int_columns}
    rest = np.zeros(len(table.rows), dtype=bool)
    for r, (cells, line) in enumerate(zip(table.rows, table.line_numbers, strict=True)):
        for c, index in enumerate(order):
            token = cells[index] if index < len(cells) else None
            number = None if token is None else parse_number(token, decimal_comma=table.decimal_comma)
            if number is None:
                found = "\t".join(cells).strip() if token is None else token.strip()
                raise FormatError(path, line, f"expected 3 numeric columns ({labels}), found {found[:60]!r}")
            if not math.isfinite(number):
                raise FormatError(path, line, f"non-finite value {token.strip()[:30]!r} in column "
                                              f"{_column_label(table, index)}")
            values[r, c] = number
        for name, index in table.int_columns.items():
            integers[name][r] = _integer_cell(table, cells, index, path, line)
        check_width(table, path, cells, line)
        if table.skip_all_zero_rows and not values[r].any():
            kept[r] = False
            continue
        if values[r, 0] <= 0:
            if table.rest_rows_between_sweeps:
                kept[r], rest[r] = False, True
                continue
            raise FormatError(path, line, f"frequency must be positive, found {cells[order[0]].strip()!r}")

    if not kept.any():
        what = "rest rows (frequency 0)" if rest.any() else "rows of zeros"
        raise FormatError(path, table.line_numbers[-1], f"expected impedance rows, found only {what}")
    sign, source = table.imag_sign, table.imag_sign_source
    imag_index = roles["z_imag_ohm"]
    imag_negated = imag_index < len(table.names) and role_of(table.names[imag_index])[1]
    if imag_index != table.roles.get("z_imag_ohm"):
        # a column chosen by the caller: its own name, or else its data, tells the sign
        sign, source = (-1, "name") if imag_negated else (None, "data")
    if imag_sign is not None:
        sign, source = imag_sign, "argument"
    elif sign is None:
        if _column_label(table, imag_index) == "z_imag_ohm":
            sign, source = 1, "name"  # the name this package writes: Z'' with its physical sign
        elif imag_negated:
            sign, source = -1, "name"
        else:
            kept_imag = values[kept, 2]
            positive = int(np.count_nonzero(kept_imag > 0))
            negative = int(np.count_nonzero(kept_imag < 0))
            sign, source = (-1 if positive > negative else 1), "data"

    groups = {name: np.asarray(extra, dtype=np.int64) for name, extra in table.extra.items()}
    groups.update(integers)
    attrs = dict(table.meta)
    attrs["columns_used"] = {r: _column_label(table, roles[r]) for r in STANDARD_COLUMNS}
    attrs["imag_sign"] = sign
    attrs["imag_sign_source"] = source
    if table.skip_all_zero_rows and not kept.all():
        attrs["skipped_zero_rows"] = int((~kept).sum())
    values[:, 2] *= sign
    return spectrum_frame(values, kept, rest if table.rest_rows_between_sweeps else None, groups,
                          format_name=table.format_name, path=path, attrs=attrs, warnings=warnings)


def sweep_numbers(rest: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Sweep number (from 1) of every row: a new sweep starts after rest rows or where a group changes."""
    starts = np.zeros(len(rest), dtype=bool)
    previous_rest = np.concatenate(([False], rest[:-1]))
    starts |= previous_rest & ~rest
    for group in groups:
        starts[1:] |= group[1:] != group[:-1]
    starts[0] = False
    return 1 + np.cumsum(starts)


def spectrum_frame(values: np.ndarray, kept: np.ndarray, rest: np.ndarray | None, groups: dict[str, np.ndarray], *,
                   format_name: str, path: str | Path, attrs: dict, warnings: list[str]) -> pd.DataFrame:
    """The spectrum DataFrame from checked values (Z'' with its physical sign), one row per kept row.

    ``rest`` marks the rest rows between sweeps (None: the format has none); with it the frame gets
    a ``sweep`` column and ``attrs["skipped_rest_rows"]``. ``groups`` are integer columns (cycle, loop).
    """
    columns_out = {
        "frequency_hz": values[kept, 0],
        "z_real_ohm": values[kept, 1],
        "z_imag_ohm": values[kept, 2] + 0.0,
    }
    for name, column in groups.items():
        columns_out[name] = column[kept]
    if rest is not None:
        columns_out["sweep"] = sweep_numbers(rest, list(groups.values()))[kept]
        columns_out["sweep"] = np.unique(columns_out["sweep"], return_inverse=True)[1].astype(np.int64) + 1
    frame = pd.DataFrame(columns_out, copy=False)
    frame.attrs.update(attrs)
    frame.attrs["format"] = format_name
    frame.attrs["source_path"] = str(path)
    if rest is not None and rest.any():
        frame.attrs["skipped_rest_rows"] = int(rest.sum())
    if warnings:
        frame.attrs["warnings"] = warnings
    return frame
