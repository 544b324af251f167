"""Shared helpers for the instrument tests: scripted byte-exact resources and emulated benches."""

from __future__ import annotations

import pytest
import pyvisa

from instruments.clock import ManualClock
from instruments.emulation import visa_library
from instruments.emulation.devices.scripted import ScriptedDevice
from instruments.emulation.visalib import EmulatedVisaLibrary


class Scripted:
    """Open ``driver_class`` on a resource that accepts exactly ``pairs`` (bytes written, reply)."""

    def __init__(self, driver_class, resource_name: str, pairs):
        self.clock = ManualClock()
        self.device = ScriptedDevice(pairs)
        self.library = EmulatedVisaLibrary.create(self.clock, {resource_name: self.device})
        self.manager = pyvisa.ResourceManager(self.library)
        self.driver = driver_class.open(resource_name, resource_manager=self.manager, emulation=None)

    def extend(self, pairs) -> None:
        self.device.pairs.extend(pairs)

    def done(self) -> None:
        self.device.assert_done()


@pytest.fixture
def scripted():
    opened: list[Scripted] = []

    def make(driver_class, resource_name, pairs):
        s = Scripted(driver_class, resource_name, pairs)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.driver.close()


@pytest.fixture
def emulated():
    """A fresh emulated library on a manual clock (as-sintered cell, seed 7) and its resource manager."""
    lib = visa_library("as sintered", ManualClock(), seed=7)
    rm = pyvisa.ResourceManager(lib)
    yield lib, rm
    rm.close()
