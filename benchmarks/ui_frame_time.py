"""Frame time of the live cycling plot with millions of points, against plain pyqtgraph.

A frame is what the display timer does while a run goes on: store the points that arrived since the last
frame (100 points per second of simulated time, 30 frames per second, so 3 or 4 points), redraw (the app:
one setData per curve of the peak-decimated visible range; plain pyqtgraph: setData of the whole arrays
with peak auto-downsampling and clip-to-view) and force a repaint of the 1280x800 view. The view follows
the latest data, so the whole run is on screen. Each case runs in a fresh interpreter, so that its
resident memory (VmRSS from /proc/self/status) is its own.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_frame_time.py [--frames 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
POINTS_PER_S = 100.0
FPS = 30.0
SIZE = (1280, 800)
CHUNK = 1_000_000


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _signals(t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Voltage (V) and current density (mA/cm²) of a symmetric cell cycled at +-0.1 mA/cm², 30 min steps."""
    j = np.where((t_s // 1800) % 2 == 0, 0.1, -0.1)
    v = 0.5 * j * (1 + 0.5 * (t_s % 1800) / 1800) + 0.002 * np.sin(t_s * 7.3)
    return v, j


def _percentiles(times_s: list[float]) -> dict:
    ms = np.asarray(times_s) * 1e3
    return {"median_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95))}


def run_app(n_points: int, n_frames: int) -> dict:
    from PySide6.QtWidgets import QApplication

    from ui.plots.cycling import CyclingPlot

    app = QApplication.instance() or QApplication([])
    rss_before = rss_mb()
    plot = CyclingPlot(time_unit="h")
    plot.resize(*SIZE)
    plot.show()
    app.processEvents()
    for start in range(0, n_points, CHUNK):  # the run so far, as if it had been streamed in
        t = np.arange(start, min(start + CHUNK, n_points)) / POINTS_PER_S
        plot.append(t, *_signals(t))
    started = time.perf_counter()
    plot.refresh()
    plot.graphics.viewport().repaint()
    first_frame_s = time.perf_counter() - started
    n = n_points
    times = []
    for frame in range(n_frames):
        started = time.perf_counter()
        n_new = int((frame + 1) * POINTS_PER_S / FPS) - int(frame * POINTS_PER_S / FPS)
        t = np.arange(n, n + n_new) / POINTS_PER_S
        plot.append(t, *_signals(t))
        n += n_new
        plot.refresh()
        plot.graphics.viewport().repaint()
        times.append(time.perf_counter() - started)
    drawn = len(plot.voltage_curve.getData()[0])
    # panning: the time range changes at every frame, so the axes and grid are re-rendered each time
    pan = []
    span_s = n / POINTS_PER_S
    for frame in range(n_frames // 2):
        started = time.perf_counter()
        shift_s = 0.005 * frame * span_s
        plot.zoom_to(shift_s, 0.5 * span_s + shift_s)
        plot.graphics.viewport().repaint()
        pan.append(time.perf_counter() - started)
    return {**_percentiles(times), "pan_median_ms": float(np.median(pan)) * 1e3,
            "first_frame_ms": first_frame_s * 1e3, "rss_mb": rss_mb(),
            "rss_data_mb": rss_mb() - rss_before, "points": n, "drawn_points": drawn}


def run_plain(n_points: int, n_frames: int) -> dict:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    rss_before = rss_mb()
    view = pg.GraphicsLayoutWidget()
    view.setBackground("w")
    view.resize(*SIZE)
    curves = []
    for row in range(2):
        plot = view.addPlot(row=row, col=0)
        curve = pg.PlotDataItem(pen=pg.mkPen("#1f77b4", width=1))
        plot.addItem(curve)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        curves.append(curve)
    view.show()
    app.processEvents()
    capacity = n_points + n_frames * 4
    t_all = np.empty(capacity)
    columns = [np.empty(capacity), np.empty(capacity)]
    for start in range(0, n_points, CHUNK):
        stop = min(start + CHUNK, n_points)
        t_all[start:stop] = np.arange(start, stop) / POINTS_PER_S
        for column, values in zip(columns, _signals(t_all[start:stop]), strict=True):
            column[start:stop] = values
    n = n_points
    times = []
    for frame in range(n_frames):
        started = time.perf_counter()
        n_new = int((frame + 1) * POINTS_PER_S / FPS) - int(frame * POINTS_PER_S / FPS)
        t_all[n : n + n_new] = np.arange(n, n + n_new) / POINTS_PER_S
        for column, values in zip(columns, _signals(t_all[n : n + n_new]), strict=True):
            column[n : n + n_new] = values
        n += n_new
        hours = t_all[:n] / 3600
        for curve, column in zip(curves, columns, strict=True):
            curve.setData(hours, column[:n])
        view.viewport().repaint()
        times.append(time.perf_counter() - started)
    return {**_percentiles(times), "pan_median_ms": float("nan"), "first_frame_ms": float("nan"),
            "rss_mb": rss_mb(),
            "rss_data_mb": rss_mb() - rss_before, "points": n, "drawn_points": len(curves[0].getData()[0])}


def _child(kind: str, n_points: int, n_frames: int) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--points", str(n_points),
                          "--frames", str(n_frames)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--child", choices=["app", "plain"])
    parser.add_argument("--points", type=int)
    args = parser.parse_args()
    if args.child:
        run = run_app if args.child == "app" else run_plain
        print(json.dumps(run(args.points, args.frames)))
        return

    rows = []
    for n_points, target_ms in ((1_000_000, 16.0), (10_000_000, 33.0)):
        for kind in ("app", "plain"):
            rows.append((n_points, kind, target_ms, _child(kind, n_points, args.frames)))
    print(f"CyclingPlot frame time, {SIZE[0]}x{SIZE[1]}, offscreen, {args.frames} frames at {FPS:.0f} fps, "
          f"{POINTS_PER_S:.0f} new points/s, 2 curves, 1-px pens")
    header = (f"{'points':>10} {'widget':<34} {'median ms':>9} {'p95 ms':>7} {'target':>7} {'pan ms':>6} "
              f"{'1st frame':>9} {'drawn':>6} {'RSS MB':>7} {'data MB':>7}")
    print(header)
    print("-" * len(header))
    for n_points, kind, target_ms, r in rows:
        name = "CyclingPlot (decimated buffer)" if kind == "app" else "plain pyqtgraph (peak auto-ds)"
        verdict = ("ok" if r["median_ms"] <= target_ms else "MISS") if kind == "app" else ""
        first = f"{r['first_frame_ms']:.0f}" if kind == "app" else "-"
        pan = f"{r['pan_median_ms']:.1f}" if kind == "app" else "-"
        print(f"{n_points:>10,} {name:<34} {r['median_ms']:>9.1f} {r['p95_ms']:>7.1f} "
              f"{'<=' + format(target_ms, '.0f'):>5} {verdict:<2}{pan:>6} {first:>9} {r['drawn_points']:>6} "
              f"{r['rss_mb']:>7.0f} {r['rss_data_mb']:>7.0f}")
    app_10m = rows[2][3]
    print(f"\nRSS of the process holding {app_10m['points']:,} cycling points in CyclingPlot: "
          f"{app_10m['rss_mb']:.0f} MB (target < 1024 MB: {'ok' if app_10m['rss_mb'] < 1024 else 'MISS'})")
    print("pan ms: median frame while the time range moves at every frame (zoom_to a shifting window: "
          "axes and grid re-rendered)")
    print("1st frame: the first redraw after the points were loaded at once (builds the min/max pyramid); "
          "data MB: RSS growth from creating the plot and its data")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
