"""Maccor text exports (MIMS Client / Maccor Data Analysis "Export to text").

Layout: a few ``key<TAB>value`` lines (``Name:``, ``Channel:``, ``Tester``, ``Procedure``,
``Description`` (which may hold control bytes), ``Started``, ...), a blank line, then the
tab-separated column header (``Rec``/``Rec#``, ``Cycle P``, ``Cycle C``/``Cyc#``, ``Step``,
``TestTime``/``Test Time (Sec)``/``Test Time (Hr)``, ``StepTime``, ``Cap. [Ah]``,
``Current [A]``/``Amps``, ``Voltage [V]``/``Volts``, ``Md``/``State``, ``ES``, ``DPT Time``, ...),
possibly a blank line, then one row per record. A time column without a unit (``TestTime``) is
in the unit the export was set to: it is found from the ``DPT Time`` date stamps (minutes in the
exports seen); without them the file is refused. Layout checked against a Maccor 4000 export
published with the cellpy project.

Sign convention: Maccor writes the magnitude of the current; its direction is in the ``Md``
(``State``) column, kept as the text column ``state`` (``C`` charge, ``D`` discharge, ``R``
rest, ``O``/``S`` other steps). ``current_a`` is that magnitude, as the file has it.
"""

from __future__ import annotations

from pathlib import Path

from .._common import FormatError, RawTable
from . import _table
from ._table import Column, CyclingTable

CURRENT_SIGN = "magnitude; the direction is in the 'state' column (C charge, D discharge, R rest)"
_TIME = ("testtime", "testtimesec", "testsec", "testtimes", "testtimehr", "testtimemin")
_CURRENT = ("current", "amps", "amp")
_VOLTAGE = ("voltage", "volts", "volt")


def _header_index(lines: list[str]) -> int | None:
    for index, line in enumerate(lines[:80]):
        names = line.split("\t")
        if len(names) >= 4 and _table.find(names, "rec", "rec#") is not None and \
                _table.find(names, *_TIME) is not None:
            return index
    return None


def sniff(lines: list[str]) -> bool:
    return _header_index(lines) is not None


def read(lines: list[str], path: str | Path) -> CyclingTable:
    header = _header_index(lines)
    if header is None:
        raise FormatError(path, 1, "expected a Maccor column header (Rec, ..., TestTime, Current, Voltage, ...) in "
                                   "the first 80 lines")
    names = lines[header].split("\t")
    while names and not names[-1].strip():
        names.pop()
    rows, numbers = _table.split_delimited(lines, header + 1, "\t")
    meta: dict = {"header": {}}
    for line in lines[:header]:
        key, _, value = line.partition("\t")
        key = key.strip().rstrip(":")
        if key and value.strip():
            text = "".join(ch for ch in value if ch.isprintable()).strip()
            meta["header"][key] = text
    for key, name in (("Started", "date"), ("Tester", "instrument"), ("Procedure", "procedure")):
        if meta["header"].get(key):
            meta[name] = meta["header"][key]
    raw = RawTable(format_name="maccor", names=names, rows=rows, line_numbers=numbers, header_line=header + 1,
                   decimal_comma=False, meta=meta)
    time = _table.find(names, *_TIME)
    current = _table.find(names, *_CURRENT)
    voltage = _table.find(names, *_VOLTAGE)
    for what, index in (("current (Current [A], Amps)", current), ("voltage (Voltage [V], Volts)", voltage)):
        if index is None:
            raise FormatError(path, header + 1, f"expected a {what} column among {[n.strip() for n in names]}")
    columns = {
        "time_s": Column(time, kind="duration"),
        "voltage_v": Column(voltage, scale=_table.unit_scale(names[voltage], "voltage", path, header + 1,
                                                             default="v")),
        "current_a": Column(current, scale=_table.unit_scale(names[current], "current", path, header + 1,
                                                             default="a")),
    }
    for out, keys in (("cycle", ("cyclec", "cyc#", "cycle")), ("step", ("step",))):
        index = _table.find(names, *keys)
        if index is not None:
            columns[out] = Column(index, kind="integer")
    state = _table.find(names, "md", "state")
    if state is not None:
        columns["state"] = Column(state, kind="text")
    table = CyclingTable(raw, columns, {"current_sign": CURRENT_SIGN, "current_source": "measured"})
    key, unit = _table.name_and_unit(names[time])
    if unit is not None or key != "testtime":
        columns["time_s"].scale = _table.unit_scale(names[time], "time", path, header + 1,
                                                    default={"testtimehr": "h", "testtimemin": "min"}.get(key, "s"))
    else:
        stamps = _table.find(names, "dpttime", "dptime", "datetime")
        if stamps is None:
            raise FormatError(path, header + 1, f"column {names[time].strip()!r} has no unit and the file has no "
                                                "DPT Time stamps to find it from")
        table.time_scale_from = stamps
        columns["time_stamp"] = Column(stamps, kind="timestamp")
    return table


def finish(frame, path: str | Path):
    """Put a unitless TestTime in seconds, from its ratio to the DPT Time stamps."""
    if "time_stamp" not in frame.columns:
        return frame
    stamps = frame.pop("time_stamp").to_numpy()
    elapsed, counted = stamps[-1] - stamps[0], frame["time_s"].iloc[-1] - frame["time_s"].iloc[0]
    if counted <= 0 or elapsed <= 0:
        raise FormatError(path, None, "TestTime has no unit and the run is too short to find it from the DPT Time "
                                      "stamps")
    ratio = elapsed / counted
    for unit, factor in (("s", 1.0), ("min", 60.0), ("h", 3600.0)):
        if abs(ratio / factor - 1) < 0.02:
            frame["time_s"] = frame["time_s"] * factor
            frame.attrs["time_unit_found"] = f"TestTime is in {unit}: {elapsed:.0f} s of DPT Time stamps over " \
                                             f"{counted:g} TestTime units"
            return frame
    raise FormatError(path, None, f"TestTime has no unit and its ratio to the DPT Time stamps ({ratio:.4g} s per "
                                  "unit) is not that of seconds, minutes or hours")

