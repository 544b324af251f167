"""The bench built from its config file, every role working through it."""

from __future__ import annotations

import pytest
import pyvisa

from instruments.bench import Bench
from instruments.clock import ManualClock
from instruments.emulation import CellModel, visa_library
from instruments.emulation.visalib import EmulatedVisaLibrary


def test_default_bench_every_role(tmp_path):
    bench = Bench.from_config(clock=ManualClock())
    try:
        assert bench.cell.surface_state == "as sintered"
        assert bench.cell.area_cm2 == pytest.approx(0.5675, abs=1e-4)
        assert bench.cell.thickness_cm == pytest.approx(0.170)
        assert 8.5 < bench.cell.critical_current_density_mA_cm2 < 11.5
        assert all(instrument.emulated for _, _, instrument in bench.roles())
        bench.fra.configure(amplitude_v=0.05, integration_s=0.2, delay_s=0.0)
        assert bench.fra.measure(1e4).z_real_ohm == pytest.approx(60.5, abs=1.5)
        bench.galvanostat.set_compliance_v(5)
        bench.galvanostat.set_current_a(1e-3)
        bench.galvanostat.output_on()
        assert bench.galvanostat.read().voltage_v > 0.05
        bench.galvanostat.safe_state()
        bench.stage.set_setpoint_c(40, 20)
        bench.clock.sleep(600)
        assert bench.stage.read_temperature_c() == pytest.approx(40, abs=0.3)
        bench.stage.hold()
        bench.stage.stop()
    finally:
        bench.close()


def test_bench_cell_and_fault_injection_hooks():
    cell = CellModel("EtOH4000", clock=ManualClock(), seed=3)
    bench = Bench.from_config(clock=cell.clock, cell=cell)
    try:
        assert bench.cell is cell and bench.emulation.cell is cell
        assert bench.clock is cell.clock
        bench.emulation.inject_fault("GPIB0::4::INSTR", "vanish")
        with pytest.raises(Exception, match="Solartron 1260 at GPIB0::4::INSTR"):
            bench.fra.measure(1000.0)
    finally:
        bench.close()


def test_vmp300_bench_from_config(tmp_path):
    config = tmp_path / "vmp.toml"
    config.write_text(
        '[bench]\ncell = "EtOH500"\nseed = 5\n'
        '[fra]\ndriver = "vmp300"\nresource = "USB0"\n'
        '[galvanostat]\ndriver = "keithley2400"\nresource = "GPIB0::24::INSTR"\n'
        '[stage]\ndriver = "linkam_t95"\nresource = "ASRL1::INSTR"\n')
    bench = Bench.from_config(config, clock=ManualClock())
    try:
        assert bench.cell.surface_state == "EtOH500"
        point = bench.fra.measure(5.0)
        assert point.z_real_ohm == pytest.approx(60.6 + 85.3, rel=0.05)
    finally:
        bench.close()


def test_libraries_are_independent():
    a, b = visa_library("as sintered", seed=1), visa_library("dry4000", seed=1)
    assert a.library_path != b.library_path
    ra, rb = pyvisa.ResourceManager(a), pyvisa.ResourceManager(b)
    assert ra is not rb and a.cell is not b.cell
    sa = ra.open_resource("GPIB0::24::INSTR", read_termination="\n", write_termination="\n")
    sb = rb.open_resource("GPIB0::24::INSTR", read_termination="\n", write_termination="\n")
    sa.write(":SOUR:CURR 1e-3")
    assert sb.query(":SOUR:CURR?") == "+0.000000E+00"
    assert isinstance(a, EmulatedVisaLibrary) and b.cell.surface_state == "dry4000"
    ra.close()
    rb.close()


def test_visa_library_defaults_and_presets():
    lib = visa_library()
    assert lib.cell.surface_state == "as sintered" and lib.clock is lib.cell.clock
    assert visa_library("dry500-anneal").cell.r_interface_ohm_cm2 < 1.0
    with pytest.raises(ValueError, match="unknown surface state"):
        visa_library("polished")
