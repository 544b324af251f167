"""A shorted sample stays shorted across restarts: the store remembers the short, and a new session on a
new bench (the window or the command line started again) measures that sample's emulated cell shorted."""

import json
from pathlib import Path

import pytest

from instruments.bench import Bench
from instruments.clock import ManualClock
from workbench.cell import Sample
from workbench.procedures import CCDParameters, CCDTest, ImpedanceSweep, ImpedanceSweepParameters, SubRange
from workbench.sample_record import recorded_short
from workbench.session import Session
from workbench.store import Store

CCD = CCDParameters(start_current_density_mA_cm2=0.1, stop_current_density_mA_cm2=1.0,
                    step_current_density_mA_cm2=0.1, capacity_mAh_cm2=0.25, sample_period_s=10.0)
EMULATED = Path(__file__).resolve().parents[2] / "resources" / "benches" / "emulated.toml"
SWEEP = ImpedanceSweepParameters(start_frequency_hz=1e4, stop_frequency_hz=0.1, points_per_decade=2,
                                 sub_ranges=(SubRange(1e4, 0.1, integration_s=1.0),))


def low_frequency_z_real(session) -> float:
    finished = session.run_blocking(ImpedanceSweep(SWEEP))
    assert finished.status == "completed", finished.reason
    points = session.store.points(finished.run_id, "impedance")
    return float(points["z_real_ohm"][points["frequency_hz"].argmin()])


@pytest.fixture
def sessions(tmp_path):
    made = []
    config = tmp_path / "bench.toml"   # the default bench with a seed: the same cells in every process
    config.write_text(EMULATED.read_text().replace("[bench]\n", "[bench]\nseed = 11\n"))

    def start(sample, *, store_path=tmp_path / "workspace.sqlite"):
        bench = Bench.from_config(config, clock=ManualClock(), cell=sample.surface_state)
        session = Session(bench, Store(store_path), sample=sample)
        made.append(session)
        return session

    yield start
    for session in made:
        session.close()
        session.bench.close()
        session.store.close()


def test_a_sample_that_shorted_is_measured_shorted_after_a_restart(sessions):
    sample = Sample.paper("EtOH4000", name="NZSP-E4K")
    first = sessions(sample)
    assert first.recorded_short is None
    intact_z = low_frequency_z_real(first)
    ccd = first.run_blocking(CCDTest(CCD))
    assert ccd.status == "shorted", ccd.reason
    assert first.bench.cell.shorted
    first.close()
    first.bench.close()
    first.store.close()

    again = sessions(sample)  # a new process: new bench, new cells, the same workspace
    assert again.recorded_short is not None and again.recorded_short.run_id == ccd.run_id
    assert again.bench.cell.shorted and again.bench.cell.short_state == "soft"
    assert again.cell_description == "emulated cell NZSP-E4K: EtOH4000, 1.70 mm, 8.5 mm electrodes, soft-shorted"
    shorted_z = low_frequency_z_real(again)
    assert shorted_z < 0.6 * intact_z, (shorted_z, intact_z)   # the filament in parallel with the cell
    # and the next run knows it was measured on a shorted cell
    assert "soft-shorted" in again.store.run(again.store.runs()[-1].id).instruments["cell"]

    other = Sample.paper("EtOH4000", name="NZSP-E4K-2")   # another pellet: intact
    again.set_sample(other)
    assert again.recorded_short is None and not again.bench.cell.shorted
    assert low_frequency_z_real(again) == pytest.approx(intact_z, rel=0.2)

    again.set_sample(sample, fresh=True)   # Replace cell: a new pellet under the same name
    assert not again.bench.cell.shorted
    assert low_frequency_z_real(again) == pytest.approx(intact_z, rel=0.2)
    # its intact run is now the last word on that name: a restart keeps the new pellet intact
    assert recorded_short(again.store, sample) is None


def test_another_description_under_the_same_name_is_another_pellet(sessions, tmp_path):
    sample = Sample.paper("EtOH4000", name="P1")
    first = sessions(sample, store_path=tmp_path / "w.sqlite")
    assert first.run_blocking(CCDTest(CCD)).status == "shorted"
    assert recorded_short(first.store, sample) is not None
    assert recorded_short(first.store, Sample.paper("EtOH500", name="P1")) is None
    thinner = Sample(name="P1", surface_state="EtOH4000", thickness_mm=1.0, electrode_diameter_mm=8.5)
    assert recorded_short(first.store, thinner) is None


def test_the_bench_makes_a_sample_cell_shorted_on_request():
    bench = Bench.from_config(clock=ManualClock())
    try:
        geometry = {"surface_state": "as sintered", "thickness_cm": 0.17, "electrode_diameter_cm": 0.85}
        cell = bench.set_sample_cell("A", **geometry)
        intact = cell.impedance(1.0)[0].real
        assert bench.set_sample_cell("A", **geometry, shorted="soft") is cell
        assert cell.short_state == "soft" and cell.short_current_sign == -1
        assert cell.describe().endswith(", soft-shorted")
        assert cell.impedance(1.0)[0].real < intact
        bench.set_sample_cell("A", **geometry, shorted="hard")
        assert cell.short_state == "hard" and cell.describe().endswith(", hard-shorted")
        bench.set_sample_cell("A", **geometry, shorted="soft")   # never healed by asking for less
        assert cell.short_state == "hard"
        assert not bench.set_sample_cell("B", **geometry).shorted
        assert bench.set_sample_cell("A", **geometry, fresh=True).short_state == "none"
        with pytest.raises(ValueError, match="shorted must be"):
            bench.set_sample_cell("A", **geometry, shorted="very")
    finally:
        bench.close()


def test_the_command_line_says_a_sample_is_shorted_and_measures_it_so(tmp_path):
    from tests.engine.test_engine_cli import QUICK_CCD, cli

    protocol = tmp_path / "ccd.toml"
    protocol.write_text(QUICK_CCD)
    store = tmp_path / "w.sqlite"
    first = cli("run", protocol, "--speed", "inf", "--store", store, "--json", timeout=120)
    assert json.loads(first.stdout)["status"] == "shorted", first.stderr
    assert "note:" not in first.stderr
    second = cli("run", protocol, "--speed", "inf", "--store", store, "--json", timeout=120)
    assert "note: AS-2 shorted in run 1: its cell stays shorted" in second.stderr
    summary = json.loads(second.stdout)
    # measured on the shorted cell, and stored as such
    from workbench.store import Store

    with Store(store) as reopened:
        assert reopened.run(summary["run_id"]).instruments["cell"].endswith("-shorted")
