"""Each driver through pyvisa against its emulated twin (the same driver that talks to the device)."""

from __future__ import annotations

import math

import pytest

from instruments.biologic.vmp300 import VMP300Galvanostat, VMP300Impedance
from instruments.keithley2400 import Keithley2400
from instruments.linkam_t95 import LinkamT95
from instruments.solartron1260 import Solartron1260


def test_solartron_twin(emulated):
    lib, rm = emulated
    fra = Solartron1260.open("GPIB0::4::INSTR", resource_manager=rm, emulation=lib)
    assert "1260" in fra.identity
    fra.configure(amplitude_v=0.05, integration_s=1.0, delay_s=0.01)
    t0 = lib.clock.now()
    point = fra.measure(1000.0)
    # the reading took its integration and delay in emulated time
    assert 1.0 <= lib.clock.now() - t0 < 1.2
    z = lib.cell.impedance(1000.0)[0]
    assert point.frequency_hz == 1000.0
    assert point.z_real_ohm == pytest.approx(z.real, rel=5e-3)
    assert point.z_imag_ohm == pytest.approx(z.imag, abs=0.05)
    fra.close()
    fra.close()   # twice is safe


def test_keithley_twin(emulated):
    lib, rm = emulated
    smu = Keithley2400.open("GPIB0::24::INSTR", resource_manager=rm, emulation=lib)
    assert "MODEL 2400" in smu.identity
    smu.set_compliance_v(5.0)
    smu.set_current_a(1e-3)
    smu.output_on()
    lib.clock.advance(10)
    reading = smu.read()
    assert reading.current_a == pytest.approx(1e-3)
    assert reading.voltage_v == pytest.approx(1e-3 * 60.6, rel=0.02)   # bulk + GB + interface
    assert reading.time_s == pytest.approx(lib.clock.now(), abs=0.1)
    assert lib.cell.current_a == pytest.approx(1e-3)
    assert smu.output_enabled is True  # the 2400 answers :OUTP? with 1 or 0
    smu.safe_state()
    assert lib.cell.current_a == 0.0
    assert smu.output_enabled is False
    smu.close()


def test_keithley_compliance_clamps_voltage(emulated):
    lib, rm = emulated
    smu = Keithley2400.open("GPIB0::24::INSTR", resource_manager=rm, emulation=lib)
    smu.set_compliance_v(0.1)
    smu.set_current_a(5e-3)
    smu.output_on()
    reading = smu.read()
    assert reading.voltage_v == pytest.approx(0.1)
    assert reading.current_a < 5e-3
    assert smu.query(":SENS:VOLT:PROT:TRIP?") == "1"
    smu.close()


def test_linkam_twin_ramps_with_lag(emulated):
    lib, rm = emulated
    stage = LinkamT95.open("ASRL1::INSTR", resource_manager=rm, emulation=lib)
    assert stage.read_temperature_c() == pytest.approx(25.0, abs=0.05)
    stage.set_setpoint_c(60.0, 10.0)
    lib.clock.advance(120)
    status = stage.status()
    assert status["status"] == "heating"
    # a steady ramp lags the program by rate * tau (10 C/min * 45 s = 7.5 C)
    program = 25.0 + 20.0
    assert program - 9.0 < status["temperature_c"] < program - 5.0
    lib.clock.advance(900)
    assert stage.status()["status"] == "holding at the limit"
    assert stage.read_temperature_c() == pytest.approx(60.0, abs=0.2)
    assert lib.cell.temperature_c == pytest.approx(60.0, abs=0.2)
    stage.hold()
    assert stage.status()["status"] == "holding the present temperature"
    stage.stop()
    lib.clock.advance(3000)
    assert stage.read_temperature_c() < 30.0
    stage.close()


def test_vmp300_impedance_single_and_linked_ranges(emulated):
    lib, _ = emulated
    fra = VMP300Impedance.open("USB0", resource_manager=None, emulation=lib)
    assert "device code 12" in fra.identity
    point = fra.measure(1000.0)
    assert point.z_real_ohm == pytest.approx(lib.cell.impedance(1000.0)[0].real, rel=5e-3)
    points = fra.measure_ranges([(7e6, 5e5, 23, 2.0, 10 / 7e6), (5e5, 500, 60, 1.0, 5 / 5e5),
                                 (500, 1, 54, 30 / 500, 3 / 500)])
    assert len(points) == 137
    assert points[0].frequency_hz == pytest.approx(7e6, rel=1e-6)
    assert points[-1].frequency_hz == pytest.approx(1.0, rel=1e-6)
    assert all(math.isfinite(p.z_real_ohm) for p in points)
    fra.close()


def test_vmp300_galvanostat_sign_convention_and_compliance(emulated):
    lib, _ = emulated
    cycler = VMP300Galvanostat.open("USB0", resource_manager=None, emulation=lib)
    cycler.set_compliance_v(2.0)
    cycler.set_current_a(2e-3)
    cycler.output_on()
    lib.clock.advance(5)
    reading = cycler.read()
    assert reading.current_a == pytest.approx(2e-3)
    assert reading.voltage_v > 0 and lib.cell.current_a == pytest.approx(2e-3)
    cycler.set_current_a(-2e-3)
    assert cycler.read().voltage_v < 0
    cycler.set_compliance_v(0.01)
    with pytest.raises(Exception, match="limit"):
        cycler.read()
    assert lib.cell.current_a == 0.0
    cycler.close()


def test_vmp300_real_binding_absent_is_clear():
    from instruments.roles import InstrumentError

    with pytest.raises(InstrumentError, match="EC-Lab Development Package not found"):
        VMP300Impedance.open("USB0", resource_manager=None, emulation=None)
