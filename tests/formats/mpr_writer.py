"""Writes small EC-Lab ``.mpr`` files in the layout the reader expects, for the tests' sample files.

``python tests/formats/mpr_writer.py`` rewrites the ``.mpr`` samples in ``data/``;
``test_mpr_samples_are_reproducible`` checks that the committed files are what this script writes.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from sample_model import (  # noqa: E402
    CYCLING_CURRENT_A,
    CYCLING_CYCLE,
    CYCLING_STEP,
    CYCLING_TIME_S,
    CYCLING_VOLTAGE_V,
    FREQUENCIES_HZ,
    model_impedance_ohm,
)

MAGIC = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48, b" ") + b"\x00\x00\x00\x00"
TYPES = {1: None, 2: None, 3: None, 21: None, 31: None, 65: None, 4: "<f8", 5: "<f4", 6: "<f4", 7: "<f8",
         8: "<f4", 13: "<f8", 24: "<f8", 32: "<f4", 35: "<f4", 36: "<f4", 37: "<f4", 38: "<f4", 39: "<u2",
         76: "<f4", 77: "<f4", 131: "<u2", 467: "<f8", 468: "<u4", 999: "<f4"}
FLAG_BITS = {1: (0x03, 0), 2: (0x04, 2), 3: (0x08, 3), 21: (0x10, 4), 31: (0x20, 5), 65: (0x80, 7)}


def module(short: str, body: bytes, version: int, new_layout: bool, date: bytes = b"03/14/25") -> bytes:
    names = short.encode().ljust(10) + short.encode().ljust(25)
    if new_layout:
        header = names + struct.pack("<4I", 0xFFFFFFFF, len(body), 0, version) + date
    else:
        header = names + struct.pack("<2I", len(body), version) + date
    return b"MODULE" + header + body


def data_module(columns: dict[int, np.ndarray], version: int) -> bytes:
    ids = list(columns)
    n = len(next(iter(columns.values())))
    fields, flag_done = [], False
    for column_id in ids:
        if TYPES[column_id] is None:
            if not flag_done:
                fields.append(("flags", "u1"))
                flag_done = True
        else:
            fields.append((f"c{column_id}", TYPES[column_id]))
    records = np.zeros(n, dtype=np.dtype(fields))
    for column_id, values in columns.items():
        if TYPES[column_id] is None:
            mask, shift = FLAG_BITS[column_id]
            records["flags"] |= ((np.asarray(values, dtype=np.uint8) << shift) & mask).astype(np.uint8)
        else:
            records[f"c{column_id}"] = values
    if version >= 10:
        head = struct.pack("<IH", n, len(ids)) + struct.pack(f"<{len(ids)}H", *ids)
        start = 0x3EF
    else:
        head = struct.pack("<IB", n, len(ids)) + struct.pack(f"<{len(ids)}H", *ids)
        start = 0x196
    head = head.ljust(start - 1, b"\x00") + b"\x01"
    return head + records.tobytes()


def mpr(technique: int, columns: dict[int, np.ndarray], *, version: int, loops: list[int] | None = None) -> bytes:
    new_layout = version >= 10
    settings = bytes([technique]).ljust(64, b"\x00")
    parts = [MAGIC, module("VMP Set", settings, 10 if new_layout else 0, new_layout),
             module("VMP data", data_module(columns, version), version, new_layout),
             module("VMP LOG", b"\x00" * 32, 10 if new_layout else 0, new_layout)]
    if loops is not None:
        parts.append(module("VMP loop", struct.pack(f"<I{len(loops)}I", len(loops), *loops), 0, new_layout))
    return b"".join(parts)


def impedance_columns(frequencies, z, cycle):
    return {32: frequencies, 37: z.real, 38: -z.imag, 36: np.abs(z), 35: np.degrees(np.angle(z)),
            4: np.arange(len(frequencies)) * 2.0 + 100.0, 77: np.full(len(z), 0.01), 24: cycle, 39: np.full(len(z), 37)}


def samples() -> dict[str, bytes]:
    f = FREQUENCIES_HZ
    z = model_impedance_ohm(f)
    # PEIS, EC-Lab < 11.50 layout: two sweeps, the second 1 % larger, two rest points (frequency 0) between
    freq = np.concatenate([f, [0.0, 0.0], f])
    zz = np.concatenate([z, [0, 0], z * 1.01])
    peis = mpr(0x1D, impedance_columns(freq, zz, np.array([1] * 6 + [1, 1] + [2] * 6, dtype=float)), version=3)
    # GEIS, EC-Lab >= 11.50 layout: two sweeps in two loops (a loop module), the second 2 % larger
    geis = mpr(0x1E, impedance_columns(np.concatenate([f, f]), np.concatenate([z, z * 1.02]), np.ones(12)),
               version=11, loops=[0, 6])
    # GCPL, EC-Lab >= 11.50 layout: no measured current, only the set-point control/V/mA (in mA), which
    # still holds the last set-point in the rest points (mode 3)
    t, i = CYCLING_TIME_S, CYCLING_CURRENT_A
    mode = np.array([3, 1, 1, 1, 1, 3])
    setpoint_ma = np.array([0.5, 0.5, 0.5, -0.5, -0.5, -0.5])
    gcpl = mpr(0x04, {1: mode, 2: (i > 0).astype(int), 3: np.zeros(6), 21: np.zeros(6), 31: [1, 1, 0, 1, 0, 1],
                      65: np.zeros(6), 131: CYCLING_STEP - 1, 4: t, 7: i * 1e3 * 10 / 3600,
                      13: np.cumsum(i * 1e3 * 10 / 3600), 5: setpoint_ma, 6: CYCLING_VOLTAGE_V, 39: np.full(6, 13),
                      467: np.zeros(6), 468: [0, 0, 0, 1, 1, 2]}, version=11)
    # CP, EC-Lab < 11.50 layout, with the measured current <I>/mA, the cycle number and a column id unknown
    # to the reader (999, 4 bytes)
    cp = mpr(0x19, {1: np.full(6, 2), 4: t + 1234.5, 77: CYCLING_VOLTAGE_V, 76: i * 1e3, 24: CYCLING_CYCLE,
                    999: np.zeros(6)}, version=3)
    return {"eclab_peis_sweeps.mpr": peis, "eclab_geis.mpr": geis, "eclab_gcpl_setpoint.mpr": gcpl,
            "eclab_cp.mpr": cp}


if __name__ == "__main__":
    for name, content in samples().items():
        (HERE / "data" / name).write_bytes(content)
        print(f"{name}: {len(content)} bytes")
