"""Linkam T95 temperature controller (with an HFS600E-P stage) over RS-232.

Serial protocol from the T95 manual's command table as quoted by public drivers and a simulator
(SweepMe/instrument-drivers Temperature-Linkam_T95, ISISComputingGroup/lewis devices/linkam_t95,
nbeaver/mx-trunk i_linkam_t9x.c, bliss linkam_TMS94_T95.py): 19200 baud 8N1, CR-terminated commands, every
command answered (set-commands with a bare CR, so every command is a query here). ``T`` answers ten
bytes + CR: status, error (0x80 + bits), pump (0x80 + speed), general status, two unused bytes, and the
temperature x 10 as four hex digits of a signed 16-bit number. Bytes 1-2 have bit 7 set, so the reply
is read as bytes. ``R1<n>`` rate in 0.01 C/min, ``L1<n>`` limit in 0.1 C, ``S`` start, ``E`` stop,
``O`` hold. The T95 has no identity command.
"""

from __future__ import annotations

from pyvisa import constants

from instruments.roles import InstrumentError, TemperatureController
from instruments.visa import VisaDriver, setting

STATUS = {0x01: "stopped", 0x10: "heating", 0x20: "cooling", 0x30: "holding at the limit",
          0x40: "holding the limit time", 0x50: "holding the present temperature"}
ERROR_BITS = {0: "cooling rate too fast", 1: "open circuit (stage not connected or sensor open)",
              2: "power surge", 3: "no exit 300", 5: "link error"}
FATAL_ERROR_BITS = (1, 5)


class LinkamT95(VisaDriver, TemperatureController):
    model = "Linkam T95"
    default_resource = "ASRL1::INSTR"
    read_termination = "\r"
    write_termination = "\r"
    encoding = "latin-1"
    timeout_s = 2.0
    resource_options = {"baud_rate": 19200, "data_bits": 8, "parity": constants.Parity.none,
                        "stop_bits": constants.StopBits.one}

    rate_c_per_min = setting("R1{}", "Ramp rate (C/min), 0.01-150.", limits=(0.01, 150.0),
                             convert=lambda v: int(round(v * 100)))
    limit_c = setting("L1{}", "Limit (setpoint) temperature (C).", limits=(-196.0, 600.0),
                      convert=lambda v: int(round(v * 10)))

    def initialise(self) -> None:
        # "The first command sent must be a 'T' command" (T95 manual, quoted by lewis and IBEX #1509)
        status = self.status()
        self._identity = f"Linkam T95 at {self.resource_name} (no identity command; {status['status']})"

    def write(self, command: str) -> None:
        """Every T95 command is answered with at least a CR: read it, or the next T reads a stale CR."""
        reply = self.query(command)
        if reply:
            raise InstrumentError(self.label, command, f"unexpected reply {reply!r} (expected a bare CR)")

    def status(self) -> dict:
        raw = self.query_bytes("T", 11)
        if len(raw) != 11 or raw[-1:] != b"\r":
            raise InstrumentError(self.label, "T", f"garbled status reply {raw!r}")
        try:
            value = int(raw[6:10].decode("ascii"), 16)
        except (UnicodeDecodeError, ValueError):
            raise InstrumentError(self.label, "T", f"garbled status reply {raw!r}") from None
        if value >= 0x8000:
            value -= 0x10000
        errors = [text for bit, text in ERROR_BITS.items() if raw[1] & (1 << bit)]
        if raw[1] & 0x80 == 0 or raw[0] not in STATUS:
            raise InstrumentError(self.label, "T", f"garbled status reply {raw!r}")
        if any(raw[1] & (1 << bit) for bit in FATAL_ERROR_BITS):
            raise InstrumentError(self.label, "T", "controller reports " + ", ".join(errors))
        return {"status": STATUS[raw[0]], "errors": errors, "temperature_c": value / 10.0,
                "pump_speed": raw[2] - 0x80}

    def set_setpoint_c(self, temperature_c: float, ramp_c_per_min: float) -> None:
        self.rate_c_per_min = ramp_c_per_min
        self.limit_c = temperature_c
        self.write("S")

    def read_temperature_c(self) -> float:
        return self.status()["temperature_c"]

    def hold(self) -> None:
        self.write("O")

    def stop(self) -> None:
        self.write("E")
