"""A fitted run keeps its interface resistance in the store; exports carry it; `python -m workbench analyse`."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.engine.stores import protect
from workbench.cell import Sample
from workbench.cli import main
from workbench.formats import read_spectrum, write_csv, write_zview
from workbench.impedance.synthetic import log_frequencies, noisy_spectrum, paper_cell_parameters
from workbench.run_analysis import analyse_run, ascii_line, stored_result
from workbench.store import Store

F = log_frequencies(13e6, 5.0, 20)


def impedance_run(store: Store, r_area: float, seed: int = 1, *more_sweeps: float) -> int:
    """A stored run of one sweep of a cell of ``r_area`` Ohm cm2, then one sweep of each of ``more_sweeps``."""
    sample = Sample("NZSP-01", "EtOH500", 1.7, 8.5)
    run_id = store.create_run("impedance", sample=sample)
    t = 0.0
    for r in (r_area, *more_sweeps):
        z = noisy_spectrum(paper_cell_parameters(r, area_cm2=sample.area_cm2), F, 0.005, seed)
        for f, zk in zip(F, z, strict=True):
            store.add_point(run_id, "impedance", t, {"frequency_hz": f, "z_real_ohm": zk.real,
                                                     "z_imag_ohm": zk.imag})
            t += 1.0
    store.finish_run(run_id, "completed")
    return run_id


def test_analysed_run_keeps_its_result_and_exports_carry_it(tmp_path):
    store = Store(tmp_path / "ws.sqlite")
    run_id = impedance_run(store, 24.2)
    assert stored_result(store, run_id) is None
    result = analyse_run(store, run_id)
    kept = stored_result(store, run_id)
    assert kept == {**json.loads(json.dumps(result.to_dict())), "sweep": 1, "n_sweeps": 1}
    assert kept["value_ohm_cm2"] == pytest.approx(24.2, rel=0.02)
    assert kept["method"] == "interface arc" and kept["circuit"] == "R0-L0-p(R1,CPE1)-p(R2,CPE2)"
    assert store.latest_results() == {run_id: kept}
    fit = store.fits(run_id)[-1]
    assert fit["notes"] == result.text() and fit["values"]["R_int_ohm"] > 0
    csv_path = store.export_csv(run_id, tmp_path / "run.csv")
    header = [line for line in csv_path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any(line.startswith(f"# interface resistance: {result.text()}") for line in header)
    payload = next(line for line in header if "(json)" in line).split("(json): ", 1)[1]
    assert json.loads(payload)["stderr_ohm_cm2"] == pytest.approx(result.stderr_ohm_cm2)
    z_path = store.export_zview(run_id, tmp_path / "run.z")
    assert f"interface resistance: {ascii_line(result.text())}" in z_path.read_text(encoding="ascii")
    assert " +- " in ascii_line(result.text()) and "Ohm cm2 (interface arc)" in ascii_line(result.text())
    assert len(read_spectrum(z_path)) == F.size  # still a valid .z
    store.close()


def test_cli_analyse_run_and_file(tmp_path, capsys):
    path = tmp_path / "ws.sqlite"
    with Store(path) as store:
        run_id = impedance_run(store, 0.1, seed=3)
    assert main(["analyse", str(run_id), "--store", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run_id"] == run_id and out["kept"] is True
    assert out["value_ohm_cm2"] >= 0 and out["stderr_ohm_cm2"] <= 0.3
    if not out["resolved"]:
        assert out["text"].startswith("not resolved: < ") and out["upper_bound_ohm_cm2"] >= 0.1
    assert main(["analyse", str(run_id), "--store", str(path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"run {run_id} NZSP-01 (EtOH500): interface resistance ") and "Ω cm²" in line
    with Store(path) as store:
        assert len([f for f in store.fits(run_id) if f["result"]]) == 2

    # a file: the area from the file (.z keeps it) or from --area-cm2
    z = noisy_spectrum(paper_cell_parameters(300.0), F, 0.005, 4)
    frame = pd.DataFrame({"frequency_hz": F, "z_real_ohm": z.real, "z_imag_ohm": z.imag})
    z_file = write_zview(frame, tmp_path / "cell.z", area_cm2=float(np.pi * 0.425 ** 2))
    assert main(["analyse", str(z_file)]) == 0
    text = capsys.readouterr().out
    assert "interface resistance 30" in text and "(interface arc)" in text
    csv_file = write_csv(frame, tmp_path / "cell.csv")
    assert main(["analyse", str(csv_file), "--area-cm2", "0.5675", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["value_ohm_cm2"] == pytest.approx(300, rel=0.02)


@pytest.mark.parametrize("args, message", [
    (["analyse", "77"], "no run 77"),
    (["analyse", "nothing.z"], "nothing.z: no such file"),
    (["analyse", "1", "--area-cm2", "0.5"], "--area-cm2 is for a file"),
    (["analyse", "cell.csv", "--area-cm2", "-1"], "expected a positive electrode area"),
    (["analyse", "cell.csv"], "gives no electrode area"),
    (["analyse", "bad.csv", "--area-cm2", "0.5"], "bad.csv"),
    (["analyse", "2"], "no impedance points"),
])
def test_cli_analyse_bad_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    z = noisy_spectrum(paper_cell_parameters(24.2), F, 0.005, 4)
    write_csv(pd.DataFrame({"frequency_hz": F, "z_real_ohm": z.real, "z_imag_ohm": z.imag}), tmp_path / "cell.csv")
    (tmp_path / "bad.csv").write_text("frequency,zre\n1,2\n", encoding="utf-8")
    with Store(tmp_path / "ws.sqlite") as store:
        impedance_run(store, 24.2)
        other = store.create_run("galvanostatic", sample=Sample("S2", "EtOH500", 1.7, 8.5))
        store.finish_run(other, "completed")
    assert main([*args, "--store", str(tmp_path / "ws.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_read_only_store_is_analysed_but_not_written(tmp_path, capsys):
    path = tmp_path / "ws.sqlite"
    with Store(path) as store:
        run_id = impedance_run(store, 24.2)
    undo = protect(path)
    if undo is None:
        pytest.skip("cannot make a file read-only here (root without chattr)")
    try:
        assert main(["analyse", str(run_id), "--store", str(path), "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["kept"] is False and out["method"] == "interface arc"
    finally:
        undo()
    with Store(path) as store:
        assert stored_result(store, run_id) is None


def test_a_run_of_several_sweeps_is_analysed_sweep_by_sweep(tmp_path, capsys):
    # e.g. a CCD test's sweep before and after: never both fitted as one spectrum
    path = tmp_path / "ws.sqlite"
    with Store(path) as store:
        run_id = impedance_run(store, 24.2, 1, 6000.0)
    assert main(["analyse", str(run_id), "--store", str(path), "--json"]) == 0
    last = json.loads(capsys.readouterr().out)
    assert (last["sweep"], last["n_sweeps"], last["n_points"]) == (2, 2, F.size)
    assert last["value_ohm_cm2"] == pytest.approx(6000.0, rel=0.02)
    assert main(["analyse", str(run_id), "--store", str(path), "--sweep", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"run {run_id} NZSP-01 (EtOH500), sweep 1 of 2: interface resistance 24.")
    assert main(["analyse", str(run_id), "--store", str(path), "--sweep", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: sweep 3: run {run_id} has 2 sweeps (1 to 2)"
    with Store(path) as store:
        kept = [f["result"] for f in store.fits(run_id) if f["result"]]
        assert [(k["sweep"], k["n_sweeps"]) for k in kept] == [(2, 2), (1, 2)]
        assert kept[1]["value_ohm_cm2"] == pytest.approx(24.2, rel=0.02)
        # each kept result is shown again on its own sweep when the run is reopened
        from workbench.kept_fit import kept_analyses
        from workbench.session import stored_sweeps

        shown = kept_analyses(store, run_id, stored_sweeps(store, run_id))
        assert sorted(shown) == [0, 1]
        assert shown[0].interface.value_ohm_cm2 == pytest.approx(24.2, rel=0.02)
        assert shown[1].interface.value_ohm_cm2 == pytest.approx(6000.0, rel=0.02)
