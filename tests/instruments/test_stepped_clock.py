"""The stepped clock: a run's waits pass no more bench time than the test allows, and wait for it on
any host speed; an instrument's own waits are never held."""

import threading

from instruments.clock import SteppedClock


def _sleeper(clock, seconds):
    done = threading.Event()
    thread = threading.Thread(target=lambda: (clock.sleep(seconds), done.set()), daemon=True)
    thread.start()
    return done


def test_a_sleep_goes_as_far_as_allowed_and_waits_there():
    clock = SteppedClock()
    done = _sleeper(clock, 10.0)
    assert not done.wait(0.2), "a sleep with nothing allowed must wait"
    assert clock.now() == 0.0 and clock.held == 1 and clock.caught_up
    clock.allow(4.0)
    assert not clock.caught_up
    assert done.wait(30), "an allowed sleep returns"
    assert clock.now() == 4.0, "no further than allowed, and never without moving the clock on"
    done = _sleeper(clock, 3.0)
    clock.allow(5.0)
    assert done.wait(30) and clock.now() == 7.0
    clock.advance(100.0)   # an instrument's wait is not held
    assert clock.now() == 107.0
    done = _sleeper(clock, 1.0)
    assert not done.wait(0.2), "the limit was passed by the instrument's wait: the next sleep waits again"
    clock.release()
    assert done.wait(30) and clock.now() == 108.0
    clock.sleep(50.0)
    assert clock.now() == 158.0, "released: a manual clock"
    clock.hold()
    done = _sleeper(clock, 1.0)
    assert not done.wait(0.2), "held again"
    clock.allow(0.25)
    assert done.wait(30) and clock.now() == 158.25
