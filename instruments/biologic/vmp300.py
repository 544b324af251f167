"""BioLogic VMP-300 drivers over the EC-Lab Development Package binding.

One channel of a VMP-300 measures one cell, as the impedance analyser (PEIS, or GEIS) and as the cycler
(CP). Both roles opened on the same instrument and channel share one ``Vmp300Channel``: one connection
(``BL_Connect``), one firmware load, one lock, and the knowledge of which role's technique runs, so an
impedance sweep is refused while the cycler's current is on instead of silently replacing it.

Call sequence (``shared/reference/instrument-protocols.md`` 2.2, after easy-biologic and BioLogic's kbio
examples): BL_Connect; BL_GetChannelsPlugged (the configured channel must be plugged); BL_GetChannelBoardType
(the technique and firmware files follow the board: ``peis4.ecc``, ``kernel4.bin`` on the VMP-300's
PREMIUM boards); BL_LoadFirmware, where error -9 ("ECLab firmware loaded": EC-Lab's own firmware is on
the instrument) is tolerated as easy-biologic does; then per measurement BL_LoadTechnique (linked
techniques: first / last), BL_StartChannel, BL_GetData polled and decoded by ``frames.decode``, and
BL_StopChannel. Channels are counted from 1 in the config, as on the front panel and in EC-Lab; the DLL
counts from 0.

Conventions: the role's and the instrument's are the same: a negative current is cathodic at the working
electrode (it plates Na there) and the voltage is Ewe against the counter electrode, so currents and
voltages cross this boundary unchanged. Unconfirmed details: how
Average_N_times and Wait_for_steady translate into measuring time (an integration time becomes
Average_N_times of max(0.1 s, 2 periods) each -- an estimate); phase_Zwe in degrees (see ``frames``); CP
has no voltage compliance, so the driver enforces it (the channel is stopped when |Ewe| passes it).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from pathlib import Path

from instruments.biologic import frames, techniques
from instruments.biologic.binding import (
    BOARD_NAME,
    DEVICE_CODE_VMP300,
    ERR_ECLAB_FIRMWARE_LOADED,
    FIRMWARE_FILES,
    STATE_RUN,
    EcLibBinding,
    EcLibError,
    error_text,
)
from instruments.clock import Clock, RealClock
from instruments.roles import (
    ComplianceExceeded,
    FrequencyResponseAnalyser,
    Galvanostat,
    GalvanostatReading,
    ImpedancePoint,
    InstrumentError,
)

MODEL = "BioLogic VMP-300"
#: a constant-current step long enough to be "until stopped" (s); singles hold it exactly
CP_HOLD_S = 1.0e7


class Vmp300Channel:
    """One channel of one VMP-300 through one connection, shared by the roles that use it."""

    _open: dict[tuple, Vmp300Channel] = {}
    _open_lock = threading.Lock()

    def __init__(self, binding: EcLibBinding, address: str, channel: int, clock: Clock):
        if not 1 <= channel <= 16:
            raise InstrumentError(f"{MODEL} at {address}", "channel", f"channel {channel} is not 1 to 16")
        self.binding = binding
        self.address = address
        self.channel = channel
        self.clock = clock
        self.lock = threading.RLock()
        self.device_id: int | None = None
        self.board_type = 0
        self.identity = ""
        self.firmware_note = ""
        self.owner: str | None = None     # the role whose technique runs: "fra", "galvanostat" or None
        self.irq_skipped = 0
        self.users = 0

    @property
    def dll_channel(self) -> int:
        return self.channel - 1

    @property
    def label(self) -> str:
        return f"{MODEL} at {self.address} channel {self.channel}"

    @classmethod
    def acquire(cls, binding: EcLibBinding, address: str, channel: int, clock: Clock, *,
                force_firmware: bool = False, firmware_dir: Path | None = None) -> Vmp300Channel:
        """The shared channel, connected on first use."""
        key = (id(binding), address, channel)
        with cls._open_lock:
            shared = cls._open.get(key)
            if shared is None:
                shared = cls(binding, address, channel, clock)
                shared.connect(force_firmware=force_firmware, firmware_dir=firmware_dir)
                cls._open[key] = shared
            shared.users += 1
            return shared

    def release(self) -> None:
        with self._open_lock:
            self.users -= 1
            if self.users > 0:
                return
            self._open.pop((id(self.binding), self.address, self.channel), None)
        device_id, self.device_id = self.device_id, None
        if device_id is None:
            return
        for step in (lambda: self.binding.stop_channel(device_id, self.dll_channel),
                     lambda: self.binding.disconnect(device_id)):
            try:
                step()
            except EcLibError:
                pass  # already stopped or gone; nothing left to release

    def call(self, function: str, *args, **kwargs):
        """A binding call under the channel's lock, its error code turned into an ``InstrumentError``."""
        with self.lock:
            try:
                return getattr(self.binding, function)(*args, **kwargs)
            except EcLibError as exc:
                raise InstrumentError(self.label, exc.function, f"error {exc.code}: {exc.text}") from exc

    def connect(self, *, force_firmware: bool = False, firmware_dir: Path | None = None) -> None:
        self.device_id, info = self.call("connect", self.address, 5)
        try:
            plugged = self.call("channels_plugged", self.device_id)
            if self.dll_channel not in plugged:
                raise InstrumentError(self.label, "BL_GetChannelsPlugged",
                                      f"channel {self.channel} is not plugged; plugged: "
                                      f"{', '.join(str(c + 1) for c in plugged) or 'none'}")
            self.board_type = self.call("channel_board_type", self.device_id, self.dll_channel)
            if self.board_type not in FIRMWARE_FILES:
                raise InstrumentError(self.label, "BL_GetChannelBoardType",
                                      f"board type {self.board_type} is not one the Development Package documents")
            self._load_firmware(force_firmware, firmware_dir)
        except Exception:
            try:
                self.binding.disconnect(self.device_id)
            except EcLibError:
                pass  # the error that brought us here is the one to report
            self.device_id = None
            raise
        device = "VMP-300 " if info.device_code == DEVICE_CODE_VMP300 else ""
        device += f"(device code {info.device_code})"
        date = f" ({info.firmware_date})" if info.firmware_date else ""
        self.identity = (f"BioLogic {device}, firmware {info.firmware_version}{date}, channel {self.channel}, "
                         f"{BOARD_NAME.get(self.board_type, '?')} board" + (f"; {self.firmware_note}"
                                                                             if self.firmware_note else ""))

    def _load_firmware(self, force: bool, firmware_dir: Path | None) -> None:
        names = FIRMWARE_FILES[self.board_type]
        files = [str(firmware_dir / n) if firmware_dir and n and (firmware_dir / n).is_file() else (n or None)
                 for n in names]
        try:
            results = self.call("load_firmware", self.device_id, [self.dll_channel], force_reload=force,
                                bin_file=files[0], xlx_file=files[1])
        except InstrumentError as exc:
            cause = exc.__cause__
            if isinstance(cause, EcLibError) and cause.code == ERR_ECLAB_FIRMWARE_LOADED:
                self.firmware_note = "EC-Lab's firmware is on the instrument and was kept"
                return
            raise
        code = results.get(self.dll_channel, 0)
        if code < 0:
            raise InstrumentError(self.label, "BL_LoadFirmware",
                                  f"channel {self.channel}: error {code}: {error_text(code)}")

    # --- techniques ---------------------------------------------------------------------------
    def run(self, linked: Sequence[techniques.Technique], owner: str) -> None:
        """Load ``linked`` techniques (first/last) and start the channel for ``owner``."""
        with self.lock:
            for k, technique in enumerate(linked):
                self.call("load_technique", self.device_id, self.dll_channel, technique.file(self.board_type),
                          technique.parameters, first=k == 0, last=k == len(linked) - 1)
            self.call("start_channel", self.device_id, self.dll_channel)
            self.owner = owner

    def stop(self) -> None:
        with self.lock:
            self.owner = None
            self.call("stop_channel", self.device_id, self.dll_channel)

    def poll(self):
        """One BL_GetData: (records, current values)."""
        with self.lock:
            infos, values, words = self.call("get_data", self.device_id, self.dll_channel)
            self.irq_skipped += max(0, infos.IRQskipped)
            try:
                records = frames.decode(infos, values, words, board_type=self.board_type,
                                        to_single=lambda w: self.binding.convert_single(w, self.board_type))
            except (frames.FrameError, EcLibError) as exc:
                raise InstrumentError(self.label, "BL_GetData", str(exc)) from exc
            return records, values

    def current_values(self):
        return self.call("get_current_values", self.device_id, self.dll_channel)


class _VMP300:
    """What both roles share: opening the shared channel, identity, closing."""

    model = MODEL
    #: options a bench config may give this driver (name -> (type, meaning))
    OPTIONS: dict[str, tuple[type, str]] = {
        "channel": (int, "the channel, 1 to 16 as on the front panel"),
        "dll_path": (str, "EClib64.dll / EClib.dll or its folder (default: $ECLIB_DIR, then the "
                          "Development Package's folder)"),
        "force_firmware": (bool, "reload the Development Package firmware even over EC-Lab's"),
    }
    #: the bench hands its clock to this driver (it polls the instrument on it)
    uses_bench_clock = True

    def __init__(self, shared: Vmp300Channel):
        self.shared = shared
        self._closed = False

    @classmethod
    def open(cls, resource_name: str = "USB0", *, resource_manager=None, emulation=None, clock: Clock | None = None,
             channel: int = 1, dll_path: str | None = None, force_firmware: bool = False, **options):
        """Connect over the EC-Lab Development Package; ``resource_manager`` is not used (no VISA)."""
        address = resource_name or "USB0"
        if emulation is not None:
            binding, clock, firmware_dir = emulation.eclib(address), emulation.clock, None
        else:
            from instruments.biologic.eclib_ctypes import load

            binding = load(dll_path)
            clock = clock if clock is not None else RealClock()
            firmware_dir = binding.path.parent
        shared = Vmp300Channel.acquire(binding, address, int(channel), clock, force_firmware=force_firmware,
                                       firmware_dir=firmware_dir)
        return cls(shared, **options)

    @property
    def label(self) -> str:
        return self.shared.label

    @property
    def identity(self) -> str:
        return self.shared.identity

    @property
    def clock(self) -> Clock:
        return self.shared.clock

    @property
    def lock(self):
        """The channel's RLock, shared by both roles; every library call sequence runs under it."""
        return self.shared.lock

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.shared.release()


class VMP300Impedance(_VMP300, FrequencyResponseAnalyser):
    """Potentiostatic (PEIS) or galvanostatic (GEIS) impedance on a VMP-300 channel."""

    max_frequency_hz = techniques.MAX_FREQUENCY_HZ
    OPTIONS = {
        **_VMP300.OPTIONS,
        "technique": (str, '"PEIS" (default) or "GEIS"'),
        "amplitude_a": (float, "GEIS current amplitude (A)"),
        "current_range_a": (float, "PEIS current range: the largest current expected (A), default 0.01"),
    }

    def __init__(self, shared: Vmp300Channel, *, technique: str = "PEIS", amplitude_a: float | None = None,
                 current_range_a: float = 0.01):
        super().__init__(shared)
        if technique not in ("PEIS", "GEIS"):
            raise InstrumentError(self.label, "technique", f"{technique!r} is not PEIS or GEIS")
        if technique == "GEIS" and not (amplitude_a and amplitude_a > 0):
            raise InstrumentError(self.label, "amplitude_a", "GEIS needs amplitude_a, a current (A) above 0")
        self.technique, self.amplitude_a, self.current_range_a = technique, amplitude_a, float(current_range_a)
        self.configure(amplitude_v=0.05, dc_bias_v=0.0, integration_s=1.0, delay_s=0.0)

    def configure(self, *, amplitude_v: float, dc_bias_v: float = 0.0, integration_s: float,
                  delay_s: float) -> None:
        if not 0 < amplitude_v <= 2.5:
            raise ValueError(f"{self.model}: amplitude {amplitude_v} V outside (0, 2.5]")
        self.amplitude_v, self.dc_bias_v = amplitude_v, dc_bias_v
        self.integration_s, self.delay_s = integration_s, delay_s

    def _technique(self, start_hz: float, stop_hz: float, points: int, integration_s: float, delay_s: float):
        middle = math.sqrt(start_hz * stop_hz)
        average = max(1, round(integration_s / max(0.1, 2.0 / middle)))
        try:
            if self.technique == "GEIS":
                return techniques.geis(start_hz, stop_hz, points, amplitude_a=self.amplitude_a,
                                       average_n=average, wait_periods=delay_s * middle)
            return techniques.peis(start_hz, stop_hz, points, amplitude_v=self.amplitude_v, dc_v=self.dc_bias_v,
                                   average_n=average, wait_periods=delay_s * middle,
                                   current_range_a=self.current_range_a)
        except techniques.TechniqueError as exc:
            raise InstrumentError(self.label, self.technique, str(exc)) from None

    def measure(self, frequency_hz: float) -> ImpedancePoint:
        return self.measure_ranges([(frequency_hz, frequency_hz, 1, self.integration_s, self.delay_s)])[0]

    def measure_ranges(self, ranges: Sequence[tuple[float, float, int, float, float]]) -> list[ImpedancePoint]:
        """Linked PEIS (or GEIS), one per (start Hz, stop Hz, points, integration s, delay s) sub-range."""
        shared = self.shared
        linked = [self._technique(*r) for r in ranges]
        if shared.owner == "galvanostat":
            raise InstrumentError(self.label, self.technique, "the cycler's current is on on this channel; "
                                  "switch the output off before measuring impedance")
        expected = sum(r[2] for r in ranges)
        shared.run(linked, owner="fra")
        points: list[ImpedancePoint] = []
        per_point_s = [r[4] + max(r[3], 2.0 / min(r[0], r[1])) for r in ranges]
        budget_s = sum(r[2] * s for r, s in zip(ranges, per_point_s, strict=True)) * 3 + 30.0
        step = min(1.0, max(0.01, min(per_point_s) / 2))     # poll about twice per expected point
        waited = 0.0
        try:
            while True:
                records, values = shared.poll()
                points += [ImpedancePoint(r.frequency_hz, r.impedance_ohm.real, r.impedance_ohm.imag)
                           for r in records if isinstance(r, frames.FrequencyRecord)]
                if len(points) >= expected:
                    break
                if records:
                    continue        # more frames may be waiting (one technique and process per frame)
                if values.State != STATE_RUN:
                    raise InstrumentError(self.label, "BL_GetData",
                                          f"channel stopped after {len(points)} of {expected} frequencies")
                if waited > budget_s:
                    raise InstrumentError(self.label, "BL_GetData", f"no data within {budget_s:.0f} s")
                self.clock.sleep(step)
                waited += step
        except BaseException:
            try:
                shared.stop()
            except InstrumentError:
                pass   # the error that brought us here is the one to report
            raise
        shared.owner = None
        return points


class VMP300Galvanostat(_VMP300, Galvanostat):
    """Constant current (CP) on a VMP-300 channel; the output is the running channel."""

    def __init__(self, shared: Vmp300Channel):
        super().__init__(shared)
        self.current_a = 0.0
        self.compliance_v = 5.0
        self._on = False

    def _cp(self) -> techniques.Technique:
        try:
            return techniques.cp([(self.current_a, CP_HOLD_S)], record_dt_s=1.0)
        except techniques.TechniqueError as exc:
            raise InstrumentError(self.label, "CP", str(exc)) from None

    def set_current_a(self, current_a: float) -> None:
        self.current_a = float(current_a)
        if self._on:
            technique = self._cp()
            with self.shared.lock:
                self.shared.stop()
                self.shared.run([technique], owner="galvanostat")

    def set_compliance_v(self, voltage_v: float) -> None:
        self.compliance_v = abs(float(voltage_v))

    def output_on(self) -> None:
        if self.shared.owner == "fra":
            raise InstrumentError(self.label, "CP", "an impedance measurement runs on this channel")
        technique = self._cp()
        with self.shared.lock:
            if self.shared.owner == "galvanostat":
                self.shared.stop()
            self.shared.run([technique], owner="galvanostat")
        self._on = True

    def output_off(self) -> None:
        self._on = False
        self.shared.stop()

    def is_output_on(self) -> bool:
        return self._on

    def safe_state(self) -> None:
        """Stop the channel first (no current flows through a stopped channel), then zero the setting."""
        try:
            self.output_off()
        finally:
            self.current_a = 0.0

    def read(self) -> GalvanostatReading:
        """The newest recorded CP row when the poll brought any, else the channel's current values."""
        if self.shared.owner == "galvanostat":
            records, values = self.shared.poll()
            rows = [r for r in records if isinstance(r, frames.TimeRecord) and r.i_a is not None]
            if self._on and values.State != STATE_RUN:
                self._on = False
                self.shared.owner = None
                raise InstrumentError(self.label, "BL_GetData", "the channel stopped by itself; output is off")
        else:
            rows, values = [], self.shared.current_values()
        if rows:
            time_s, ewe, current = rows[-1].time_s, rows[-1].ewe_v, rows[-1].i_a
        else:
            time_s, ewe, current = values.ElapsedTime, values.Ewe, values.I
        voltage = ewe
        reading = GalvanostatReading(time_s, voltage, current)
        if self._on and abs(voltage) > self.compliance_v:
            self.output_off()
            raise ComplianceExceeded(self.label, "BL_GetData",
                                     f"|Ewe| = {abs(voltage):.3f} V passed the {self.compliance_v:g} V limit; "
                                     "channel stopped", reading, self.compliance_v)
        return reading
