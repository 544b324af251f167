"""Emulated Keithley 2400 SourceMeter in current-source mode, answering the 2400's SCPI.

Command set and replies after the 2400 Series User's Manual as summarised in
``shared/reference/instrument-protocols.md`` section 3.2 (source, sense, format, output, error queue).
Short and long forms, any case, optional nodes and compound messages are handled by ``scpi.py``.
``:READ?`` samples the shared cell at the clock time of the command and is ready one integration later
(NPLC / 50 Hz per measured element); with the output off and auto output-off disabled (the *RST
state) it fails with ``+803,"Not permitted with OUTPUT off"`` and sends nothing, as the real unit does.
Voltage compliance clamps the voltage and sets bit 3 of the status word. A command that arrives before
the reply to the previous query has been read discards that reply and queues ``-410,"Query
INTERRUPTED"``, as the real unit does (counted in ``interrupted_queries``).
"""

from __future__ import annotations

import math

from instruments.emulation.devices import EmulatedDevice
from instruments.emulation.devices.scpi import ScpiError, ScpiParser, boolean, choice, number

IDN = "KEITHLEY INSTRUMENTS INC.,MODEL 2400,4123456,C33   Mar 31 2015 09:32:39/A02  /S/K"
NOT_MEASURED = 9.91e37
ELEMENTS = {"VOLT": "VOLT", "VOLTAGE": "VOLT", "CURR": "CURR", "CURRENT": "CURR",
            "RES": "RES", "RESISTANCE": "RES", "TIME": "TIME", "STAT": "STAT", "STATUS": "STAT"}


class Keithley2400Device(EmulatedDevice):
    input_terminators = b"\n"
    name = "Keithley 2400"

    def __init__(self, cell, clock):
        super().__init__()
        self.cell = cell
        self.clock = clock
        self.t0 = clock.now()
        self.parser = ScpiParser()
        #: how many replies were lost to a command sent before they were read (each also queues -410)
        self.interrupted_queries = 0
        self._declare()
        self.reset()

    def reset(self) -> None:
        self.source_function = "VOLT"
        self.current_a = 0.0
        self.voltage_level_v = 0.0
        self.compliance_v = 21.0
        self.output = False
        self.output_off_mode = "NORM"
        self.auto_clear = False
        self.nplc = 1.0
        self.elements = ["VOLT", "CURR", "RES", "TIME", "STAT"]
        self.tripped = False
        self._in_compliance = False
        self._busy_s = 0.0
        self._apply()

    def _apply(self) -> None:
        """Drive the cell with what the source is doing now."""
        on = self.output and self.source_function == "CURR"
        self.cell.set_current_a(self.current_a if on else 0.0)

    # --- SCPI tree ---------------------------------------------------------------------------
    def _declare(self) -> None:
        p = self.parser
        p.add("*IDN", lambda a, q: IDN, command=False)
        p.add("*RST", lambda a, q: self.reset(), query=False)
        p.add("*CLS", lambda a, q: self.parser.errors.clear(), query=False)
        p.add("*OPC", lambda a, q: "1" if q else None)
        p.add("*ESR", lambda a, q: "0", command=False)
        p.add("*STB", lambda a, q: str(self.status_byte), command=False)
        p.add(":SYSTem:ERRor[:NEXT]", lambda a, q: self.parser.next_error(), command=False)
        p.add("[:SOURce[1]]:FUNCtion[:MODE]", self._source_function)
        p.add("[:SOURce[1]]:CURRent[:LEVel][:IMMediate][:AMPLitude]", self._current)
        p.add("[:SOURce[1]]:CURRent:RANGe[:UPPer]", self._accept_number(0.0, 1.05))
        p.add("[:SOURce[1]]:CURRent:RANGe:AUTO", self._accept_bool)
        p.add("[:SOURce[1]]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", self._voltage)
        p.add("[:SOURce[1]]:CLEar:AUTO", self._auto_clear)
        p.add("[:SOURce[1]]:DELay", self._accept_number(0.0, 9999.999))
        p.add("[:SENSe[1]]:FUNCtion[:ON]", self._sense_function)
        p.add("[:SENSe[1]]:FUNCtion:CONCurrent", self._accept_bool)
        p.add("[:SENSe[1]]:VOLTage[:DC]:PROTection[:LEVel]", self._compliance)
        p.add("[:SENSe[1]]:VOLTage[:DC]:PROTection:TRIPped", lambda a, q: str(int(self.tripped)),
              command=False)
        p.add("[:SENSe[1]]:VOLTage[:DC]:NPLCycles", self._nplc)
        p.add("[:SENSe[1]]:VOLTage[:DC]:RANGe[:UPPer]", self._accept_number(0.0, 210.0))
        p.add("[:SENSe[1]]:VOLTage[:DC]:RANGe:AUTO", self._accept_bool)
        p.add("[:SENSe[1]]:CURRent[:DC]:PROTection[:LEVel]", self._accept_number(-1.05, 1.05))
        p.add(":FORMat:ELEMents[:SENSe[1]]", self._elements)
        p.add(":OUTPut[1][:STATe]", self._output)
        p.add(":OUTPut[1]:SMODe", self._smode)
        p.add(":TRIGger:COUNt", self._accept_number(1, 2500))
        p.add(":SYSTem:BEEPer:STATe", self._accept_bool)
        p.add(":DISPlay:ENABle", self._accept_bool)
        p.add(":READ", self._read, command=False)
        p.add(":MEASure[:VOLTage][:DC]", self._read, command=False)

    @property
    def status_byte(self) -> int:
        return 4 if self.parser.errors else 0   # bit 2: error available

    def _accept_number(self, lo, hi):
        def handler(args, q):
            return None if q else (number(args, minimum=lo, maximum=hi, default=lo), None)[1]
        return handler

    def _accept_bool(self, args, q):
        return None if q else (boolean(args), None)[1]

    def _source_function(self, args, q):
        if q:
            return self.source_function
        self.source_function = choice(args, {"CURR": "CURR", "CURRENT": "CURR", "VOLT": "VOLT",
                                             "VOLTAGE": "VOLT"})
        self._apply()
        return None

    def _current(self, args, q):
        if q:
            value = number(args, minimum=-1.05, maximum=1.05, default=0.0) if args else self.current_a
            return f"{value:+.6E}"
        self.current_a = number(args, minimum=-1.05, maximum=1.05, default=0.0)
        self._apply()
        return None

    def _voltage(self, args, q):
        if q:
            return f"{self.voltage_level_v:+.6E}"
        self.voltage_level_v = number(args, minimum=-210.0, maximum=210.0, default=0.0)
        return None

    def _auto_clear(self, args, q):
        if q:
            return str(int(self.auto_clear))
        self.auto_clear = boolean(args)
        return None

    def _sense_function(self, args, q):
        if q:
            return '"VOLT:DC"'
        choice(args, {"VOLT": "VOLT", "VOLT:DC": "VOLT", "VOLTAGE": "VOLT", "VOLTAGE:DC": "VOLT",
                      "CURR": "CURR", "CURR:DC": "CURR", "CURRENT": "CURR", "RES": "RES"})
        return None

    def _compliance(self, args, q):
        if q:
            value = number(args, minimum=-210.0, maximum=210.0, default=21.0) if args else self.compliance_v
            return f"{value:+.6E}"
        self.compliance_v = number(args, minimum=-210.0, maximum=210.0, default=21.0)
        return None

    def _nplc(self, args, q):
        if q:
            return f"{self.nplc:+.6E}"
        self.nplc = number(args, minimum=0.01, maximum=10.0, default=1.0)
        return None

    def _elements(self, args, q):
        if q:
            return ",".join(self.elements)
        if not args:
            raise ScpiError(-109, "Missing parameter")
        self.elements = [choice([a], ELEMENTS) for a in args]
        return None

    def _output(self, args, q):
        if q:
            return str(int(self.output))
        self.output = boolean(args)
        self._apply()
        return None

    def _smode(self, args, q):
        if q:
            return self.output_off_mode
        self.output_off_mode = choice(args, {"HIMP": "HIMP", "HIMPEDANCE": "HIMP", "NORM": "NORM",
                                             "NORMAL": "NORM", "ZERO": "ZERO", "GUAR": "GUAR",
                                             "GUARD": "GUAR"})
        return None

    def _read(self, args, q):
        if not self.output and not self.auto_clear:
            raise ScpiError(803, "Not permitted with OUTPUT off")
        auto = not self.output
        if auto:
            self.output = True
            self._apply()
        try:
            return self._sample()
        finally:
            if auto:
                self.output = False
                self._apply()

    def _sample(self) -> str:
        self._busy_s = self.nplc / 50.0 * 2 + 0.002   # integrate voltage and current readback
        if self._in_compliance:
            self._apply()   # back to the programmed current before judging compliance again
        current = self.current_a if self.source_function == "CURR" else 0.0
        voltage = self.cell.voltage_v()
        limit = abs(self.compliance_v)
        self._in_compliance = abs(voltage) > limit
        if self._in_compliance:
            # the source becomes a voltage source at the compliance: the current falls (linear estimate)
            current = current * limit / abs(voltage)
            voltage = math.copysign(limit, voltage)
            self.cell.set_current_a(current)
        self.tripped = self._in_compliance
        status = (1 << 11) | (1 << 15 if self.source_function == "CURR" else 1 << 14)
        if self._in_compliance:
            status |= 1 << 3
        values = {"VOLT": voltage, "CURR": current, "RES": NOT_MEASURED,
                  "TIME": self.clock.now() - self.t0, "STAT": float(status)}
        return ",".join(f"{values[e]:+.6E}" for e in self.elements)

    # --- bytes -------------------------------------------------------------------------------
    def handle(self, message: bytes, now: float) -> None:
        if self.outbox:
            # a new command before the last query's reply was read: the reply is lost (IEEE 488.2 6.3.2.3)
            self.outbox.clear()
            self.interrupted_queries += 1
            self.parser.push_error(-410, "Query INTERRUPTED")
        try:
            text = message.decode("ascii")
        except UnicodeDecodeError:
            self.parser.push_error(-100, "Command error")
            return
        self._busy_s = 0.0005
        replies = self.parser.execute(text)
        if replies:
            self.reply((";".join(replies) + "\n").encode("ascii"), now + self._busy_s)
