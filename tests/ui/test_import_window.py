"""File > Import… in the window: several files at once, progress, one line per file, the runs in the history."""

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.main_window import MainWindow
from ui.series import SeriesDialog
from workbench import importing
from workbench.formats import write_csv
from workbench.importing import import_file
from workbench.store import Store

DATA = Path(__file__).resolve().parents[1] / "formats" / "data"
SHOTS = Path("/tmp/formats")  # screenshots to look at


@pytest.fixture
def window(qtbot, settings, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    bench = Bench.from_config(clock=ManualClock())
    store = Store(tmp_path / "w.sqlite")
    win = MainWindow(bench, store, settings=settings)
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    yield win
    win.close()
    store.close()


def test_import_several_files_with_progress_and_a_bad_one(qtbot, window, tmp_path):
    action = next(a for a in window.file_menu.actions() if a.text().startswith("Import"))
    action.trigger()
    dialog = window.import_dialog
    assert dialog.isVisible()
    bad = tmp_path / "notes.csv"
    bad.write_text("freq,Z',-Z''\n1000,abc,3\n")
    dialog.add_files([DATA / "eclab_sweeps_rest.mpt", bad, DATA / "versastudio.par", DATA / "neware_quoted.csv"])
    assert dialog.files.count() == 4
    dialog.name.setText("NZSP-old-3")
    dialog.surface.setCurrentText("EtOH4000")
    dialog.temperature.setText("40")
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running and dialog.progress.value() == 4, timeout=30000)
    lines = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    assert lines[0] == "eclab_sweeps_rest.mpt: 3 spectra (biologic) imported as runs 1, 2, 3"
    assert lines[1] == "notes.csv: not imported: line 2: expected 3 numeric columns (freq, Z', -Z''), found 'abc'"
    assert lines[2] == "versastudio.par: 1 spectrum (versastudio) imported as run 4"
    assert lines[3] == "neware_quoted.csv: 1 cycling run (neware) imported as run 5"
    assert dialog.results.item(1).foreground().color().name() == "#b71c1c"
    assert "5 runs imported from 3 files; 1 not readable" in dialog.status.text()
    # the history lists them, marked imported, with the sample and the key result
    history = window.history
    rows = {history.table.item(r, 0).text(): [history.table.item(r, c).text() for c in range(7)]
            for r in range(history.table.rowCount())}
    assert rows["4"][1:3] == ["NZSP-old-3", "EtOH4000"] and rows["4"][5] == "imported"
    assert rows["4"][6] == "6 points from versastudio.par"
    dialog.grab().save(str(SHOTS / "import_dialog.png"))
    # opened like measured runs (compared and fitted as a series in the next test)
    window.open_run(4)
    assert window.session.spectrum.run_id == 4
    window.open_run(5)
    assert window.tabs.currentIndex() == 1 and len(window.cycling.buffer) == 6
    qtbot.wait(300)  # the plot draws at its next frame
    window.grab().save(str(SHOTS / "import_window.png"))

    # the same files again: detected, nothing new
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running and dialog.progress.value() == 4, timeout=30000)
    assert dialog.results.item(0).text() == "eclab_sweeps_rest.mpt: already imported (runs 1, 2, 3); skipped"
    assert len(window.store.runs()) == 5
    dialog.close()


def test_import_dialog_refuses_a_wrong_sample_and_can_stop(qtbot, window, monkeypatch):
    window.open_import_dialog()
    dialog = window.import_dialog
    dialog.add_files([DATA / "gamry_eispot.DTA", DATA / "zplot_sweep.z"])
    dialog.diameter.setText("-2")
    assert not dialog.import_button.isEnabled() and "diameter" in dialog.problem.text()
    dialog.diameter.setText("8.5")
    dialog.temperature.setText("warm")
    assert not dialog.import_button.isEnabled() and "Temperature" in dialog.problem.text()
    dialog.temperature.setText("")
    assert dialog.import_button.isEnabled()
    reading, stopped = threading.Event(), threading.Event()

    def the_first_file_is_read_until_stop_is_pressed(*args, **kwargs):
        reading.set()
        assert stopped.wait(30)
        return import_file(*args, **kwargs)

    monkeypatch.setattr(importing, "import_file", the_first_file_is_read_until_stop_is_pressed)
    dialog.start()
    assert reading.wait(30)
    dialog.stop()  # stops after the file being read
    stopped.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30000)
    assert len(dialog.outcomes) == len(window.store.runs()) == 1
    assert "stopped before" in dialog.status.text(), dialog.status.text()
    dialog.close()


def _arrhenius_spectrum(path, t_c, ea_ev=0.35):
    """A Na|NZSP|Na-like spectrum whose arc resistance follows Arrhenius (R ~ T exp(Ea / kT))."""
    k, frequency = 8.617333262e-5, np.logspace(6, -1, 36)
    t_k = t_c + 273.15
    r1 = 850.0 * (t_k / 298.15) * np.exp(ea_ev / k * (1 / t_k - 1 / 298.15))
    z = 12.0 + r1 / (1 + (2j * np.pi * frequency * r1 * 2e-8) ** 0.9)
    return write_csv(pd.DataFrame({"frequency_hz": frequency, "z_real_ohm": z.real, "z_imag_ohm": z.imag}), path)


def test_imported_temperature_series_is_compared_and_fitted_in_the_window(qtbot, window, tmp_path):
    run_ids = []
    for t_c in (25, 50, 80):
        dialog = window.open_import_dialog()
        dialog.add_files([_arrhenius_spectrum(tmp_path / f"nzsp_{t_c}C.csv", t_c)])
        dialog.name.setText("NZSP-2019")
        dialog.temperature.setText(str(t_c))
        dialog.start()
        qtbot.waitUntil(lambda d=dialog: not d.running and d.progress.value() == 1, timeout=30000)
        run_ids += dialog.outcomes[0].run_ids
        dialog.close()
    compare = window.compare_runs(run_ids)
    assert compare.skipped == []
    qtbot.wait(300)
    compare.grab().save(str(SHOTS / "import_compare.png"))
    compare.close()
    series = SeriesDialog(window.store, run_ids, "R0-p(R1,CPE1)", window)
    qtbot.addWidget(series)
    series.parameter.setCurrentText("R1")
    assert series.activation_energy_ev == pytest.approx(0.35, rel=0.02)
    series.show()
    qtbot.wait(300)
    series.grab().save(str(SHOTS / "import_series.png"))
    series.close()
