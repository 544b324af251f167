"""Emulated twins of the bench's instruments, beneath pyvisa, measuring one emulated cell.

``pyvisa.ResourceManager(visa_library())`` plus the unchanged drivers is the whole emulated path::

    lib = visa_library(cell="EtOH500", seed=1)
    rm = pyvisa.ResourceManager(lib)
    fra = rm.open_resource("GPIB0::4::INSTR")        # a Solartron 1260
    smu = rm.open_resource("GPIB0::24::INSTR")       # a Keithley 2400
    stage = rm.open_resource("ASRL1::INSTR")         # a Linkam T95

The three devices (and the BioLogic binding from ``lib.eclib()``) share ``lib.cell`` and ``lib.clock``.
"""

from __future__ import annotations

from instruments.clock import Clock, ManualClock
from instruments.emulation.cell import PRESETS, CellModel
from instruments.emulation.visalib import EmulatedVisaLibrary

#: where each emulated instrument answers (the drivers' default addresses)
DEFAULT_RESOURCES = {
    "solartron1260": "GPIB0::4::INSTR",
    "keithley2400": "GPIB0::24::INSTR",
    "linkam_t95": "ASRL1::INSTR",
}

__all__ = ["PRESETS", "CellModel", "EmulatedVisaLibrary", "visa_library", "DEFAULT_RESOURCES"]


def visa_library(cell: CellModel | str | None = None, clock: Clock | None = None,
                 seed: int | None = None) -> EmulatedVisaLibrary:
    """A new, independent emulated VISA library with a Solartron 1260, a Keithley 2400 and a Linkam T95.

    ``cell``: a ``CellModel`` or a surface-state preset name (default "as sintered"); ``clock``: the
    bench clock (default: the cell's clock, else a ``ManualClock``); ``seed``: seeds the cell's scatter
    and the instruments' noise (None: fresh randomness).
    """
    from instruments.emulation.devices.keithley2400 import Keithley2400Device
    from instruments.emulation.devices.linkam_t95 import LinkamT95Device
    from instruments.emulation.devices.solartron1260 import Solartron1260Device

    if isinstance(cell, CellModel):
        if clock is not None and clock is not cell.clock:
            raise ValueError("the cell model runs on another clock than the one given")
        clock = cell.clock
    else:
        clock = clock if clock is not None else ManualClock()
        cell = CellModel(cell or "as sintered", clock=clock, seed=seed)
    lib = EmulatedVisaLibrary.create(clock, {
        DEFAULT_RESOURCES["solartron1260"]: Solartron1260Device(cell, clock),
        DEFAULT_RESOURCES["keithley2400"]: Keithley2400Device(cell, clock),
        DEFAULT_RESOURCES["linkam_t95"]: LinkamT95Device(cell.stage, clock),
    })
    lib.cell = cell
    return lib

