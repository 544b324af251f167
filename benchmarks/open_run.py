"""Opening a long stored run from the history: how long it takes, and how long the GUI thread goes without
processing an event meanwhile (a timer ticks every 10 ms), with the points read at once on the GUI thread
(as before) and off it, in blocks (as the window does for runs of more than ``READ_AT_ONCE`` points).
Prints a table of medians (offscreen, no display needed).

    python benchmarks/open_run.py [--points N ...] [--runs R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from instruments.bench import Bench  # noqa: E402
from instruments.clock import ManualClock  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from workbench.cell import Sample  # noqa: E402
from workbench.store import Store  # noqa: E402


def fill(store: Store, n: int) -> int:
    run_id = store.create_run("hold", sample=Sample.paper())
    t = np.arange(n, dtype=float)
    store.add_point_arrays(run_id, "cycling", t, {"voltage_v": -0.0035 + 1e-5 * np.sin(t / 1000),
                                                  "current_density_mA_cm2": np.full(n, -0.1)})
    store.finish_run(run_id, "completed")
    return run_id


def open_once(app, window, run_id: int, at_once: bool) -> tuple[float, float]:
    """(seconds until the plot holds every point, longest gap between GUI-thread timer ticks in s)."""
    window.READ_AT_ONCE = 10**12 if at_once else MainWindow.READ_AT_ONCE
    window.cycling.clear()
    ticks = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    n = sum(window.store.point_kinds(run_id).values())
    start = time.perf_counter()
    window.open_run(run_id)
    while len(window.cycling.buffer) < n:
        app.processEvents()
        time.sleep(0.002)
    done = time.perf_counter()
    ticks.append(done)
    timer.stop()
    gaps = np.diff([t for t in ticks if t >= start - 0.02] or [start, done])
    return done - start, float(gaps.max()) if gaps.size else done - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    work = Path(tempfile.mkdtemp())
    store = Store(work / "workspace.sqlite")
    window = MainWindow(Bench.from_config(clock=ManualClock()), store,
                        settings=QSettings(str(work / "settings.ini"), QSettings.IniFormat))
    print(f"{'points':>10} | {'at once: open (s)':>17} {'GUI frozen (s)':>14} | "
          f"{'in blocks: open (s)':>19} {'GUI frozen (s)':>14} | {'freeze ratio':>12}")
    for n in args.points:
        run_id = fill(store, n)
        rows = {mode: [open_once(app, window, run_id, mode) for _ in range(args.runs)] for mode in (True, False)}
        (o1, g1), (o2, g2) = ([statistics.median(c) for c in zip(*rows[m], strict=True)] for m in (True, False))
        print(f"{n:>10,} | {o1:>17.2f} {g1:>14.3f} | {o2:>19.2f} {g2:>14.3f} | {g1 / g2:>11.0f}x")
    window.close()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
