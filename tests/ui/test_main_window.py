"""The main window opens on the emulated bench with a dock per role and leaves no thread behind."""

import threading

from PySide6.QtWidgets import QDockWidget

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.main_window import MainWindow


def _open(qtbot, settings):
    bench = Bench.from_config(clock=ManualClock())
    window = MainWindow(bench, settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


def test_window_has_a_dock_per_role_and_closes_cleanly(qtbot, settings):
    threads_before = set(threading.enumerate())
    window = _open(qtbot, settings)
    docks = {d.objectName(): d for d in window.findChildren(QDockWidget)}
    assert set(docks) == {"dock-fra", "dock-galvanostat", "dock-stage", "dock-controls"}
    for role, dock in window.docks.items():
        assert dock.state_text() == "emulated", role
        assert dock.identity == window.bench.instrument(role).identity
        assert window.bench.instrument(role).identity in dock.identity_label.toolTip()
        assert dock.identity_label.text() not in ("", "—")
    assert "all emulated" in window.bench_state_text()
    assert "3/3 roles connected" in window.statusBar().findChildren(type(window.bench_label))[-1].text() or \
        "3/3 roles connected" in window.bench_label.text()
    # live readings arrive from the monitor thread
    qtbot.waitUntil(lambda: window.docks["stage"].reading_text("temperature_c") not in (None, "—"), timeout=30_000)
    # an idle SourceMeter cannot measure: the dock says the output is off instead of asking it
    qtbot.waitUntil(lambda: window.docks["galvanostat"].reading_text("output") == "off", timeout=30_000)
    assert "failed" not in window.activity_label.text()
    assert window.monitor.is_running()
    window.close()
    assert not window.monitor.is_running()
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leftover == []


def test_disconnect_and_reconnect_a_role(qtbot, settings):
    window = _open(qtbot, settings)
    dock = window.docks["galvanostat"]
    dock.connect_button.click()
    assert dock.state_text() == "disconnected"
    assert window.bench.instrument("galvanostat") is None
    assert "2/3 roles connected" in window.bench_label.text()
    dock.connect_button.click()
    assert dock.state_text() == "emulated"
    assert window.bench.instrument("galvanostat") is not None
    window.close()


def test_layout_is_remembered(qtbot, settings):
    from PySide6.QtCore import Qt

    window = _open(qtbot, settings)
    assert window.dockWidgetArea(window.docks["stage"]) == Qt.LeftDockWidgetArea
    window.addDockWidget(Qt.RightDockWidgetArea, window.docks["stage"])
    window.close()
    again = _open(qtbot, settings)
    assert again.dockWidgetArea(again.docks["stage"]) == Qt.RightDockWidgetArea
    again.close()


def test_last_used_values_come_back(qtbot, settings):
    window = _open(qtbot, settings)
    window.controls["stage"].setpoint.setText("37")
    window.controls["fra"].ppd.setText("10")
    window.fit_panel.set_circuit("R0-p(R1,CPE1)")
    window.close()
    again = _open(qtbot, settings)
    assert again.controls["stage"].setpoint.text() == "37"
    assert again.controls["fra"].ppd.text() == "10"
    assert again.fit_panel.circuit_text() == "R0-p(R1,CPE1)"
    again.close()
