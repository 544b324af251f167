"""BioLogic VMP-300 drivers over the EC-Lab Development Package binding.

``VMP300Impedance`` runs PEIS (``peis4.ecc``) per frequency, or per sub-range with linked PEIS
techniques (one technique per sub-range, each with its own averaging and settling, which is how the
paper's sub-range trick maps onto the Development Package). ``VMP300Galvanostat`` runs CP (``cp4.ecc``)
at a constant current. Call sequence and parameter labels after the Development Package as used by
bicarlsen/easy-biologic (``lib/ec_lib.py``, ``lib/technique_fields.py``, ``lib/data_parser.py``); see
``shared/reference/instrument-protocols.md`` section 2.

Conventions: the role's positive current plates on the working electrode, which is a cathodic
(negative) current for the instrument, so currents and voltages change sign at this boundary.
Unconfirmed details: how Average_N_times and Wait_for_steady translate into measuring time (the
driver maps an integration time onto Average_N_times of max(0.1 s, 2 periods) each -- an estimate);
phase_Zwe is taken in degrees (as in a published kbio PEIS dump); CP has no voltage compliance, so the
compliance is enforced by the driver (the channel is stopped when |Ewe| passes it; CPLIMIT with
Exit_Cond would let the instrument do it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from instruments.biologic.binding import (
    STATE_RUN,
    TECHNIQUE_FILE,
    TECHNIQUE_ID,
    EccParam,
    EcLibBinding,
    EcLibError,
    float_from_word,
)
from instruments.clock import Clock, RealClock
from instruments.roles import (
    FrequencyResponseAnalyser,
    Galvanostat,
    GalvanostatReading,
    ImpedancePoint,
    InstrumentError,
)

PEIS_COLUMNS = 14   # SP-300 family, process 1: freq, |Ewe|, |I|, phase_Zwe, Ewe, I, -, |Ece|, |Ice|, ...


class _VMP300:
    """Connection shared by both roles: binding, device id, channel and the clock to poll on."""

    model = "BioLogic VMP-300"

    def __init__(self, binding: EcLibBinding, address: str, *, channel: int = 1, clock: Clock | None = None):
        self.binding = binding
        self.address = address
        self.channel = channel
        self.clock = clock if clock is not None else RealClock()
        self.device_id: int | None = None
        self._identity = ""

    @classmethod
    def open(cls, resource_name: str = "USB0", *, resource_manager=None, emulation=None, **options):
        """Connect over the EC-Lab Development Package; ``resource_manager`` is not used (no VISA)."""
        if emulation is not None:
            binding, clock = emulation.eclib(resource_name or "USB0"), emulation.clock
        else:
            from instruments.biologic.eclib_ctypes import CtypesEcLib

            binding, clock = CtypesEcLib(options.pop("dll_path", None)), RealClock()
        instrument = cls(binding, resource_name, channel=int(options.pop("channel", 1)), clock=clock)
        instrument.connect(force_firmware=bool(options.pop("force_firmware", False)))
        return instrument

    @property
    def label(self) -> str:
        return f"{self.model} at {self.address} channel {self.channel}"

    @property
    def identity(self) -> str:
        return self._identity

    def _call(self, function: str, *args, **kwargs):
        try:
            return getattr(self.binding, function)(*args, **kwargs)
        except EcLibError as exc:
            raise InstrumentError(self.label, exc.function, f"error {exc.code}: {exc.text}") from exc

    def connect(self, *, force_firmware: bool = False) -> None:
        self.device_id, info = self._call("connect", self.address, 5)
        self._identity = (f"BioLogic device code {info.device_code}, firmware {info.firmware_version}, "
                          f"serial {info.serial or 'unknown'}")
        try:
            self._call("load_firmware", self.device_id, [self.channel], force_reload=force_firmware)
        except InstrumentError as exc:
            if "-9:" not in exc.what and "error -9" not in exc.what:   # EC-Lab firmware already loaded
                raise

    def close(self) -> None:
        if self.device_id is None:
            return
        device_id, self.device_id = self.device_id, None
        for step in (lambda: self.binding.stop_channel(device_id, self.channel),
                     lambda: self.binding.disconnect(device_id)):
            try:
                step()
            except EcLibError:
                pass  # already stopped or gone; nothing left to release

    def _run(self, techniques: Sequence[tuple[str, list[EccParam]]]) -> None:
        for k, (name, params) in enumerate(techniques):
            self._call("load_technique", self.device_id, self.channel, TECHNIQUE_FILE[name], params,
                       first=k == 0, last=k == len(techniques) - 1)
        self._call("start_channel", self.device_id, self.channel)


class VMP300Impedance(_VMP300, FrequencyResponseAnalyser):
    """Potentiostatic EIS on a VMP-300 channel."""

    def connect(self, *, force_firmware: bool = False) -> None:
        super().connect(force_firmware=force_firmware)
        self.configure(amplitude_v=0.05, dc_bias_v=0.0, integration_s=1.0, delay_s=0.0)

    def configure(self, *, amplitude_v: float, dc_bias_v: float = 0.0, integration_s: float,
                  delay_s: float) -> None:
        if not 0 < amplitude_v <= 2.5:
            raise ValueError(f"{self.model}: amplitude {amplitude_v} V outside (0, 2.5]")
        self.amplitude_v, self.dc_bias_v = amplitude_v, dc_bias_v
        self.integration_s, self.delay_s = integration_s, delay_s

    def _peis(self, start_hz: float, stop_hz: float, points: int, integration_s: float, delay_s: float):
        middle = math.sqrt(start_hz * stop_hz)
        average = max(1, round(integration_s / max(0.1, 2.0 / middle)))
        return ("PEIS", [
            EccParam("vs_initial", False), EccParam("vs_final", False),
            EccParam("Initial_Voltage_step", self.dc_bias_v), EccParam("Final_Voltage_step", self.dc_bias_v),
            EccParam("Duration_step", 0.0), EccParam("Step_number", 0), EccParam("Record_every_dT", 0.0),
            EccParam("Record_every_dI", 0.0), EccParam("Initial_frequency", float(start_hz)),
            EccParam("Final_frequency", float(stop_hz)), EccParam("sweep", False),
            EccParam("Amplitude_Voltage", self.amplitude_v), EccParam("Frequency_number", int(points)),
            EccParam("Average_N_times", int(average)), EccParam("Correction", False),
            EccParam("Wait_for_steady", float(delay_s * middle)),
        ])

    def measure(self, frequency_hz: float) -> ImpedancePoint:
        return self.measure_ranges([(frequency_hz, frequency_hz, 1, self.integration_s, self.delay_s)])[0]

    def measure_ranges(self, ranges: Sequence[tuple[float, float, int, float, float]]) -> list[ImpedancePoint]:
        """Linked PEIS, one per (start Hz, stop Hz, points, integration s, delay s) sub-range."""
        expected = sum(r[2] for r in ranges)
        self._run([self._peis(*r) for r in ranges])
        points: list[ImpedancePoint] = []
        budget_s = sum(r[2] * (r[4] + max(r[3], 2.0 / min(r[0], r[1]))) for r in ranges) * 3 + 30.0
        waited = 0.0
        # poll about twice per expected point
        per_point_s = [r[4] + max(r[3], 2.0 / min(r[0], r[1])) for r in ranges]
        step = min(1.0, max(0.01, min(per_point_s) / 2))
        while len(points) < expected:
            infos, values, words = self._call("get_data", self.device_id, self.channel)
            if infos.TechniqueID == TECHNIQUE_ID["PEIS"] and infos.ProcessIndex == 1 and infos.NbRows:
                points.extend(self._decode(words, infos.NbRows, infos.NbCols))
            if len(points) >= expected:
                break
            if values.State != STATE_RUN:
                raise InstrumentError(self.label, "BL_GetData",
                                      f"channel stopped after {len(points)} of {expected} frequencies")
            if waited > budget_s:
                raise InstrumentError(self.label, "BL_GetData", f"no data within {budget_s:.0f} s")
            self.clock.sleep(step)
            waited += step
        return points

    def _decode(self, words: list[int], rows: int, cols: int) -> list[ImpedancePoint]:
        if cols < 4:
            raise InstrumentError(self.label, "BL_GetData", f"PEIS frame with {cols} columns")
        out = []
        for r in range(rows):
            row = words[r * cols:(r + 1) * cols]
            f, e_abs, i_abs, phase_deg = (float_from_word(w) for w in row[:4])
            if not (f > 0 and i_abs > 0 and math.isfinite(e_abs)):
                raise InstrumentError(self.label, "BL_GetData", f"corrupt PEIS row {row[:4]}")
            modulus = e_abs / i_abs
            phase = math.radians(phase_deg)
            out.append(ImpedancePoint(f, modulus * math.cos(phase), modulus * math.sin(phase)))
        return out


class VMP300Galvanostat(_VMP300, Galvanostat):
    """Constant current (CP) on a VMP-300 channel; the output is the running channel."""

    def connect(self, *, force_firmware: bool = False) -> None:
        super().connect(force_firmware=force_firmware)
        self.current_a = 0.0
        self.compliance_v = 5.0
        self._on = False

    def _cp(self) -> tuple[str, list[EccParam]]:
        return ("CP", [
            EccParam("Current_step", -self.current_a), EccParam("vs_initial", False),
            EccParam("Duration_step", 1.0e7), EccParam("Step_number", 0), EccParam("Record_every_dT", 1.0),
            EccParam("Record_every_dE", 0.0), EccParam("Test1_Config", 0), EccParam("N_Cycles", 0),
        ])

    def set_current_a(self, current_a: float) -> None:
        self.current_a = float(current_a)
        if self._on:
            self._call("stop_channel", self.device_id, self.channel)
            self._run([self._cp()])

    def set_compliance_v(self, voltage_v: float) -> None:
        self.compliance_v = abs(float(voltage_v))

    def output_on(self) -> None:
        self._run([self._cp()])
        self._on = True

    def output_off(self) -> None:
        self._on = False
        self._call("stop_channel", self.device_id, self.channel)

    def read(self) -> GalvanostatReading:
        _infos, values, _words = self._call("get_data", self.device_id, self.channel)
        voltage, current = -values.Ewe, -values.I
        if self._on and abs(voltage) > self.compliance_v:
            self.output_off()
            raise InstrumentError(self.label, "BL_GetData",
                                  f"|Ewe| = {abs(voltage):.3f} V passed the {self.compliance_v:g} V limit; "
                                  "channel stopped")
        return GalvanostatReading(values.ElapsedTime, voltage, current)
