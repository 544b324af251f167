"""The sample on the bench is the cell the emulated twins measure (``Bench.set_sample_cell``)."""

from __future__ import annotations

import dataclasses

import pytest

from instruments.bench import Bench, load_config
from instruments.clock import ManualClock

PAPER = {"thickness_cm": 0.170, "electrode_diameter_cm": 0.85}


@pytest.fixture
def bench():
    b = Bench.from_config(clock=ManualClock())
    yield b
    b.close()


def z_1khz(bench) -> complex:
    bench.fra.configure(amplitude_v=0.05, integration_s=0.2, delay_s=0.0)
    point = bench.fra.measure(1000.0)
    return complex(point.z_real_ohm, point.z_imag_ohm)


def short_it(bench):
    """Drive the present cell far past its critical current density until it shorts."""
    cell = bench.cell
    g = bench.galvanostat
    g.set_compliance_v(20)
    for sign in (+1, -1, +1, -1):
        g.set_current_a(sign * 3 * cell.critical_current_density_mA_cm2 * cell.area_cm2 / 1000)
        g.output_on()
        bench.clock.sleep(600)
        g.read()
    g.safe_state()
    assert cell.shorted


def test_the_twins_measure_the_registered_sample_cell(bench):
    before = z_1khz(bench)
    cell = bench.set_sample_cell("NZSP-05", surface_state="EtOH500", **PAPER)
    assert bench.cell is cell and cell.surface_state == "EtOH500" and cell.name == "NZSP-05"
    after = z_1khz(bench)
    # the EtOH500 interface arc (2 x 24.2 Ohm cm2 / 0.567 cm2 = 85 Ohm) sits near 1 kHz
    assert after.real - before.real > 30
    assert cell.describe() == "emulated cell NZSP-05: EtOH500, 1.70 mm, 8.5 mm electrodes"


def test_geometry_sets_the_cell(bench):
    thin = bench.set_sample_cell("thin", surface_state="as sintered", thickness_cm=0.085,
                                 electrode_diameter_cm=0.85)
    r_thin = thin.resistances_ohm()["bulk"]
    wide = bench.set_sample_cell("wide", surface_state="as sintered", thickness_cm=0.170,
                                 electrode_diameter_cm=1.2)
    r_wide = wide.resistances_ohm()["bulk"]
    assert thin.describe() == "emulated cell thin: as sintered, 0.85 mm, 8.5 mm electrodes"
    assert wide.area_cm2 == pytest.approx(3.14159265 * 0.6**2)
    assert r_wide / r_thin == pytest.approx(2 * (0.85 / 1.2) ** 2, rel=1e-6)


def test_a_short_stays_with_its_sample(bench):
    first = bench.set_sample_cell("NZSP-01", surface_state="as sintered", **PAPER)
    short_it(bench)
    assert first.describe().endswith("-shorted")
    second = bench.set_sample_cell("NZSP-02", surface_state="as sintered", **PAPER)
    assert second is not first and not second.shorted
    assert abs(z_1khz(bench)) > 40          # the new cell is intact: ~60 Ohm, not a filament
    again = bench.set_sample_cell("NZSP-01", surface_state="as sintered", **PAPER)
    assert again is first and again.shorted
    assert abs(z_1khz(bench)) < 5
    replaced = bench.set_sample_cell("NZSP-01", surface_state="as sintered", fresh=True, **PAPER)
    assert replaced is not first and not replaced.shorted and bench.cell is replaced


def test_a_changed_description_is_another_cell(bench):
    first = bench.set_sample_cell("NZSP-01", surface_state="as sintered", **PAPER)
    assert bench.set_sample_cell("NZSP-01", surface_state="as sintered", **PAPER) is first
    other = bench.set_sample_cell("NZSP-01", surface_state="dry500", **PAPER)
    assert other is not first and other.surface_state == "dry500"


def test_the_initial_cell_becomes_the_first_matching_sample():
    bench = Bench.from_config(clock=ManualClock(), cell="EtOH500")
    try:
        initial = bench.cell
        assert initial.describe() == "emulated cell: EtOH500, 1.70 mm, 8.5 mm electrodes"
        assert bench.set_sample_cell("A", surface_state="EtOH500", **PAPER) is initial
        assert bench.set_sample_cell("B", surface_state="EtOH500", **PAPER) is not initial
    finally:
        bench.close()


def test_every_sample_surface_state_is_emulated(bench):
    from workbench.cell import GRIT_SIZES, SurfaceState

    states = [SurfaceState()] + [SurfaceState(s, g, a) for s in ("EtOH", "dry") for g in GRIT_SIZES
                                 for a in (False, True)]
    assert len(states) == 17
    for state in states:
        cell = bench.set_sample_cell(state.name, surface_state=state.name, **PAPER)
        assert cell.surface_state == state.name


def test_seeded_bench_gives_the_same_cells_again():
    def ccds():
        b = Bench(dataclasses.replace(load_config(), seed=5), clock=ManualClock())
        try:
            return [b.set_sample_cell(k, surface_state="as sintered", **PAPER).critical_current_density_mA_cm2
                    for k in ("X", "Y")]
        finally:
            b.close()

    a, b = ccds(), ccds()
    assert a == b and a[0] != a[1]


def test_bad_descriptions_are_refused(bench):
    with pytest.raises(ValueError, match="unknown surface state"):
        bench.set_sample_cell("Q", surface_state="polished", **PAPER)
    with pytest.raises(ValueError, match="thickness_cm"):
        bench.set_sample_cell("Q", surface_state="as sintered", thickness_cm=0, electrode_diameter_cm=0.85)


def test_an_all_real_bench_changes_nothing():
    config = load_config()
    real = {role: dataclasses.replace(spec, emulated=False, resource="TCPIP0::192.0.2.1::inst0::INSTR")
            for role, spec in config.roles.items()}
    bench = Bench(dataclasses.replace(config, roles=real), clock=ManualClock(), keep_going=True)
    try:
        assert bench.cell is None
        assert bench.set_sample_cell("NZSP-01", surface_state="EtOH500", **PAPER) is None
        assert bench.cell is None
    finally:
        bench.close()
