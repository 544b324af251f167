"""Impedance spectrum files: read any supported export into one DataFrame, write CSV and ZView.

``read_spectrum(path)`` returns a DataFrame with ``frequency_hz``, ``z_real_ohm`` and
``z_imag_ohm`` (imaginary part with its physical sign: negative for a capacitive arc), in file
order, plus ``cycle``/``loop`` columns when the file has them, and the file's metadata in
``df.attrs`` (``format``, ``source_path``, and where the file has them ``date``, ``instrument``,
``area_cm2``, ``amplitude_mv``, the raw ``header`` key/values, ...).

Supported: BioLogic EC-Lab ``.mpt`` text (:mod:`.biologic`) and ``.mpr`` binary
(:mod:`.eclab_mpr`, PEIS and GEIS), Gamry ``.DTA`` (:mod:`.gamry`), ZPlot/ZView ``.z`` and Z60W
text (:mod:`.zview`), Autolab NOVA exports (:mod:`.autolab`), VersaStudio ``.par``
(:mod:`.versastudio`), and delimited tables including CH Instruments and PARSTAT text exports
(:mod:`.plain_csv`). The format is found from the content first and from the extension second.
EC-Lab files of several sweeps get a ``sweep`` column; their rest rows (frequency 0) are skipped.

Cycling data (time, voltage, current) are read by :func:`workbench.formats.cycling.read_cycling`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import autolab, biologic, eclab_mpr, gamry, plain_csv, versastudio, zview
from ._common import FormatError, WrongKind, decode, open_last_line, spectrum_frame, split_lines, to_frame

__all__ = ["FORMATS", "FormatError", "WrongKind", "detect_format", "read_measurement", "read_spectrum",
           "spectrum_from_bytes", "write_csv", "write_zview"]

FORMATS = {"biologic": biologic, "gamry": gamry, "zview": zview, "autolab": autolab, "versastudio": versastudio,
           "csv": plain_csv}
BINARY_FORMATS = {"biologic-mpr": eclab_mpr}
_ALIASES = {"mpt": "biologic", "ec-lab": "biologic", "eclab": "biologic", "dta": "gamry", "z": "zview",
            "zplot": "zview", "nova": "autolab", "txt": "csv", "chi": "csv", "parstat": "csv", "par": "versastudio",
            "mpr": "biologic-mpr"}
_EXTENSIONS = {".mpt": "biologic", ".dta": "gamry", ".z": "zview", ".csv": "csv", ".txt": "csv", ".tsv": "csv",
               ".dat": "csv", ".par": "versastudio"}
# content checks in order: the specific signatures before the generic table
_SNIFF_ORDER = ("biologic", "gamry", "zview", "autolab", "versastudio", "csv")


def detect_format(lines: list[str], path: str | Path) -> str:
    """Name of the format of a decoded file: content first, then extension."""
    for name in _SNIFF_ORDER:
        if FORMATS[name].sniff(lines):
            return name
    by_extension = _EXTENSIONS.get(Path(path).suffix.lower())
    if by_extension:
        return by_extension
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    raise WrongKind(path, None if first is None else first + 1,
                    "unrecognised impedance file: expected an EC-Lab, Gamry, ZPlot/ZView, Autolab, "
                    "VersaStudio or CSV layout" + ("" if first is not None else " (the file is empty)"))


def read_spectrum(path: str | Path, *, format: str | None = None, columns: dict | None = None,
                  imag_sign: int | None = None) -> pd.DataFrame:
    """Read one impedance spectrum file.

    format: force a reader ('biologic', 'biologic-mpr', 'gamry', 'zview', 'autolab', 'versastudio',
        'csv' or an alias such as 'mpt', 'mpr', 'dta', 'z', 'nova', 'par'); by default it is detected.
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
    name = None if format is None else _ALIASES.get(format.lower(), format.lower())
    if name is not None and name not in FORMATS and name not in BINARY_FORMATS:
        raise ValueError(f"unknown format {format!r}; known: {', '.join([*FORMATS, *BINARY_FORMATS])}")
    if name == "biologic-mpr" or (name is None and (eclab_mpr.sniff(data) or (
            path.suffix.lower() == ".mpr" and not data[:4096].isascii()))):
        return _mpr_spectrum(data, path)
    text = decode(data)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise FormatError(path, None, "expected an impedance spectrum, found an empty file")
    if name is None:
        name = detect_format(lines, path)
    table = FORMATS[name].read(lines, path)
    table.open_last_line = open_last_line(text, lines)
    return to_frame(table, path, columns=columns, imag_sign=imag_sign)


def _mpr_spectrum(data: bytes, path: Path) -> pd.DataFrame:
    """The impedance points of an EC-Lab ``.mpr`` file (PEIS, GEIS) as a spectrum DataFrame."""
    mpr = eclab_mpr.read_mpr(data, path)
    names = ("freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm")
    missing = [n for n in names if n not in mpr.columns]
    if missing:
        raise WrongKind(path, None, f"expected impedance columns {list(names)} in this {mpr.technique or 'EC-Lab'} "
                                    f"file, found {list(mpr.columns)[:8]}: is it a cycling file? (read_cycling "
                                    "reads those)")
    values = np.column_stack([mpr.columns[names[0]], mpr.columns[names[1]], -mpr.columns[names[2]]])
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if len(bad):
        raise FormatError(path, None, f"point {bad[0] + 1} of {mpr.n_points}: non-finite impedance value")
    rest = values[:, 0] <= 0
    if rest.all():
        raise FormatError(path, None, "expected impedance points, found only rest points (frequency 0)")
    groups = {}
    loops = eclab_mpr.loop_labels(mpr.loops, mpr.n_points)
    if loops is not None:
        groups["loop"] = loops
    if "cycle number" in mpr.columns:
        cycle = mpr.columns["cycle number"]
        if not (np.isfinite(cycle).all() and (cycle == np.round(cycle)).all() and (np.abs(cycle) <= 2**53).all()):
            raise FormatError(path, None, "expected whole cycle numbers in the 'cycle number' column")
        groups["cycle"] = cycle.astype(np.int64)
    attrs = dict(mpr.meta)
    attrs["columns_used"] = dict(zip(("frequency_hz", "z_real_ohm", "z_imag_ohm"), names, strict=True))
    attrs["imag_sign"], attrs["imag_sign_source"] = -1, "format"
    return spectrum_frame(values, ~rest, rest, groups, format_name="biologic-mpr", path=path, attrs=attrs,
                          warnings=list(mpr.warnings))


def read_measurement(path: str | Path, data: bytes | None = None) -> tuple[str, pd.DataFrame]:
    """Read a file that holds either an impedance spectrum or cycling data: ``('impedance', frame)``
    from :func:`read_spectrum` or ``('cycling', frame)`` from :func:`~workbench.formats.cycling.read_cycling`.

    When neither reads it, the FormatError raised is the one of the kind the file looks like (a
    damaged cycling file gets the cycling reader's message), or one line saying it is neither.
    """
    from .cycling import CYCLERS, cycling_from_bytes

    path = Path(path)
    data = path.read_bytes() if data is None else data
    head = split_lines(decode(data[:65536]))
    if not eclab_mpr.sniff(data) and not any(FORMATS[n].sniff(head) for n in _SNIFF_ORDER) and \
            any(cycler.sniff(head) for cycler in CYCLERS.values()):
        try:  # a cycler's export by its content: no need to try it as a spectrum first
            return "cycling", cycling_from_bytes(data, path)
        except WrongKind:
            pass
    try:
        return "impedance", spectrum_from_bytes(data, path)
    except FormatError as impedance_error:
        try:
            return "cycling", cycling_from_bytes(data, path)
        except FormatError as cycling_error:
            if isinstance(impedance_error, WrongKind) and not isinstance(cycling_error, WrongKind):
                raise cycling_error from None
            if isinstance(impedance_error, WrongKind):
                first = next((i + 1 for i, line in enumerate(split_lines(decode(data[:65536]))) if line.strip()), None)
                raise FormatError(path, first, "unrecognised file: expected an impedance spectrum (EC-Lab, Gamry, "
                                               "ZPlot/ZView, Autolab, VersaStudio, CSV) or cycling data (EC-Lab, "
                                               "Maccor, Neware, Arbin)") from None
            raise impedance_error from None


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
