import csv
import sqlite3
import time

import numpy as np
import pytest

from workbench.cell import Sample
from workbench.store import Store, StoreError


def make_run(store):
    sample = Sample("A1", "EtOH500-anneal", 1.7, 8.5, notes="test")
    run_id = store.create_run(
        "ccd",
        sample=sample,
        parameters={"capacity_mAh_cm2": 0.25},
        plan={"total_duration_s": 10.0},
        instruments={"fra": "X"},
        temperature_c=25.0,
        software_version="0.1.0",
    )
    return run_id, sample


def test_round_trip(tmp_path):
    store = Store(tmp_path / "w.sqlite")
    run_id, sample = make_run(store)
    for k in range(5):
        store.add_point(
            run_id,
            "impedance",
            float(k),
            {"frequency_hz": 10.0**-k, "z_real_ohm": 50.0 + k, "z_imag_ohm": -k},
        )
    seq = store.add_point(
        run_id,
        "cycling",
        9.0,
        {"voltage_v": 0.1, "current_a": -1e-3, "current_density_mA_cm2": -1.76, "half_cycle": 0, "step": 0},
    )
    assert seq == 5
    store.add_event(run_id, "safety", {"criterion": "soft_short"}, 9.0)
    store.add_fit(run_id, "R0-p(R1,CPE1)", {"R0": 50.0}, chi_square=1e-4)
    store.finish_run(run_id, "shorted", reason="soft short", result={"critical_current_density_mA_cm2": 10.0})
    store.close()

    store = Store(tmp_path / "w.sqlite")
    record = store.run(run_id)
    assert record.status == "shorted" and record.abort_reason == "soft short"
    assert record.surface_state == "EtOH500-anneal" and record.area_cm2 == pytest.approx(sample.area_cm2)
    assert record.parameters == {"capacity_mAh_cm2": 0.25} and record.instruments == {"fra": "X"}
    assert record.result["critical_current_density_mA_cm2"] == 10.0
    z = store.points(run_id, "impedance")
    assert list(z["seq"]) == [0, 1, 2, 3, 4]
    assert z["z_real_ohm"] == pytest.approx([50, 51, 52, 53, 54])
    frame = store.points(run_id, "cycling", as_frame=True)
    assert list(frame.columns) == [
        "seq",
        "time_s",
        "voltage_v",
        "current_a",
        "current_density_mA_cm2",
        "set_current_density_mA_cm2",
        "half_cycle",
        "step",
    ]
    assert frame["current_a"].iloc[0] == pytest.approx(-1e-3)
    assert store.events(run_id, "safety")[0]["criterion"] == "soft_short"
    assert store.fits(run_id)[0]["values"] == {"R0": 50.0}
    # a second writer continues the sequence after reopening
    assert store.add_point(run_id, "temperature", 10.0, {"temperature_c": 25.0}) == 6


def test_wal_and_unknown_run(tmp_path):
    store = Store(tmp_path / "w.sqlite")
    mode = sqlite3.connect(tmp_path / "w.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    with pytest.raises(StoreError, match="no run 42"):
        store.run(42)


def test_csv_export(tmp_path):
    store = Store(tmp_path / "w.sqlite")
    run_id, _ = make_run(store)
    for k in range(3):
        store.add_point(
            run_id,
            "cycling",
            k,
            {
                "voltage_v": 0.01 * k,
                "current_a": 1e-3,
                "current_density_mA_cm2": 1.76,
                "half_cycle": 0,
                "step": 0,
            },
        )
    path = store.export_csv(run_id, tmp_path / "run.csv")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# run")
    rows = list(csv.DictReader(lines[1:]))
    assert [float(r["voltage_v"]) for r in rows] == pytest.approx([0.0, 0.01, 0.02])
    assert rows[0]["half_cycle"] == "0"


def test_zview_export(tmp_path):
    store = Store(tmp_path / "w.sqlite")
    run_id, _ = make_run(store)
    f = np.logspace(6, 0, 7)
    for k, fk in enumerate(f):
        store.add_point(
            run_id, "impedance", k, {"frequency_hz": fk, "z_real_ohm": 60.0 + k, "z_imag_ohm": -2.0 * k}
        )
    path = store.export_zview(run_id, tmp_path / "run.z")
    from workbench.formats import read_spectrum

    frame = read_spectrum(path)
    assert np.asarray(frame["frequency_hz"], dtype=float) == pytest.approx(f)
    assert np.asarray(frame["z_imag_ohm"], dtype=float) == pytest.approx(-2.0 * np.arange(7))
    with pytest.raises(StoreError, match="no impedance"):
        other, _ = make_run(store)
        store.export_zview(other, tmp_path / "x.z")


def test_throughput_per_point_commits(tmp_path):
    store = Store(tmp_path / "w.sqlite")
    run_id, _ = make_run(store)
    n = 2000
    t = time.perf_counter()
    for k in range(n):
        store.add_point(
            run_id,
            "cycling",
            k,
            {"voltage_v": 0.1, "current_a": 1e-3, "current_density_mA_cm2": 1.0, "half_cycle": 0, "step": 0},
        )
    rate = n / (time.perf_counter() - t)
    assert len(store.point_seqs(run_id)) == n
    assert rate > 2000, f"{rate:.0f} points/s"
