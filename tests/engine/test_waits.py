"""Waits on the bench clock end in a bounded number of steps, whatever the float arithmetic."""

from __future__ import annotations

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from instruments.clock import ManualClock
from workbench.cell import Sample
from workbench.procedures.base import WAIT_RESOLUTION_S, RunContext


class CountingClock(ManualClock):
    """The ``--speed inf`` clock, counting how often it is slept on."""

    def __init__(self, start_s: float):
        super().__init__(start_s)
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        assert self.sleeps < 100_000, "the wait does not end"
        super().sleep(seconds)


class StuckClock(CountingClock):
    """A clock that never moves (a broken or frozen time source)."""

    def advance(self, seconds: float) -> None:
        pass


class Bench:
    def __init__(self, clock):
        self.clock = clock


def test_the_case_that_spun_forever_ends():
    """A run that started at 2.007 s on the manual clock: the remainders are a few 1e-16 s."""
    clock = CountingClock(2.007)
    ctx = RunContext(Bench(clock), Sample.paper())
    for k in range(1, 2000):
        before = clock.sleeps
        ctx.sleep_until(k * 0.1)
        assert clock.sleeps - before <= 4
    assert abs(ctx.active_time() - 199.9) < 1e-9


@settings(max_examples=500, deadline=None)
@example(start=0.0, paused=262144.0, targets=[1.592912554443372e-09])
@given(
    start=st.floats(0, 1e9, allow_nan=False),
    paused=st.floats(0, 1e6, allow_nan=False),
    targets=st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=20),
)
def test_any_wait_on_the_manual_clock_ends_in_a_few_steps(start, paused, targets):
    """Every wait ends in a few sleeps, and reaches its target to within a nanosecond or what the clock's
    value resolves: the clock reads start + paused + active time, so a remainder of a few of its ulps
    (at 262144 s paused, 8 ulps are 1e-9 s) is below what it can tell apart and counts as reached."""
    clock = CountingClock(start)
    ctx = RunContext(Bench(clock), Sample.paper())
    ctx.paused_s = paused
    clock.advance(paused)
    for target in sorted(targets):
        before = clock.sleeps
        ctx.sleep_until(target)
        assert clock.sleeps - before <= 4
        resolution = WAIT_RESOLUTION_S + 32 * math.ulp(start + paused + target)
        assert ctx.active_time() >= target - resolution


def test_a_clock_that_does_not_move_ends_the_wait_instead_of_spinning():
    clock = StuckClock(5.0)
    ctx = RunContext(Bench(clock), Sample.paper())
    ctx.sleep_until(10.0)
    assert clock.sleeps == 3
