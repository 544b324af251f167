"""Emulated time keeps the plan: the accelerated clock of an emulated bench lets bench time pass only
towards the end of a wait while a run is under way, so a host that falls behind stretches the wall time of
a run, never its bench time: samples stay one period apart, a half-cycle lasts as planned."""

import threading
import time

import numpy as np

from instruments.bench import Bench
from instruments.clock import AcceleratedClock, make_clock
from workbench.cell import Sample
from workbench.procedures.hold import GalvanostaticHold
from workbench.session import Session
from workbench.store import Store


def test_paced_bench_time_stands_still_between_waits_and_a_wait_ends_on_its_mark():
    clock = AcceleratedClock(1000)
    clock.begin_pacing()
    start = clock.now()
    time.sleep(0.02)                     # work: 20 bench seconds if the clock ran free
    assert clock.now() == start
    clock.sleep(5.0)
    assert clock.now() == start + 5.0    # not a hair beyond, however late the sleeper woke
    time.sleep(0.02)
    assert clock.now() == start + 5.0
    wall_0 = time.monotonic()            # before end_pacing: free time counts from a later instant
    clock.end_pacing()
    time.sleep(0.01)
    after = clock.now()
    assert start + 5.0 < after <= start + 5.0 + 1000 * (time.monotonic() - wall_0) + 1e-6   # free, no jump


def test_a_wait_begun_before_pacing_still_ends():
    """A monitor's read that waits on the instrument when a run starts is not frozen by the run's pacing."""
    clock = AcceleratedClock(100)
    done = threading.Event()
    sleeper = threading.Thread(target=lambda: (clock.sleep(20.0), done.set()), daemon=True)   # 0.2 s wall
    sleeper.start()
    time.sleep(0.05)
    clock.begin_pacing()
    assert done.wait(10), "the wait begun before pacing never ended"
    clock.end_pacing()


def test_the_unpaced_clock_runs_free_and_speed_inf_stays_manual():
    free = AcceleratedClock(1000, paced=False)
    free.begin_pacing()
    start = free.now()
    time.sleep(0.02)
    assert free.now() > start
    assert make_clock(float("inf")).wall_seconds(3600) == 0.0


def test_a_slow_consumer_still_gets_samples_one_period_apart_and_the_hold_as_planned(tmp_path):
    """At x400 a consumer that takes 20 ms of wall time per point (8 s of bench time if the clock ran free,
    eight sample periods) still gets the hold's samples stored exactly 1 s apart in bench time."""
    bench = Bench.from_config(clock=AcceleratedClock(400), cell="as sintered")
    session = Session(bench, Store(tmp_path / "w.sqlite"), sample=Sample.paper())
    try:
        finished = session.run_blocking(
            GalvanostaticHold(current_density_mA_cm2=0.5, duration_s=60, sample_period_s=1.0),
            listeners=[lambda event: time.sleep(0.02)])
        times = np.asarray(session.store.points(finished.run_id, "cycling")["time_s"], float)
    finally:
        session.close()
        bench.close()
    assert finished.status == "completed"
    assert len(times) == 61
    spacing = np.diff(times)
    assert np.allclose(spacing, 1.0, rtol=0, atol=1e-6), (spacing.min(), spacing.max())
    assert abs((times[-1] - times[0]) - 60.0) <= 1e-6
