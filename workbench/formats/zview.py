"""Scribner ZPlot/ZView data files (``.z``), read and written.

Layout of ZPlot 2/3 files (first line ``ZPLOT2 ASCII``): indented ``Key:  value`` header lines
(``Date``, ``Time``, ``Potential-AC``, ``Surface Area``, ``Data Points``, ...), the column titles
``Freq(Hz) Ampl Bias Time(Sec) Z'(a) Z''(b) GD Err Range`` and a line ``End Comments``; then one
row per point, tab- or comma-separated. Frequency, Z' and Z'' are always the 1st, 5th and 6th
values; Z'' has its physical sign. The older Z60W/ZPlotW text files (first line
``"Z60W Data File: Version 1.1"``) have quoted comment lines, a settings line, the point count and
a quoted title line, then comma-separated rows with the same column order. Layout checked against
a ZPlot 3.2c file and a Z60W file published with the impedance.py project; the writer copies the
ZPlot 3.2c layout.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import FormatError, RawTable, to_float_or_none

ZPLOT_MAGIC = "ZPLOT2 ASCII"
COLUMN_NAMES = ["Freq(Hz)", "Ampl", "Bias", "Time(Sec)", "Z'(a)", "Z''(b)", "GD", "Err", "Range"]
ROLES = {"frequency_hz": 0, "z_real_ohm": 4, "z_imag_ohm": 5}
_OLD_MAGIC = re.compile(r'^"?(Z60W|ZPlotW|ZView) Data File', re.IGNORECASE)
_KEY_VALUE = re.compile(r"^\s*([^:]{1,60}?):\s*(.*?)\s*$")


def sniff(lines: list[str]) -> bool:
    first = lines[0].strip().strip('"').strip() if lines else ""
    return first.upper() == ZPLOT_MAGIC or bool(_OLD_MAGIC.match(lines[0].strip() if lines else ""))


def _split(line: str) -> tuple[list[str], bool]:
    """Cells of a data row and whether a decimal comma is possible (tab or space separated)."""
    if "\t" in line:
        cells, comma = line.split("\t"), True
    elif "," in line:
        cells, comma = line.split(","), False
    else:
        cells, comma = line.split(), True
    return cells, comma


def _metadata(header: list[str]) -> dict:
    values: dict[str, str] = {}
    for line in header:
        match = _KEY_VALUE.match(line)
        if match and match.group(2):
            values.setdefault(match.group(1).strip(), match.group(2))
    meta: dict = {"header": values}
    if "Date" in values:
        meta["date"] = values["Date"]
    if "Time" in values:
        meta["time"] = values["Time"]
    for key in values:
        if key.startswith("Measured Data"):
            meta["software"] = f"{key.split(',')[-1].strip()} {values[key]}".strip()
    for key, name in (("Potential-AC", "amplitude_mv"), ("Surface Area", "area_cm2"),
                      ("Data Points", "declared_points")):
        number = to_float_or_none(values.get(key, ""))
        if number is not None:
            meta[name] = number
    return meta


def read(lines: list[str], path: str | Path) -> RawTable:
    if not sniff(lines):
        raise FormatError(path, 1, f"expected '{ZPLOT_MAGIC}' or a Z60W/ZPlotW title line")
    if lines[0].strip().strip('"').strip().upper() == ZPLOT_MAGIC:
        end = next((i for i, line in enumerate(lines) if line.strip() == "End Comments"), None)
        if end is None:
            raise FormatError(path, len(lines), "expected a line 'End Comments' before the data, "
                                                "reached end of file")
        meta = _metadata(lines[1:end])
        software = "zplot"
    else:
        end = next((i for i, line in enumerate(lines[1:], 1)
                    if line.lstrip().startswith('"') and "freq" in line.lower()), None)
        if end is None:
            raise FormatError(path, len(lines), "expected a quoted column title line (Freq (Hz) ... Z'(a) "
                                                "Z''(b)), reached end of file")
        meta = {"software": lines[0].strip().strip('"')}
        if end >= 1 and lines[end - 1].strip().isdigit():
            meta["declared_points"] = int(lines[end - 1].strip())
        software = "z60w"
    rows, numbers, comma = [], [], True
    for index in range(end + 1, len(lines)):
        if lines[index].strip():
            cells, comma_here = _split(lines[index])
            comma = comma and comma_here
            rows.append(cells)
            numbers.append(index + 1)
    meta["variant"] = software
    return RawTable(format_name="zview", names=list(COLUMN_NAMES), rows=rows, line_numbers=numbers,
                    header_line=end + 1, roles=dict(ROLES), imag_sign=1, imag_sign_source="format",
                    decimal_comma=comma, meta=meta)


def write(df: pd.DataFrame, path: str | Path, *, amplitude_v: float = 0.0, area_cm2: float | None = None,
          comment: str = "", when: _dt.datetime | None = None) -> Path:
    """Write a spectrum as a ZPlot 2 ``.z`` file that ZView (and :func:`read`) open.

    ``amplitude_v`` fills the Ampl column; a ``time_s`` column of ``df``, if there is one, the Time(Sec)
    column (else 0); ``area_cm2`` the cell information; ``comment`` (one or
    more lines) goes between the user-comment markers. Frequency and impedance are written with 17
    significant digits, so :func:`read` returns the same floats.
    """
    path = Path(path)
    frame = _checked(df)
    when = when or _dt.datetime.now()
    area = area_cm2 if area_cm2 is not None else df.attrs.get("area_cm2", 1)
    comments = [c for c in comment.splitlines() if c.strip()]
    header = [
        ZPLOT_MAGIC,
        f"  {'Measured Data, NZSP Workbench:':<28}write_zview",
        f"  {'Date:':<28}{when:%m-%d-%Y}",
        f"  {'Time:':<28}{when:%H:%M:%S}",
        f"  {'Begin User Comments:':<28}{len(comments)}",
        *(f"    {c.strip()}" for c in comments),
        f"  {'End User Comments:':<28}{len(comments)}",
        f"  {'Begin Information:':<28}Cell Information",
        f"    {'Surface Area:':<26}{float(area):g}",
        f"  {'End Information:':<28}Cell Information",
        f"  {'Data Points:':<28}{len(frame)}",
        "  " + "\t".join(COLUMN_NAMES),
        "End Comments",
    ]
    times = np.zeros(len(frame))
    if "time_s" in df.columns:
        times = df["time_s"].to_numpy(dtype=float)
        if not np.isfinite(times).all():
            raise ValueError("time_s must be finite")
    body = [
        f"{f:.16E}\t{amplitude_v:.4E}\t{0.0:.4E}\t{t:.6E}\t{zr:.16E}\t{zi:.16E}\t{0.0:.4E}\t0\t0"
        for (f, zr, zi), t in zip(frame.itertuples(index=False), times, strict=True)
    ]
    path.write_text("\r\n".join(header + body) + "\r\n", encoding="ascii", newline="")
    return path


def _checked(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("frequency_hz", "z_real_ohm", "z_imag_ohm") if c not in df.columns]
    if missing:
        raise ValueError(f"spectrum lacks columns {missing}")
    frame = df[["frequency_hz", "z_real_ohm", "z_imag_ohm"]].astype(float)
    if not np.isfinite(frame.to_numpy()).all() or (frame["frequency_hz"] <= 0).any():
        raise ValueError("spectrum must have finite values and positive frequencies")
    return frame
