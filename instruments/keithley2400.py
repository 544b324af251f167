"""Keithley 2400 SourceMeter as the galvanostat: SCPI current source with voltage compliance.

Commands after the 2400 Series User's Manual (SOURce, SENSe, FORMat, OUTPut subsystems; error queue
``:SYSTem:ERRor?``; manual pages 18-x as listed in ``shared/reference/instrument-protocols.md`` 3.2) and
PyMeasure's ``keithley2400.py``. ``:FORM:ELEM VOLT,CURR,TIME`` makes ``:READ?`` return voltage, current
and the instrument's timestamp. The output-off state is HIMP (relay open), so a fault leaves no path
through the cell. The 2400 measures only with its output on (``+803`` otherwise), so ``read`` with the
output off is refused here with a clear error rather than a timeout.
"""

from __future__ import annotations

from instruments.roles import Galvanostat, GalvanostatReading, InstrumentError
from instruments.visa import VisaDriver, control


class Keithley2400(VisaDriver, Galvanostat):
    model = "Keithley 2400"
    default_resource = "GPIB0::24::INSTR"
    read_termination = "\n"
    write_termination = "\n"
    timeout_s = 5.0

    source_current_a = control(":SOUR:CURR?", ":SOUR:CURR {:.6E}", "Source current (A).",
                               limits=(-1.05, 1.05))
    compliance_v = control(":SENS:VOLT:PROT?", ":SENS:VOLT:PROT {:.6G}", "Voltage compliance (V).",
                           limits=(-210.0, 210.0))
    output_enabled = control(":OUTP?", ":OUTP {}", "Source output relay.", values={True: "ON", False: "OFF"},
                             parse=lambda s: bool(int(s)))

    SETUP = (
        "*RST",                         # output off, known state
        "*CLS",                         # empty the error queue
        ":SOUR:FUNC CURR",
        ":SOUR:CURR:RANG:AUTO 1",
        ':SENS:FUNC "VOLT"',
        ":SENS:VOLT:RANG:AUTO 1",
        ":SENS:VOLT:NPLC 1",
        ":FORM:ELEM VOLT,CURR,TIME",
        ":OUTP:SMOD HIMP",
    )

    def initialise(self) -> None:
        self._identity = self.query("*IDN?")
        self._output = False
        for command in self.SETUP:
            self.write(command)
        self.check_errors("initialisation")

    def check_errors(self, after: str) -> None:
        """Empty the error queue; raise the first error found, naming the command it followed."""
        found = []
        for _ in range(10):
            reply = self.query(":SYST:ERR?")
            code, _, message = reply.partition(",")
            try:
                number = int(code)
            except ValueError:
                raise InstrumentError(self.label, ":SYST:ERR?", f"garbled reply {reply!r}") from None
            if number == 0:
                break
            found.append(f"{number} {message.strip(chr(34))}")
        if found:
            raise InstrumentError(self.label, after, "instrument error " + "; ".join(found))

    def set_current_a(self, current_a: float) -> None:
        self.source_current_a = current_a
        self.check_errors(f":SOUR:CURR {current_a:.6E}")

    def set_compliance_v(self, voltage_v: float) -> None:
        self.compliance_v = voltage_v
        self.check_errors(f":SENS:VOLT:PROT {voltage_v:.6G}")

    def output_on(self) -> None:
        self.output_enabled = True
        self._output = True
        self.check_errors(":OUTP ON")

    def output_off(self) -> None:
        self.output_enabled = False
        self.check_errors(":OUTP OFF")
        self._output = False  # only once the instrument took it: a failed OUTP OFF leaves the state "on"

    def is_output_on(self) -> bool:
        return self._output

    def read(self) -> GalvanostatReading:
        if not self._output:
            raise InstrumentError(self.label, ":READ?", "the output is off; the 2400 measures only with it on")
        reply = self.query(":READ?")
        try:
            voltage, current, time = (float(v) for v in reply.split(","))
        except ValueError:
            raise InstrumentError(self.label, ":READ?", f"garbled reading {reply!r}") from None
        return GalvanostatReading(time, voltage, current)
