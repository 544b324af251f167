"""The real EC-Lab Development Package (EClib64.dll / EClib.dll) behind ``EcLibBinding``, through ctypes.

Every declaration below (structures with their 4-byte packing, argument and return types) is written
from ``shared/reference/biologic-eclib.md`` ("Functions", "Structures"), which cites
bicarlsen/easy-biologic ``src/easy_biologic/lib/ec_lib.py`` and BioLogic's kbio ``kbio_api.py`` /
``kbio_types.py`` as committed in Arun-Atwal/Electrochemical-Impedance-Spectroscopy-Automation and
CombiMatrix-AI/CombiMatrix.Py; ``SOURCES`` names the source of each. Where the two disagree the kbio
(BioLogic's own) form is used: ``TDataInfos`` is packed on 4 bytes (StartTime at offset 28; easy-biologic
declares it unpacked), ``ParamVal`` is a uint32 (easy-biologic: int32, the same bits), the channel
selection of BL_LoadFirmware is a 16-byte mask indexed by channel.

The library is loaded with ``WinDLL`` (stdcall, as every public wrapper does) and, where there is no
``WinDLL``, with ``CDLL`` and the same declarations: that is how the C stand-in
(``instruments/biologic/stand_in/``) is driven through this very module in the tests. The path is the
``dll_path`` option (the DLL or its folder), else ``$ECLIB_DIR``, else the Development Package's default
folders. Functions return int32 codes; a negative code raises ``EcLibError`` with the documented text.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Sequence
from ctypes import POINTER, Structure, byref, c_bool, c_char, c_char_p, c_double, c_float, c_int32, c_uint8, c_uint32
from pathlib import Path

from instruments.biologic.binding import (
    ChannelInfo,
    CurrentValues,
    DataInfos,
    DeviceInfo,
    EccParam,
    EcLibError,
)
from instruments.roles import InstrumentError

PACKAGE_FOLDER = ("EC-Lab Development Package", "lib")
MAX_SLOT_NB = 16
DATA_BUFFER_WORDS = 1000

_REF = "shared/reference/biologic-eclib.md"
SRC_STRUCT = f"{_REF} 'Structures' (easy-biologic lib/ec_lib.py; kbio kbio_types.py)"
SRC_FUNC = f"{_REF} 'Functions' (easy-biologic lib/ec_lib.py; kbio kbio_api.py)"


class TDeviceInfos(Structure):
    _pack_ = 4
    _fields_ = [(name, c_int32) for name in (
        "DeviceCode", "RAMsize", "CPU", "NumberOfChannels", "NumberOfSlots", "FirmwareVersion",
        "FirmwareDate_yyyy", "FirmwareDate_mm", "FirmwareDate_dd", "HTdisplayOn", "NbOfConnectedPC")]


class TChannelInfos(Structure):
    _pack_ = 4
    _fields_ = [(name, c_int32) for name in (
        "Channel", "BoardVersion", "BoardSerialNumber", "FirmwareCode", "FirmwareVersion", "XilinxVersion",
        "AmpCode", "NbAmps", "Lcboard", "Zboard", "MUXboard", "GPRAboard", "MemSize", "MemFilled", "State",
        "MaxIRange", "MinIRange", "MaxBandwidth", "NbOfTechniques")]


class TEccParam(Structure):
    _pack_ = 4
    _fields_ = [("ParamStr", c_char * 64), ("ParamType", c_int32), ("ParamVal", c_uint32), ("ParamIndex", c_int32)]


class TEccParams(Structure):
    _pack_ = 4
    _fields_ = [("len", c_int32), ("pParams", POINTER(TEccParam))]


def _system_v_x86_64() -> bool:
    return sys.platform != "win32" and platform.machine().lower() in ("x86_64", "amd64")


class TEccParamsArg(Structure):
    """``TEccParams`` as BL_LoadTechnique takes it, by value: the structure's bytes as 32-bit words.

    ctypes describes a structure to libffi by its fields, laid out with their natural alignment, so a
    packed structure passed by value is not always passed as a C compiler passes it. Windows (where the
    Development Package runs) copies the bytes whatever the fields: x64 passes a 12-byte structure by
    reference to a copy, x86 pushes it on the stack; these words are those bytes. The System V x86-64 ABI
    (where the stand-in runs) passes a structure with an unaligned field (the pointer at offset 4) in
    memory, and libffi does so only for structures larger than 16 bytes: there the words are padded to 24
    bytes; BL_LoadTechnique has no other argument on the stack, so the padding displaces nothing. The
    stand-in test found the shifted pointer that the plain declaration gives on System V.
    """

    _fields_ = [("words", c_uint32 * (6 if _system_v_x86_64() else ctypes.sizeof(TEccParams) // 4))]

    @classmethod
    def of(cls, params: TEccParams) -> TEccParamsArg:
        arg = cls()
        ctypes.memmove(byref(arg), byref(params), ctypes.sizeof(TEccParams))
        return arg


class TDataInfos(Structure):
    _pack_ = 4
    _fields_ = [("IRQskipped", c_int32), ("NbRows", c_int32), ("NbCols", c_int32), ("TechniqueIndex", c_int32),
                ("TechniqueID", c_int32), ("ProcessIndex", c_int32), ("loop", c_int32), ("StartTime", c_double),
                ("MuxPad", c_int32)]


class TCurrentValues(Structure):
    _pack_ = 4
    _fields_ = [("State", c_int32), ("MemFilled", c_int32), ("TimeBase", c_float), ("Ewe", c_float),
                ("EweRangeMin", c_float), ("EweRangeMax", c_float), ("Ece", c_float), ("EceRangeMin", c_float),
                ("EceRangeMax", c_float), ("Eoverflow", c_int32), ("I", c_float), ("IRange", c_int32),
                ("Ioverflow", c_int32), ("ElapsedTime", c_float), ("Freq", c_float), ("Rcomp", c_float),
                ("Saturation", c_int32), ("OptErr", c_int32), ("OptPos", c_int32)]


STRUCTURES = (TDeviceInfos, TChannelInfos, TEccParam, TEccParams, TDataInfos, TCurrentValues)

#: function -> (argtypes, source); every function returns int32
FUNCTIONS: dict[str, tuple[tuple, str]] = {
    "BL_Connect": ((c_char_p, c_uint8, POINTER(c_int32), POINTER(TDeviceInfos)), SRC_FUNC),
    "BL_Disconnect": ((c_int32,), SRC_FUNC),
    "BL_GetChannelsPlugged": ((c_int32, POINTER(c_uint8), c_uint8), SRC_FUNC),
    "BL_GetChannelInfos": ((c_int32, c_uint8, POINTER(TChannelInfos)), SRC_FUNC),
    "BL_GetChannelBoardType": ((c_int32, c_uint8, POINTER(c_uint32)), SRC_FUNC),
    "BL_LoadFirmware": ((c_int32, POINTER(c_uint8), POINTER(c_int32), c_uint8, c_bool, c_bool, c_char_p, c_char_p),
                        SRC_FUNC + "; channel mask and NULL file names: easy-biologic init_channels"),
    "BL_DefineBoolParameter": ((c_char_p, c_bool, c_int32, POINTER(TEccParam)), SRC_FUNC),
    "BL_DefineSglParameter": ((c_char_p, c_float, c_int32, POINTER(TEccParam)), SRC_FUNC),
    "BL_DefineIntParameter": ((c_char_p, c_int32, c_int32, POINTER(TEccParam)), SRC_FUNC),
    "BL_LoadTechnique": ((c_int32, c_uint8, c_char_p, TEccParamsArg, c_bool, c_bool, c_bool),
                         SRC_FUNC + "; TEccParams by value, passed as its words (TEccParamsArg)"),
    "BL_StartChannel": ((c_int32, c_uint8), SRC_FUNC),
    "BL_StopChannel": ((c_int32, c_uint8), SRC_FUNC),
    "BL_GetCurrentValues": ((c_int32, c_uint8, POINTER(TCurrentValues)), SRC_FUNC),
    "BL_GetData": ((c_int32, c_uint8, POINTER(c_uint32), POINTER(TDataInfos), POINTER(TCurrentValues)), SRC_FUNC),
    "BL_ConvertNumericIntoSingle": ((c_uint32, POINTER(c_float)), SRC_FUNC),
    "BL_ConvertChannelNumericIntoSingle": ((c_uint32, POINTER(c_float), c_uint32), SRC_FUNC + " (newer)"),
}
#: declared when the library has them (older Development Packages do not)
OPTIONAL = {"BL_ConvertChannelNumericIntoSingle"}


def default_dirs() -> list[Path]:
    """Where the Development Package installs itself: the system drive's root and the program folders."""
    roots = [os.environ.get("SystemDrive", "C:") + os.sep] + [
        os.environ[v] for v in ("ProgramFiles", "ProgramFiles(x86)") if os.environ.get(v)]
    return [Path(root, *PACKAGE_FOLDER) for root in roots]


def dll_names() -> tuple[str, ...]:
    return ("EClib64.dll", "EClib.dll") if sys.maxsize > 2**32 else ("EClib.dll",)


def find_dll(path: str | os.PathLike | None = None) -> Path | None:
    """The library: ``path`` (a file, or a folder holding EClib64.dll / EClib.dll), else ``$ECLIB_DIR``,
    else the Development Package's default folders."""
    if path:
        folders = [Path(path)] if Path(path).is_dir() else []
        if not folders:
            return Path(path) if Path(path).is_file() else None
    else:
        folders = [Path(d) for d in filter(None, [os.environ.get("ECLIB_DIR")])] + default_dirs()
    return next((folder / n for folder in folders for n in dll_names() if (folder / n).is_file()), None)


def _loader():
    return getattr(ctypes, "WinDLL", ctypes.CDLL)


class CtypesEcLib:
    """The Development Package library, declared for ctypes; implements ``EcLibBinding``."""

    def __init__(self, dll_path: str | os.PathLike | None = None):
        found = find_dll(dll_path)
        if found is None:
            where = f"at {dll_path}" if dll_path else "(set the dll_path option or ECLIB_DIR)"
            raise InstrumentError("BioLogic VMP-300", "load EClib",
                                  f"EC-Lab Development Package not found {where}: EClib64.dll / EClib.dll, "
                                  "installed with the Development Package on Windows")
        try:
            self.dll = _loader()(str(found))
        except OSError as exc:
            raise InstrumentError("BioLogic VMP-300", "load EClib",
                                  f"cannot load {found}: {exc} (the Development Package runs on Windows only)"
                                  ) from None
        self.path = found.resolve()
        self.functions = {}
        for name, (argtypes, _source) in FUNCTIONS.items():
            try:
                function = getattr(self.dll, name)
            except AttributeError:
                if name in OPTIONAL:
                    continue
                raise InstrumentError("BioLogic VMP-300", "load EClib",
                                      f"{found} has no function {name}; is it the EC-Lab Development Package?"
                                      ) from None
            function.argtypes = argtypes
            function.restype = c_int32
            self.functions[name] = function

    def __repr__(self) -> str:
        return f"CtypesEcLib({str(self.path)!r})"

    def _call(self, name: str, *args) -> int:
        code = self.functions[name](*args)
        if code < 0:
            raise EcLibError(name, code)
        return code

    # --- connection and channels -------------------------------------------------------------
    def connect(self, address: str, timeout_s: int = 5) -> tuple[int, DeviceInfo]:
        device_id, infos = c_int32(), TDeviceInfos()
        self._call("BL_Connect", address.encode("ascii"), max(1, min(255, int(timeout_s))), byref(device_id),
                   byref(infos))
        date = f"{infos.FirmwareDate_yyyy:04d}-{infos.FirmwareDate_mm:02d}-{infos.FirmwareDate_dd:02d}"
        return device_id.value, DeviceInfo(infos.DeviceCode, infos.FirmwareVersion, infos.NumberOfChannels,
                                           firmware_date=date)

    def disconnect(self, device_id: int) -> None:
        self._call("BL_Disconnect", device_id)

    def channels_plugged(self, device_id: int) -> list[int]:
        plugged = (c_uint8 * MAX_SLOT_NB)()
        self._call("BL_GetChannelsPlugged", device_id, plugged, MAX_SLOT_NB)
        return [channel for channel, flag in enumerate(plugged) if flag]

    def channel_info(self, device_id: int, channel: int) -> ChannelInfo:
        infos = TChannelInfos()
        self._call("BL_GetChannelInfos", device_id, channel, byref(infos))
        return ChannelInfo(infos.Channel, infos.BoardVersion, infos.BoardSerialNumber, infos.FirmwareCode,
                           infos.FirmwareVersion, infos.State, infos.NbOfTechniques, infos.MemFilled)

    def channel_board_type(self, device_id: int, channel: int) -> int:
        board = c_uint32()
        self._call("BL_GetChannelBoardType", device_id, channel, byref(board))
        return board.value

    def load_firmware(self, device_id: int, channels: Sequence[int], *, force_reload: bool = False,
                      bin_file: str | None = None, xlx_file: str | None = None) -> dict[int, int]:
        mask, results = (c_uint8 * MAX_SLOT_NB)(), (c_int32 * MAX_SLOT_NB)()
        for channel in channels:
            mask[channel] = 1
        self._call("BL_LoadFirmware", device_id, mask, results, MAX_SLOT_NB, False, force_reload,
                   bin_file.encode() if bin_file else None, xlx_file.encode() if xlx_file else None)
        return {channel: results[channel] for channel in channels}

    # --- techniques --------------------------------------------------------------------------
    def define_parameter(self, parameter: EccParam) -> TEccParam:
        out = TEccParam()
        label, value = parameter.label.encode("ascii"), parameter.value
        if isinstance(value, bool):
            self._call("BL_DefineBoolParameter", label, value, parameter.index, byref(out))
        elif isinstance(value, int):
            self._call("BL_DefineIntParameter", label, value, parameter.index, byref(out))
        else:
            self._call("BL_DefineSglParameter", label, float(value), parameter.index, byref(out))
        return out

    def load_technique(self, device_id: int, channel: int, technique_file: str,
                       parameters: Sequence[EccParam], *, first: bool = True, last: bool = True) -> None:
        array = (TEccParam * max(1, len(parameters)))(*[self.define_parameter(p) for p in parameters])
        params = TEccParams(len(parameters), ctypes.cast(array, POINTER(TEccParam)))
        self._call("BL_LoadTechnique", device_id, channel, technique_file.encode(), TEccParamsArg.of(params), first,
                   last, False)

    def start_channel(self, device_id: int, channel: int) -> None:
        self._call("BL_StartChannel", device_id, channel)

    def stop_channel(self, device_id: int, channel: int) -> None:
        self._call("BL_StopChannel", device_id, channel)

    # --- data --------------------------------------------------------------------------------
    def get_current_values(self, device_id: int, channel: int) -> CurrentValues:
        values = TCurrentValues()
        self._call("BL_GetCurrentValues", device_id, channel, byref(values))
        return current_values(values)

    def get_data(self, device_id: int, channel: int) -> tuple[DataInfos, CurrentValues, list[int]]:
        buffer, infos, values = (c_uint32 * DATA_BUFFER_WORDS)(), TDataInfos(), TCurrentValues()
        self._call("BL_GetData", device_id, channel, buffer, byref(infos), byref(values))
        words = max(0, min(DATA_BUFFER_WORDS, infos.NbRows * infos.NbCols))
        return (DataInfos(infos.IRQskipped, infos.NbRows, infos.NbCols, infos.TechniqueIndex, infos.TechniqueID,
                          infos.ProcessIndex, infos.loop, infos.StartTime),
                current_values(values), list(buffer[:words]))

    def convert_single(self, word: int, board_type: int) -> float:
        result = c_float()
        if "BL_ConvertChannelNumericIntoSingle" in self.functions:
            self._call("BL_ConvertChannelNumericIntoSingle", word, byref(result), board_type)
        else:
            self._call("BL_ConvertNumericIntoSingle", word, byref(result))
        return result.value


def current_values(v: TCurrentValues) -> CurrentValues:
    return CurrentValues(v.State, v.MemFilled, v.TimeBase, v.Ewe, v.Ece, v.I, v.ElapsedTime, v.Freq, v.Saturation,
                         v.Eoverflow, v.Ioverflow, v.IRange, v.OptErr)


_OPEN: dict[Path, CtypesEcLib] = {}


def load(dll_path: str | os.PathLike | None = None) -> CtypesEcLib:
    """One ``CtypesEcLib`` per library file, so that roles on one instrument share it (and its connection)."""
    found = find_dll(dll_path)
    key = found.resolve() if found is not None else None
    if key is not None and key in _OPEN:
        return _OPEN[key]
    binding = CtypesEcLib(dll_path)
    _OPEN[binding.path] = binding
    return binding
