"""BioLogic EC-Lab binary files (``.mpr``): the modules and the data columns they hold.

EC-Lab saves every run as ``.mpr``; the layout is not documented by BioLogic. This reader is
written from the public descriptions of the layout (the galvani and yadg projects' notes) and
checked against EC-Lab v11.3x (PEIS) and v11.61 (GCPL) files and the ``.mpt`` exports of the
same runs. All numbers are little-endian.

- File magic: ``BIO-LOGIC MODULAR FILE`` and byte 0x1A, padded with spaces to 48 bytes, then
  four zero bytes.
- Then modules, each ``MODULE`` followed by a header and ``length`` bytes of body. The header
  is a short name (10 bytes, e.g. ``VMP data``), a long name (25 bytes), then either ``length``
  (u4), ``version`` (u4) and a date (8 ASCII bytes, ``mm/dd/yy``) (files before EC-Lab 11.50),
  or 0xFFFFFFFF, ``length`` (u4), two u4 whose sum is the version, and the date (11.50 on).
- ``VMP Set`` (settings): its first byte is the technique (0x1D PEIS, 0x1E GEIS, 0x04 and
  0x77 GCPL, 0x19 CP, 0x7F Modulo Bat, ...).
- ``VMP data``: the number of points (u4) and of columns (u1 up to module version 3, u2 from
  version 10), then one column id per column (u1 for version 0, u2 otherwise); the records start
  at byte 100 (version 0), 0x195 (2), 0x196 (3) or 0x3EF (10, 11), one fixed-size record per
  point, the fields in column-id order. Ids 1, 2, 3, 21, 31 and 65 (mode, ox/red, error,
  control changes, Ns changes, counter inc.) are bits of one shared byte, placed where the first
  of them stands.
- ``VMP loop``: the number of loops (u4), then the index of the first point of each loop (u4).
- ``VMP LOG`` and ``VMP ExtDev``: not needed here.

A column id this reader does not know is refused, unless it is the only one: its width is then
what is left of the record size that the module's length gives. A file cut off inside the data
yields its whole records with a warning; cut anywhere before them, it is a FormatError.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._common import FormatError

MAGIC = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48, b" ") + b"\x00\x00\x00\x00"

TECHNIQUES = {0x04: "GCPL", 0x06: "CV", 0x0B: "OCV", 0x16: "MP", 0x18: "CA", 0x19: "CP", 0x1C: "WAIT",
              0x1D: "PEIS", 0x1E: "GEIS", 0x32: "ZIR", 0x6C: "LSV", 0x77: "GCPL", 0x7F: "MB"}

# bits of the shared flags byte: column id -> (name as EC-Lab exports it, mask)
FLAG_COLUMNS = {1: ("mode", 0x03), 2: ("ox/red", 0x04), 3: ("error", 0x08), 21: ("control changes", 0x10),
                31: ("Ns changes", 0x20), 65: ("counter inc.", 0x80)}

_F4, _F8, _U2, _U4, _U1 = "<f4", "<f8", "<u2", "<u4", "u1"
# column id -> (name as EC-Lab's .mpt export writes it, binary type)
DATA_COLUMNS = {
    4: ("time/s", _F8), 5: ("control/V/mA", _F4), 6: ("Ewe/V", _F4), 7: ("dq/mA.h", _F8), 8: ("I/mA", _F4),
    9: ("Ece/V", _F4), 11: ("<I>/mA", _F8), 13: ("(Q-Qo)/mA.h", _F8), 16: ("Analog IN 1/V", _F4),
    17: ("Analog IN 2/V", _F4), 19: ("control/V", _F4), 20: ("control/mA", _F4), 23: ("dQ/mA.h", _F8),
    24: ("cycle number", _F8), 32: ("freq/Hz", _F4), 33: ("|Ewe|/V", _F4), 34: ("|I|/A", _F4),
    35: ("Phase(Z)/deg", _F4), 36: ("|Z|/Ohm", _F4), 37: ("Re(Z)/Ohm", _F4), 38: ("-Im(Z)/Ohm", _F4),
    39: ("I Range", _U2), 69: ("R/Ohm", _F4), 70: ("P/W", _F4), 74: ("|Energy|/W.h", _F8),
    75: ("Analog OUT/V", _F4), 76: ("<I>/mA", _F4), 77: ("<Ewe>/V", _F4), 78: ("Cs-2/µF-2", _F4),
    96: ("|Ece|/V", _F4), 98: ("Phase(Zce)/deg", _F4), 99: ("|Zce|/Ohm", _F4), 100: ("Re(Zce)/Ohm", _F4),
    101: ("-Im(Zce)/Ohm", _F4), 123: ("Energy charge/W.h", _F8), 124: ("Energy discharge/W.h", _F8),
    125: ("Capacitance charge/µF", _F8), 126: ("Capacitance discharge/µF", _F8), 131: ("Ns", _U2),
    163: ("|Estack|/V", _F4), 168: ("Rcmp/Ohm", _F4), 169: ("Cs/µF", _F4), 172: ("Cp/µF", _F4),
    173: ("Cp-2/µF-2", _F4), 430: ("Phase(Zwe-ce)/deg", _F4), 431: ("|Zwe-ce|/Ohm", _F4),
    432: ("Re(Zwe-ce)/Ohm", _F4), 433: ("-Im(Zwe-ce)/Ohm", _F4), 434: ("(Q-Qo)/C", _F4), 435: ("dQ/C", _F4),
    438: ("step time/s", _F8), 441: ("<Ecv>/V", _F4), 462: ("Temperature/°C", _F4),
    467: ("Q charge/discharge/mA.h", _F8), 468: ("half cycle", _U4), 469: ("z cycle", _U4),
    471: ("<Ece>/V", _F4), 473: ("THD Ewe/%", _F4), 474: ("THD I/%", _F4), 475: ("THD Ece/%", _F4),
    476: ("NSD Ewe/%", _F4), 477: ("NSD I/%", _F4), 478: ("NSD Ece/%", _F4), 479: ("NSR Ewe/%", _F4),
    480: ("NSR I/%", _F4), 481: ("NSR Ece/%", _F4), 504: ("Rac/Ohm", _F4), 505: ("Rdc/Ohm", _F4),
    509: ("Acir/Dcir Control", _U1),
}
_RECORD_START = {0: 100, 2: 0x195, 3: 0x196, 10: 0x3EF, 11: 0x3EF}


@dataclass
class Module:
    name: str
    version: int
    date: str
    start: int  # byte offset of the body in the file
    length: int  # declared body length
    body: bytes  # as much of the body as the file holds


@dataclass
class MprFile:
    """The data of an ``.mpr`` file: columns named as EC-Lab exports them, in record order."""

    technique: str | None
    columns: dict[str, np.ndarray]
    n_points: int
    meta: dict = field(default_factory=dict)
    loops: np.ndarray | None = None  # index of the first point of each loop
    warnings: list[str] = field(default_factory=list)


def sniff(data: bytes) -> bool:
    return data.startswith(MAGIC[:22])


def _modules(data: bytes, path: str | Path) -> list[Module]:
    if not data.startswith(MAGIC):
        raise FormatError(path, None, "expected the EC-Lab .mpr file magic 'BIO-LOGIC MODULAR FILE' in the first "
                                      f"{len(MAGIC)} bytes")
    modules, position = [], len(MAGIC)
    while position < len(data):
        if data[position:position + 6] != b"MODULE":
            found = data[position:position + 6]
            raise FormatError(path, None, f"expected 'MODULE' at byte {position}, found {found!r}")
        header = position + 6
        if len(data) < header + 39:
            raise FormatError(path, None, f"file ends inside the module header at byte {position}: it looks cut off")
        name = data[header:header + 10].decode("latin-1").strip()
        (first,) = struct.unpack_from("<I", data, header + 35)
        if first == 0xFFFFFFFF:
            size = 59
            if len(data) < header + size:
                raise FormatError(path, None, f"file ends inside the header of module {name!r}: it looks cut off")
            length, version_a, version_b = struct.unpack_from("<3I", data, header + 39)
            version, date = version_a + version_b, data[header + 51:header + 59]
        else:
            size = 51
            if len(data) < header + size:
                raise FormatError(path, None, f"file ends inside the header of module {name!r}: it looks cut off")
            length, (version,), date = first, struct.unpack_from("<I", data, header + 39), data[header + 43:header + 51]
        start = header + size
        modules.append(Module(name, version, date.decode("latin-1"), start, length, data[start:start + length]))
        position = start + length
    return modules


def _record_type(ids: list[int], record_size: int, path: str | Path) -> tuple[np.dtype, dict[str, int]]:
    """The numpy record type of the data module's points, and the flag names with their masks."""
    fields, flags = [], {}
    unknown = [i for i in ids if i not in DATA_COLUMNS and i not in FLAG_COLUMNS]
    if len(unknown) > 1:
        raise FormatError(path, None, f"data columns with ids {unknown} are not known to this reader; "
                                      "export the run from EC-Lab as .mpt text to read it")
    known = sum(np.dtype(DATA_COLUMNS[i][1]).itemsize for i in ids if i in DATA_COLUMNS)
    known += 1 if any(i in FLAG_COLUMNS for i in ids) else 0
    for column_id in ids:
        if column_id in FLAG_COLUMNS:
            name, mask = FLAG_COLUMNS[column_id]
            flags[name] = mask
            if ("flags", "u1") not in fields:
                fields.append(("flags", "u1"))
        elif column_id in DATA_COLUMNS:
            name, kind = DATA_COLUMNS[column_id]
            while name in (f[0] for f in fields):
                name += " (2)"
            fields.append((name, kind))
        else:
            width = record_size - known
            if width not in (1, 2, 4, 8):
                raise FormatError(path, None, f"data column id {column_id} is not known to this reader and the record "
                                              f"size leaves {width} bytes for it")
            fields.append((f"column {column_id}", f"V{width}"))
    dtype = np.dtype(fields)
    if dtype.itemsize != record_size:
        raise FormatError(path, None, f"the data columns {ids} make records of {dtype.itemsize} bytes, but the data "
                                      f"module holds {record_size} bytes per point")
    return dtype, flags


def _data(module: Module, path: str | Path, warnings: list[str]) -> tuple[dict[str, np.ndarray], int]:
    body, version = module.body, module.version
    if version not in _RECORD_START:
        raise FormatError(path, None, f"data module version {version} is not known to this reader "
                                      f"(known: {sorted(_RECORD_START)})")
    start = _RECORD_START[version]
    if len(body) < start:
        raise FormatError(path, None, f"file ends inside the data module's header (byte {module.start + len(body)}): "
                                      "it looks cut off")
    (n_points,) = struct.unpack_from("<I", body, 0)
    if version >= 10:
        (n_columns,) = struct.unpack_from("<H", body, 4)
        ids = list(struct.unpack_from(f"<{n_columns}H", body, 6)) if 6 + 2 * n_columns <= start else None
    elif version == 0:
        n_columns = body[4]
        ids = list(body[5:5 + n_columns])
    else:
        n_columns = body[4]
        ids = list(struct.unpack_from(f"<{n_columns}H", body, 5)) if 5 + 2 * n_columns <= start else None
    if not ids:
        raise FormatError(path, None, f"data module declares {n_columns} columns, which do not fit its header")
    if n_points == 0:
        raise FormatError(path, None, "expected data points, the data module holds none")
    declared = module.length - start
    if declared <= 0 or declared % n_points:
        raise FormatError(path, None, f"data module of {declared} bytes does not divide into {n_points} points")
    dtype, flags = _record_type(ids, declared // n_points, path)
    whole = (len(body) - start) // dtype.itemsize
    if whole < n_points:
        warnings.append(f"point {whole + 1} of {n_points} was not read: the file ends inside it; the file looks cut "
                        f"off there ({whole} whole points read)")
    if whole == 0:
        raise FormatError(path, None, "file ends before the first data point: it looks cut off")
    records = np.frombuffer(body, dtype=dtype, count=min(whole, n_points), offset=start)
    columns: dict[str, np.ndarray] = {}
    for name in dtype.names:
        if name == "flags":
            for flag, mask in flags.items():
                shift = (mask & -mask).bit_length() - 1
                columns[flag] = ((records["flags"] & mask) >> shift).astype(np.int64)
        elif not name.startswith("column "):
            columns[name] = records[name].astype(np.float64 if records[name].dtype.kind == "f" else np.int64)
    return columns, min(whole, n_points)


def read_mpr(data: bytes, path: str | Path) -> MprFile:
    """Read the modules of an ``.mpr`` file; FormatError naming the file for anything unreadable."""
    modules = _modules(data, path)
    by_name = {m.name: m for m in modules}
    if "VMP data" not in by_name:
        raise FormatError(path, None, "expected a 'VMP data' module, found "
                                      f"{[m.name for m in modules] or 'no module'}")
    warnings: list[str] = []
    data_module = by_name["VMP data"]
    columns, n_points = _data(data_module, path, warnings)
    settings = by_name.get("VMP Set")
    technique = TECHNIQUES.get(settings.body[0]) if settings and settings.body else None
    meta = {"date": data_module.date, "data_module_version": data_module.version}
    if settings and settings.body:
        meta["technique_id"] = settings.body[0]
    if technique:
        meta["technique"] = technique
    if not warnings and len(modules) and modules[-1].length > len(modules[-1].body):
        warnings.append(f"the file ends inside its '{modules[-1].name}' module, after the data: the file looks cut "
                        "off there; the data points are whole")
    loops = None
    loop_module = by_name.get("VMP loop")
    if loop_module and len(loop_module.body) >= 4:
        (count,) = struct.unpack_from("<I", loop_module.body, 0)
        if 0 < count and 4 + 4 * count <= len(loop_module.body):
            loops = np.frombuffer(loop_module.body, dtype="<u4", count=count, offset=4).astype(np.int64)
    return MprFile(technique, columns, n_points, meta, loops, warnings)


def loop_labels(loops: np.ndarray | None, n_points: int) -> np.ndarray | None:
    """Loop number (from 0) of each point, from the loop module's first-point indices."""
    if loops is None or len(loops) < 2:
        return None
    starts = np.unique(loops[loops < n_points])
    if len(starts) == 0 or starts[0] != 0:
        return None
    return np.searchsorted(starts, np.arange(n_points), side="right") - 1
