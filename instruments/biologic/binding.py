"""The few EC-Lab Development Package functions the VMP-300 drivers use, as a Protocol.

The Development Package (EClib.dll / EClib64.dll, Windows only) is the only documented programmatic
route to a VMP-300 (``shared/reference/instrument-protocols.md`` section 2; call sequence and structures
after bicarlsen/easy-biologic ``lib/ec_lib.py`` and BioLogic's kbio examples). Two implementations:
``instruments.biologic.eclib_ctypes.CtypesEcLib`` (the DLL) and ``instruments.emulation.eclib.EmulatedEcLib``
(the emulated cell). Both return the DLL's shapes: ``DataInfos`` and ``CurrentValues`` records and a
buffer of 32-bit words in which floats are IEEE-754 bit patterns, so the driver's decoding path is the
same for both. Errors are the DLL's negative codes, raised as ``EcLibError``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

#: technique identifiers reported in DataInfos.TechniqueID (Development Package manual / kbio)
TECHNIQUE_ID = {"OCV": 100, "CA": 101, "CP": 102, "CV": 103, "PEIS": 104, "GEIS": 107}
#: SP-300 family instruments (SP-300, VSP-300, VMP-300) use the "...4.ecc" technique files
TECHNIQUE_FILE = {"OCV": "ocv4.ecc", "CP": "cp4.ecc", "PEIS": "peis4.ecc"}
DEVICE_CODE_VMP300 = 12
STATE_STOP, STATE_RUN, STATE_PAUSE = 0, 1, 2

ERROR_TEXT = {
    -1: "no instrument connected", -2: "connection in progress", -3: "selected channel(s) unplugged",
    -4: "invalid function parameters", -5: "selected file does not exist", -6: "function failed",
    -7: "no channel selected", -8: "invalid parameter", -9: "ECLab firmware loaded on the instrument",
    -10: "library not initialised", -200: "communication with the instrument failed",
    -201: "too many data to transfer", -202: "selected channel(s) not plugged", -203: "reception timeout",
    -300: "invalid firmware", -308: "firmware not loaded", -400: "ECC file not found",
    -402: "incompatible ECC file", -404: "corrupted data",
}


class EcLibError(RuntimeError):
    """A Development Package function returned a negative code."""

    def __init__(self, function: str, code: int, text: str | None = None):
        self.function = function
        self.code = code
        self.text = text or ERROR_TEXT.get(code, "unknown error")
        super().__init__(f"{function} returned {code}: {self.text}")


@dataclass(frozen=True)
class EccParam:
    """One technique parameter: label as in the Development Package, value, index (for arrays)."""

    label: str
    value: float | int | bool
    index: int = 0


@dataclass(frozen=True)
class DeviceInfo:
    device_code: int
    firmware_version: int
    channels: int
    serial: str = ""


@dataclass(frozen=True)
class DataInfos:
    IRQskipped: int
    NbRows: int
    NbCols: int
    TechniqueIndex: int
    TechniqueID: int
    ProcessIndex: int
    loop: int
    StartTime: float


@dataclass(frozen=True)
class CurrentValues:
    State: int
    MemFilled: int
    TimeBase: float
    Ewe: float
    Ece: float
    I: float  # noqa: E741 - the DLL's field name
    ElapsedTime: float
    Freq: float = 0.0
    Saturation: int = 0


class EcLibBinding(Protocol):
    def connect(self, address: str, timeout_s: int = 5) -> tuple[int, DeviceInfo]: ...

    def load_firmware(self, device_id: int, channels: Sequence[int], *, force_reload: bool = False) -> None: ...

    def load_technique(self, device_id: int, channel: int, technique_file: str,
                       parameters: Sequence[EccParam], *, first: bool = True, last: bool = True) -> None: ...

    def start_channel(self, device_id: int, channel: int) -> None: ...

    def get_data(self, device_id: int, channel: int) -> tuple[DataInfos, CurrentValues, list[int]]: ...

    def stop_channel(self, device_id: int, channel: int) -> None: ...

    def disconnect(self, device_id: int) -> None: ...


def word_from_float(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def float_from_word(word: int) -> float:
    return struct.unpack("<f", struct.pack("<I", word & 0xFFFFFFFF))[0]


def split_time(ticks: int) -> tuple[int, int]:
    """(t_high, t_low) words of a time in TimeBase ticks."""
    return (ticks >> 32) & 0xFFFFFFFF, ticks & 0xFFFFFFFF
