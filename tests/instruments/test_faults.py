"""Injected faults surface as InstrumentError naming the instrument and the command, never as a hang."""

from __future__ import annotations

import time

import pytest
import pyvisa

from instruments.biologic.vmp300 import VMP300Galvanostat
from instruments.clock import AcceleratedClock, ManualClock
from instruments.emulation import visa_library
from instruments.keithley2400 import Keithley2400
from instruments.linkam_t95 import LinkamT95
from instruments.roles import InstrumentError
from instruments.solartron1260 import Solartron1260


def _open(driver, resource, clock):
    lib = visa_library("as sintered", clock, seed=3)
    rm = pyvisa.ResourceManager(lib)
    return lib, driver.open(resource, resource_manager=rm, emulation=lib)


def _fra_measure(fra):
    return fra.measure(1000.0)


def _smu_read(smu):
    if not smu._output:
        smu.set_current_a(1e-3)
        smu.output_on()
    return smu.read()


def _stage_read(stage):
    return stage.read_temperature_c()


CASES = [
    (Solartron1260, "GPIB0::4::INSTR", _fra_measure, "Solartron 1260 at GPIB0::4::INSTR", {"FR 1000", "SI"}),
    (Keithley2400, "GPIB0::24::INSTR", _smu_read, "Keithley 2400 at GPIB0::24::INSTR",
     {":READ?", ":SYST:ERR?", ":SOUR:CURR 1.000000E-03", ":OUTP ON"}),
    (LinkamT95, "ASRL1::INSTR", _stage_read, "Linkam T95 at ASRL1::INSTR", {"T"}),
]
WHAT = {"timeout": "no reply before the timeout", "garbled": "garbled",
        "vanish": "the instrument is gone"}


@pytest.mark.parametrize("kind", ["timeout", "garbled", "vanish"])
@pytest.mark.parametrize("driver, resource, action, label, commands", CASES)
@pytest.mark.parametrize("clock_kind", ["manual", "accelerated"])
def test_fault_becomes_a_clear_instrument_error(driver, resource, action, label, commands, kind, clock_kind):
    clock = ManualClock() if clock_kind == "manual" else AcceleratedClock(1e4)
    lib, instrument = _open(driver, resource, clock)
    action(instrument)   # works before the fault
    lib.inject_fault(resource, kind, after_commands=1)
    wall = time.perf_counter()
    with pytest.raises(InstrumentError) as err:
        for _ in range(3):
            action(instrument)
    assert time.perf_counter() - wall < 1.0
    assert err.value.instrument == label
    assert err.value.command in commands
    assert WHAT[kind] in err.value.what
    assert label in str(err.value)
    instrument.close()   # closing after a fault does not raise


def test_fault_waits_for_its_command_count():
    lib, smu = _open(Keithley2400, "GPIB0::24::INSTR", ManualClock())
    smu.set_current_a(1e-3)
    smu.output_on()
    lib.inject_fault("GPIB0::24::INSTR", "timeout", after_commands=3)
    for _ in range(3):
        smu.read()
    with pytest.raises(InstrumentError, match="timeout"):
        smu.read()
    lib.clear_faults()


def test_timeout_costs_emulated_time_only():
    clock = ManualClock()
    lib, fra = _open(Solartron1260, "GPIB0::4::INSTR", clock)
    lib.inject_fault("GPIB0::4::INSTR", "timeout")
    t0, wall = clock.now(), time.perf_counter()
    with pytest.raises(InstrumentError):
        fra.measure(1000.0)
    assert clock.now() - t0 >= fra.timeout_s   # the VISA timeout elapsed in emulated time
    assert time.perf_counter() - wall < 0.5


def test_vanished_device_cannot_be_reopened():
    lib, stage = _open(LinkamT95, "ASRL1::INSTR", ManualClock())
    lib.inject_fault("ASRL1::INSTR", "vanish")
    with pytest.raises(InstrumentError, match="open"):
        LinkamT95.open("ASRL1::INSTR", resource_manager=pyvisa.ResourceManager(lib), emulation=lib)


@pytest.mark.parametrize("kind, code", [("timeout", "-202"), ("garbled", "-404"), ("vanish", "-200")])
def test_biologic_faults(kind, code):
    lib = visa_library("as sintered", ManualClock(), seed=3)
    cycler = VMP300Galvanostat.open("USB0", resource_manager=None, emulation=lib)
    cycler.set_current_a(1e-3)
    cycler.output_on()
    cycler.read()
    lib.inject_fault("USB0", kind)
    with pytest.raises(InstrumentError) as err:
        cycler.read()
    assert err.value.instrument == "BioLogic VMP-300 at USB0 channel 1"
    assert err.value.command == "BL_GetData" and code in err.value.what
    cycler.close()


def test_unknown_fault_or_resource_is_refused():
    lib = visa_library()
    with pytest.raises(ValueError):
        lib.inject_fault("GPIB0::4::INSTR", "smoke")
    with pytest.raises(KeyError):
        lib.inject_fault("GPIB0::9::INSTR", "timeout")
