"""BioLogic EC-Lab cycling runs: ``.mpt`` text exports and ``.mpr`` binary files (GCPL, CP, Modulo Bat).

Text layout: as for impedance (:mod:`workbench.formats.biologic`): ``EC-Lab ASCII FILE``,
``Nb header lines : N``, the settings, then the tab-separated column header and one row per
point; Latin-1 (``µ`` in names such as ``Cs/µF``), decimal commas in European locales. Binary
layout: :mod:`workbench.formats.eclab_mpr`.

Columns used: ``time/s`` (time since the start of the experiment, which for a technique that
follows another does not start at 0: kept as the file has it); voltage from ``Ecell/V``, else
``Ewe/V``, else ``<Ewe>/V`` (the working electrode against the reference, which is the cell
voltage of a two-electrode cell); current from ``I/mA``, else ``<I>/mA`` (measured). A file without
either (the ``.mpr`` of a GCPL run holds only the set-point) gives the set-point, ``control/mA``
or ``control/V/mA`` in galvanostatic points (mode 1) and 0 A at rest (mode 3), and says so in
``attrs["current_source"] = "set-point"``; a potentiostatic point (mode 2) has no known current
there and is refused. ``cycle number`` -> ``cycle``, ``Ns`` -> ``step``, ``half cycle`` ->
``half_cycle``.

Sign convention (EC-Lab's): a positive current is an oxidation (anodic) current at the working
electrode; for a cell whose positive electrode is the working electrode, positive is charge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import biologic, eclab_mpr
from .._common import FormatError, WrongKind
from . import _table
from ._table import Column, CyclingTable

CURRENT_SIGN = "positive: oxidation (anodic) current at the working electrode (EC-Lab)"
_VOLTAGE = ("Ecell/V", "Ewe/V", "<Ewe>/V")
_CURRENT = ("I/mA", "<I>/mA", "I/A", "<I>/A", "I/µA", "<I>/µA")
_SETPOINT = ("control/mA", "control/V/mA")
_INTEGERS = {"cycle": "cycle number", "step": "Ns", "half_cycle": "half cycle"}


def sniff(lines: list[str]) -> bool:
    first = lines[0].strip() if lines else ""
    if first == biologic.MAGIC:
        return True
    return "time/s" in first.split("\t") and any(v in first.split("\t") for v in _VOLTAGE)


def read(lines: list[str], path: str | Path) -> CyclingTable:
    raw = biologic.read_table(lines, path)
    names = [n.strip() for n in raw.names]
    if "freq/Hz" in names:
        raise WrongKind(path, raw.header_line, "this EC-Lab file holds impedance spectra, not cycling data "
                                               "(read_spectrum reads it)")
    if "time/s" not in names:
        raise FormatError(path, raw.header_line, "expected the column header (mode, ..., time/s, Ewe/V, I/mA, ...), "
                                                 f"found {lines[raw.header_line - 1].strip()[:60]!r}")
    voltage = next((n for n in _VOLTAGE if n in names), None)
    current = next((n for n in _CURRENT if n in names), None)
    if voltage is None:
        raise FormatError(path, raw.header_line, f"expected a voltage column ({', '.join(_VOLTAGE)}) among {names}")
    columns = {"time_s": Column(names.index("time/s")),
               "voltage_v": Column(names.index(voltage))}
    attrs = {"current_sign": CURRENT_SIGN, "current_source": "measured"}
    if current is not None:
        columns["current_a"] = Column(names.index(current),
                                      scale=_table.unit_scale(current, "current", path, raw.header_line))
    else:
        setpoint = next((n for n in _SETPOINT if n in names), None)
        if setpoint is None:
            raise FormatError(path, raw.header_line, f"expected a current column ({', '.join(_CURRENT)}) or a "
                                                     f"set-point ({', '.join(_SETPOINT)}) among {names}")
        columns["current_a"] = Column(names.index(setpoint), scale=1e-3)
        attrs["current_source"] = "set-point"
        if "mode" in names:
            columns["mode"] = Column(names.index("mode"), kind="integer")
    for out, name in _INTEGERS.items():
        if name in names:
            columns[out] = Column(names.index(name), kind="integer")
    attrs["columns_current"] = current or setpoint
    return CyclingTable(raw, columns, attrs)


def finish(frame, path: str | Path):
    """Apply the set-point rule (0 A at rest, refuse potentiostatic points) and drop the mode column."""
    if frame.attrs.get("current_source") != "set-point" or "mode" not in frame.columns:
        return frame.drop(columns=["mode"], errors="ignore")
    mode = frame["mode"].to_numpy()
    potentiostatic = np.flatnonzero(mode == 2)
    if len(potentiostatic):
        raise FormatError(path, None, f"point {potentiostatic[0] + 1} is potentiostatic (mode 2) and the file has no "
                                      "current column: its current is not known (export the run as .mpt from EC-Lab, "
                                      "which adds <I>/mA)")
    frame.loc[mode == 3, "current_a"] = 0.0
    return frame.drop(columns=["mode"])


def read_binary(data: bytes, path: str | Path):
    """The cycling DataFrame of an ``.mpr`` file."""
    mpr = eclab_mpr.read_mpr(data, path)
    columns = mpr.columns
    if "freq/Hz" in columns:
        raise WrongKind(path, None, f"this {mpr.technique or 'EC-Lab'} file holds impedance spectra, not cycling "
                                    "data (read_spectrum reads it)")
    voltage = next((n for n in _VOLTAGE if n in columns), None)
    if "time/s" not in columns or voltage is None:
        raise FormatError(path, None, f"expected time/s and a voltage column ({', '.join(_VOLTAGE)}), found "
                                      f"{list(columns)}")
    current = next((n for n in _CURRENT if n in columns), None)
    attrs = dict(mpr.meta, current_sign=CURRENT_SIGN, current_source="measured")
    if current is not None:
        current_a = columns[current] * _table.unit_scale(current, "current", path, None)
    else:
        current = next((n for n in _SETPOINT if n in columns), None)
        if current is None:
            raise FormatError(path, None, f"expected a current column ({', '.join(_CURRENT)}) or a set-point "
                                          f"({', '.join(_SETPOINT)}), found {list(columns)}")
        current_a = columns[current] * 1e-3
        attrs["current_source"] = "set-point"
    values = {"time_s": columns["time/s"], "voltage_v": columns[voltage], "current_a": current_a}
    for out, name in _INTEGERS.items():
        if name in columns:
            number = columns[name]
            if not (np.isfinite(number).all() and (number == np.round(number)).all()
                    and (np.abs(number) <= 2**53).all()):
                raise FormatError(path, None, f"expected whole numbers in the '{name}' column")
            values[out] = number.astype(np.int64)
    bad = [n for n in ("time_s", "voltage_v", "current_a") if not np.isfinite(values[n]).all()]
    if bad:
        point = int(np.flatnonzero(~np.isfinite(values[bad[0]]))[0])
        raise FormatError(path, None, f"point {point + 1} of {mpr.n_points}: non-finite value in {bad[0]}")
    if attrs["current_source"] == "set-point" and "mode" in columns:
        values["mode"] = columns["mode"]
    attrs["columns_used"] = {"time_s": "time/s", "voltage_v": voltage, "current_a": current}
    frame = _table.cycling_frame(values, path=path, format_name="eclab-mpr", attrs=attrs,
                                 warnings=list(mpr.warnings))
    return finish(frame, path)

