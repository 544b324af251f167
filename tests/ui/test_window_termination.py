"""SIGTERM to the window closes the session safely instead of killing the process: the run under way is
aborted with the signal's name and the cycler's output is off before the window closes."""

import os
import signal
import sys
import threading
import time

import pytest
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from instruments.bench import Bench
from instruments.clock import SteppedClock
from ui.app import close_on_termination
from ui.main_window import MainWindow
from workbench.procedures.hold import GalvanostaticHold
from workbench.store import Store

KEITHLEY = "GPIB0::24::INSTR"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is delivered only on POSIX")
def test_sigterm_aborts_the_run_with_the_output_off_and_closes_the_window(qtbot, settings, tmp_path, monkeypatch):
    clock = SteppedClock()   # the run is still under way when the window closes, whatever the host's speed
    bench = Bench.from_config(clock=clock)
    store = Store(tmp_path / "w.sqlite")
    window = MainWindow(bench, store, settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: asked.append(args) or QMessageBox.No)
    device = bench.emulation.device(KEITHLEY)
    at_end = []
    window.session.events.run_finished.connect(lambda finished: at_end.append((device.output, device.current_a)))
    not_handled = []
    previous = signal.signal(signal.SIGTERM, lambda *_: not_handled.append(1))
    termination = close_on_termination(window)
    try:
        runner = window.session.start_run(GalvanostaticHold(current_density_mA_cm2=0.1, duration_s=7_000_000,
                                                            sample_period_s=1.0))
        clock.allow(60)
        qtbot.waitUntil(lambda: clock.held and device.output, timeout=60_000)
        abort = runner.abort

        def abort_and_let_time_run(reason="aborted by the user"):
            abort(reason)
            if reason == "the session was closed":   # the window closes: the held run meets its abort
                clock.release()

        monkeypatch.setattr(runner, "abort", abort_and_let_time_run)

        def send():   # from another thread, while the main thread is inside Qt's event loop (in C++)
            time.sleep(0.3)
            os.kill(os.getpid(), signal.SIGTERM)

        loop = QEventLoop()
        quit_called = []
        monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: (quit_called.append(1), loop.quit())))
        QTimer.singleShot(30_000, loop.quit)   # bound: the test fails instead of hanging
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        loop.exec()                            # left when the handler has closed the window
        sender.join(5)
        finished = runner.wait(10)
    finally:
        clock.release()
        termination.restore()
        signal.signal(signal.SIGTERM, previous)
    assert asked == [], "nobody may be there to answer: closing on a signal does not ask"
    assert not_handled == []
    assert finished is not None
    assert (finished.status, finished.reason) == ("aborted", "terminated by signal SIGTERM")
    assert at_end == [(False, 0.0)]            # the output was off when the run ended, before any closing
    assert not window.isVisible() and quit_called == [1]   # closed, then the application quit
    assert store.run(runner.run_id).abort_reason == "terminated by signal SIGTERM"


def test_the_history_puts_the_current_may_be_on_first_for_an_interrupted_hold(qtbot, tmp_path, monkeypatch):
    """A hold (a current set) and a sweep whose process died: found interrupted when the workspace is opened
    again; the hold's key result in the history is the warning (before its other numbers), the sweep's not."""
    from ui.history import ALARM_RED, HistoryPanel
    from workbench.cell import Sample
    from workbench.procedures.impedance_sweep import ImpedanceSweep

    path = tmp_path / "w.sqlite"
    sample = Sample.paper()
    with Store(path) as store:
        for procedure in (GalvanostaticHold(duration_s=600), ImpedanceSweep()):
            store.create_run(procedure.kind, sample=sample, plan=procedure.plan(sample).to_dict())
    monkeypatch.setattr("workbench.store.process_alive", lambda pid: False)   # their process has gone
    store = Store(path)
    panel = HistoryPanel(store)
    qtbot.addWidget(panel)
    shown = {panel.table.item(row, 3).text(): panel.table.item(row, 6).text() for row in range(2)}
    red = {panel.table.item(row, 3).text(): panel.table.item(row, 6).foreground().color().name() == ALARM_RED
           for row in range(2)}
    store.close()
    assert shown["hold"].startswith("THE CURRENT MAY STILL BE ON: check the cycler's output")
    assert shown["impedance_sweep"].startswith("the process running it ended without finishing it")
    assert red == {"hold": True, "impedance_sweep": False}
