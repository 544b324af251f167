"""Emulated Linkam T95 controller (HFS600E-P stage) on RS-232, answering the T95 serial protocol.

Commands end with CR and every command is answered (set-commands with a bare CR). ``T`` answers ten
bytes + CR: status byte (0x01 stopped, 0x10 heating, 0x20 cooling, 0x30 at the limit, 0x50 holding the
present temperature), error byte (0x80 + error bits), pump byte (0x80 + LNP speed), general-status byte,
two unused bytes (0x80), then the temperature x 10 as four upper-case hex digits of a signed 16-bit
value. ``R1<n>`` rate in 0.01 C/min, ``L1<n>`` limit in 0.1 C, ``S`` start, ``E`` stop, ``O`` hold,
``H``/``C`` resume. Sources: ``shared/reference/instrument-protocols.md`` section 4 (T95 manual table
as quoted by SweepMe, lewis, mx-trunk, bliss). The manual requires ``T`` as the first command; earlier
commands are ignored (but, as far as the sources say, still answered). The reply to an unknown command
is not documented: this twin answers a bare CR and ignores it.
"""

from __future__ import annotations

from instruments.emulation.devices import EmulatedDevice
from instruments.emulation.stage import COOLING, HEATING, HOLDING_CURRENT, HOLDING_LIMIT, STOPPED

STATUS_BYTE = {STOPPED: 0x01, HEATING: 0x10, COOLING: 0x20, HOLDING_LIMIT: 0x30, HOLDING_CURRENT: 0x50}
#: the controller answers within a few ms at 19200 baud; the time 11 bytes take on the line
REPLY_S = 0.006


class LinkamT95Device(EmulatedDevice):
    input_terminators = b"\r"
    end_of_write_ends_message = False
    name = "Linkam T95"

    def __init__(self, stage, clock):
        super().__init__()
        self.stage = stage
        self.clock = clock
        self.started_comms = False
        self.pump_speed = 0

    def status_reply(self, now: float) -> bytes:
        t = self.stage.temperature_c(now)
        raw = int(round(t * 10)) & 0xFFFF
        status = STATUS_BYTE[self.stage.mode]
        return bytes((status, 0x80, 0x80 + self.pump_speed, 0x80, 0x80, 0x80)) + f"{raw:04X}\r".encode()

    def handle(self, message: bytes, now: float) -> None:
        text = message.decode("latin-1").strip()
        if text == "T":
            self.started_comms = True
            self.reply(self.status_reply(now), now + REPLY_S)
            return
        self.reply(b"\r", now + REPLY_S)
        if not self.started_comms:
            return
        try:
            self._command(text)
        except ValueError:
            pass  # not documented; a malformed number is ignored

    def _command(self, text: str) -> None:
        stage = self.stage
        if text.startswith("R1"):
            stage.set_rate_c_per_min(int(text[2:]) / 100.0)
        elif text.startswith("L1"):
            stage.set_limit_c(int(text[2:]) / 10.0)
        elif text == "S":
            stage.start()
        elif text == "E":
            stage.stop()
        elif text == "O":
            stage.hold()
        elif text in ("H", "C"):
            stage.resume()
        elif text.startswith("P") and len(text) == 2 and text not in ("Pa", "Pm"):
            self.pump_speed = min(30, max(0, ord(text[1]) - 0x30))
