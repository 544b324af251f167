"""Each driver against the exact bytes it must exchange (terminators included)."""

from __future__ import annotations

import pytest

from instruments.emulation.devices.scripted import ProtocolMismatch
from instruments.keithley2400 import Keithley2400
from instruments.linkam_t95 import LinkamT95
from instruments.roles import InstrumentError
from instruments.solartron1260 import Solartron1260

SOLARTRON_OPEN = [
    (b"*IDN?\n", b"SCHLUMBERGER TECHNOLOGIES, 1260 IMPEDANCE ANALYZER, 0, 0\r\n"),
    *[(c.encode() + b"\n", None) for c in ("OS0", "OT0", "OP2,1", "GT0", "SO1,3", "CZ0", "UW0", "AU0",
                                           "RA1,0", "RA3,0", "DC1,0", "DC3,0")],
    (b"VA 0.05\n", None), (b"VB 0\n", None), (b"IS 1\n", None), (b"MS 0\n", None),
]


def test_solartron_configure_and_measure(scripted):
    s = scripted(Solartron1260, "GPIB0::4::INSTR", SOLARTRON_OPEN + [
        (b"VA 0.05\n", None), (b"VB 0\n", None), (b"IS 2\n", None), (b"MS 0.000000769231\n", None),
        (b"FR 13000000\n", None),
        (b"SI\n", b"+1.3000000E+07,+4.1523E+01,-2.1877E+01,0,00\r\n"),
        (b"FR 5\n", None),
        (b"SI\n", b"+5.0000000E+00,+6.1100E+01,-1.4400E-01,0,00\r\n"),
    ])
    fra = s.driver
    assert fra.identity.startswith("SCHLUMBERGER TECHNOLOGIES, 1260")
    fra.configure(amplitude_v=0.05, dc_bias_v=0.0, integration_s=2.0, delay_s=10 / 13e6)
    point = fra.measure(13e6)
    assert (point.frequency_hz, point.z_real_ohm, point.z_imag_ohm) == (13e6, 41.523, -21.877)
    assert fra.measure(5.0).z_real_ohm == 61.1
    s.done()


def test_solartron_rejects_a_stale_reading(scripted):
    s = scripted(Solartron1260, "GPIB0::4::INSTR", SOLARTRON_OPEN + [
        (b"FR 1000\n", None), (b"SI\n", b"+1.2589254E+03,+6.1100E+01,-1.0000E-01,0,00\r\n"),
    ])
    with pytest.raises(InstrumentError) as err:
        s.driver.measure(1000.0)
    assert err.value.instrument == "Solartron 1260 at GPIB0::4::INSTR"
    assert err.value.command == "SI" and "stale" in err.value.what


def test_solartron_reports_error_digit_and_garbage(scripted):
    s = scripted(Solartron1260, "GPIB0::4::INSTR", SOLARTRON_OPEN + [
        (b"FR 1000\n", None), (b"SI\n", b"+1.0000000E+03,+6.1100E+01,-1.0000E-01,3,00\r\n"),
        (b"FR 1000\n", None), (b"SI\n", b"+1.00?0000E+03,+6.1?00E+01\r\n"),
    ])
    with pytest.raises(InstrumentError, match="error 3"):
        s.driver.measure(1000.0)
    with pytest.raises(InstrumentError, match="garbled"):
        s.driver.measure(1000.0)


def test_solartron_refuses_out_of_range_settings(scripted):
    s = scripted(Solartron1260, "GPIB0::4::INSTR", SOLARTRON_OPEN)
    with pytest.raises(ValueError):
        s.driver.measure(40e6)
    with pytest.raises(ValueError):
        s.driver.configure(amplitude_v=5.0, integration_s=1.0, delay_s=0.0)
    s.done()


KEITHLEY_OPEN = [
    (b"*IDN?\n", b"KEITHLEY INSTRUMENTS INC.,MODEL 2400,1234567,C32\n"),
    *[(c.encode() + b"\n", None) for c in ("*RST", "*CLS", ":SOUR:FUNC CURR", ":SOUR:CURR:RANG:AUTO 1",
                                           ':SENS:FUNC "VOLT"', ":SENS:VOLT:RANG:AUTO 1", ":SENS:VOLT:NPLC 1",
                                           ":FORM:ELEM VOLT,CURR,TIME", ":OUTP:SMOD HIMP")],
    (b":SYST:ERR?\n", b'0,"No error"\n'),
]
NO_ERROR = (b":SYST:ERR?\n", b'0,"No error"\n')


def test_keithley_galvanostat_sequence(scripted):
    s = scripted(Keithley2400, "GPIB0::24::INSTR", KEITHLEY_OPEN + [
        (b":SENS:VOLT:PROT 5\n", None), NO_ERROR,
        (b":SOUR:CURR 5.675000E-03\n", None), NO_ERROR,
        (b":OUTP ON\n", None), NO_ERROR,
        (b":READ?\n", b"+3.437502E-01,+5.675000E-03,+1.664023E+02\n"),
        (b":SOUR:CURR 0.000000E+00\n", None), NO_ERROR,
        (b":OUTP OFF\n", None), NO_ERROR,
    ])
    smu = s.driver
    assert "MODEL 2400" in smu.identity
    smu.set_compliance_v(5)
    smu.set_current_a(5.675e-3)
    smu.output_on()
    reading = smu.read()
    assert (reading.time_s, reading.voltage_v, reading.current_a) == (166.4023, 0.3437502, 5.675e-3)
    smu.safe_state()
    s.done()


def test_keithley_error_queue_surfaces_as_instrument_error(scripted):
    s = scripted(Keithley2400, "GPIB0::24::INSTR", KEITHLEY_OPEN + [
        (b":SOUR:CURR 1.000000E+00\n", None),
        (b":SYST:ERR?\n", b'-222,"Data out of range"\n'), NO_ERROR,
    ])
    with pytest.raises(InstrumentError) as err:
        s.driver.set_current_a(1.0)
    assert err.value.command == ":SOUR:CURR 1.000000E+00" and "-222 Data out of range" in err.value.what
    s.done()


def test_keithley_read_refused_with_output_off(scripted):
    s = scripted(Keithley2400, "GPIB0::24::INSTR", KEITHLEY_OPEN)
    with pytest.raises(InstrumentError, match="output is off"):
        s.driver.read()
    s.done()


def test_linkam_protocol(scripted):
    status = b"\x01\x80\x80\x80\x80\x80" + b"00FA\r"
    s = scripted(LinkamT95, "ASRL1::INSTR", [
        (b"T\r", status),
        (b"R11000\r", b"\r"), (b"L1600\r", b"\r"), (b"S\r", b"\r"),
        (b"T\r", b"\x10\x80\x80\x80\x80\x80" + b"0172\r"),
        (b"O\r", b"\r"), (b"E\r", b"\r"),
        (b"T\r", b"\x01\x80\x80\x80\x80\x80" + b"FF9C\r"),
    ])
    stage = s.driver
    assert "Linkam T95" in stage.identity
    stage.set_setpoint_c(60.0, 10.0)
    assert stage.read_temperature_c() == 37.0
    stage.hold()
    stage.stop()
    assert stage.read_temperature_c() == -10.0   # signed 16-bit, tenths of a degree
    s.done()


def test_linkam_open_circuit_is_reported(scripted):
    s = scripted(LinkamT95, "ASRL1::INSTR", [
        (b"T\r", b"\x01\x80\x80\x80\x80\x80" + b"00FA\r"),
        (b"T\r", b"\x01\x82\x80\x80\x80\x80" + b"00FA\r"),
    ])
    with pytest.raises(InstrumentError, match="open circuit"):
        s.driver.read_temperature_c()


def test_scripted_device_catches_a_wrong_write(scripted):
    s = scripted(LinkamT95, "ASRL1::INSTR", [(b"T\r", b"\x01\x80\x80\x80\x80\x80" + b"00FA\r"),
                                             (b"E\r", b"\r")])
    with pytest.raises(ProtocolMismatch):
        s.driver.hold()
