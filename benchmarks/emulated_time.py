"""Does emulated time keep the plan when the host is busy? Free-running clock (before) vs paced (after).

    python benchmarks/emulated_time.py [--speed 400] [--work-ms 5] [--load 2]

On the emulated as-sintered bench at ``--speed``: a galvanostatic hold like the CCD's first half-cycle
(0.5 mA/cm2 for 1800 s, a sample every 1 s) and the paper's impedance sweep (planned 184.5 s), each
with a consumer that spends ``--work-ms`` of wall time per point (the window drawing it) while ``--load``
processes keep the cores busy. Printed side by side for the free-running clock (bench time = speed x
wall time, what the emulated bench did before) and the paced one (bench time passes only towards the
end of a wait while a run is under way): the bench-time spacing of the hold's samples (median, max;
plan 1 s), the hold's and the sweep's bench-time duration against the plan, and the wall time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from instruments.bench import Bench  # noqa: E402
from instruments.clock import AcceleratedClock  # noqa: E402
from workbench.cell import Sample  # noqa: E402
from workbench.procedures.hold import GalvanostaticHold  # noqa: E402
from workbench.procedures.impedance_sweep import ImpedanceSweep  # noqa: E402
from workbench.session import Session  # noqa: E402
from workbench.store import Store  # noqa: E402


def _busy(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def measure(paced: bool, speed: float, work_s: float, folder: Path) -> dict[str, float]:
    bench = Bench.from_config(clock=AcceleratedClock(speed, paced=paced), cell="as sintered")
    session = Session(bench, Store(folder / f"paced{paced}.sqlite"), sample=Sample.paper())
    consumer = [lambda event: time.sleep(work_s)]
    out: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        hold = session.run_blocking(GalvanostaticHold(current_density_mA_cm2=0.5, duration_s=1800,
                                                      sample_period_s=1.0), listeners=consumer)
        out["hold wall s"] = time.perf_counter() - t0
        times = np.asarray(session.store.points(hold.run_id, "cycling")["time_s"], float)
        spacing = np.diff(times)
        out["samples (plan 1801)"] = len(times)
        out["spacing median s (plan 1)"] = float(np.median(spacing))
        out["spacing max s (plan 1)"] = float(spacing.max())
        out["hold s (plan 1800)"] = float(times[-1] - times[0])
        sweep = ImpedanceSweep()
        planned = sweep.plan(session.sample).total_duration_s
        t0 = time.perf_counter()
        done = session.run_blocking(sweep, listeners=consumer)
        out["sweep wall s"] = time.perf_counter() - t0
        out[f"sweep s (plan {planned:.1f})"] = float(
            np.max(session.store.points(done.run_id, "impedance")["time_s"]))
    finally:
        session.close()
        bench.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=400.0)
    parser.add_argument("--work-ms", type=float, default=5.0, help="wall time the consumer spends per point")
    parser.add_argument("--load", type=int, default=2, help="busy processes running meanwhile")
    args = parser.parse_args()
    stop = multiprocessing.Event()
    loaders = [multiprocessing.Process(target=_busy, args=(stop,), daemon=True) for _ in range(args.load)]
    for p in loaders:
        p.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            before = measure(False, args.speed, args.work_ms / 1e3, Path(folder))
            after = measure(True, args.speed, args.work_ms / 1e3, Path(folder))
    finally:
        stop.set()
        for p in loaders:
            p.join(5)
    width = max(len(k) for k in before)
    print(f"x{args.speed:g}, consumer {args.work_ms:g} ms/point, {args.load} busy processes")
    print(f"{'measure':<{width}}  {'free (before)':>14}  {'paced (after)':>14}")
    for key in before:
        print(f"{key:<{width}}  {before[key]:>14.4g}  {after[key]:>14.4g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
