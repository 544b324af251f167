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

#: technique identifiers reported in DataInfos.TechniqueID (easy-biologic ``TechniqueId``, kbio)
TECHNIQUE_ID = {"OCV": 100, "CA": 101, "CP": 102, "CV": 103, "PEIS": 104, "GEIS": 107}
DEVICE_CODE_VMP300 = 12
STATE_STOP, STATE_RUN, STATE_PAUSE = 0, 1, 2
#: BL_GetChannelBoardType (kbio ``BOARD_TYPE``); the VMP-300 family has PREMIUM boards
BOARD_ESSENTIAL, BOARD_PREMIUM, BOARD_DIGICORE = 1, 2, 3
BOARD_NAME = {0: "unknown", BOARD_ESSENTIAL: "ESSENTIAL", BOARD_PREMIUM: "PREMIUM", BOARD_DIGICORE: "DIGICORE"}
#: firmware images (kernel, FPGA) per board type, as in BioLogic's kbio examples; "" = none
FIRMWARE_FILES = {
    BOARD_ESSENTIAL: ("kernel.bin", "Vmp_ii_0437_a6.xlx"),
    BOARD_PREMIUM: ("kernel4.bin", "vmp_iv_0395_aa.xlx"),
    BOARD_DIGICORE: ("kernel.bin", ""),
}
#: technique file suffix per board type: peis.ecc (ESSENTIAL), peis4.ecc (PREMIUM), peis5.ecc (DIGICORE)
ECC_SUFFIX = {BOARD_ESSENTIAL: "", BOARD_PREMIUM: "4", BOARD_DIGICORE: "5"}
#: the codes the drivers act on
ERR_ECLAB_FIRMWARE_LOADED = -9

#: error codes and their meaning (easy-biologic ``lib/ec_errors.py``; kbio ``kbio_types.py`` ERROR)
ERROR_TEXT = {
    -1: "no instrument connected", -2: "connection in progress", -3: "selected channel(s) unplugged",
    -4: "invalid function parameters", -5: "selected file does not exist", -6: "function failed",
    -7: "no channel selected", -8: "invalid instrument configuration",
    -9: "ECLab firmware loaded on the instrument", -10: "library not correctly loaded in memory",
    -11: "USB library not correctly loaded in memory", -12: "function of the library already in progress",
    -13: "selected channel(s) already used", -14: "device not allowed",
    -15: "invalid update function parameters",
    -101: "internal instrument communication failed", -102: "too many data to transfer from the instrument",
    -103: "selected channel(s) unplugged (device error)", -104: "instrument response error",
    -105: "invalid message size",
    -200: "communication with the instrument failed", -201: "cannot establish connection with the instrument",
    -202: "waiting for the instrument response", -203: "invalid IP address",
    -204: "cannot allocate memory in the instrument", -205: "cannot load firmware into the selected channel(s)",
    -206: "communication firmware not compatible with the library",
    -207: "maximum number of allowed connections reached",
    -300: "cannot find the kernel file", -301: "cannot read the kernel file", -302: "invalid kernel file",
    -303: "cannot load the kernel on the selected channel(s)", -304: "cannot find the FPGA file",
    -305: "cannot read the FPGA file", -306: "invalid FPGA file",
    -307: "cannot load the FPGA file on the selected channel(s)",
    -308: "no firmware loaded on the selected channel(s)",
    -309: "loaded firmware not compatible with the library",
    -400: "cannot find the selected ECC file", -401: "ECC file not compatible with the channel firmware",
    -402: "ECC file corrupted", -403: "cannot load the ECC file",
    -404: "data returned by the instrument are corrupted", -405: "cannot load techniques: full memory",
}


def error_text(code: int) -> str:
    return ERROR_TEXT.get(code, "unknown error")


class EcLibError(RuntimeError):
    """A Development Package function returned a negative code."""

    def __init__(self, function: str, code: int, text: str | None = None):
        self.function = function
        self.code = code
        self.text = text or error_text(code)
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
    firmware_date: str = ""


@dataclass(frozen=True)
class ChannelInfo:
    """The part of TChannelInfos the drivers report."""

    channel: int
    board_version: int
    board_serial: int
    firmware_code: int
    firmware_version: int
    state: int
    techniques_loaded: int = 0
    memory_filled_bytes: int = 0


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
    Eoverflow: int = 0
    Ioverflow: int = 0
    IRange: int = 0
    OptErr: int = 0


class EcLibBinding(Protocol):
    """The Development Package functions the drivers use; channels are the DLL's (counted from 0)."""

    def connect(self, address: str, timeout_s: int = 5) -> tuple[int, DeviceInfo]: ...

    def disconnect(self, device_id: int) -> None: ...

    def channels_plugged(self, device_id: int) -> list[int]: ...

    def channel_info(self, device_id: int, channel: int) -> ChannelInfo: ...

    def channel_board_type(self, device_id: int, channel: int) -> int: ...

    def load_firmware(self, device_id: int, channels: Sequence[int], *, force_reload: bool = False,
                      bin_file: str | None = None, xlx_file: str | None = None) -> dict[int, int]:
        """Load the kernel on ``channels``; returns each channel's result code. Raises ``EcLibError`` for the
        function's own code (-9 when EC-Lab's firmware is on the instrument and ``force_reload`` is off)."""

    def load_technique(self, device_id: int, channel: int, technique_file: str,
                       parameters: Sequence[EccParam], *, first: bool = True, last: bool = True) -> None: ...

    def start_channel(self, device_id: int, channel: int) -> None: ...

    def stop_channel(self, device_id: int, channel: int) -> None: ...

    def get_current_values(self, device_id: int, channel: int) -> CurrentValues: ...

    def get_data(self, device_id: int, channel: int) -> tuple[DataInfos, CurrentValues, list[int]]: ...

    def convert_single(self, word: int, board_type: int) -> float:
        """A data word holding a single-precision value, as the library converts it."""


def word_from_float(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def float_from_word(word: int) -> float:
    return struct.unpack("<f", struct.pack("<I", word & 0xFFFFFFFF))[0]


def split_time(ticks: int) -> tuple[int, int]:
    """(t_high, t_low) words of a time in TimeBase ticks."""
    return (ticks >> 32) & 0xFFFFFFFF, ticks & 0xFFFFFFFF
