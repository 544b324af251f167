"""One voice per instrument: a thread that reads the bench as fast as it can while a run drives the
SourceMeter never interrupts a query, because each driver session serialises its commands and replies.
Without the lock the same polling does interrupt queries (the emulated 2400 then queues -410, as a real
one does), which is what the lock is for."""

import contextlib
import threading
import time

import pytest

from instruments.bench import Bench
from instruments.clock import AcceleratedClock
from instruments.roles import InstrumentError
from workbench.cell import Sample
from workbench.monitor import read_role
from workbench.procedures.hold import GalvanostaticHold
from workbench.session import Session
from workbench.store import Store

KEITHLEY = "GPIB0::24::INSTR"


def test_the_emulated_2400_loses_an_unread_reply_with_error_410():
    bench = Bench.from_config(clock=AcceleratedClock(1000))
    try:
        source = bench.galvanostat
        device = bench.emulation.device(KEITHLEY)
        source.write("*IDN?")      # a query whose reply is never read...
        source.write(":OUTP?")     # ...interrupted by the next command
        assert source.query(":SYST:ERR?") == "-410,\"Query INTERRUPTED\""
        assert device.interrupted_queries == 2  # :OUTP?'s reply too, lost to :SYST:ERR?
        source.write("*CLS")
    finally:
        bench.close()


def _poll_during_a_hold(tmp_path, *, lock: bool, wall_s: float = 1.5):
    bench = Bench.from_config(clock=AcceleratedClock(400))
    session = Session(bench, Store(tmp_path / "w.sqlite"), sample=Sample.paper())
    if not lock:
        for _role, _label, instrument in bench.roles():
            instrument.lock = contextlib.nullcontext()
    counts = {"readings": 0, "refused": 0, "errors": []}
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            for _role, _label, instrument in bench.roles():
                try:
                    if read_role(instrument) is not None:
                        counts["readings"] += 1
                except InstrumentError as exc:
                    if "the output is off" in str(exc):
                        counts["refused"] += 1  # refused by the driver: nothing was sent
                    else:
                        counts["errors"].append(str(exc))

    try:
        runner = session.start_run(GalvanostaticHold(current_density_mA_cm2=0.5, duration_s=3600,
                                                     sample_period_s=1))
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        time.sleep(wall_s)
        stop.set()
        poller.join(5)
        session.abort("enough")
        finished = runner.wait(10)
        counts["points"] = len(session.store.points(runner.run_id, "cycling")["seq"])
        return bench.emulation.device(KEITHLEY).interrupted_queries, counts, finished
    finally:
        stop.set()
        session.close()
        with contextlib.suppress(Exception):
            bench.close()
        session.store.close()


def test_polling_as_fast_as_possible_during_a_run_interrupts_no_query(tmp_path):
    interrupted, counts, finished = _poll_during_a_hold(tmp_path, lock=True)
    assert interrupted == 0
    assert counts["errors"] == []
    assert counts["readings"] > 200, counts  # it really did poll hard
    assert finished.status == "aborted" and finished.reason == "enough", finished.reason
    assert counts["points"] > 100, "the run kept measuring while it was polled"


def test_without_the_lock_the_same_polling_interrupts_queries(tmp_path):
    interrupted, counts, finished = _poll_during_a_hold(tmp_path, lock=False)
    assert interrupted > 0, counts
    # a lost reply may also hit the output-off at the end: the run then says the current may still be on
    assert counts["errors"] or finished.status in ("failed", "current_may_be_on"), "lost replies surface as errors"


@pytest.mark.parametrize("role", ["fra", "galvanostat", "stage"])
def test_every_driver_method_holds_the_instrument_lock(role):
    bench = Bench.from_config(clock=AcceleratedClock(1000))
    try:
        instrument = bench.instrument(role)
        held = []
        real = instrument.resource.write

        def spy(command, *args, **kwargs):
            held.append(instrument.lock._is_owned())
            return real(command, *args, **kwargs)

        instrument.resource.write = spy
        if role == "fra":
            instrument.configure(amplitude_v=0.01, integration_s=0.1, delay_s=0.0)
            instrument.measure(1000.0)
        elif role == "galvanostat":
            instrument.set_current_a(1e-4)
            instrument.safe_state()
        else:
            instrument.read_temperature_c()
        assert held and all(held)
    finally:
        bench.close()
