"""The SCPI tree parser of the SourceMeter twin, and the emulated VISA library's byte handling."""

from __future__ import annotations

import pytest
import pyvisa
from hypothesis import given, settings
from hypothesis import strategies as st
from pyvisa import constants, errors

from instruments.clock import ManualClock
from instruments.emulation import visa_library
from instruments.emulation.devices.scpi import ScpiParser, compile_pattern


@pytest.fixture
def smu(emulated):
    lib, rm = emulated
    res = rm.open_resource("GPIB0::24::INSTR", read_termination="\n", write_termination="\n")
    yield res
    res.close()


@pytest.mark.parametrize("command", [":SOUR:CURR 1e-3", "SOURce:CURRent:LEVel 0.001", ":sour:curr:lev:imm:ampl 1E-3",
                                     "CURR 0.001", ":SOURCE1:CURRENT 1.0e-3", "sour:func curr;curr 1e-3"])
def test_short_long_case_and_optional_nodes(smu, command):
    smu.write(command)
    assert smu.query(":SOUR:CURR?") == "+1.000000E-03"
    assert smu.query(":SYST:ERR?") == '0,"No error"'


def test_error_queue(smu):
    smu.write(":SOUR:CURRX 1")                 # not a node
    smu.write(":SOUR:CURR 5")                  # beyond 1.05 A
    smu.write(":OUTP MAYBE")
    smu.write(":SOUR:CURR")                    # no value
    smu.write(":SOURC:CURR 1e-3")              # neither short nor long form
    assert smu.query(":SYST:ERR?") == '-113,"Undefined header"'
    assert smu.query("SYSTEM:ERROR:NEXT?") == '-222,"Data out of range"'
    assert smu.query(":syst:err?") == '-224,"Illegal parameter value"'
    assert smu.query(":SYST:ERR?") == '-109,"Missing parameter"'
    assert smu.query(":SYST:ERR?") == '-113,"Undefined header"'
    assert smu.query(":SYST:ERR?") == '0,"No error"'
    smu.write("*RST")
    smu.timeout = 500
    with pytest.raises(errors.VisaIOError):
        smu.query(":READ?")                    # output off after *RST: +803 and no data
    assert smu.query(":SYST:ERR?") == '+803,"Not permitted with OUTPUT off"'


def test_queries_and_compound_messages(smu):
    smu.write(":SOUR:FUNC CURR;:SENS:VOLT:PROT 4.5;:OUTP ON")
    assert smu.query(":SOUR:FUNC?;:SENS:VOLT:PROT?;:OUTP?") == "CURR;+4.500000E+00;1"
    assert smu.query(":FORM:ELEM VOLT,CURR,TIME;:FORM:ELEM?") == "VOLT,CURR,TIME"
    assert smu.query("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2400")
    assert smu.query(":SOUR:CURR? MAX") == "+1.050000E+00"     # the limit, not the level
    assert smu.query(":SOUR:CURR?") == "+0.000000E+00"
    smu.write(":SOUR:CURR MAX")
    assert smu.query(":SOUR:CURR?") == "+1.050000E+00"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=5, max_size=5),
       st.lists(st.booleans(), min_size=4, max_size=4), st.randoms())
def test_any_spelling_of_the_level_command_matches(forms, present, rnd):
    words = [("SOUR", "SOURCE"), ("CURR", "CURRENT"), ("LEV", "LEVEL"), ("IMM", "IMMEDIATE"), ("AMPL", "AMPLITUDE")]
    keep = [present[0], True, present[1], present[2], present[3]]
    tokens = []
    for (short, long), (use_long, lower), kept in zip(words, forms, keep, strict=True):
        if kept:
            word = long if use_long else short
            tokens.append("".join(c.lower() if rnd.random() < 0.5 else c for c in word) if lower else word)
    parser = ScpiParser()
    seen = []
    parser.add("[:SOURce[1]]:CURRent[:LEVel][:IMMediate][:AMPLitude]", lambda a, q: seen.append(a) or None)
    parser.execute(":" + ":".join(tokens) + " 0.5")
    assert seen == [["0.5"]] and not parser.errors


def test_pattern_compilation():
    nodes = compile_pattern(":SYSTem:ERRor[:NEXT]")
    assert [(n.short, n.long, n.optional) for n in nodes] == [("SYST", "SYSTEM", False), ("ERR", "ERROR", False),
                                                              ("NEXT", "NEXT", True)]


def test_solartron_accepts_every_separator_and_spacing(emulated):
    lib, rm = emulated
    fra = rm.open_resource("GPIB0::4::INSTR", read_termination="\n", write_termination="")
    fra.write("OP 2,1;IS 0.1\rFR 1.0E+03\n")
    fra.write("si")
    assert fra.read().startswith("+1.0000000E+03,+6.0")
    fra.write("DO")
    assert fra.read().startswith("+1.0000000E+03,")
    fra.close()


def test_termination_and_chunked_reads(emulated):
    lib, rm = emulated
    stage = rm.open_resource("ASRL1::INSTR", read_termination="\r", write_termination="\r", encoding="latin-1")
    stage.write("T")
    assert stage.read_bytes(11, chunk_size=3) == b"\x01\x80\x80\x80\x80\x80" + b"00FA\r"
    stage.write("T")
    with pytest.raises(UnicodeDecodeError):
        stage.read(encoding="ascii")           # the bytes with bit 7 set are the reason drivers read bytes
    stage.write("L1-100")
    assert stage.read() == ""                  # every command is answered with a CR
    stage.close()


def test_timeout_raises_visa_timeout_in_emulated_time():
    clock = ManualClock()
    lib = visa_library(clock=clock)
    rm = pyvisa.ResourceManager(lib)
    res = rm.open_resource("GPIB0::4::INSTR", timeout=1500)
    with pytest.raises(errors.VisaIOError) as err:
        res.read()
    assert err.value.error_code == constants.StatusCode.error_timeout
    assert clock.now() == pytest.approx(1.5)
    rm.close()


def test_unknown_resource_is_not_found(emulated):
    _, rm = emulated
    with pytest.raises(errors.VisaIOError):
        rm.open_resource("GPIB0::7::INSTR")
