"""One voice per instrument: a thread that reads the bench as fast as it can while a run drives the
SourceMeter never interrupts a query, because each driver session serialises its commands and replies.
Without the lock a command sent between a query and its reply interrupts it (the emulated 2400 then
queues -410, as a real one does): shown deterministically by forcing that interleaving."""

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


def _poll_during_a_hold(tmp_path, *, lock: bool = True, readings: int = 50, points: int = 20):
    """Poll every role as fast as possible during a hold, until there have been ``readings`` readings and
    the run has stored ``points`` points (however long the host takes), then abort the run."""
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
        stored = []
        runner.subscribe(lambda event: stored.append(1) if getattr(event, "kind", None) == "cycling" else None)
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                counts["readings"] > readings and len(stored) > points):
            time.sleep(0.05)
        stop.set()
        poller.join(5)
        session.abort("enough")
        finished = runner.wait(30)
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
    assert counts["readings"] > 50, counts  # it really did poll, again and again
    assert finished.status == "aborted" and finished.reason == "enough", finished.reason
    assert counts["points"] > 20, "the run kept measuring while it was polled"


@pytest.mark.parametrize("lock", [True, False])
def test_a_command_sent_between_a_query_and_its_reply_is_held_back_by_the_lock(lock):
    """Forced interleaving, not timing: thread A's query waits after its write until thread B has sent its
    own command (or 0.5 s have passed). With the lock, B cannot send before A has read its reply; without
    it, B's command lands in between and A's reply is lost (-410), as on a shared GPIB bus."""
    bench = Bench.from_config(clock=AcceleratedClock(1000))
    try:
        source = bench.galvanostat
        device = bench.emulation.device(KEITHLEY)
        if not lock:
            source.lock = contextlib.nullcontext()
        resource = source.resource
        a_wrote, b_wrote = threading.Event(), threading.Event()
        real_read, real_write = resource.read, resource.write
        thread_a = threading.current_thread()

        def read(*args, **kwargs):
            if threading.current_thread() is thread_a:
                a_wrote.set()
                b_wrote.wait(0.5 if lock else 30)  # B's chance to speak before A reads its reply (held by the lock)
            return real_read(*args, **kwargs)

        def write(command, *args, **kwargs):
            result = real_write(command, *args, **kwargs)
            if threading.current_thread() is not thread_a:
                b_wrote.set()
            return result

        resource.read, resource.write = read, write
        replies = {}

        def thread_b():
            a_wrote.wait(5)
            try:
                replies["b"] = source.query("*IDN?")
            except InstrumentError as exc:
                replies["b"] = exc

        other = threading.Thread(target=thread_b)
        other.start()
        try:
            replies["a"] = source.query(":OUTP?")
        except InstrumentError as exc:
            replies["a"] = exc
        other.join(10)
        resource.read, resource.write = real_read, real_write
        if lock:
            assert device.interrupted_queries == 0
            assert replies == {"a": "0", "b": source.identity}
        else:
            assert device.interrupted_queries >= 1
            assert replies["a"] != "0", "A's reply was lost or swapped with B's"
    finally:
        device = bench.emulation.device(KEITHLEY)
        device.outbox.clear()
        device.parser.errors.clear()  # the -410 this test provoked, so that closing finds a clean queue
        bench.close()


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
