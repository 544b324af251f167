"""Impedance spectrum files: read any supported export into one DataFrame, write CSV and ZView.

``read_spectrum(path)`` returns a DataFrame with ``frequency_hz``, ``z_real_ohm`` and
``z_imag_ohm`` (imaginary part with its physical sign: negative for a capacitive arc), in file
order, plus ``cycle``/``loop`` columns when the file has them, and the file's metadata in
``df.attrs`` (``format``, ``source_path``, and where the file has them ``date``, ``instrument``,
``area_cm2``, ``amplitude_mv``, the raw ``header`` key/values, ...).

Supported: BioLogic EC-Lab ``.mpt`` (:mod:`.biologic`), Gamry ``.DTA`` (:mod:`.gamry`), ZPlot/ZView
``.z`` and Z60W text (:mod:`.zview`), Autolab NOVA exports (:mod:`.autolab`), and delimited
tables including CH Instruments and PARSTAT text exports (:mod:`.plain_csv`). The format is
found from the content first and from the extension second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import autolab, biologic, gamry, plain_csv, zview
from ._common import FormatError, decode, open_last_line, split_lines, to_frame

__all__ = ["FORMATS", "FormatError", "detect_format", "read_spectrum", "spectrum_from_bytes", "write_csv",
           "write_zview"]

FORMATS = {"biologic": biologic, "gamry": gamry, "zview": zview, "autolab": autolab, "csv": plain_csv}
_ALIASES = {"mpt": "biologic", "ec-lab": "biologic", "eclab": "biologic", "dta": "gamry", "z": "zview",
            "zplot": "zview", "nova": "autolab", "txt": "csv", "chi": "csv", "parstat": "csv"}
_EXTENSIONS = {".mpt": "biologic", ".dta": "gamry", ".z": "zview", ".csv": "csv", ".txt": "csv", ".tsv": "csv",
               ".dat": "csv"}
# content checks in order: the specific signatures before the generic table
_SNIFF_ORDER = ("biologic", "gamry", "zview", "autolab", "csv")


def detect_format(lines: list[str], path: str | Path) -> str:
    """Name of the format of a decoded file: content first, then extension."""
    for name in _SNIFF_ORDER:
        if FORMATS[name].sniff(lines):
            return name
    by_extension = _EXTENSIONS.get(Path(path).suffix.lower())
    if by_extension:
        return by_extension
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    raise FormatError(path, None if first is None else first + 1,
                      "unrecognised impedance file: expected an EC-Lab, Gamry, ZPlot/ZView, Autolab or "
                      "CSV layout" + ("" if first is not None else " (the file is empty)"))


def read_spectrum(path: str | Path, *, format: str | None = None, columns: dict | None = None,
                  imag_sign: int | None = None) -> pd.DataFrame:
    """Read one impedance spectrum file.

    format: force a reader ('biologic', 'gamry', 'zview', 'autolab', 'csv' or an alias such as
        'mpt', 'dta', 'z', 'nova'); by default it is detected.
    columns: mapping of ``frequency_hz``/``z_real_ohm``/``z_imag_ohm`` to file column names or
        0-based positions (the reverse direction is accepted too); overrides the detected mapping.
    imag_sign: +1 if the file's imaginary column is Z'' with its physical sign, -1 if it holds
        -Z''; overrides what the format, column name or data say.
    Raises FormatError (a ValueError) naming file and line for anything unreadable.
    """
    path = Path(path)
    return spectrum_from_bytes(path.read_bytes(), path, format=format, columns=columns, imag_sign=imag_sign)


def spectrum_from_bytes(data: bytes, path: str | Path, *, format: str | None = None, columns: dict | None = None,
                        imag_sign: int | None = None) -> pd.DataFrame:
    """:func:`read_spectrum` on the content of a file already in memory; ``path`` names it in messages."""
    path = Path(path)
    text = decode(data)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise FormatError(path, None, "expected an impedance spectrum, found an empty file")
    if format is None:
        name = detect_format(lines, path)
    else:
        name = _ALIASES.get(format.lower(), format.lower())
        if name not in FORMATS:
            raise ValueError(f"unknown format {format!r}; known: {', '.join(FORMATS)}")
    table = FORMATS[name].read(lines, path)
    table.open_last_line = open_last_line(text, lines)
    return to_frame(table, path, columns=columns, imag_sign=imag_sign)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frequency_hz, z_real_ohm, z_imag_ohm`` (and ``cycle``/``loop`` if present) as CSV.

    Floats are written as ``%.16e`` (17 significant digits, one layout for every row), so
    :func:`read_spectrum` returns identical values and a copy cut off inside a number is seen as such.
    """
    path = Path(path)
    frame = zview._checked(df)
    for extra in ("cycle", "loop"):
        if extra in df.columns:
            frame[extra] = df[extra].to_numpy(dtype=np.int64)
    lines = [",".join(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append(",".join(f"{v:.16e}" if isinstance(v, float) else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_zview(df: pd.DataFrame, path: str | Path, **options) -> Path:
    """Write a ZPlot 2 ``.z`` file for ZView (values read back identical); options: ``amplitude_v``,
    ``area_cm2``, ``comment``, ``when``."""
    return zview.write(df, path, **options)
