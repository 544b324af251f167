"""How fast is the measurement engine? One table: safety latency, store throughput, the paper's CCD run.

    python benchmarks/engine_speed.py [--shorts N]

1. Detector-to-output-off latency: CCD runs on the emulated as-sintered cell (speed 1000, 1 s
   sample period) started just below its critical current density until the detector fires; the
   latency in samples is the number of cycling samples stored after the detecting one (target 0:
   the output is off before the next sample), in wall ms the time from detection to the Keithley
   having acknowledged current zero and output off (target < 50 ms and < one sample period).
2. Store throughput with a commit per point, at both durability levels (target >= 5000 points/s).
3. Wall time of the paper's CCD test (0.5 to 15 mA/cm2, step 0.5, 0.25 mAh/cm2, 1 s samples) on the
   emulated as-sintered bench at speed 1000 (target < 60 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from instruments.bench import Bench  # noqa: E402
from workbench.cell import Sample  # noqa: E402
from workbench.procedures import CCDParameters, CCDTest  # noqa: E402
from workbench.session import Session  # noqa: E402
from workbench.store import Store  # noqa: E402

SPEED = 1000.0


def short_latencies(n: int, folder: Path) -> tuple[list[int], list[float]]:
    samples_after, wall_ms = [], []
    for k in range(n):
        bench = Bench.from_config(speed=SPEED, cell="as sintered")
        try:
            ccd = bench.cell.critical_current_density_mA_cm2
            start = max(0.5, round(ccd * 2) / 2 - 1.0)
            params = CCDParameters.paper(start_current_density_mA_cm2=start)
            session = Session(bench, Store(folder / f"short{k}.sqlite"), sample=Sample.paper())
            runner = session.start_run(CCDTest(params))
            finished = runner.wait()
            if finished.status != "shorted":
                raise RuntimeError(f"run {k} did not short: {finished.status} {finished.reason}")
            detected_seq = runner.safety_event.window[-1]["seq"]
            cycling = runner.store.points(finished.run_id, "cycling")
            samples_after.append(int((cycling["seq"] > detected_seq).sum()))
            wall_ms.append(1e3 * runner.output_off_latency_s)
        finally:
            bench.close()
    return samples_after, wall_ms


def store_rate(folder: Path, durability: str, n: int = 5000) -> float:
    store = Store(folder / f"throughput_{durability}.sqlite", durability=durability)
    run_id = store.create_run("benchmark")
    values = {"voltage_v": 0.1, "current_a": 1e-3, "current_density_mA_cm2": 1.76, "half_cycle": 0, "step": 0}
    t0 = time.perf_counter()
    for k in range(n):
        store.add_point(run_id, "cycling", float(k), values)
    rate = n / (time.perf_counter() - t0)
    store.close()
    return rate


def paper_ccd(folder: Path) -> tuple[float, str, float | None, float]:
    bench = Bench.from_config(speed=SPEED, cell="as sintered")
    try:
        session = Session(bench, Store(folder / "ccd.sqlite"), sample=Sample.paper())
        t0 = time.perf_counter()
        finished = session.run_blocking(CCDTest(CCDParameters.paper()))
        wall = time.perf_counter() - t0
        return (
            wall,
            finished.status,
            finished.result.get("critical_current_density_mA_cm2"),
            bench.cell.critical_current_density_mA_cm2,
        )
    finally:
        bench.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shorts", type=int, default=5, help="number of shorts for the latency median")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        after, wall_ms = short_latencies(args.shorts, folder)
        rate_process = store_rate(folder, "process")
        rate_power = store_rate(folder, "power")
        ccd_wall, status, ccd, true_ccd = paper_ccd(folder)
    sample_period_wall_ms = 1e3 * 1.0 / SPEED
    rows = [
        (
            "output off after detection (samples)",
            f"median {statistics.median(after):g}, max {max(after)}",
            "0 (before the next sample)",
            max(after) == 0,
        ),
        (
            "output off after detection (wall ms)",
            f"median {statistics.median(wall_ms):.3f}, max {max(wall_ms):.3f}",
            f"< 50 ms and < 1 sample ({sample_period_wall_ms:g} ms at x{SPEED:g})",
            max(wall_ms) < min(50.0, sample_period_wall_ms),
        ),
        (
            "store, commit per point, survives process kill",
            f"{rate_process:,.0f} points/s",
            ">= 5,000 points/s",
            rate_process >= 5000,
        ),
        (
            "store, commit per point, fsync (power loss)",
            f"{rate_power:,.0f} points/s",
            "(for information)",
            None,
        ),
        (
            "paper CCD 0.5-15 mA/cm2, x1000, as sintered",
            f"{ccd_wall:.1f} s wall; {status}, CCD {ccd} (cell {true_ccd:.2f})",
            "< 60 s",
            ccd_wall < 60,
        ),
    ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'result':<{value_width}}  target  [ok]")
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{name:<{width}}  {value:<{value_width}}  {target}  {mark}")
    print(f"({args.shorts} shorts; 2 shared cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
