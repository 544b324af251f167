"""The emulated cells measured the way a user measures them (the command line or the session's runner on
the emulated bench, the stored run, the product's own analysis) give the seed paper's figures."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from instruments.bench import Bench, load_config
from instruments.clock import ManualClock
from tests.engine.test_engine_cli import PROTOCOLS, ROOT, cli
from workbench.cell import Sample
from workbench.procedures.ccd import CCDParameters, CCDTest
from workbench.procedures.formation import (
    PAPER_CURRENT_DENSITIES_MA_CM2,
    PAPER_HALF_CYCLES_S,
    FormationCycles,
    FormationParameters,
)
from workbench.procedures.hold import GalvanostaticHold, HoldParameters
from workbench.procedures.impedance_sweep import ImpedanceSweep, ImpedanceSweepParameters
from workbench.procedures.temperature_step import TemperatureStep, TemperatureStepParameters
from workbench.session import Session
from workbench.spectrum_analysis import PRESET_CIRCUITS, analyse_spectrum, interface_resistance
from workbench.store import Store

#: the paper's interface resistances (Ohm cm2): its value or range for each surface state
PAPER_R_INT = {
    "as sintered": (0.1, 0.3),               # "as low as 0.2" (Krauskopf estimate)
    "EtOH500-anneal": (0.05, 0.15),          # "0.1" (Krauskopf estimate)
    "EtOH500": (24.2 * 0.95, 24.2 * 1.05),   # interface arc
    "dry500": (22.1 * 0.95, 22.1 * 1.05),    # interface arc
    "EtOH4000": (4000.0, 9000.0),            # "in the range of 4-9 kOhm cm2"
    "dry4000": (4000.0, 9000.0),
}
EVERY_STATE = ["as sintered", "EtOH500", "dry500", "EtOH500-anneal", "dry500-anneal", "EtOH1200",
               "dry2400-anneal", "EtOH4000", "dry4000", "EtOH4000-anneal", "dry4000-anneal"]


def bench(seed: int = 3) -> Bench:
    return Bench(dataclasses.replace(load_config(), seed=seed), clock=ManualClock())


def interface_value(frequency_hz, z, area_cm2) -> tuple[float, str]:
    """The product's interface resistance of a spectrum (Ohm cm2) and how it was obtained."""
    result = interface_resistance(frequency_hz, z, area_cm2=area_cm2)
    value = getattr(result, "value_ohm_cm2", None)
    if value is None:
        value = getattr(result, "r_interface_ohm_cm2", None)
    assert value is not None, f"not resolved: {getattr(result, 'text', lambda: result)()}"
    return value, result.method


def sweep(session: Session) -> tuple[np.ndarray, np.ndarray]:
    finished = session.run_blocking(ImpedanceSweep(ImpedanceSweepParameters()))
    assert finished.status == "completed", finished.reason
    return session.store.spectrum(finished.run_id)


def config_with_seed(tmp_path, seed: int):
    text = (ROOT / "resources" / "benches" / "emulated.toml").read_text()
    path = tmp_path / f"bench{seed}.toml"
    path.write_text(text.replace("[bench]\n", f"[bench]\nseed = {seed}\n", 1))
    return path


@pytest.mark.parametrize("state", PAPER_R_INT)
def test_each_surface_gives_the_papers_interface_resistance_through_the_cli(tmp_path, state):
    store = tmp_path / "w.sqlite"
    done = cli("run", PROTOCOLS / "paper_eis_sweep.toml", "--cell", state, "--store", store,
               "--speed", "inf", "--json", "--quiet", timeout=120)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout.strip().splitlines()[-1])["run_id"]
    with Store(store) as s:
        record = s.run(run_id)
        f, z = s.spectrum(run_id)
    assert record.surface_state == state and f"{state}, 1.70 mm" in record.instruments["cell"]
    value, method = interface_value(f, z, record.area_cm2)
    low, high = PAPER_R_INT[state]
    assert low <= value <= high, (value, method)


@pytest.mark.parametrize("state", ["dry500-anneal", "EtOH4000-anneal", "dry4000-anneal", "EtOH1200-anneal"])
def test_every_annealed_surface_stays_below_one_ohm_cm2(tmp_path, state):
    session = Session(bench(), Store(tmp_path / "w.sqlite"), sample=Sample.paper(state))
    f, z = sweep(session)
    value, method = interface_value(f, z, session.area_cm2)
    assert 0 < value < 1.0, (value, method)    # the paper: "consistently below 1 Ohm cm2"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_as_sintered_ccd_is_the_papers_with_the_short_on_a_plating_half_cycle(tmp_path, seed):
    store = tmp_path / "w.sqlite"
    done = cli("run", PROTOCOLS / "ccd_constant_capacity.toml", "--config", config_with_seed(tmp_path, seed),
               "--store", store, "--speed", "inf", "--json", "--quiet", timeout=240)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "shorted"
    assert 9.0 <= summary["critical_current_density_mA_cm2"] <= 11.0
    safety = summary["result"]["safety"]
    assert safety["current_density_mA_cm2"] < 0                 # negative current: plating
    assert "(plating, half-cycle" in summary["abort_reason"]
    with Store(store) as s:
        points = s.points(summary["run_id"], "impedance")
    f = np.asarray(points["frequency_hz"])
    after = slice(int(np.flatnonzero(f == f.max())[-1]), None)  # the sweep after the short ...
    f, z = f[after], np.asarray(points["z_real_ohm"])[after] + 1j * np.asarray(points["z_imag_ohm"])[after]
    assert len(f) == 129
    order = np.argsort(f)
    f, z = f[order], z[order]
    # ... is the filament in parallel with the cell: low-ohmic and smooth, Z' falling steadily with f up
    # to 1 MHz (above it the analyser's own 1 % noise dominates), so the decade markers come in order
    assert z.real.max() < 0.8 * 61
    trusted = f <= 1e6
    assert np.all(np.diff(z.real[trusted]) < 0.003 * z.real[trusted][:-1] + 0.01)
    assert np.all(-z.imag[trusted] < 0.3 * z.real.max()) and np.all(-z.imag[trusted] > -0.05)


@pytest.mark.parametrize("state", EVERY_STATE)
def test_dc_overpotential_at_low_current_is_current_times_low_frequency_impedance(tmp_path, state):
    session = Session(bench(), Store(tmp_path / "w.sqlite"), sample=Sample.paper(state))
    f, z = sweep(session)
    analysis = analyse_spectrum(f, z, PRESET_CIRCUITS["R-L-(R|CPE)-(R|CPE): grain boundary + interface"],
                                area_cm2=session.area_cm2, validate=False)
    z_dc = analysis.fit.predict([1e-6])[0].real              # Z'fit(f -> 0)
    finished = session.run_blocking(GalvanostaticHold(HoldParameters(
        current_density_mA_cm2=0.05, duration_s=60.0, direction="plate", sample_period_s=5.0)))
    assert finished.status == "completed", finished.reason
    points = session.store.points(finished.run_id, "cycling")
    v, i = np.asarray(points["voltage_v"]), np.asarray(points["current_a"])
    assert np.all(i < 0) and np.all(v < 0)                   # plating: negative current, negative voltage
    assert np.median(v / i) == pytest.approx(z_dc, rel=0.10)


def test_formation_cycles_end_like_the_papers(tmp_path):
    # 0.5 h stripping at 10 mA/cm2 raises the cell resistance to ~800 Ohm; the next plating fails
    session = Session(bench(), Store(tmp_path / "w.sqlite"), sample=Sample.paper("as sintered"))
    params = FormationParameters(current_densities_mA_cm2=PAPER_CURRENT_DENSITIES_MA_CM2 + (10.0,),
                                 half_cycles_s=PAPER_HALF_CYCLES_S + (1800.0,), sample_period_s=5.0)
    finished = session.run_blocking(FormationCycles(params))
    assert finished.status == "shorted", finished.reason
    assert finished.result["safety"]["current_density_mA_cm2"] == pytest.approx(-10.0)
    points = session.store.points(finished.run_id, "cycling")
    v, i, hc = (np.asarray(points[k]) for k in ("voltage_v", "current_a", "half_cycle"))
    last_strip = max(h for h in set(hc.tolist()) if np.all(i[hc == h] > 0))
    r = v[hc == last_strip] / i[hc == last_strip]
    assert r[0] < 300 and 700 < r.max() < 900
    assert finished.result["safety"]["half_cycle"] > last_strip


def test_a_warmer_thermally_activated_interface_has_a_higher_ccd(tmp_path):
    session = Session(bench(5), Store(tmp_path / "w.sqlite"), sample=Sample.paper("as sintered"))
    warm = session.run_blocking(TemperatureStep(TemperatureStepParameters(setpoint_c=40.0, stable_for_s=60)))
    assert warm.status == "completed", warm.reason
    cell = session.bench.cell
    expected = cell.critical_current_density_at(40.0)
    assert expected > 2 * cell.critical_current_density_mA_cm2     # Ea of Na creep 0.44 eV: x2.3 at 40 C
    finished = session.run_blocking(CCDTest(CCDParameters(
        start_current_density_mA_cm2=14.0, stop_current_density_mA_cm2=40.0, step_current_density_mA_cm2=1.0,
        capacity_mAh_cm2=0.25, sample_period_s=2.0)))
    assert finished.status == "shorted", finished.reason
    ccd = finished.result["critical_current_density_mA_cm2"]
    assert expected <= ccd < expected + 1.0 + 1e-9
    assert finished.result["safety"]["current_density_mA_cm2"] < 0
