"""The real EC-Lab Development Package (EClib64.dll / EClib.dll, Windows) behind ``EcLibBinding``.

Only the library lookup is implemented and tested here: without the DLL (any machine but a Windows PC
with the Development Package installed) construction raises a clear ``InstrumentError``. The ctypes
declarations of the functions (BL_Connect, BL_LoadFirmware, BL_LoadTechnique with EccParams,
BL_StartChannel, BL_GetData, BL_StopChannel, BL_Disconnect) must be written and checked against the
Development Package's own headers on a machine that has it; until then the methods say so.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

from instruments.roles import InstrumentError

DEFAULT_DIRS = (r"C:\EC-Lab Development Package\lib", r"C:\Program Files\EC-Lab Development Package\lib")


def find_dll(path: str | None = None) -> Path | None:
    names = ("EClib64.dll", "EClib.dll") if sys.maxsize > 2**32 else ("EClib.dll",)
    candidates = [Path(path)] if path else [Path(d) / n for d in DEFAULT_DIRS for n in names]
    for env_dir in filter(None, [os.environ.get("ECLIB_DIR")]):
        candidates += [Path(env_dir) / n for n in names]
    return next((c for c in candidates if c.is_file()), None)


class CtypesEcLib:
    """Loads the Development Package DLL, or explains why it cannot."""

    def __init__(self, dll_path: str | None = None):
        found = find_dll(dll_path)
        if found is None or not hasattr(ctypes, "WinDLL"):
            raise InstrumentError("BioLogic VMP-300", "load EClib",
                                  "EC-Lab Development Package not found (EClib64.dll / EClib.dll; Windows "
                                  "only; set ECLIB_DIR or the dll_path option)")
        self.dll = ctypes.WinDLL(str(found))

    def __getattr__(self, name: str):
        raise InstrumentError("BioLogic VMP-300", name,
                              "the ctypes declarations for the Development Package are not written yet")
