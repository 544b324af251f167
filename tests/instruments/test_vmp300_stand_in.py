"""The real ctypes binding of the EC-Lab Development Package, driven on the C stand-in library.

The stand-in (``instruments/biologic/stand_in/``) is compiled here with the machine's C compiler and
loaded through ``eclib_ctypes`` exactly as the DLL is (CDLL where there is no WinDLL, the same
declarations). It checks the structure layouts against C, the declarations by calling them, the frame
decoding, the error paths, and runs a sweep, a plating/stripping run and a CCD test with its short
through the drivers, the runner and the store.
"""

from __future__ import annotations

import cmath
import ctypes
import math
import re
import sys

import pytest

from instruments.bench import Bench, ConfigError
from instruments.biologic import eclib_ctypes, frames, stand_in, techniques
from instruments.biologic.binding import BOARD_PREMIUM, DataInfos, EccParam, EcLibError
from instruments.biologic.vmp300 import VMP300Galvanostat, VMP300Impedance
from instruments.clock import AcceleratedClock, ManualClock
from instruments.roles import InstrumentError
from workbench.cell import Sample
from workbench.procedures import (
    CCDParameters,
    CCDTest,
    ImpedanceSweep,
    ImpedanceSweepParameters,
    PlatingStripping,
    PlatingStrippingParameters,
)
from workbench.runner import Runner
from workbench.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in is built with a POSIX C compiler; "
                                "on Windows, check the real library with instruments.biologic.check_dll")

R0, R1, C1, R2, C2 = 60.0, 25.0, 1e-9, 500.0, 1e-6     # the stand-in's default cell


def model_z(f: float) -> complex:
    w = 2 * math.pi * f
    return R0 + R1 / (1 + 1j * w * R1 * C1) + R2 / (1 + 1j * w * R2 * C2)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    try:
        return stand_in.build(tmp_path_factory.mktemp("eclib_stand_in"))
    except stand_in.StandInBuildError as exc:
        pytest.fail(f"the EClib stand-in must build in CI (.ci/install installs gcc): {exc}")


class StandIn:
    """The stand-in's own controls (not part of the Development Package)."""

    def __init__(self, library):
        self.lib = ctypes.CDLL(str(library))
        self.lib.StandIn_Set.argtypes = [ctypes.c_char_p, ctypes.c_double]
        self.lib.StandIn_Get.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_double)]
        self.lib.StandIn_Fail.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.c_int32]
        self.clock_type = ctypes.CFUNCTYPE(ctypes.c_double)
        self.lib.StandIn_SetClock.argtypes = [self.clock_type]
        self._callback = None

    def set(self, key: str, value: float) -> None:
        assert self.lib.StandIn_Set(key.encode(), float(value)) == 0, key

    def get(self, key: str, channel: int = 0) -> float:
        out = ctypes.c_double()
        assert self.lib.StandIn_Get(key.encode(), channel, ctypes.byref(out)) == 0, key
        return out.value

    def fail(self, function: str, code: int, count: int = 1) -> None:
        self.lib.StandIn_Fail(function.encode(), code, count)

    def use_clock(self, clock) -> None:
        self._callback = self.clock_type(clock.now) if clock is not None else self.clock_type(0)
        self.lib.StandIn_SetClock(self._callback)


@pytest.fixture
def si(built):
    controls = StandIn(built.library)
    controls.set("reset", 0)
    controls.use_clock(ManualClock())
    yield controls
    controls.use_clock(None)      # back to the stand-in's own monotonic clock: no dangling callback


@pytest.fixture
def binding(built, si):
    return eclib_ctypes.load(built.library)


def bench_config(tmp_path, library, *, galvanostat="vmp300", extra="") -> str:
    path = tmp_path / "vmp300.toml"
    vmp = f'driver = "vmp300"\nresource = "USB0"\nemulated = false\nchannel = 1\ndll_path = "{library}"\n'
    galv = vmp if galvanostat == "vmp300" else 'driver = "keithley2400"\nresource = "GPIB0::24::INSTR"\n'
    path.write_text(f"[fra]\n{vmp}{extra}\n[galvanostat]\n{galv}\n"
                    '[stage]\ndriver = "linkam_t95"\nresource = "ASRL1::INSTR"\n', encoding="utf-8")
    return str(path)


@pytest.fixture
def vmp_bench(tmp_path, built, si):
    benches = []

    def make(**kwargs):
        clock = ManualClock()
        si.use_clock(clock)
        bench = Bench.from_config(bench_config(tmp_path, built.library, **kwargs), clock=clock)
        benches.append(bench)
        return bench

    yield make
    for bench in benches:
        bench.close()


# --- the declarations against C ------------------------------------------------------------------

def test_structure_sizes_and_offsets_match_the_c_layout(built):
    c_layout = stand_in.layout(built)
    checked = 0
    for structure in eclib_ctypes.STRUCTURES:
        assert ctypes.sizeof(structure) == c_layout[structure.__name__], structure.__name__
        for name, *_ in structure._fields_:
            assert getattr(structure, name).offset == c_layout[f"{structure.__name__}.{name}"], name
            checked += 1
    assert checked == 11 + 19 + 4 + 2 + 9 + 19
    # the documented sizes (4-byte packing): StartTime right after the seven int32 of TDataInfos
    assert c_layout["TDataInfos.StartTime"] == 28 and c_layout["TDataInfos"] == 40
    assert c_layout["TEccParam"] == 76 and c_layout["TCurrentValues"] == 76 and c_layout["TDeviceInfos"] == 44
    assert c_layout["TEccParams"] == 4 + ctypes.sizeof(ctypes.c_void_p)


def test_every_declared_function_is_in_the_header_and_exported(built):
    header = (stand_in.SOURCE_DIR / "eclib.h").read_text(encoding="utf-8")
    in_header = set(re.findall(r"BL_CALL (BL_\w+)\(", header))
    assert in_header == set(eclib_ctypes.FUNCTIONS)
    binding = eclib_ctypes.load(built.library)
    assert set(binding.functions) == set(eclib_ctypes.FUNCTIONS)
    for name, function in binding.functions.items():
        assert function.restype is ctypes.c_int32 and function.argtypes, name


# --- the binding itself ------------------------------------------------------------------------------

def test_connection_channels_and_firmware(binding, si):
    with pytest.raises(EcLibError, match="-203: invalid IP address"):
        binding.connect("192.168.0.300")
    device_id, info = binding.connect("192.168.1.20", timeout_s=3)
    assert info.device_code == 12 and info.channels == 2 and info.firmware_date == "2024-01-15"
    assert binding.channels_plugged(device_id) == [0, 1]
    assert binding.channel_board_type(device_id, 1) == BOARD_PREMIUM
    with pytest.raises(EcLibError, match="-3: selected channel"):
        binding.channel_board_type(device_id, 5)
    ocv = techniques.ocv(10.0)
    with pytest.raises(EcLibError, match="-308: no firmware loaded"):
        binding.load_technique(device_id, 0, ocv.file(BOARD_PREMIUM), ocv.parameters)
    assert binding.load_firmware(device_id, [0], bin_file="kernel4.bin", xlx_file="vmp_iv_0395_aa.xlx") == {0: 0}
    assert binding.channel_info(device_id, 0).firmware_code == 11
    assert binding.channel_info(device_id, 1).firmware_code == 0       # only the selected channel
    with pytest.raises(EcLibError, match="-300"):
        binding.load_firmware(device_id, [1], bin_file="kernel.bin")   # the ESSENTIAL board's kernel
    si.set("eclab_firmware", 1)
    with pytest.raises(EcLibError, match="-9: ECLab firmware loaded") as err:
        binding.load_firmware(device_id, [1])
    assert err.value.code == -9
    assert binding.load_firmware(device_id, [1], force_reload=True) == {1: 0}
    binding.disconnect(device_id)
    with pytest.raises(EcLibError, match="-1: no instrument connected"):
        binding.disconnect(device_id)


def test_parameters_are_typed_and_checked_by_the_library(binding):
    device_id, _ = binding.connect("USB0")
    binding.load_firmware(device_id, [0])
    defined = binding.define_parameter(EccParam("Current_step", 1.5e-3, 2))
    assert defined.ParamStr == b"Current_step" and defined.ParamType == 2 and defined.ParamIndex == 2
    assert ctypes.c_float.from_buffer_copy(defined.ParamVal.to_bytes(4, "little")).value == pytest.approx(1.5e-3)
    assert binding.define_parameter(EccParam("N_Cycles", 3)).ParamType == 0
    assert binding.define_parameter(EccParam("vs_initial", True)).ParamVal == 1
    cp = techniques.cp([(1e-3, 10.0)])
    with pytest.raises(EcLibError, match="-401"):
        binding.load_technique(device_id, 0, "cp.ecc", cp.parameters)         # an ESSENTIAL board's file
    with pytest.raises(EcLibError, match="-400"):
        binding.load_technique(device_id, 0, "gcpl4.ecc", cp.parameters)
    wrong_type = [EccParam("Step_number", 0.0) if p.label == "Step_number" else p for p in cp.parameters]
    with pytest.raises(EcLibError, match="-4: invalid function parameters"):
        binding.load_technique(device_id, 0, "cp4.ecc", wrong_type)
    with pytest.raises(EcLibError, match="-4"):
        binding.load_technique(device_id, 0, "cp4.ecc", [*cp.parameters, EccParam("Test1_Config", 0)])
    binding.load_technique(device_id, 0, "cp4.ecc", cp.parameters)
    assert binding.channel_info(device_id, 0).techniques_loaded == 1
    with pytest.raises(EcLibError, match="-4"):
        peis = techniques.build("PEIS", {"Initial_frequency": 13e6, "Final_frequency": 5.0, "Frequency_number": 3})
        binding.load_technique(device_id, 0, "peis4.ecc", peis.parameters)
    with pytest.raises(techniques.TechniqueError, match="7 MHz"):
        techniques.peis(13e6, 5.0, 10, amplitude_v=0.05)
    binding.disconnect(device_id)


def drain(binding, device_id, channel=0):
    records = []
    while True:
        infos, values, words = binding.get_data(device_id, channel)
        batch = frames.decode(infos, values, words, board_type=BOARD_PREMIUM,
                              to_single=lambda w: binding.convert_single(w, BOARD_PREMIUM))
        if not batch:
            return records, values
        records += [(infos, r) for r in batch]


def test_linked_ocv_and_cp_steps_decoded_by_technique_and_time(binding, si):
    clock = ManualClock()
    si.use_clock(clock)
    device_id, _ = binding.connect("USB0")
    binding.load_firmware(device_id, [0])
    ocv = techniques.ocv(5.0, record_dt_s=1.0)
    cp = techniques.cp([(2e-3, 10.0), (-2e-3, 10.0)], record_dt_s=2.0, cycles=1)
    binding.load_technique(device_id, 0, ocv.file(BOARD_PREMIUM), ocv.parameters, first=True, last=False)
    binding.load_technique(device_id, 0, cp.file(BOARD_PREMIUM), cp.parameters, first=False, last=True)
    binding.start_channel(device_id, 0)
    clock.advance(60.0)
    records, values = drain(binding, device_id)
    assert values.State == 0 and values.TimeBase == pytest.approx(2e-5)
    ocv_rows = [r for i, r in records if r.technique == "OCV"]
    cp_rows = [r for i, r in records if r.technique == "CP"]
    assert [r.time_s for r in ocv_rows] == pytest.approx([0, 1, 2, 3, 4, 5], abs=1e-6)
    assert all(r.i_a is None and r.ewe_v == 0.0 for r in ocv_rows)
    assert {i.TechniqueIndex for i, r in records if r.technique == "CP"} == {1}
    assert {i.StartTime for i, r in records if r.technique == "CP"} == {5.0}
    assert cp_rows[0].time_s == pytest.approx(5.0) and cp_rows[-1].time_s == pytest.approx(45.0, abs=1e-4)
    # two cycles of +2 mA then -2 mA, 10 s each; Ewe = I (R0 + R1 + R2 (1 - exp(-t / R2 C2)))
    assert [r.cycle for r in cp_rows][0] == 0 and cp_rows[-1].cycle == 1
    first = [r for r in cp_rows if r.cycle == 0 and r.i_a > 0]
    assert first[-1].ewe_v == pytest.approx(2e-3 * (R0 + R1 + R2), rel=1e-5)
    assert first[0].ewe_v == pytest.approx(2e-3 * R0, rel=1e-5)
    stripping = [r for r in cp_rows if r.i_a < 0]
    assert stripping and all(r.i_a == pytest.approx(-2e-3) for r in stripping)
    binding.disconnect(device_id)


def test_chronoamperometry_current_decays_as_the_cell_charges(binding, si):
    clock = ManualClock()
    si.use_clock(clock)
    device_id, _ = binding.connect("USB0")
    binding.load_firmware(device_id, [0])
    ca = techniques.ca([(0.1, 0.01)], record_dt_s=0.001)
    binding.load_technique(device_id, 0, ca.file(BOARD_PREMIUM), ca.parameters)
    binding.start_channel(device_id, 0)
    clock.advance(1.0)
    records, _ = drain(binding, device_id)
    currents = [r.i_a for _, r in records]
    assert currents[0] == pytest.approx(0.1 / R0, rel=1e-3)
    assert currents[-1] < currents[0] * 0.5
    assert all(b <= a + 1e-12 for a, b in zip(currents[:-1], currents[1:], strict=True))
    binding.disconnect(device_id)


def test_corrupt_frames_and_injected_errors_are_reported(binding, si):
    device_id, _ = binding.connect("USB0")
    si.fail("BL_GetData", -404)
    with pytest.raises(EcLibError, match="-404: data returned by the instrument are corrupted"):
        binding.get_data(device_id, 0)
    _, values, _ = binding.get_data(device_id, 0)
    bad = DataInfos(0, 1, 13, 0, 104, 1, 0, 0.0)
    with pytest.raises(frames.FrameError, match="13 columns; the documented layout has 14"):
        frames.decode(bad, values, [0] * 13, board_type=BOARD_PREMIUM, to_single=lambda w: 0.0)
    binding.disconnect(device_id)


# --- the drivers -------------------------------------------------------------------------------------

def test_one_channel_serves_both_roles_through_one_connection(vmp_bench, si):
    bench = vmp_bench()
    assert isinstance(bench.fra, VMP300Impedance) and isinstance(bench.galvanostat, VMP300Galvanostat)
    assert bench.fra.shared is bench.galvanostat.shared
    assert si.get("connections") == 1
    assert bench.fra.identity.startswith("BioLogic VMP-300 (device code 12), firmware 1137 (2024-01-15), channel 1")
    bench.galvanostat.set_current_a(1e-3)
    bench.galvanostat.output_on()
    with pytest.raises(InstrumentError, match="switch the output off"):
        bench.fra.measure(1000.0)
    bench.galvanostat.output_off()
    point = bench.fra.measure(1000.0)
    assert complex(point.z_real_ohm, point.z_imag_ohm) == pytest.approx(model_z(1000.0), rel=1e-5)
    bench.close()
    assert si.get("connections") == 0 and si.get("state") == 0


def test_linked_peis_and_geis_sub_ranges_match_the_cell(vmp_bench, built, tmp_path, si):
    bench = vmp_bench()
    ranges = [(7e6, 5e5, 23, 2.0, 10 / 7e6), (5e5, 500.0, 60, 1.0, 5 / 5e5), (500.0, 5.0, 40, 30 / 500, 3 / 500)]
    points = bench.fra.measure_ranges(ranges)
    assert len(points) == 123
    assert points[0].frequency_hz == pytest.approx(7e6) and points[-1].frequency_hz == pytest.approx(5.0)
    for p in points:
        assert complex(p.z_real_ohm, p.z_imag_ohm) == pytest.approx(model_z(p.frequency_hz), rel=2e-5)
    with pytest.raises(InstrumentError, match="outside the VMP-300's 10 uHz - 7 MHz"):
        bench.fra.measure(13e6)
    bench.close()
    geis = Bench.from_config(bench_config(tmp_path, built.library,
                                          extra='technique = "GEIS"\namplitude_a = 1e-4\n'), clock=ManualClock())
    try:
        si.use_clock(geis.clock)
        z = geis.fra.measure(100.0)
        assert complex(z.z_real_ohm, z.z_imag_ohm) == pytest.approx(model_z(100.0), rel=1e-5)
    finally:
        geis.close()


def test_bench_refuses_unknown_or_mistyped_vmp300_options(tmp_path, built):
    expected = "unknown key 'fra.chanel' for driver 'vmp300'; expected driver, resource, emulated, channel, dll_path"
    with pytest.raises(ConfigError, match=expected):
        Bench.from_config(bench_config(tmp_path, built.library, extra="chanel = 2\n"))
    path = bench_config(tmp_path, built.library)
    text = open(path, encoding="utf-8").read().replace("channel = 1", 'channel = "1"', 1)
    open(path, "w", encoding="utf-8").write(text)
    with pytest.raises(ConfigError, match="'fra.channel' must be the channel, 1 to 16 as on the front panel, got '1'"):
        Bench.from_config(path)


def test_unplugged_channel_and_missing_library_are_said(tmp_path, built, si):
    path = bench_config(tmp_path, built.library)
    text = open(path, encoding="utf-8").read().replace("channel = 1", "channel = 3")
    open(path, "w", encoding="utf-8").write(text)
    with pytest.raises(InstrumentError, match="channel 3 is not plugged; plugged: 1, 2"):
        Bench.from_config(path, clock=ManualClock())
    assert si.get("connections") == 0
    with pytest.raises(InstrumentError, match="EC-Lab Development Package not found at"):
        VMP300Impedance.open("USB0", dll_path=str(tmp_path / "nowhere" / "EClib64.dll"))


def test_ec_lab_firmware_on_the_instrument_is_kept(vmp_bench, si):
    si.set("eclab_firmware", 1)
    bench = vmp_bench()
    assert "EC-Lab's firmware is on the instrument and was kept" in bench.fra.identity
    point = bench.fra.measure(10.0)
    assert point.z_real_ohm == pytest.approx(model_z(10.0).real, rel=1e-5)


# --- end to end: drivers, runner, store ------------------------------------------------------------

def test_paper_sweep_clipped_at_7_mhz_and_stored(vmp_bench, tmp_path):
    bench = vmp_bench()
    store = Store(tmp_path / "w.sqlite")
    runner = Runner(ImpedanceSweep(ImpedanceSweepParameters.paper()), bench, Sample.paper("as sintered"), store)
    assert runner.plan.notes == ["impedance sweep starts at 7 MHz instead of 13 MHz: the BioLogic VMP-300 "
                                 "measures up to 7 MHz"]
    finished = runner.run_blocking()
    assert finished.status == "completed", finished.reason
    record = store.run(finished.run_id)
    assert record.plan["notes"] == runner.plan.notes
    assert "BioLogic VMP-300 (device code 12)" in " ".join(record.instruments.values())
    f, z = store.spectrum(finished.run_id)
    assert len(f) == 124 and f[0] == pytest.approx(7e6) and f[-1] == pytest.approx(5.0)
    assert all(cmath.isclose(zi, model_z(fi), rel_tol=2e-5) for fi, zi in zip(f, z, strict=True))


def test_plating_stripping_run_through_cp_is_stored(vmp_bench, tmp_path, si):
    bench = vmp_bench()
    sample = Sample.paper("as sintered")
    store = Store(tmp_path / "w.sqlite")
    parameters = PlatingStrippingParameters(current_density_mA_cm2=1.0, half_cycle_s=120.0, cycles=2,
                                            sample_period_s=10.0, rest_s=0.0)
    finished = Runner(PlatingStripping(parameters), bench, sample, store).run_blocking()
    assert finished.status == "completed", finished.reason
    points = store.points(finished.run_id, "cycling")
    assert len(points["seq"]) == 4 * 13
    current = sample.area_cm2 * 1e-3
    v, i, j = points["voltage_v"], points["current_a"], points["set_current_density_mA_cm2"]
    assert list(i) == pytest.approx([math.copysign(current, x) for x in j], rel=1e-5)   # plating negative
    assert list(j[::13]) == [-1.0, 1.0, -1.0, 1.0]
    assert list(points["current_density_mA_cm2"]) == pytest.approx(list(j), rel=1e-5)   # measured = set here
    # each half-cycle: ohmic step at its first sample, the charged cell (120 s >> R2 C2) at its last
    assert v[0] == pytest.approx(-current * R0, rel=1e-4)                     # from rest
    for k in range(1, 4):      # a reversal: the interfaces still hold the previous half-cycle's charge
        assert v[13 * k] == pytest.approx(j[13 * k] * current * (R0 - R1 - R2), rel=1e-4)
    for k in range(4):
        assert list(v[13 * k + 1:13 * k + 13]) == pytest.approx([j[13 * k] * current * (R0 + R1 + R2)] * 12,
                                                                 rel=1e-4)
    assert si.get("state") == 0 and si.get("current_a") == 0.0               # output off at the end


def test_ccd_short_is_caught_and_the_cp_channel_stopped(vmp_bench, tmp_path, si):
    sample = Sample.paper("as sintered")
    short_at_mA_cm2 = 1.5
    si.set("short_current_a", short_at_mA_cm2 * sample.area_cm2 * 1e-3 * 0.999)
    si.set("short_delay_s", 25.0)
    bench = vmp_bench()
    store = Store(tmp_path / "w.sqlite")
    parameters = CCDParameters(start_current_density_mA_cm2=0.5, stop_current_density_mA_cm2=3.0,
                               step_current_density_mA_cm2=0.5, half_cycle_s=60.0, sample_period_s=5.0,
                               sweep_after_short=False)
    runner = Runner(CCDTest(parameters), bench, sample, store)
    finished = runner.run_blocking()
    assert finished.status == "shorted", finished.reason
    assert finished.result["failed_at_current_density_mA_cm2"] == pytest.approx(short_at_mA_cm2)
    assert finished.result["critical_current_density_mA_cm2"] == pytest.approx(short_at_mA_cm2 - 0.5)
    assert finished.result["safety"]["criterion"] == "hard_short"
    assert si.get("shorted") == 1
    assert si.get("state") == 0 and si.get("current_a") == 0.0                # the CP channel is stopped
    assert bench.galvanostat.is_output_on() is False
    events = store.events(finished.run_id)
    assert any(e["kind"] == "safety" for e in events), events


def test_lost_communication_fails_the_run_with_the_library_error(vmp_bench, tmp_path, si):
    bench = vmp_bench()
    parameters = PlatingStrippingParameters(current_density_mA_cm2=1.0, half_cycle_s=60.0, cycles=1,
                                            sample_period_s=5.0)
    store = Store(tmp_path / "w.sqlite")
    runner = Runner(PlatingStripping(parameters), bench, Sample.paper("as sintered"), store)
    si.fail("BL_GetData", -200, count=1)
    finished = runner.run_blocking()
    assert finished.status == "failed"
    assert "BL_GetData" in finished.reason and "-200: communication with the instrument failed" in finished.reason
    assert si.get("state") == 0 and si.get("current_a") == 0.0


def test_the_users_check_script_runs_on_the_stand_in(built, si, capsys):
    from instruments.biologic import check_dll

    si.use_clock(AcceleratedClock(200.0))
    assert check_dll.main(["--dll", str(built.library), "--address", "USB0", "--channel", "2", "--peis-hz", "318"]) == 0
    out = capsys.readouterr().out
    assert "MISMATCH" not in out and "TDataInfos           40          40" in out
    assert "channel 2: board type 2 (PREMIUM)" in out and "OCV: 7 rows" in out
    assert "PEIS process 1, 14 columns" in out and "f = 318 Hz" in out
    assert si.get("connections") == 0
