"""Small stand-ins for the three roles, for tests that need no emulated bench.

The fake cell is ohmic: V = I * R + noise, and it shorts (R falls to ``short_ohm``) once the current
density reaches ``short_at_mA_cm2``. The fake galvanostat records its output state and can be told to
fail (raise ``InstrumentError``) after a number of commands.
"""

from __future__ import annotations

import math
import random

from instruments.clock import ManualClock
from instruments.roles import (
    FrequencyResponseAnalyser,
    Galvanostat,
    GalvanostatReading,
    ImpedancePoint,
    InstrumentError,
    TemperatureController,
)


class FakeCell:
    def __init__(
        self,
        resistance_ohm: float = 60.0,
        area_cm2: float = 0.5675,
        short_at_mA_cm2: float = math.inf,
        short_ohm: float = 0.5,
        noise_v: float = 1e-5,
        seed: int = 1,
    ):
        self.resistance_ohm = resistance_ohm
        self.area_cm2 = area_cm2
        self.short_at_mA_cm2 = short_at_mA_cm2
        self.short_ohm = short_ohm
        self.noise_v = noise_v
        self.shorted = False
        self.rng = random.Random(seed)

    def voltage_v(self, current_a: float) -> float:
        if abs(current_a) * 1e3 / self.area_cm2 >= self.short_at_mA_cm2 * (1 - 1e-3):
            self.shorted = True
        r = self.short_ohm if self.shorted else self.resistance_ohm
        return current_a * r + self.rng.gauss(0.0, self.noise_v)


class FakeGalvanostat(Galvanostat):
    def __init__(self, cell: FakeCell, clock):
        self.cell = cell
        self.clock = clock
        self.current_a = 0.0
        self.output = False
        self.compliance_v = 21.0
        self.commands = 0
        self.fail_after: int | None = None
        self.safe_state_calls = 0
        self.reads = 0

    @property
    def identity(self) -> str:
        return "FAKE,GALVANOSTAT,0,1"

    def _command(self, name: str) -> None:
        self.commands += 1
        if self.fail_after is not None and self.commands > self.fail_after:
            raise InstrumentError("fake galvanostat", name, "timeout")

    def set_current_a(self, current_a: float) -> None:
        self._command("set_current_a")
        self.current_a = current_a

    def set_compliance_v(self, voltage_v: float) -> None:
        self._command("set_compliance_v")
        self.compliance_v = voltage_v

    def output_on(self) -> None:
        self._command("output_on")
        self.output = True

    def output_off(self) -> None:
        self.output = False  # a relay: always works

    def safe_state(self) -> None:
        self.safe_state_calls += 1
        self.current_a = 0.0
        self.output = False

    def read(self) -> GalvanostatReading:
        self._command("read")
        self.reads += 1
        i = self.current_a if self.output else 0.0
        v = self.cell.voltage_v(i)
        v = max(-self.compliance_v, min(self.compliance_v, v))
        return GalvanostatReading(self.clock.now(), v, i)


class FakeFRA(FrequencyResponseAnalyser):
    """A series R + (R || C) cell; measuring costs integration + delay of clock time."""

    def __init__(self, clock, r_series_ohm: float = 40.0, r_arc_ohm: float = 20.0, c_f: float = 4e-9):
        self.clock = clock
        self.r_series_ohm, self.r_arc_ohm, self.c_f = r_series_ohm, r_arc_ohm, c_f
        self.settings = None
        self.configure_calls = 0

    @property
    def identity(self) -> str:
        return "FAKE FRA"

    def configure(self, *, amplitude_v, dc_bias_v=0.0, integration_s, delay_s) -> None:
        self.settings = (amplitude_v, dc_bias_v, integration_s, delay_s)
        self.configure_calls += 1

    def measure(self, frequency_hz: float) -> ImpedancePoint:
        _, _, integration_s, delay_s = self.settings
        self.clock.sleep(integration_s + delay_s)
        z = self.r_series_ohm + self.r_arc_ohm / (1 + 2j * math.pi * frequency_hz * self.r_arc_ohm * self.c_f)
        return ImpedancePoint(frequency_hz, z.real, z.imag)


class FakeStage(TemperatureController):
    """Moves towards the setpoint at the ramp rate; ``stuck_at_c`` makes it never arrive."""

    def __init__(self, clock, start_c: float = 25.0, stuck_at_c: float | None = None):
        self.clock = clock
        self.temperature_c = start_c
        self.setpoint_c = start_c
        self.ramp_c_per_min = 10.0
        self.stuck_at_c = stuck_at_c
        self._t = clock.now()

    @property
    def identity(self) -> str:
        return "FAKE STAGE"

    def _advance(self) -> None:
        now = self.clock.now()
        step = self.ramp_c_per_min / 60 * (now - self._t)
        self._t = now
        delta = self.setpoint_c - self.temperature_c
        self.temperature_c += max(-step, min(step, delta))
        if self.stuck_at_c is not None:
            self.temperature_c = min(self.temperature_c, self.stuck_at_c)

    def set_setpoint_c(self, temperature_c: float, ramp_c_per_min: float) -> None:
        self._advance()
        self.setpoint_c, self.ramp_c_per_min = temperature_c, ramp_c_per_min

    def read_temperature_c(self) -> float:
        self._advance()
        return self.temperature_c

    def hold(self) -> None:
        self._advance()
        self.setpoint_c = self.temperature_c

    def stop(self) -> None:
        self.hold()


class FakeBench:
    def __init__(self, cell: FakeCell | None = None, clock=None, stuck_at_c: float | None = None):
        self.clock = clock if clock is not None else ManualClock()
        self.fake_cell = cell or FakeCell()
        self.galvanostat = FakeGalvanostat(self.fake_cell, self.clock)
        self.fra = FakeFRA(self.clock)
        self.stage = FakeStage(self.clock, stuck_at_c=stuck_at_c)

    def roles(self):
        return [
            ("fra", "FRA", self.fra),
            ("galvanostat", "Cycler", self.galvanostat),
            ("stage", "Stage", self.stage),
        ]

    def close(self) -> None:
        self.galvanostat.safe_state()
