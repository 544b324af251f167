"""Users' files into the workspace: runs marked imported, series of sweeps, duplicates, bad files, the CLI."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

from workbench.cell import Sample
from workbench.formats import read_spectrum, write_csv
from workbench.formats.cycling import read_cycling
from workbench.importing import import_file, import_files
from workbench.spectrum_analysis import arrhenius, fit_series
from workbench.store import Store

SAMPLE = Sample("NZSP-07", "EtOH500", 1.70, 8.5)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "w.sqlite") as opened:
        yield opened


def test_spectrum_file_becomes_an_imported_run(store):
    outcome = import_file(store, DATA / "gamry_eispot.DTA", SAMPLE, temperature_c=25.0)
    assert outcome.ok and outcome.kind == "impedance" and outcome.format == "gamry"
    (run_id,) = outcome.run_ids
    record = store.run(run_id)
    assert (record.kind, record.status) == ("impedance_sweep", "imported")
    assert record.source_path == str((DATA / "gamry_eispot.DTA").resolve())
    assert record.source_sha256 == hashlib.sha256((DATA / "gamry_eispot.DTA").read_bytes()).hexdigest()
    assert record.source_format == "gamry"
    assert (record.sample_name, record.surface_state, record.temperature_c) == ("NZSP-07", "EtOH500", 25.0)
    assert record.area_cm2 == pytest.approx(SAMPLE.area_cm2)
    assert record.result == {"source_file": "gamry_eispot.DTA", "n_points": 6}
    assert record.parameters["source"]["file_area_cm2"] == pytest.approx(0.785)
    frequency, z = store.spectrum(run_id)
    df = read_spectrum(DATA / "gamry_eispot.DTA")
    np.testing.assert_array_equal(frequency, df["frequency_hz"])
    np.testing.assert_array_equal(z, df["z_real_ohm"] + 1j * df["z_imag_ohm"])
    assert outcome.text() == f"gamry_eispot.DTA: 1 spectrum (gamry) imported as run {run_id}"


@pytest.mark.parametrize("name, sweeps", [("eclab_sweeps_rest.mpt", 3), ("eclab_peis_sweeps.mpr", 2),
                                          ("eclab_geis.mpr", 2), ("eclab_peis.mpt", 2),
                                          ("eclab_peis_eu.mpt", 2)])
def test_a_file_of_several_sweeps_becomes_a_series(store, name, sweeps):
    outcome = import_file(store, DATA / name, SAMPLE)
    assert len(outcome.run_ids) == sweeps
    records = [store.run(r) for r in outcome.run_ids]
    assert [r.parameters["sweep"] for r in records] == list(range(1, sweeps + 1))
    assert all(r.parameters["sweeps_in_file"] == sweeps for r in records)
    assert sum(len(store.spectrum(r.id)[0]) for r in records) == len(read_spectrum(DATA / name))
    assert outcome.text().endswith(f"{sweeps} spectra ({outcome.format}) imported as runs "
                                   + ", ".join(map(str, outcome.run_ids)))


def test_the_same_content_twice_is_detected(store, tmp_path):
    first = import_file(store, DATA / "zplot_sweep.z", SAMPLE)
    again = import_file(store, DATA / "zplot_sweep.z", SAMPLE)
    copy = tmp_path / "renamed.txt"
    copy.write_bytes((DATA / "zplot_sweep.z").read_bytes())
    renamed = import_file(store, copy, SAMPLE)
    assert again.ok and again.run_ids == [] and again.duplicate_of == first.run_ids
    assert renamed.duplicate_of == first.run_ids
    assert again.text() == f"zplot_sweep.z: already imported (run {first.run_ids[0]}); skipped"
    assert len(store.runs()) == 1


def test_bad_files_are_reported_and_the_batch_goes_on(store, tmp_path):
    garbage = tmp_path / "notes.txt"
    garbage.write_text("shopping list\nmilk\n")
    cut = tmp_path / "cut.csv"
    cut.write_text("freq,Z',-Z'',Zmod\n1000,10,3,10.4\n100,11,2\n10,12,1,12.04\n")
    missing = tmp_path / "gone.mpr"
    seen = []
    outcomes = import_files(store, [DATA / "gamry_eispot.DTA", garbage, cut, missing, DATA / "arbin_export.csv"],
                            SAMPLE, progress=lambda done, total, o: seen.append((done, total, o.path.name)))
    assert [o.ok for o in outcomes] == [True, False, False, False, True]
    assert outcomes[1].text().startswith("notes.txt: not imported: line 1: unrecognised file: expected an "
                                         "impedance spectrum")
    assert outcomes[2].error == "line 3: expected 4 cells as in the header (line 1), found 3: the row is cut short"
    assert outcomes[3].error.startswith("cannot read it")
    assert seen == [(1, 5, "gamry_eispot.DTA"), (2, 5, "notes.txt"), (3, 5, "cut.csv"), (4, 5, "gone.mpr"),
                    (5, 5, "arbin_export.csv")]
    assert [r.source_format for r in store.runs()] == ["gamry", "arbin"]


def test_a_batch_can_be_cancelled_between_files(store):
    asked = []
    outcomes = import_files(store, [DATA / "gamry_eispot.DTA", DATA / "zplot_sweep.z"], SAMPLE,
                            cancelled=lambda: asked.append(1) or len(asked) > 1)
    assert len(outcomes) == 1 and len(store.runs()) == 1


def test_cycling_run_keeps_time_current_and_density(store):
    (run_id,) = import_file(store, DATA / "eclab_cp.mpt", SAMPLE).run_ids
    record = store.run(run_id)
    assert (record.kind, record.status) == ("cycling", "imported")
    assert record.parameters["time_offset_s"] == pytest.approx(1234.5)
    points = store.points(run_id, "cycling")
    frame = read_cycling(DATA / "eclab_cp.mpt")
    np.testing.assert_allclose(points["time_s"], frame["time_s"] - 1234.5)
    np.testing.assert_array_equal(points["current_a"], frame["current_a"])
    np.testing.assert_allclose(points["current_density_mA_cm2"], frame["current_a"] / SAMPLE.area_cm2 * 1e3)
    assert points["step"].tolist() == frame["step"].tolist()
    assert points["half_cycle"].tolist() == [0, 0, 0, 1, 1, 1]  # derived from the current's sign
    assert record.parameters["half_cycle"].startswith("derived")
    assert record.parameters["source"]["current_source"] == "measured"


def test_maccor_magnitudes_get_the_sign_of_their_state(store):
    (run_id,) = import_file(store, DATA / "maccor_export.txt", SAMPLE).run_ids
    points = store.points(run_id, "cycling")
    np.testing.assert_allclose(points["current_a"], [0, 5e-4, 5e-4, -5e-4, -5e-4, 0], atol=1e-12)
    assert "Maccor magnitudes" in store.run(run_id).parameters["current_sign_stored"]


def test_setpoint_current_is_flagged_in_the_run(store):
    (run_id,) = import_file(store, DATA / "eclab_gcpl_setpoint.mpr", SAMPLE).run_ids
    assert store.run(run_id).parameters["source"]["current_source"] == "set-point"


def test_imported_spectra_round_trip_through_the_exports(store, tmp_path):
    """What the workbench exports (CSV, ZView .z) reads back identical."""
    (run_id,) = import_file(store, DATA / "versastudio.par", SAMPLE).run_ids
    frequency, z = store.spectrum(run_id)
    for path in (store.export_csv(run_id, tmp_path / "run.csv"), store.export_zview(run_id, tmp_path / "run.z")):
        back = read_spectrum(path)
        np.testing.assert_array_equal(back["frequency_hz"], frequency)
        np.testing.assert_array_equal(back["z_real_ohm"], z.real)
        np.testing.assert_array_equal(back["z_imag_ohm"], z.imag)


def test_imported_spectrum_opens_and_fits_in_a_session(tmp_path):
    from instruments.bench import Bench
    from instruments.clock import ManualClock
    from workbench.session import Session

    bench = Bench.from_config(clock=ManualClock())
    session = Session(bench, Store(tmp_path / "w.sqlite"))
    try:
        outcomes = session.import_files([DATA / "eclab_sweeps_rest.mpt"], SAMPLE, temperature_c=30.0)
        run_id = outcomes[0].run_ids[0]
        record = session.open_run(run_id)
        assert record.status == "imported"
        assert session.spectrum.run_id == run_id and session.spectrum.area_cm2 == pytest.approx(SAMPLE.area_cm2)
        analysis = session.analyse("R0-p(R1,C1)")
        assert analysis.fit.values["R1"] == pytest.approx(850.0, rel=1e-4)
        assert [f["circuit"] for f in session.store.fits(run_id)] == ["R0-p(R1,C1)"]
    finally:
        session.close()
        bench.close()
        session.store.close()


def test_imported_temperature_series_gives_the_activation_energy(store, tmp_path):
    """Spectra of an Arrhenius conductor at four temperatures, imported with their temperatures."""
    ea_ev, k = 0.35, 8.617333262e-5
    frequency = np.logspace(6, -1, 36)
    paths = {}
    for t_c in (25.0, 40.0, 60.0, 80.0):
        t_k = t_c + 273.15
        r1 = 850.0 * (t_k / 298.15) * np.exp(ea_ev / k * (1 / t_k - 1 / 298.15))
        z = 12.0 + r1 / (1 + 2j * np.pi * frequency * r1 * 2e-8)
        paths[t_c] = write_csv(pd.DataFrame({"frequency_hz": frequency, "z_real_ohm": z.real, "z_imag_ohm": z.imag}),
                               tmp_path / f"nzsp_{t_c:.0f}C.csv")
    run_ids = [import_file(store, path, SAMPLE, temperature_c=t_c).run_ids[0] for t_c, path in paths.items()]
    records = [store.run(r) for r in run_ids]
    analyses = fit_series([store.spectrum(r) for r in run_ids], "R0-p(R1,C1)", area_cm2=SAMPLE.area_cm2)
    fit = arrhenius([r.temperature_c for r in records], [a.fit.values["R1"] for a in analyses])
    assert fit.activation_energy_ev == pytest.approx(ea_ev, rel=1e-3)


# --- the command line ---------------------------------------------------------------------------

def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_cli_imports_a_batch_reports_bad_files_and_detects_duplicates(tmp_path):
    store = tmp_path / "w.sqlite"
    bad = tmp_path / "bad.csv"
    bad.write_text("freq,Z',-Z''\n1000,abc,3\n")
    files = [DATA / "eclab_peis_sweeps.mpr", bad, DATA / "neware_quoted.csv"]
    done = cli("import", *files, "--sample", "NZSP-07", "--surface", "dry4000-anneal", "--temperature", "60",
               "--store", store)
    assert done.returncode == 2
    assert done.stdout.splitlines() == ["eclab_peis_sweeps.mpr: 2 spectra (biologic-mpr) imported as runs 1, 2",
                                        "neware_quoted.csv: 1 cycling run (neware) imported as run 3"]
    err = done.stderr.splitlines()
    assert err[0].startswith("sample NZSP-07 (dry4000-anneal), area 0.5675 cm2 from a 8.5 mm electrode (the paper's")
    assert err[1:] == ["bad.csv: not imported: line 2: expected 3 numeric columns (freq, Z', -Z''), found 'abc'"]
    assert "Traceback" not in done.stderr
    again = cli("import", DATA / "eclab_peis_sweeps.mpr", "--sample", "NZSP-07", "--surface", "dry4000-anneal",
                "--store", store, "--json")
    assert again.returncode == 0
    (reported,) = json.loads(again.stdout)
    assert reported["duplicate_of"] == [1, 2] and reported["run_ids"] == [] and reported["ok"]
    listing = cli("runs", "--store", store, "--json")
    runs = json.loads(listing.stdout)
    assert [(r["id"], r["kind"], r["status"]) for r in runs] == [(1, "impedance_sweep", "imported"),
                                                                 (2, "impedance_sweep", "imported"),
                                                                 (3, "cycling", "imported")]
    with Store(store) as opened:
        assert opened.run(3).temperature_c == 60.0 and opened.run(1).surface_state == "dry4000-anneal"


@pytest.mark.parametrize("options, expected", [
    (["--surface", "EtOH9000"], "error: --surface: "),
    (["--surface", "EtOH500", "--electrode-diameter-mm", "-3"], "error: --electrode-diameter-mm: "),
    (["--surface", "EtOH500", "--temperature", "-300"], "error: --temperature: expected degrees C above -273.15"),
    (["--surface", "EtOH500", "--temperature", "warm"], "error: python -m workbench import: argument --temperature"),
])
def test_cli_bad_options_are_one_line_and_import_nothing(tmp_path, options, expected):
    store = tmp_path / "w.sqlite"
    done = cli("import", DATA / "gamry_eispot.DTA", "--sample", "NZSP-07", *options, "--store", store)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(expected), done.stderr
    assert not store.exists() or Store(store).runs() == []


def test_a_mixed_run_export_reads_back_identical_as_spectrum_and_as_cycling(store, tmp_path):
    """A run with impedance and cycling points (a CCD test with sweeps) exported as CSV: read_spectrum gives
    its impedance points and read_cycling its cycling points, identical; the .z keeps the times."""
    run_id = store.create_run("ccd", sample=SAMPLE)
    z = 12 + 850 / (1 + 2j * np.pi * np.array([1e5, 1e3, 10.0]) * 850 * 2e-8)
    points = [("impedance", 1.0 + k, {"frequency_hz": f, "z_real_ohm": v.real, "z_imag_ohm": v.imag})
              for k, (f, v) in enumerate(zip([1e5, 1e3, 10.0], z, strict=True))]
    points += [("cycling", 10.0 + k / 3, {"voltage_v": 0.01 * (-1) ** k, "current_a": -2.5e-4 * (-1) ** k,
                                          "current_density_mA_cm2": -0.44 * (-1) ** k, "half_cycle": k, "step": 2})
               for k in range(4)]
    store.add_points(run_id, points)
    store.finish_run(run_id, "completed")
    path = store.export_csv(run_id, tmp_path / "ccd.csv")
    spectrum = read_spectrum(path)
    np.testing.assert_array_equal(spectrum["frequency_hz"], [1e5, 1e3, 10.0])
    np.testing.assert_array_equal(spectrum["z_real_ohm"] + 1j * spectrum["z_imag_ohm"], z)
    cycling = read_cycling(path)
    assert cycling.attrs["format"] == "workbench"
    stored = store.points(run_id, "cycling")
    for column in ("time_s", "voltage_v", "current_a", "half_cycle", "step"):
        np.testing.assert_array_equal(cycling[column], stored[column])
    zfile = store.export_zview(run_id, tmp_path / "ccd.z").read_text().splitlines()
    rows = zfile[zfile.index("End Comments") + 1:]
    assert [float(row.split("\t")[3]) for row in rows] == [1.0, 2.0, 3.0]
