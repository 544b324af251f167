"""Emulated Solartron 1260 impedance analyser on its (even) GPIB major address.

Answers the two-letter mnemonic language (manual ch. 7 and public drivers; see
``shared/reference/instrument-protocols.md`` section 1): ``FR VA VB IS MS GT SO CZ CV UW AU RA DC IP OU
OP OS OT TT BK CE SI DO`` and the IEEE-488.2 ``*IDN? *RST *CLS *TST? *OPC?``. Messages end on LF, CR or
``;`` or at the end of a write (EOI). ``SI`` measures the shared cell at the set frequency: the reading
is ready after the delay plus the integration time (at least one whole cycle) on the bench clock, and
is output only when GPIB output is on (``OP2,1``), in the manual's ASCII format
``+f.fffffffE+ee,+a.aaaaE+ee,+b.bbbbE+ee,e,ll`` followed by the ``OT`` terminator.
"""

from __future__ import annotations

import math

import numpy as np

from instruments.emulation.devices import EmulatedDevice
from instruments.emulation.fra_noise import add_noise

IDN = "SCHLUMBERGER TECHNOLOGIES, 1260 IMPEDANCE ANALYZER, 0, 0"
#: overhead of one measurement (range settling, data transfer), s; an estimate
OVERHEAD_S = 0.02


def _num(args: list[str], i: int, default: float = 0.0) -> float:
    return float(args[i]) if len(args) > i and args[i] != "" else default


class Solartron1260Device(EmulatedDevice):
    input_terminators = b"\n\r;"
    name = "Solartron 1260"

    def __init__(self, cell, clock, rng: np.random.Generator | None = None):
        super().__init__()
        self.cell = cell
        self.clock = clock
        self.rng = rng if rng is not None else cell.fra_rng
        self.reset()

    def reset(self) -> None:
        self.frequency_hz = 1000.0
        self.amplitude_v = 0.0
        self.bias_v = 0.0
        self.integration_s = 1.0
        self.delay_s = 0.0
        self.output = {1: 0, 2: 0, 3: 0}
        self.separator = ","
        self.terminator = "\r\n"
        self.polar = False
        self.last_result: tuple[float, complex] | None = None
        self.error_count = 0
        self.status_byte = 0

    def handle(self, message: bytes, now: float) -> None:
        text = message.decode("ascii", "replace").strip()
        if not text:
            return
        upper = text.upper()
        if upper.startswith("*"):
            self._common(upper, now)
            return
        mnemonic, args = upper[:2], [a.strip() for a in upper[2:].replace(" ", "").split(",")]
        try:
            self._command(mnemonic, args, now)
        except (ValueError, IndexError):
            self.error_count += 1   # the 1260 flags a command error; nothing is sent back

    def _common(self, cmd: str, now: float) -> None:
        if cmd == "*IDN?":
            self.reply((IDN + self.terminator).encode(), now)
        elif cmd in ("*RST",):
            self.reset()
        elif cmd == "*CLS":
            self.status_byte = 0
        elif cmd == "*TST?":
            self.reply(("1" + self.terminator).encode(), now)
        elif cmd == "*OPC?":
            self.reply(("1" + self.terminator).encode(), now)
        else:
            self.error_count += 1

    def _command(self, m: str, args: list[str], now: float) -> None:
        if m == "FR":
            f = _num(args, 0)
            if not 10e-6 <= f <= 32e6:
                raise ValueError("frequency out of range")
            self.frequency_hz = f
        elif m == "VA":
            self.amplitude_v = _num(args, 0)
        elif m == "VB":
            self.bias_v = _num(args, 0)
        elif m == "IS":
            self.integration_s = max(0.01, _num(args, 0))
        elif m == "MS":
            self.delay_s = max(0.0, _num(args, 0))
        elif m == "OP":
            self.output[int(_num(args, 0))] = int(_num(args, 1))
        elif m == "OS":
            self.separator = ","
        elif m == "OT":
            # OT0 = CR LF, OT1 = CR LF + EOI: the public sources disagree (reference 1.3)
            self.terminator = "\r\n"
        elif m in ("CZ", "CV"):
            self.polar = bool(int(_num(args, 0)))
        elif m == "TT":
            self.reset()
        elif m == "BK":
            pass  # break: nothing runs in the background here
        elif m == "CE":
            self.error_count = 0
        elif m == "SI":
            self._single(now)
        elif m == "DO":
            if self.last_result is not None:
                self.reply(self._format(*self.last_result), now)
        elif m in ("GT", "SO", "UW", "AU", "RA", "DC", "IP", "OU", "IA", "IB", "VC", "IC", "CI", "CY",
                   "FV", "VI", "ME", "RH", "BP", "RE", "SW", "PP", "PS"):
            pass  # accepted settings that do not change the emulated measurement
        else:
            raise ValueError(f"unknown mnemonic {m}")

    def measurement_time_s(self, frequency_hz: float) -> float:
        period = 1.0 / frequency_hz
        cycles = max(1, math.ceil(self.integration_s * frequency_hz - 1e-9))
        return self.delay_s + cycles * period + OVERHEAD_S

    def _single(self, now: float) -> None:
        f = self.frequency_hz
        cycles = max(1.0, self.integration_s * f)
        z = self.cell.impedance(f)
        z = complex(add_noise(z, f, cycles, self.rng)[0])
        self.last_result = (f, z)
        if self.output.get(2):
            self.reply(self._format(f, z), now + self.measurement_time_s(f))

    def _format(self, f: float, z: complex) -> bytes:
        if self.polar:
            a, b = abs(z), math.degrees(math.atan2(z.imag, z.real))
        else:
            a, b = z.real, z.imag
        text = self.separator.join((f"{f:+.7E}", f"{a:+.4E}", f"{b:+.4E}", "0", "00"))
        return (text + self.terminator).encode("ascii")
