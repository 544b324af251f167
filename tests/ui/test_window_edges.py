"""The window where a first walk through it found it wrong: runs of other cells and of several sweeps,
results of another circuit, a shorted cell, closing mid-run, a missing instrument, bad paths and
numbers. Each test drives the real widgets on the emulated bench."""

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox, QWizard

from instruments.bench import Bench
from instruments.clock import ManualClock, SteppedClock
from ui.main_window import MainWindow
from workbench.cell import Sample
from workbench.procedures import ImpedanceSweep
from workbench.session import RunRefused
from workbench.store import Store


@pytest.fixture
def open_window(qtbot, settings, tmp_path):
    opened = []

    def make(cell="as sintered", clock=None):
        bench = Bench.from_config(clock=clock or ManualClock(), cell=cell)
        store = Store(tmp_path / f"workspace{len(opened)}.sqlite")
        window = MainWindow(bench, store, settings=settings)
        qtbot.addWidget(window, before_close_func=_stop_run)
        with qtbot.waitExposed(window):
            window.show()
        opened.append((window, store))
        return window

    yield make
    for window, store in opened:
        _stop_run(window)
        window.close()
        store.close()


def _stop_run(window):
    """A test that failed mid-run leaves no run under way when its window is closed (no question asked)."""
    if isinstance(window.bench.clock, SteppedClock):
        window.bench.clock.release()  # a run held by the test's clock can end
    if window.session.is_running:
        window.session.abort("test over")
        window.session.wait(30)


def _idle(qtbot, window, timeout=60_000):
    qtbot.waitUntil(lambda: window.runner is None and not window.session.is_running, timeout=timeout)


def _sweep(qtbot, window):
    window.controls["fra"].button.click()
    _idle(qtbot, window)
    return window.session.spectrum.run_id


def _ccd(qtbot, window, *, sweeps: bool):
    wizard = window.open_ccd_wizard()
    wizard.protocol_page.sample_period.setText("5")
    wizard.safety_page.sweep_before.setChecked(sweeps)
    wizard.safety_page.sweep_after.setChecked(sweeps)
    for _ in range(3):
        wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.CommitButton).click()
    qtbot.waitUntil(lambda: wizard.run_page.finished is not None, timeout=120_000)
    finished = wizard.run_page.finished
    wizard.close()
    return finished


def test_each_spectrum_is_shown_in_ohm_cm2_with_the_area_it_was_measured_with(open_window, qtbot):
    window = open_window()
    big, small = Sample("big", "as sintered", 1.70, 8.5), Sample("small", "as sintered", 1.0, 5.0)
    window.set_sample(big)
    big_run = _sweep(qtbot, window)
    window.set_sample(small)
    small_run = _sweep(qtbot, window)
    window.normalise.setChecked(True)
    for run_id in (big_run, small_run):
        window.open_run(run_id)
    for run_id, sample in ((big_run, big), (small_run, small)):
        name = f"run {run_id}: {sample.name}"
        f, z = window.store.spectrum(run_id)
        window.nyquist.refresh(force=True)
        x, _y = window.nyquist.spectrum(name).items["data"].getData()
        assert np.max(x) == pytest.approx(np.max(z.real) * sample.area_cm2 / 2, rel=1e-9), name


def test_a_ccd_run_opens_as_its_sweeps_and_the_one_after_the_short_says_so(open_window, qtbot):
    window = open_window()
    finished = _ccd(qtbot, window, sweeps=True)
    assert finished.status == "shorted"
    window.history.refresh()
    window.history.select_runs([finished.run_id])
    window.history.open_button.click()
    sweeps = window.session.run_spectra
    assert len(sweeps) == 2
    assert "before cycling" in sweeps[0].name and "confirming the short" in sweeps[1].name
    assert sweeps[0].note == "" and "shorted" in sweeps[1].note
    panel = window.fit_panel
    assert panel.sweep_box.isVisible() and panel.sweep_box.count() == 2
    assert panel.status.text().startswith(f"129 points of run {finished.run_id}")
    assert {s.name for s in sweeps} <= set(window.nyquist.spectrum_names), "both sweeps drawn, apart"
    panel.sweep_box.activated.emit(1)
    assert window.session.spectrum.name == sweeps[1].name
    assert panel.note.isVisible() and "shorted" in panel.note.text()
    analysis = panel.fit()
    assert analysis.fit.frequency_hz.size == 129, "one sweep is fitted, not the two as one"


def test_a_shorted_cell_is_described_as_shorted_and_its_later_sweep_says_so(open_window, qtbot):
    window = open_window()
    finished = _ccd(qtbot, window, sweeps=False)
    assert finished.status == "shorted"
    assert "shorted" in window.session.cell_description
    assert "shorted" in window.bench_label.text() and "shorted" in window.docks["fra"].cell_label.text()
    _sweep(qtbot, window)
    assert "shorted" in window.session.spectrum.note and "shorted" in window.fit_panel.note.text()


def test_results_of_another_circuit_or_run_are_not_left_on_show(open_window, qtbot):
    window = open_window("EtOH500")
    _sweep(qtbot, window)
    panel = window.fit_panel
    panel.set_circuit("R0-L0-p(R1,CPE1)-p(R2,CPE2)")
    panel.fit_button.click()
    assert panel.arc_table.rowCount() == 2 and panel.interface_label.text()
    panel.set_circuit("R0-L0-p(R1,CPE1)")
    assert panel.arc_table.rowCount() == 0 and panel.interface_label.text() == ""
    assert "press Fit" in panel.status.text()
    assert window.residuals.real_curve.getData()[0] is None or len(window.residuals.real_curve.getData()[0]) == 0
    panel.fit_button.click()
    panel.set_circuit("R0-L0-p(R1,CPE1")
    assert panel.arc_table.rowCount() == 0 and panel.param_table.rowCount() == 0
    panel.set_circuit("R0-L0-p(R1,CPE1)")
    panel.fit_button.click()
    hold = window.controls["galvanostat"]
    hold.duration.setText("60")
    hold.button.click()
    _idle(qtbot, window)
    hold_run = window.store.runs()[-1].id
    window.history.refresh()
    window.history.select_runs([hold_run])
    window.history.open_button.click()
    assert f"Run {hold_run} has no spectrum" in panel.status.text()
    assert panel.arc_table.rowCount() == 0 and panel.param_table.item(0, 1).text() == ""
    assert window.cycling.time_unit == "s", "a one-minute hold is read in seconds"


def test_closing_the_window_mid_run_asks_first_and_closes_the_wizard(open_window, qtbot, monkeypatch):
    clock = SteppedClock()  # the runs take only the bench time the test allows, on any host speed
    window = open_window(clock=clock)
    hold = window.controls["galvanostat"]
    hold.duration.setText("3600")
    hold.button.click()
    clock.allow(10)
    qtbot.waitUntil(lambda: len(window.cycling.buffer) > 3, timeout=30_000)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: asked.append(args) or QMessageBox.No)
    window.close()
    assert asked and window.isVisible() and window.session.is_running, "No keeps the run going"
    window.abort_action.trigger()
    clock.allow(1)
    _idle(qtbot, window)

    clock.hold()
    wizard = window.open_ccd_wizard()
    wizard.safety_page.sweep_before.setChecked(False)
    for _ in range(3):
        wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.CommitButton).click()
    clock.allow(10)
    qtbot.waitUntil(lambda: len(wizard.run_page.plot.buffer) > 3, timeout=30_000)
    runner = window.session.runner
    abort = runner.abort

    def abort_then_let_time_run(reason="aborted by the user"):
        abort(reason)
        clock.release()  # the held run's next wait ends and meets the abort

    monkeypatch.setattr(runner, "abort", abort_then_let_time_run)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.Yes)
    window.close()
    assert not window.isVisible()
    assert window.store.runs()[-1].status == "aborted"
    assert not wizard.isVisible(), "the wizard does not stay open saying 'running'"


def test_a_run_needing_a_disconnected_instrument_is_refused_before_anything_is_stored(open_window, qtbot):
    window = open_window()
    window.docks["fra"].connect_button.click()  # disconnect the analyser
    sweep = window.controls["fra"]
    assert not sweep.button.isEnabled()
    assert "impedance analyser is disconnected" in sweep.message.text()
    with pytest.raises(RunRefused, match="needs the impedance analyser"):
        window.session.start_run(ImpedanceSweep())
    assert window.store.runs() == []
    assert "impedance analyser not connected" in window.bench_label.text()
    window.docks["fra"].connect_button.click()
    assert sweep.button.isEnabled()


def test_bad_paths_and_numbers_are_said_in_one_line(open_window, qtbot, tmp_path):
    window = open_window()
    _sweep(qtbot, window)
    window.history.refresh()
    window.history.select_runs([window.store.runs()[-1].id])
    window.history._export(str(tmp_path / "no" / "such" / "folder" / "run.csv"))
    assert "was not written" in window.history.message.text() and "folder" in window.history.message.text()
    assert window.export_plot(str(tmp_path / "plot.jpg")) is None
    assert "not written" in window.activity_label.text() and ".jpg" in window.activity_label.text()
    ppd = window.controls["fra"].ppd
    for typed in ("inf", "nan", "1e308", "2.5"):
        ppd.setText(typed)
        assert "Points per decade must be a whole number from 1 to 1000" in window.controls["fra"].message.text()
    ppd.setText("20")

    wizard = window.open_ccd_wizard()
    wizard.cell_page.thickness.setText("0.001")
    assert "unusually small" in wizard.cell_page.warning.text()
    wizard.cell_page.thickness.setText("1.70")
    wizard.button(QWizard.NextButton).click()
    protocol = wizard.protocol_page
    protocol.start.setText("0.1")
    protocol.stop.setText("1")
    protocol.step.setText("0.1")
    protocol.capacity.setText("100")
    assert not protocol.isComplete() and "90 days" in protocol.error.text()
    protocol.capacity.setText("0.25")
    protocol.start.setText("0.5")
    protocol.stop.setText("15")
    protocol.step.setText("0.5")
    wizard.button(QWizard.NextButton).click()
    safety = wizard.safety_page
    safety.hard.setText("0")
    assert not safety.isComplete() and "never see a short" in safety.error.text()
    safety.hard.setText("0.2")
    safety.soft.setText("1")
    assert not safety.isComplete() and "never see a short" in safety.error.text()
    wizard.close()


def test_a_steady_voltage_is_drawn_steady(open_window, qtbot):
    window = open_window()
    hold = window.controls["galvanostat"]
    hold.duration.setText("120")
    hold.button.click()
    _idle(qtbot, window)
    window.tabs.setCurrentIndex(1)
    window.cycling.refresh(force=True)
    low, high = window.cycling.voltage_plot.getViewBox().viewRange()[1]
    assert high - low >= window.cycling.MIN_VOLTAGE_SPAN_V * 0.999
