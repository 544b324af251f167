"""Opening a run of a million points from the history: the points are read off the GUI thread, the status
bar says "Loading run N (1,000,001 points)…", the window keeps processing events meanwhile, and the plot
ends with every point."""

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.main_window import MainWindow
from workbench.cell import Sample
from workbench.store import Store

N = 1_000_001


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """A workspace with a stored hold of a million points, filled through the store's API."""
    store = Store(tmp_path_factory.mktemp("big") / "workspace.sqlite")
    run_id = store.create_run("hold", sample=Sample.paper())
    t = np.arange(N, dtype=float)
    store.add_point_arrays(run_id, "cycling", t, {
        "voltage_v": -0.0035 + 1e-5 * np.sin(t / 1000), "current_density_mA_cm2": np.full(N, -0.1)})
    store.finish_run(run_id, "completed")
    yield store, run_id
    store.close()


def test_a_million_point_run_opens_while_the_window_stays_responsive(qtbot, settings, big_store):
    store, run_id = big_store
    window = MainWindow(Bench.from_config(clock=ManualClock()), store, settings=settings)
    qtbot.addWidget(window)
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(window.loading_run))
    timer.start()
    try:
        window.history.refresh()
        window.history.select_runs([run_id])
        window.history.open_button.click()
        assert window.loading_run == run_id, "a million points are read off the GUI thread"
        assert window.activity_label.text().startswith(f"Loading run {run_id} (1,000,001 points)…")
        # the GUI thread keeps turning while the run is read: the timer ticks during the loading
        qtbot.waitUntil(lambda: ticks.count(run_id) >= 5, timeout=60_000)
        assert window.loading_run == run_id
        qtbot.waitUntil(lambda: window.loading_run is None, timeout=120_000)
        assert len(window.cycling.buffer) == N
        assert window.cycling.buffer.x[-1] == N - 1
        assert np.allclose(window.cycling.buffer.y(1), -0.1)
        assert window.tabs.currentIndex() == 1 and window.cycling.time_unit == "h"
        assert window.activity_label.text().startswith(f"Opened run {run_id} (hold, completed, 1,000,001 points)")
        # a fit asked for on it says what is true: the run has no spectrum
        window.fit_panel.fit()
        assert window.fit_panel.status.text().startswith(f"Run {run_id} has no spectrum (it is a hold run)")
    finally:
        timer.stop()
        window.close()


def test_opening_another_run_meanwhile_shows_the_other_one(qtbot, settings, big_store):
    store, run_id = big_store
    small = store.create_run("hold", sample=Sample.paper("dry500"))
    store.add_point_arrays(small, "cycling", np.arange(10.0), {
        "voltage_v": np.full(10, -0.002), "current_density_mA_cm2": np.full(10, -0.2)})
    store.finish_run(small, "completed")
    window = MainWindow(Bench.from_config(clock=ManualClock()), store, settings=settings)
    qtbot.addWidget(window)
    try:
        window.open_run(run_id)
        assert window.loading_run == run_id
        window.open_run(small)  # read at once: the large one is forgotten
        assert window.loading_run is None and len(window.cycling.buffer) == 10
        qtbot.wait(200)
        assert len(window.cycling.buffer) == 10
        assert window.activity_label.text().startswith(f"Opened run {small} ")
    finally:
        window.close()
