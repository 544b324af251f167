"""Cycling data files: read a cycler's export into one DataFrame of time, voltage and current.

``read_cycling(path)`` returns a DataFrame with ``time_s``, ``voltage_v`` and ``current_a``
(amperes, with the sign as the file has it: each format's convention is in its module's docstring
and in ``df.attrs["current_sign"]``), then ``cycle``, ``step`` and ``half_cycle`` where the file
has them, and a text column ``state`` where the cycler writes the step kind (Maccor ``Md``,
Neware ``Step Type``). ``df.attrs`` holds ``format``, ``source_path``, ``columns_used``,
``current_source`` (``"measured"``, or ``"set-point"`` when the file has no measured current) and
the file's metadata; a cut-off last line is dropped with a message in ``attrs["warnings"]``.

Supported: BioLogic EC-Lab ``.mpt`` and ``.mpr`` (GCPL, CP, Modulo Bat: :mod:`.eclab`), Maccor
text exports (:mod:`.maccor`), Neware BTS csv (:mod:`.neware`), Arbin csv (:mod:`.arbin`) and the
workbench's own CSV export of a run (:mod:`.workbench_export`). The
format is found from the content first and from the extension second. Anything unreadable raises
:class:`~workbench.formats.FormatError` naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import eclab_mpr
from .._common import FormatError, WrongKind, decode, open_last_line, split_lines
from . import _table, arbin, eclab, maccor, neware, workbench_export

__all__ = ["CYCLERS", "detect_cycler", "cycling_from_bytes", "read_cycling"]

CYCLERS = {"eclab": eclab, "maccor": maccor, "neware": neware, "arbin": arbin, "workbench": workbench_export}
_ALIASES = {"mpt": "eclab", "mpr": "eclab", "biologic": "eclab", "ec-lab": "eclab"}
_EXTENSIONS = {".mpt": "eclab"}
_FINISH = {"eclab": eclab.finish, "maccor": maccor.finish}


def detect_cycler(lines: list[str], path: str | Path) -> str:
    """Name of the cycler format of a decoded file: content first, then extension."""
    for name, module in CYCLERS.items():
        if module.sniff(lines):
            return name
    by_extension = _EXTENSIONS.get(Path(path).suffix.lower())
    if by_extension:
        return by_extension
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    raise WrongKind(path, None if first is None else first + 1,
                    "unrecognised cycling file: expected an EC-Lab, Maccor, Neware or Arbin export"
                    + ("" if first is not None else " (the file is empty)"))


def read_cycling(path: str | Path, *, format: str | None = None) -> pd.DataFrame:
    """Read one cycling data file (see the module docstring); ``format`` forces a reader
    ('eclab', 'maccor', 'neware', 'arbin', 'workbench'). Raises FormatError naming file and line."""
    path = Path(path)
    return cycling_from_bytes(path.read_bytes(), path, format=format)


def cycling_from_bytes(data: bytes, path: str | Path, *, format: str | None = None) -> pd.DataFrame:
    """:func:`read_cycling` on the content of a file already in memory; ``path`` names it in messages."""
    path = Path(path)
    name = None if format is None else _ALIASES.get(format.lower(), format.lower())
    if name is not None and name not in CYCLERS:
        raise ValueError(f"unknown cycling format {format!r}; known: {', '.join(CYCLERS)}")
    if eclab_mpr.sniff(data) or (path.suffix.lower() == ".mpr" and name in (None, "eclab")
                                 and not data[:4096].isascii()):
        return eclab.read_binary(data, path)
    text = decode(data)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise FormatError(path, None, "expected cycling data, found an empty file")
    name = name or detect_cycler(lines, path)
    table = CYCLERS[name].read(lines, path)
    table.raw.open_last_line = open_last_line(text, lines)
    frame = _table.to_frame(table, path, name)
    finish = _FINISH.get(name)
    return finish(frame, path) if finish else frame
