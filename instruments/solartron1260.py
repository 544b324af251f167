"""Solartron 1260 impedance/gain-phase analyser over GPIB (ASCII port = the even major address).

Commands (two-letter mnemonics with comma-separated numbers) after the 1260 Operating Manual (Solartron,
1996; ch. 7 "GPIB", pp. 135-146 as mirrored on easymanua.ls) and public drivers that were run on benches
(Craig-Venables/Switchbox_GUI tools/solartron_1260, vtipy, retopfenninger/ums devices/solartron.py):
``FR`` frequency (Hz), ``VA`` AC amplitude (V), ``VB`` DC bias (V), ``IS`` integration time (s), ``MS``
measurement delay (s), ``OP2,1`` readings to GPIB, ``OS0`` comma separator, ``SO1,3`` Z = V1/I, ``CZ0``
rectangular coordinates, ``SI`` single measurement. A reading is
``<frequency>,<R>,<X>,<error digit>,<limits>`` (manual p. 138).

Unconfirmed details are marked in comments; the frequency echoed in each reading is checked against the
one set, which catches a stale reading (a reply read before the new measurement finished).
"""

from __future__ import annotations

import math

from instruments.roles import FrequencyResponseAnalyser, ImpedancePoint, InstrumentError
from instruments.visa import VisaDriver, setting


def _fixed(value: float) -> str:
    """Plain fixed-point, which every 1260 number parser accepts (exponent widths vary by source)."""
    text = f"{value:.8g}"
    if "e" in text:
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text


class Solartron1260(VisaDriver, FrequencyResponseAnalyser):
    """Solartron 1260: steps the frequency itself (``FR`` + ``SI``), as every public driver does."""

    model = "Solartron 1260"
    default_resource = "GPIB0::4::INSTR"
    max_frequency_hz = 32e6     # the 1260's range: 10 uHz to 32 MHz
    # Input terminator is set by rear switches F1/F2 (default LF). The output terminator is CR LF with
    # OT0 per vtipy and a 1260A script, CR LF + EOI with OT1 per Craig-Venables/ums: the sources disagree,
    # so the driver reads up to LF and strips whatever precedes it.
    read_termination = "\n"
    write_termination = "\n"
    timeout_s = 10.0

    frequency_hz = setting("FR {}", "Generator frequency (Hz), 10 uHz - 32 MHz.", limits=(1e-5, 32e6),
                           convert=_fixed)
    # VA is the rms amplitude according to a 1255B script comment; not confirmed for the 1260.
    amplitude_v = setting("VA {}", "Generator AC amplitude (V rms).", limits=(0.0, 3.0), convert=_fixed)
    dc_bias_v = setting("VB {}", "Generator DC bias (V).", limits=(-40.95, 40.95), convert=_fixed)
    integration_s = setting("IS {}", "Analyser integration time (s).", limits=(0.01, 1e5), convert=_fixed)
    # MS as "measurement delay (s)" comes from one source (ums); not in the manual pages found.
    delay_s = setting("MS {}", "Settling delay before integration (s).", limits=(0.0, 1e5), convert=_fixed)

    SETUP = (
        "OS0",     # comma separator
        "OT0",     # output terminator (CR LF; see the note on read_termination)
        "OP2,1",   # readings to the GPIB port when a measurement completes
        "GT0",     # voltage generator
        "SO1,3",   # result = V1 / I, the impedance
        "CZ0",     # rectangular: R, X
        "UW0",     # no phase unwrap
        "AU0",     # fixed integration (the IS value), not auto-integration
        "RA1,0", "RA3,0",   # auto-range the V1 and current inputs
        "DC1,0", "DC3,0",   # DC coupling ("DC ch,c": 0 = DC, per ums and vtipy; medium confidence)
    )

    def initialise(self) -> None:
        self._identity = self.query("*IDN?")
        for command in self.SETUP:
            self.write(command)
        self.configure(amplitude_v=0.05, dc_bias_v=0.0, integration_s=1.0, delay_s=0.0)

    def configure(self, *, amplitude_v: float, dc_bias_v: float = 0.0, integration_s: float,
                  delay_s: float) -> None:
        self.amplitude_v = amplitude_v
        self.dc_bias_v = dc_bias_v
        self.integration_s = integration_s
        self.delay_s = delay_s

    def measure(self, frequency_hz: float) -> ImpedancePoint:
        self.frequency_hz = frequency_hz
        # the reading comes when the measurement ends: delay + integration (at least one cycle)
        expected_s = self.delay_s + max(self.integration_s, 1.0 / frequency_hz)
        self.set_timeout_s(max(self.timeout_s, 2.0 * expected_s + 5.0))
        reply = self.query("SI")
        return self._parse(reply, frequency_hz)

    def _parse(self, reply: str, frequency_hz: float) -> ImpedancePoint:
        fields = reply.split(",")
        try:
            f, r, x = (float(v) for v in fields[:3])
            error_digit = int(fields[3])
        except (ValueError, IndexError):
            raise InstrumentError(self.label, "SI", f"garbled reading {reply!r}") from None
        if not math.isclose(f, frequency_hz, rel_tol=2e-7, abs_tol=1e-6):
            raise InstrumentError(self.label, "SI",
                                  f"stale reading: it is for {f:g} Hz, {frequency_hz:g} Hz was set")
        if error_digit:
            # only the last digit of a "Group 8" measurement error is reported (manual p. 138)
            raise InstrumentError(self.label, "SI", f"the analyser flagged the reading with error {error_digit}")
        return ImpedancePoint(f, r, x)
