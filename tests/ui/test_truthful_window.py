"""The window says what is true: each test drives the real widgets on the emulated bench and would have
caught one thing the window used to say that was not so."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit, QWizard

from instruments.bench import Bench
from instruments.clock import ManualClock, SteppedClock
from ui.main_window import MainWindow
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


# --- 1. the fit panel follows the spectrum -----------------------------------------------------------------
def test_the_fit_panel_never_shows_the_previous_spectrum_s_fit(open_window, qtbot):
    window = open_window("EtOH500")
    panel = window.fit_panel
    _sweep(qtbot, window)
    first = window.session.spectrum.run_id
    assert panel.status.text().startswith(f"129 points of run {first}") and "Press Fit" in panel.status.text()
    panel.set_circuit("R0-L0-p(R1,CPE1)-p(R2,CPE2)")
    panel.fit_button.click()
    assert panel.param_table.item(0, 1).text() != "" and panel.arc_table.rowCount() == 2
    assert "Ω cm²" in panel.interface_label.text()
    first_fit = (panel.param_table.item(0, 1).text(), panel.interface_label.text())

    seen = []  # what the panel said while the next sweep came in
    window.bridge.points.connect(lambda kind, points: seen.append(
        (panel.status.text(), panel.param_table.item(0, 1).text(), panel.arc_table.rowCount())))
    _sweep(qtbot, window)
    second = window.session.spectrum.run_id
    assert second != first
    assert seen and all(value == "" and arcs == 0 for _text, value, arcs in seen), "old fit shown over new points"
    assert any("so far" in text for text, _v, _a in seen), "the status counted the points as they came"
    assert panel.status.text().startswith(f"129 points of run {second}")
    assert panel.interface_label.text() == "" and panel.kk_label.text() == "Kramers-Kronig: —"

    panel.fit_button.click()
    second_fit = (panel.param_table.item(0, 1).text(), panel.interface_label.text())
    assert second_fit != first_fit
    window.history.refresh()
    window.history.select_runs([first])
    window.history.open_button.click()
    # the first run's own fit, kept with it, never the second's
    assert panel.status.text().startswith(f"Fitted 129 points of run {first}")
    assert (panel.param_table.item(0, 1).text(), panel.interface_label.text()) == first_fit
    assert panel.origin.text().startswith(f"Run {first}: fit kept with the run")


# --- 2. the cycler dock says whether the current flows ----------------------------------------------------
def test_the_cycler_dock_shows_the_output_state_through_a_hold_and_its_pause(open_window, qtbot):
    clock = SteppedClock()  # the run takes only the bench time the test allows, on any host speed
    window = open_window(clock=clock)
    dock = window.docks["galvanostat"]
    qtbot.waitUntil(lambda: dock.reading_text("output") == "off", timeout=30_000)
    hold = window.controls["galvanostat"]
    hold.current_density.setText("1.5")  # 0.85 mA on 8.5 mm electrodes
    hold.duration.setText("3600")
    hold.button.click()
    clock.allow(10)
    qtbot.waitUntil(lambda: dock.reading_text("output") == "on", timeout=30_000)
    assert dock.reading_text("current_a") == "-0.8512 mA"
    assert dock.reading_text("current_density_mA_cm2") == "-1.500 mA/cm²"
    window.pause_action.trigger()
    clock.allow(1)  # the run's next wait ends and meets the pause
    qtbot.waitUntil(lambda: dock.reading_text("output") == "off", timeout=30_000)
    assert dock.reading_text("current_a") is None, "no current is shown while it is off"
    window.pause_action.trigger()
    clock.allow(10)
    qtbot.waitUntil(lambda: dock.reading_text("output") == "on", timeout=30_000)
    window.abort_action.trigger()
    clock.release()
    _idle(qtbot, window)
    qtbot.waitUntil(lambda: dock.reading_text("output") == "off", timeout=30_000)
    assert dock.reading_text("current_a") is None and dock.reading_text("voltage_v") is None


def test_the_cycler_dock_shows_the_current_of_a_ccd_run_and_off_after_the_short(open_window, qtbot):
    window = open_window()
    dock = window.docks["galvanostat"]
    shown = []
    window.bridge.readings.connect(lambda role, values: role == "galvanostat" and shown.append(
        (dock.reading_text("output"), dock.reading_text("current_a"))))
    wizard = window.open_ccd_wizard()
    wizard.protocol_page.sample_period.setText("5")
    wizard.safety_page.sweep_before.setChecked(False)
    wizard.safety_page.sweep_after.setChecked(False)
    for _ in range(3):
        wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.CommitButton).click()
    qtbot.waitUntil(lambda: wizard.run_page.finished is not None, timeout=120_000)
    assert wizard.run_page.finished.status == "shorted"
    assert ("on", "-0.2837 mA") in shown, "the dock showed the current while the test drove it"
    qtbot.waitUntil(lambda: dock.reading_text("output") == "off", timeout=30_000)
    assert dock.reading_text("current_a") is None
    wizard.close()


# --- 3. the wizard's figures are the plan's ---------------------------------------------------------------
def test_the_wizard_review_agrees_with_the_plan_and_speaks_words(open_window, qtbot):
    window = open_window()
    wizard = window.open_ccd_wizard()
    wizard.button(QWizard.NextButton).click()
    protocol = wizard.protocol_page
    plan = protocol.plan
    cycling = [s for s in plan.steps if "current_density_mA_cm2" in s]
    from ui.entry import duration_text

    cycling_text = duration_text(sum(s["duration_s"] for s in cycling))
    assert f"cycling for at most {cycling_text}" in protocol.total.text()
    wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.NextButton).click()
    text = wizard.review_page.text.toPlainText()
    full = wizard.plan
    assert f"{len(full.steps)} steps, {full.n_points} points, at most {duration_text(full.total_duration_s)}" in text
    assert f"30 current steps ({cycling_text})" in text, "the cycling time is the protocol page's"
    sweeps = [s for s in full.steps if "current_density_mA_cm2" not in s]
    assert len(sweeps) == 2 and len(full.steps) == 32
    assert math.isclose(full.total_duration_s, sum(s["duration_s"] for s in full.steps))
    for raw in ("constant_capacity", "area_cm2", "mode:", "steps: 30", "_"):
        assert raw not in text, raw
    wizard.close()


def test_the_run_page_names_the_steps_as_planned_and_ends_full_at_the_short(open_window, qtbot):
    window = open_window()
    wizard = window.open_ccd_wizard()
    wizard.protocol_page.sample_period.setText("5")
    wizard.safety_page.sweep_before.setChecked(False)
    wizard.safety_page.sweep_after.setChecked(True)
    for _ in range(3):
        wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.CommitButton).click()
    run_page = wizard.run_page
    labels = []
    window.bridge.step.connect(lambda event: labels.append(run_page.step_label.text()))
    qtbot.waitUntil(lambda: run_page.finished is not None, timeout=120_000)
    assert run_page.finished.status == "shorted"
    n = len(run_page.runner.plan.steps)
    assert labels[0] == f"1 of {n}: 0.5 mA/cm² (0.2837 mA), half-cycles of 30 min 00 s"
    assert labels[-1] == f"{n} of {n}: impedance sweep confirming the short", labels[-1]
    assert run_page.progress.value() == 1000 and run_page.progress.text() == "ended at the short"
    wizard.close()


def test_an_aborted_ccd_test_claims_no_critical_current_density(open_window, qtbot):
    clock = SteppedClock()
    window = open_window(clock=clock)
    wizard = window.open_ccd_wizard()
    wizard.safety_page.sweep_before.setChecked(False)
    for _ in range(3):
        wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.CommitButton).click()
    clock.allow(60)  # a minute of the first half-cycle (30 min), a sample a second
    qtbot.waitUntil(lambda: len(wizard.run_page.plot.buffer) > 20, timeout=30_000)
    wizard.run_page.abort_button.click()
    clock.release()
    qtbot.waitUntil(lambda: wizard.run_page.finished is not None, timeout=60_000)
    assert wizard.run_page.progress.text().startswith("aborted at")
    wizard.button(QWizard.NextButton).click()
    headline = wizard.result_page.ccd_label.text()
    assert "no critical current density" in headline and "below" not in headline, headline
    assert wizard.result_page.event_plot.time_unit == "min", "the result page's time is in minutes, as the others"
    # the plot shows the current switched off when the run stopped
    assert wizard.run_page.plot.buffer.y(1)[-1] == 0.0
    wizard.close()


# --- 4. messages in the user's words, all at once, without moving the fields -------------------------------
def test_messages_use_the_field_labels_all_at_once_and_the_fields_do_not_move(open_window, qtbot):
    window = open_window()
    hold = window.controls["galvanostat"]
    window.controls_dock.show_control("galvanostat")
    qtbot.wait(50)
    before = hold.button.mapTo(window, QPoint(0, 0)), hold.current_density.mapTo(window, QPoint(0, 0))
    hold.current_density.setText("0")
    hold.duration.setText("0")
    qtbot.wait(50)
    text = hold.message.text()
    assert "Current density (mA/cm²) must be greater than 0" in text
    assert "Duration (s) must be greater than 0" in text, "every problem is said at once"
    assert "_" not in text, "no internal key"
    after = hold.button.mapTo(window, QPoint(0, 0)), hold.current_density.mapTo(window, QPoint(0, 0))
    assert after == before, "the error line moved the fields"

    sweep = window.controls["fra"]
    sweep.set_range(10, 1000)
    assert "To (Hz)" in sweep.message.text() and "stop_frequency" not in sweep.message.text()

    wizard = window.open_ccd_wizard()
    wizard.button(QWizard.NextButton).click()
    protocol = wizard.protocol_page
    protocol.stop.setText("0.1")
    protocol.capacity.setText("0")
    protocol.cycles.setText("1.5")
    errors = protocol.error.text().splitlines()
    assert len(errors) == 3, errors
    assert any(e.startswith("Stop (mA/cm²)") for e in errors)
    assert any(e.startswith("Capacity per half-cycle (mAh/cm²)") for e in errors)
    assert any(e.startswith("Cycles per step") for e in errors)
    assert "_" not in protocol.error.text()
    wizard.close()


# --- 5. what the cell cannot follow is said before the run ---------------------------------------------------
def test_a_current_beyond_the_compliance_and_a_half_cycle_shorter_than_the_sample_period_are_warned(
        open_window, qtbot):
    window = open_window()
    hold = window.controls["galvanostat"]
    hold.current_density.setText("1000")
    assert hold.warnings and "V compliance" in hold.warnings[0]
    needed = float(hold.warnings[0].split("needs about ")[1].split(" V")[0])
    assert 30 < needed < 40  # 0.5675 A through the ~61 Ohm of an as-sintered 1.70 mm pellet
    assert "⚠" in hold.message.text()
    hold.current_density.setText("0.5")
    assert hold.warnings == []

    wizard = window.open_ccd_wizard()
    wizard.button(QWizard.NextButton).click()
    protocol = wizard.protocol_page
    protocol.capacity.setText("0.00375")  # 0.9 s half-cycles at 15 mA/cm2
    assert any("0.9 s" in w and "sample period" in w for w in protocol.warnings), protocol.warnings
    assert "sample period" in protocol.warning.text()
    protocol.capacity.setText("0.25")
    protocol.stop.setText("1000")
    wizard.button(QWizard.NextButton).click()
    assert any("compliance" in w for w in wizard.safety_page.warnings), wizard.safety_page.warnings
    wizard.button(QWizard.NextButton).click()
    assert "⚠" in wizard.review_page.text.toPlainText()
    wizard.close()


# --- 6. a pause is drawn as a gap with zero current, and said -------------------------------------------------
def test_a_pause_is_drawn_as_a_gap_with_zero_current_and_the_status_says_paused(open_window, qtbot):
    clock = SteppedClock()
    window = open_window(clock=clock)
    hold = window.controls["galvanostat"]
    hold.current_density.setText("0.5")
    hold.duration.setText("3600")
    hold.button.click()
    clock.allow(30)
    qtbot.waitUntil(lambda: len(window.cycling.buffer) > 20, timeout=30_000)
    window.pause_action.trigger()
    clock.allow(1)  # the run's next wait ends and meets the pause
    qtbot.waitUntil(lambda: window.run_state_label.text().startswith("Paused"), timeout=30_000)
    assert window.run_state_label.isVisible()
    assert not window.pause_action.statusTip(), "a status tip would hide the run's state"
    clock.advance(60)  # a minute of bench time passes while paused
    window.pause_action.trigger()
    clock.allow(30)
    qtbot.waitUntil(lambda: window.run_state_label.text() == "Running", timeout=30_000)
    qtbot.waitUntil(lambda: window.cycling.buffer.x[-1] > _resume_time(window) + 5, timeout=30_000)
    window.abort_action.trigger()
    clock.release()
    _idle(qtbot, window)
    t = window.cycling.buffer.x
    v, j = window.cycling.buffer.y(0), window.cycling.buffer.y(1)
    gap = np.flatnonzero(np.isnan(v))
    assert gap.size >= 3, "the voltage has a gap"
    paused = (t >= t[gap[0]]) & (t <= t[gap[2]])
    assert np.all(j[paused][1:] == 0.0), "zero current while paused"
    assert t[gap[2]] - t[gap[0]] >= 60, "the gap spans the pause"
    assert j[-1] == 0.0, "the current is drawn off once the run stopped"


def _resume_time(window) -> float:
    v = window.cycling.buffer.y(0)
    gaps = np.flatnonzero(np.isnan(v))
    return float(window.cycling.buffer.x[gaps[-1]]) if gaps.size else math.inf


# --- 7. one control for the sweep's range -------------------------------------------------------------------
def test_the_sub_range_table_is_the_one_control_of_the_sweep_range(open_window):
    window = open_window()
    sweep = window.controls["fra"]
    labels = {sweep.form.labelForField(w).text() for w in sweep.findChildren(QLineEdit)
              if sweep.form.labelForField(w) is not None}
    assert "From (Hz)" not in labels and "To (Hz)" not in labels
    sweep.ranges.item(0, 0).setText("1e6")
    sweep.ranges.item(2, 1).setText("50")
    procedure = sweep.check()
    assert procedure.parameters.start_frequency_hz == 1e6 and procedure.parameters.stop_frequency_hz == 50
    assert sweep.message.text().startswith("1 MHz down to 50 Hz")


# --- 8. the temperature trace comes from the monitor ---------------------------------------------------------
def test_the_temperature_tab_fills_from_the_monitor_without_a_run(open_window, qtbot):
    window = open_window()
    qtbot.waitUntil(lambda: len(window.temperature.buffer) >= 3, timeout=30_000)  # the monitor reads every second
    assert window.store.runs() == []
    assert np.allclose(window.temperature.buffer.y(0), 25.0, atol=0.5)


# --- 9. the layout does not cut or hide what it shows --------------------------------------------------------
def test_the_status_bar_residuals_compare_and_surface_list_show_everything(open_window, qtbot, settings):
    window = open_window("EtOH500")
    window.resize(1500, 900)
    long_text = "Run 12 shorted: " + "hard short at 9.5 mA/cm² (plating, half-cycle 37), " * 3
    window.say(long_text)
    qtbot.wait(50)
    label = window.activity_label
    assert label.text() == long_text and label.toolTip() == long_text
    shown = label.shown_text()
    assert shown.endswith("…") and long_text.startswith(shown[:-1]), "one line, ended by … where it is too long"
    assert label.height() >= label.fontMetrics().height(), "the status message is not cut at top or bottom"
    window.resize(885, 691)  # the smallest window: still one whole line, and the bench's state beside it
    qtbot.wait(50)
    assert label.height() >= label.fontMetrics().height() and label.width() > 100
    assert window.bench_label.height() >= window.bench_label.fontMetrics().height()
    assert window.bench_label.shown_text().startswith("Bench:")
    window.resize(1500, 900)
    _sweep(qtbot, window)
    window.fit_panel.fit_button.click()
    axis = window.residuals.plot.getAxis("left")
    qtbot.wait(50)
    assert axis.label.boundingRect().width() <= axis.height(), "the residual axis label is cut"
    assert window.residuals.plot.legend is None, "no legend box over the points"
    ids = [r.id for r in window.store.runs()]
    _sweep(qtbot, window)
    window.history.refresh()
    window.history.select_runs([*ids, window.store.runs()[-1].id])
    window.history.compare_button.click()
    dialog = window.compare_dialog
    assert dialog.close_button.isVisible()
    dialog.close_button.click()
    assert not dialog.isVisible()
    cell = window.edit_cell()
    surface = cell.page.surface
    assert isinstance(surface, QComboBox) and not surface.isEditable(), "an editable combo needs two clicks"
    qtbot.mouseClick(surface, Qt.LeftButton)
    qtbot.waitUntil(lambda: surface.view().isVisible(), timeout=2000)
    surface.hidePopup()
    cell.close()


# --- issue 11: the sample the user describes is the cell the twins measure ------------------------------------
def test_choosing_a_surface_in_the_cell_dialog_changes_the_spectrum_and_the_stored_label(open_window, qtbot):
    window = open_window("as sintered")
    _sweep(qtbot, window)
    before = window.session.spectrum
    dialog = window.edit_cell()
    dialog.page.surface.setCurrentText("dry500")
    dialog.page.name.setText("NZSP-09")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()
    assert window.sample.surface_state == "dry500"
    assert "dry500" in window.bench_label.text() and "NZSP-09" in window.bench_label.text()
    assert "dry500" in window.docks["fra"].cell_label.text()
    _sweep(qtbot, window)
    after = window.session.spectrum
    record = window.store.run(after.run_id)
    assert record.sample_name == "NZSP-09" and record.surface_state == "dry500"
    assert "dry500" in record.instruments.get("cell", "")
    # dry500's interface arc (~22 Ohm cm2, two interfaces over 0.5675 cm2) adds some 78 Ohm at low frequency
    assert after.z.real[-1] - before.z.real[-1] > 50
    window.replace_cell()
    assert "A new cell NZSP-09" in window.activity_label.text()


def test_the_cell_page_says_when_the_named_sample_has_shorted(open_window, qtbot):
    window = open_window()
    wizard = window.open_ccd_wizard()
    wizard.cell_page.name.setText("NZSP-11")
    wizard.protocol_page.sample_period.setText("5")
    wizard.safety_page.sweep_before.setChecked(False)
    wizard.safety_page.sweep_after.setChecked(False)
    for _ in range(3):
        wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.CommitButton).click()
    qtbot.waitUntil(lambda: wizard.run_page.finished is not None, timeout=120_000)
    run_id = wizard.run_page.finished.run_id
    wizard.close()
    dialog = window.edit_cell()
    assert dialog.page.name.text() == "NZSP-11"
    assert f"NZSP-11 shorted in run {run_id}" in dialog.page.warning.text()
    dialog.page.name.setText("NZSP-12")
    assert dialog.page.warning.text() == ""
    dialog.close()


# --- the status bar never says no time is left while the run goes on ---------------------------------------
def test_the_status_bar_says_at_least_when_a_step_runs_late_and_never_0_s_left_while_running(open_window, qtbot):
    from workbench.procedures import HoldParameters, Sequence, SequenceParameters, TemperatureStepParameters

    clock = SteppedClock()
    window = open_window(clock=clock)
    # planned as if the stage were at 40 degC already (60 s of stability); it is at 25 degC: ~150 s late
    late = TemperatureStepParameters(setpoint_c=40.0, ramp_c_per_min=10.0, stable_for_s=60.0,
                                     expected_start_c=40.0, sample_period_s=5.0)
    hold = HoldParameters(current_density_mA_cm2=0.5, duration_s=600.0, sample_period_s=10.0)
    runner = window.session.start_run(Sequence(SequenceParameters(steps=(late, hold))))
    runner.progress_interval_s = 0.0  # every step of the clock is reported (the run waits at its first sample)
    shown = []
    window.bridge.progress.connect(lambda p: shown.append((p.step, p.elapsed_s, window.progress_label.text())))
    for _ in range(400):  # 5 s of bench time at a time, each shown before the next
        clock.allow(5)
        qtbot.waitUntil(lambda: runner.state == "finished" or clock.caught_up, timeout=30_000)
        window.bridge.drain()
        if runner.state == "finished":
            break
    clock.release()
    _idle(qtbot, window)
    assert window.store.runs()[-1].status == "completed"
    texts = [text for _step, _t, text in shown]
    assert not [t for t in texts if t.endswith(" 0 s left") or "nothing left" in t], "0 s left while running"
    assert texts[0] == "0 % · 11 min 00 s left"
    late_texts = [text for step, t, text in shown if step == 0 and t >= 60]
    assert len(late_texts) > 10, "the stage took longer than planned"
    assert all(text.endswith("% · at least 10 min 00 s left") for text in late_texts), late_texts[-1]
    hold_texts = [text for step, _t, text in shown if step == 1]
    assert hold_texts[0].endswith("% · 10 min 00 s left") and hold_texts[-2] == "98 % · 10 s left", hold_texts
