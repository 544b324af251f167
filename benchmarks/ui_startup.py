"""Time from start to a usable window: a fresh interpreter imports the workbench, opens the default
emulated bench and a workspace, shows the main window and returns to its event loop after the first
paint. Prints a table of medians over several starts (offscreen, so no display is needed).

    python benchmarks/ui_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent(
    """
    import sys, time
    t_import = time.perf_counter()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from instruments.bench import Bench
    from ui.main_window import MainWindow
    from workbench.store import Store
    t_built = time.perf_counter()
    app = QApplication([])
    window = MainWindow(Bench.from_config(), Store(sys.argv[1]))
    window.show()
    def usable():
        print("usable", flush=True)
        window.close()
        app.quit()
    QTimer.singleShot(0, usable)
    app.exec()
    """
)


def one_start(store: Path) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    for line in child.stdout:
        if line.strip() == "usable":
            elapsed = time.perf_counter() - t0
            break
    else:
        raise RuntimeError("the window never became usable")
    child.wait(30)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "workspace.sqlite"
        one_start(store)  # warm the file cache once
        times = [one_start(store) for _ in range(args.runs)]
    print(f"{'measure':45s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'target':>8s}")
    print("-" * 80)
    median = statistics.median(times)
    print(f"{'start to usable main window (emulated bench)':45s} {median:9.2f} {min(times):7.2f} {max(times):7.2f} "
          f"{'<= 2.0':>8s} {'ok' if median <= 2.0 else 'MISSED'}")
    print(f"({args.runs} starts, fresh interpreter each, offscreen)")


if __name__ == "__main__":
    main()
