"""The CCD wizard clicked through on the emulated as-sintered cell, to the automatic abort and its result."""

import pytest
from PySide6.QtWidgets import QWizard

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.ccd_wizard import CCDWizard
from workbench.session import Session
from workbench.store import Store


@pytest.fixture
def wizard(qtbot, settings, tmp_path):
    bench = Bench.from_config(clock=ManualClock())
    store = Store(tmp_path / "workspace.sqlite")
    wizard = CCDWizard(Session(bench, store), settings=settings)
    qtbot.addWidget(wizard)
    wizard.show()
    yield wizard
    wizard.close()
    bench.close()
    store.close()


def _next(wizard):
    assert wizard.currentPage().isComplete(), wizard.currentPage().error.text()
    wizard.button(QWizard.NextButton).click() if wizard.button(QWizard.NextButton).isVisible() else \
        wizard.button(QWizard.CommitButton).click()


def test_invalid_entries_are_refused_with_the_reason(wizard):
    cell = wizard.cell_page
    cell.thickness.setText("-1")
    assert not cell.isComplete()
    assert "thickness" in cell.error.text() and "positive" in cell.error.text()
    cell.thickness.setText("abc")
    assert "not a number" in cell.error.text()
    cell.thickness.setText("1.70")
    cell.name.setText("  ")
    assert not cell.isComplete() and "name" in cell.error.text()
    cell.name.setText("NZSP-A")
    cell.surface.setCurrentText("EtOH300")  # not in the list: nothing but a known surface can be chosen
    assert cell.surface.currentText() != "EtOH300"
    cell.surface.setCurrentText("EtOH500-anneal")
    assert cell.isComplete()
    assert "0.5675" in cell.area.text()
    _next(wizard)
    protocol = wizard.protocol_page
    protocol.stop.setText("0.1")
    assert not protocol.isComplete() and "Stop (mA/cm²)" in protocol.error.text()
    assert "stop_current_density" not in protocol.error.text()
    protocol.stop.setText("15")
    protocol.capacity.setText("0")
    assert not protocol.isComplete() and "Capacity per half-cycle" in protocol.error.text()
    protocol.capacity.setText("0.25")
    assert protocol.isComplete()
    assert wizard.button(QWizard.NextButton).isEnabled()
    _next(wizard)
    safety = wizard.safety_page
    safety.upper.setText("20")
    assert not safety.isComplete() and "compliance" in safety.error.text()


def test_protocol_numbers_follow_the_typing(wizard):
    _next(wizard)
    protocol = wizard.protocol_page
    # the paper's test: 0.5 to 15 mA/cm2 in 0.5 steps at 0.25 mAh/cm2 on 8.5 mm electrodes
    assert protocol.table.rowCount() == 30
    assert protocol.table.item(0, 2).text() == "0.2837"  # mA at 0.5 mA/cm2 on 0.5675 cm2
    assert protocol.table.item(0, 3).text() == "30 min 00 s"  # 0.25 mAh/cm2 at 0.5 mA/cm2
    protocol.mode.setCurrentText("Constant dwell")
    protocol.dwell.setText("600")
    assert protocol.table.item(5, 3).text() == "10 min 00 s"
    protocol.mode.setCurrentText("Formation cycles")
    assert protocol.table.rowCount() == 10
    assert protocol.table.item(9, 1).text() == "10"
    assert "h" in protocol.total.text()


def test_ccd_run_aborts_on_the_short_and_shows_the_result(wizard, qtbot, tmp_path):
    bench = wizard.bench
    _next(wizard)  # cell: as sintered, paper geometry
    wizard.protocol_page.sample_period.setText("5")
    _next(wizard)  # protocol: the paper's staircase
    wizard.safety_page.sweep_before.setChecked(True)
    wizard.safety_page.sweep_after.setChecked(True)
    _next(wizard)  # safety
    assert "Start" in wizard.button(QWizard.CommitButton).text()
    assert "0.5 to 15" in wizard.review_page.text.toPlainText()
    _next(wizard)  # review -> start
    run_page = wizard.run_page
    assert wizard.currentPage() is run_page
    qtbot.waitUntil(lambda: run_page.finished is not None, timeout=120_000)
    finished = run_page.finished
    assert finished.status == "shorted"
    expected = bench.cell.critical_current_density_mA_cm2
    ccd = finished.result["critical_current_density_mA_cm2"]
    assert abs(ccd - expected) <= 0.5 + 1e-9, (ccd, expected)
    assert run_page.plot.events, "the short is marked on the live plot"
    # the output is off: the engine left the cell safe
    assert bench.galvanostat.query(":OUTP?").strip() == "0"
    _next(wizard)
    result = wizard.result_page
    assert f"{ccd:g} mA/cm²" in result.ccd_label.text()
    assert "current switched off" in result.event_label.text().lower()
    assert set(result.spectra.spectrum_names) >= {"before cycling", "after cycling"}
    written = result.export_csv(str(tmp_path / "ccd.csv"))
    assert written.read_text().count("\n") > 100


def test_protocol_values_are_remembered(qtbot, settings, tmp_path):
    bench = Bench.from_config(clock=ManualClock())
    store = Store(tmp_path / "w.sqlite")
    try:
        session = Session(bench, store)
        first = CCDWizard(session, settings=settings)
        first.protocol_page.mode.setCurrentText("Constant dwell")
        first.protocol_page.dwell.setText("900")
        first.safety_page.sweep_before.setChecked(False)
        first.close()
        second = CCDWizard(session, settings=settings)
        assert second.protocol_page.mode.currentText() == "Constant dwell"
        assert second.protocol_page.dwell.text() == "900"
        assert not second.safety_page.sweep_before.isChecked()
        second.close()
    finally:
        bench.close()
        store.close()
