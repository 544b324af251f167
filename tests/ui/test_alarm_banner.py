"""The window when the cycler vanishes mid-run: a red banner says the current may still be on and what
to do, and stays until acknowledged; the run's status in the history says so too."""

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.main_window import MainWindow
from workbench.runner import OUTPUT_UNKNOWN
from workbench.store import Store

KEITHLEY = "GPIB0::24::INSTR"


def test_a_vanished_cycler_raises_the_banner_until_acknowledged(qtbot, settings, tmp_path):
    bench = Bench.from_config(clock=ManualClock())
    store = Store(tmp_path / "workspace.sqlite")
    window = MainWindow(bench, store, settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    try:
        assert not window.alarm.isVisible()
        hold = window.controls["galvanostat"]
        hold.current_density.setText("1")
        hold.duration.setText("600")
        bench.emulation.inject_fault(KEITHLEY, "vanish", after_commands=40)
        hold.button.click()
        qtbot.waitUntil(lambda: window.runner is None, timeout=60_000)
        assert window.alarm.isVisible()
        text = window.alarm.label.text()
        assert "THE CURRENT MAY STILL BE ON" in text and "front panel" in text
        assert window.alarm.geometry().top() < window.tabs.geometry().top(), "the banner is above the plots"
        assert store.runs()[-1].status == OUTPUT_UNKNOWN
        window.grab().save(str(tmp_path / "alarm.png"))
        window.alarm.acknowledge.click()
        assert not window.alarm.isVisible()
    finally:
        bench.emulation.clear_faults()
        window.close()
        store.close()
