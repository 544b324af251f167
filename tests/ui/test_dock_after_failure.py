"""A dock never shows readings that are no longer true: when its instrument stops answering, or a run ends
without the cycler confirming its output off, the readings are marked stale ("No reading since HH:MM:SS:
why") and the cycler's output reads UNKNOWN in red, until the instrument is read again."""

import re

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.main_window import MainWindow
from workbench.runner import OUTPUT_UNKNOWN
from workbench.store import Store

KEITHLEY = "GPIB0::24::INSTR"
LINKAM = "ASRL1::INSTR"
SINCE = re.compile(r"^No reading since \d\d:\d\d:\d\d: ")


def _window(qtbot, settings, tmp_path):
    bench = Bench.from_config(clock=ManualClock())
    store = Store(tmp_path / "workspace.sqlite")
    window = MainWindow(bench, store, settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window, bench, store


def test_a_cycler_that_vanished_mid_run_reads_unknown_not_off(qtbot, settings, tmp_path):
    window, bench, store = _window(qtbot, settings, tmp_path)
    dock = window.docks["galvanostat"]
    try:
        qtbot.waitUntil(lambda: dock.reading_text("output") == "off", timeout=30_000)
        assert dock.stale_text() == ""
        hold = window.controls["galvanostat"]
        hold.current_density.setText("1")
        hold.duration.setText("600")
        bench.emulation.inject_fault(KEITHLEY, "vanish", after_commands=40)
        hold.button.click()
        qtbot.waitUntil(lambda: window.runner is None, timeout=60_000)
        assert store.runs()[-1].status == OUTPUT_UNKNOWN
        qtbot.waitUntil(lambda: dock.reading_text("output") == "UNKNOWN", timeout=30_000)
        label = dock.findChild(type(dock.stale_label), "output")
        assert "c62828" in label.styleSheet(), "UNKNOWN is said in red"
        assert dock.reading_text("current_a") is None and dock.reading_text("voltage_v") is None
        assert SINCE.match(dock.stale_text()), dock.stale_text()
        assert dock.state_text() == "not answering"
        # the monitor polls it again and cannot read it: still UNKNOWN, never "off"
        monitor = window.session.monitor
        polls = monitor.polls
        monitor.poll_soon()
        qtbot.waitUntil(lambda: monitor.polls > polls + 1, timeout=30_000)
        window.bridge.drain()  # what that poll said is shown (a later poll has begun: it has said it)
        assert dock.reading_text("output") == "UNKNOWN" and SINCE.match(dock.stale_text())
        # reachable again: the monitor reads the true state, which the run left on
        bench.emulation.clear_faults()
        qtbot.waitUntil(lambda: dock.stale_text() == "", timeout=30_000)
        assert dock.reading_text("output") == "on", "the emulated Keithley still sources: the dock says so"
        assert dock.state_text() == "emulated"
    finally:
        bench.emulation.clear_faults()
        window.close()
        store.close()


def test_a_stage_that_stops_answering_is_said_stale_once_and_fresh_again(qtbot, settings, tmp_path):
    window, bench, store = _window(qtbot, settings, tmp_path)
    dock = window.docks["stage"]
    failures = []
    window.bridge.instrument_failed.connect(lambda role, message: failures.append(role))
    try:
        qtbot.waitUntil(lambda: dock.reading_text("temperature_c") == "25.0 °C", timeout=30_000)
        bench.emulation.inject_fault(LINKAM, "vanish")
        qtbot.waitUntil(lambda: dock.stale_text() != "", timeout=30_000)
        assert SINCE.match(dock.stale_text()) and "Linkam" in dock.stale_text(), dock.stale_text()
        assert dock.reading_text("temperature_c") == "25.0 °C", "the last reading is kept, greyed"
        assert "9e9e9e" in dock.findChild(type(dock.stale_label), "temperature_c").styleSheet()
        assert "Temperature stage" in window.activity_label.text()
        n_trace = len(window.temperature.buffer)
        monitor = window.session.monitor
        polls = monitor.polls
        monitor.poll_soon()
        qtbot.waitUntil(lambda: monitor.polls > polls + 1, timeout=30_000)
        window.bridge.drain()  # what that poll said is shown (a later poll has begun: it has said it)
        assert failures == ["stage"], "the same failure is said once, not at every poll"
        assert len(window.temperature.buffer) == n_trace, "a stale reading adds no point to the trace"
        bench.emulation.clear_faults()
        qtbot.waitUntil(lambda: dock.stale_text() == "", timeout=30_000)
        assert dock.state_text() == "emulated"
    finally:
        bench.emulation.clear_faults()
        window.close()
        store.close()
