"""Emulated EC-Lab Development Package: a VMP-300 channel measuring the shared emulated cell.

Implements ``instruments.biologic.binding.EcLibBinding`` with the DLL's shapes (negative error codes,
``DataInfos``/``CurrentValues`` records, 32-bit word buffers holding IEEE-754 floats), so the VMP-300
driver decodes the same way as with the real library. Conventions of the instrument: a positive
current is anodic (it strips Na from the working electrode) and Ewe is the working electrode's
potential against the counter electrode.

Techniques: PEIS and GEIS (``peis4.ecc``, ``geis4.ecc``; one process-1 row per frequency, each ready
after ``Wait_for_steady`` periods plus ``Average_N_times`` measurements of max(0.1 s, 2 periods) -- the
instrument's real timing is not published, this is an estimate) and CP (``cp4.ecc``; the first current
step, one row per poll). Linked techniques (``first``/``last``) run one after another. One channel (the
DLL's channel 0) with a PREMIUM board is plugged. Row times follow the DLL: ``StartTime`` is the
technique's start in seconds since the channel started, t_high/t_low count TimeBase ticks from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from instruments.biologic.binding import (
    BOARD_PREMIUM,
    DEVICE_CODE_VMP300,
    STATE_RUN,
    STATE_STOP,
    TECHNIQUE_ID,
    ChannelInfo,
    CurrentValues,
    DataInfos,
    DeviceInfo,
    EccParam,
    EcLibError,
    float_from_word,
    split_time,
    word_from_float,
)
from instruments.emulation.fra_noise import add_noise

TIME_BASE_S = 2.0e-5
KNOWN_FILES = {"peis4.ecc": "PEIS", "geis4.ecc": "GEIS", "cp4.ecc": "CP", "ocv4.ecc": "OCV"}
PLUGGED = (0,)


def peis_point_s(frequency_hz: float, average_n: int, wait_periods: float) -> float:
    """Emulated duration of one PEIS frequency (an estimate; see the module docstring)."""
    return wait_periods / frequency_hz + max(1, average_n) * max(0.1, 2.0 / frequency_hz) + 0.01


def peis_frequencies(params: dict) -> np.ndarray:
    n = int(params.get("Frequency_number", 1))
    fi, ff = float(params["Initial_frequency"]), float(params["Final_frequency"])
    if n <= 1:
        return np.array([fi])
    if params.get("sweep", False):   # True = linear
        return np.linspace(fi, ff, n)
    return np.logspace(math.log10(fi), math.log10(ff), n)


@dataclass
class _Technique:
    name: str
    params: dict
    index: int
    rows_sent: int = 0
    frequencies: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ends_s: np.ndarray = field(default_factory=lambda: np.zeros(0))   # relative to the technique start


class EmulatedEcLib:
    """One emulated VMP-300 (channel 1 plugged) on the shared cell and clock."""

    def __init__(self, cell, clock, *, fault=None, rng: np.random.Generator | None = None):
        self.cell = cell
        self.clock = clock
        self.rng = rng if rng is not None else cell.fra_rng
        self._fault = fault or (lambda: None)
        self.connected = False
        self.connections = 0
        self.firmware_loaded = False
        self.techniques: list[_Technique] = []
        self.state = STATE_STOP
        self.t_start = 0.0
        self._active = 0
        self._active_start = 0.0
        self.calls = 0
        self._last_fault = None

    # --- helpers -----------------------------------------------------------------------------
    def _enter(self, function: str, device_id: int | None = 0) -> None:
        self.calls += 1
        fault = self._last_fault = self._fault()
        if fault == "vanish":
            raise EcLibError(function, -200)
        if device_id is not None and not self.connected:
            raise EcLibError(function, -1)

    # --- EcLibBinding ------------------------------------------------------------------------
    def connect(self, address: str, timeout_s: int = 5) -> tuple[int, DeviceInfo]:
        self._enter("BL_Connect", None)
        self.connections += 1
        self.connected = True
        return 0, DeviceInfo(DEVICE_CODE_VMP300, 1137, 1, "EMULATED")

    def _channel(self, function: str, channel: int) -> None:
        if channel not in PLUGGED:
            raise EcLibError(function, -3)

    def channels_plugged(self, device_id: int) -> list[int]:
        self._enter("BL_GetChannelsPlugged", device_id)
        return list(PLUGGED)

    def channel_info(self, device_id: int, channel: int) -> ChannelInfo:
        self._enter("BL_GetChannelInfos", device_id)
        self._channel("BL_GetChannelInfos", channel)
        return ChannelInfo(channel, 3, 1, 11 if self.firmware_loaded else 0, 601, self.state, len(self.techniques))

    def channel_board_type(self, device_id: int, channel: int) -> int:
        self._enter("BL_GetChannelBoardType", device_id)
        self._channel("BL_GetChannelBoardType", channel)
        return BOARD_PREMIUM

    def load_firmware(self, device_id: int, channels: Sequence[int], *, force_reload: bool = False,
                      bin_file: str | None = None, xlx_file: str | None = None) -> dict[int, int]:
        self._enter("BL_LoadFirmware", device_id)
        self.firmware_loaded = True
        return {channel: 0 if channel in PLUGGED else -3 for channel in channels}

    def convert_single(self, word: int, board_type: int) -> float:
        return float_from_word(word)

    def get_current_values(self, device_id: int, channel: int) -> CurrentValues:
        self._enter("BL_GetCurrentValues", device_id)
        self._channel("BL_GetCurrentValues", channel)
        return self._values(self.clock.now(), 0)

    def load_technique(self, device_id: int, channel: int, technique_file: str,
                       parameters: Sequence[EccParam], *, first: bool = True, last: bool = True) -> None:
        self._enter("BL_LoadTechnique", device_id)
        self._channel("BL_LoadTechnique", channel)
        if not self.firmware_loaded:
            raise EcLibError("BL_LoadTechnique", -308)
        if technique_file not in KNOWN_FILES:
            raise EcLibError("BL_LoadTechnique", -400)
        if self.state == STATE_RUN:
            raise EcLibError("BL_LoadTechnique", -6, "channel is running")
        if first:
            self.techniques = []
        params = {p.label: p.value for p in parameters if p.index == 0}
        technique = _Technique(KNOWN_FILES[technique_file], params, len(self.techniques))
        if technique.name in ("PEIS", "GEIS"):
            technique.frequencies = peis_frequencies(params)
            durations = [peis_point_s(f, int(params.get("Average_N_times", 1)),
                                      float(params.get("Wait_for_steady", 0.0))) for f in technique.frequencies]
            technique.ends_s = np.cumsum(durations)
        self.techniques.append(technique)

    def start_channel(self, device_id: int, channel: int) -> None:
        self._enter("BL_StartChannel", device_id)
        self._channel("BL_StartChannel", channel)
        if not self.techniques:
            raise EcLibError("BL_StartChannel", -6, "no technique loaded")
        self.state = STATE_RUN
        self.t_start = self.clock.now()
        self._begin(0, self.t_start)

    def _begin(self, index: int, t: float) -> None:
        self._active, self._active_start = index, t
        for technique in self.techniques:
            technique.rows_sent = 0 if technique.index >= index else technique.rows_sent
        technique = self.techniques[index]
        current = float(technique.params.get("Current_step", 0.0)) if technique.name == "CP" else 0.0
        self.cell.set_current_a(current)   # instrument positive = anodic = strips the working electrode

    def stop_channel(self, device_id: int, channel: int) -> None:
        self._enter("BL_StopChannel", device_id)
        self._channel("BL_StopChannel", channel)
        self.state = STATE_STOP
        self.cell.set_current_a(0.0)

    def disconnect(self, device_id: int) -> None:
        self._enter("BL_Disconnect", device_id)
        self.connections = max(0, self.connections - 1)
        if self.connections == 0:
            if self.state == STATE_RUN:
                self.state = STATE_STOP
                self.cell.set_current_a(0.0)
            self.connected = False

    def get_data(self, device_id: int, channel: int) -> tuple[DataInfos, CurrentValues, list[int]]:
        self._enter("BL_GetData", device_id)
        self._channel("BL_GetData", channel)
        fault = self._last_fault
        if fault == "timeout":
            raise EcLibError("BL_GetData", -202)
        if fault == "garbled":
            raise EcLibError("BL_GetData", -404)
        now = self.clock.now()
        rows: list[list[int]] = []
        technique = self.techniques[self._active] if self.techniques else None
        started = self._active_start - self.t_start
        if technique is not None and self.state == STATE_RUN:
            if technique.name in ("PEIS", "GEIS"):
                rows = self._peis_rows(technique, now)
            elif technique.name == "CP":
                rows = self._cp_rows(technique, now)
        index = technique.index if technique else 0
        tid = TECHNIQUE_ID.get(technique.name, 0) if technique else 0
        eis = technique is not None and technique.name in ("PEIS", "GEIS")
        infos = DataInfos(0, len(rows), len(rows[0]) if rows else 0, index, tid, 1 if eis and rows else 0, 0,
                          started)
        return infos, self._values(now, len(rows)), [w for row in rows for w in row]

    def _values(self, now: float, rows: int) -> CurrentValues:
        voltage = self.cell.voltage_v()     # Ewe of the working electrode against the counter electrode
        return CurrentValues(self.state, rows, TIME_BASE_S, voltage, 0.0, self.cell.current_a,
                             now - self.t_start)

    def _peis_rows(self, technique: _Technique, now: float) -> list[list[int]]:
        elapsed = now - self._active_start
        ready = int(np.searchsorted(technique.ends_s, elapsed, side="right"))
        rows = []
        amplitude = float(technique.params.get("Amplitude_Voltage", 0.01))
        amplitude_a = float(technique.params.get("Amplitude_Current", 1e-4))
        average = int(technique.params.get("Average_N_times", 1))
        for k in range(technique.rows_sent, ready):
            f = float(technique.frequencies[k])
            cycles = average * max(0.1, 2.0 / f) * f
            z = complex(add_noise(self.cell.impedance(f), f, cycles, self.rng)[0])
            e_abs, i_abs = (amplitude, amplitude / abs(z)) if technique.name == "PEIS" else (amplitude_a * abs(z),
                                                                                               amplitude_a)
            phase_deg = math.degrees(math.atan2(z.imag, z.real))
            t = float(technique.ends_s[k])
            rows.append([word_from_float(v) for v in
                         (f, e_abs, i_abs, phase_deg, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t)])
        technique.rows_sent = ready
        if ready >= len(technique.frequencies):
            self._next(self._active_start + float(technique.ends_s[-1]) if len(technique.ends_s) else now)
        return rows

    def _cp_rows(self, technique: _Technique, now: float) -> list[list[int]]:
        duration = float(technique.params.get("Duration_step", 1e30))
        elapsed = now - self._active_start
        if elapsed >= duration:
            self._next(self._active_start + duration)
            elapsed = duration
        ticks = int(round((now - self._active_start) / TIME_BASE_S))
        high, low = split_time(ticks)
        ewe = self.cell.voltage_v()
        current = self.cell.current_a
        return [[high, low, word_from_float(ewe), word_from_float(current), 0]]

    def _next(self, t_end: float) -> None:
        if self._active + 1 < len(self.techniques):
            self._begin(self._active + 1, t_end)
        else:
            self.state = STATE_STOP
            self.cell.set_current_a(0.0)
