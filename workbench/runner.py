"""How is a procedure executed? On a worker thread, store first, then listeners, output off at the end.

``Runner(procedure, bench, sample, store)`` runs ``procedure.run(ctx)`` on a worker thread. On a bench
with emulated instruments the sample is put on the bench first (``bench.set_sample_cell``): the twins
measure that sample's emulated cell, and the run's ``instruments["cell"]`` names it. For every
item it yields, the runner first commits it to the store (points get their sequence number there),
then calls the short detector (for procedures that drive current), then every subscribed listener,
all on the worker thread. Between items it honours pause (current zero and output off while paused,
restored on resume), abort, and a detected short: the output is switched off before the procedure
takes its next sample.

However the run ends (completed, user abort, short, ``InstrumentError``, a bug in our code) the
galvanostat is put in its safe state (current zero, output off) *before* ``RunFinished`` is reported,
and a failure of that safe state is itself recorded. The run row in the store gets the status
(``completed``, ``aborted``, ``shorted``, ``failed``), the reason (the exception text for a failure)
and the procedure's result.

Runs are started by ``workbench.session.Session.start_run`` (the one place a ``Runner`` is made, so that
one run at a time uses the bench); what it does with the runner::

    runner = Runner(procedure, bench, sample, store)
    runner.subscribe(listener)        # listener(event) on the worker thread; marshal to the GUI thread
    run_id = runner.start()
    runner.pause(); runner.resume(); runner.abort("stopped by user")
    finished = runner.wait()          # RunFinished
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from workbench.cell import Sample
from workbench.events import (
    DataPoint,
    Event,
    Progress,
    RunFinished,
    RunStarted,
    SafetyEvent,
    StateChanged,
    StepStarted,
)
from workbench.host import Terminated
from workbench.procedures.analyser_range import analyser_limit, fit_to_analyser
from workbench.procedures.base import Procedure, RunContext, Stopped
from workbench.safety import ShortCriteria, ShortDetector
from workbench.store import Store, to_jsonable

Listener = Callable[[Event], None]

SOFTWARE_VERSION = "0.1.0"


def software_version() -> str:
    try:
        from workbench import __version__

        return str(__version__)
    except ImportError:
        return SOFTWARE_VERSION


#: The status of a run whose end left the galvanostat's output in an unknown state (maybe still on).
OUTPUT_UNKNOWN = "current_may_be_on"


def output_unknown_text(error: str) -> str:
    """What a user must read when the cycler could not be switched off, and what to do."""
    return (
        "THE CURRENT MAY STILL BE ON: the cycler did not confirm that its output is off "
        f"({error}). Switch the output off on the instrument itself (front panel) or disconnect the cell "
        "leads before touching the cell, then reconnect the cycler."
    )


def interruption_reason(exc: BaseException) -> str:
    """Why a run was aborted from outside: Ctrl-C, or a terminating signal (``host.Terminated``)."""
    if isinstance(exc, Terminated):
        return exc.reason
    return "interrupted from the keyboard"


def _pacing(clock: Any, on: bool) -> None:
    """Ask an emulated clock to pace bench time by the run (``on``) or to run free again; a clock that is
    not paced (the wall clock, the manual clock) has nothing to do."""
    method = getattr(clock, "begin_pacing" if on else "end_pacing", None)
    if method is not None:
        method()


class RunnerError(RuntimeError):
    """The runner was used out of order (started twice, waited before starting)."""


class Runner:
    """Runs one procedure once. States: idle, running, paused, stopping, finished."""

    def __init__(
        self,
        procedure: Procedure,
        bench: Any,
        sample: Sample,
        store: Store | None = None,
        *,
        criteria: ShortCriteria | None = None,
        progress_interval_s: float = 0.25,
    ):
        procedure, notes = fit_to_analyser(procedure, *analyser_limit(bench))
        self.procedure = procedure
        self.bench = bench
        self.sample = sample
        self.store = store if store is not None else Store(":memory:")
        self.plan = procedure.checked_plan(sample)  # ParameterError: a run longer than any bench run
        self.plan.notes += notes
        self.detector: ShortDetector | None = None
        if procedure.uses_galvanostat:
            self.detector = ShortDetector(criteria, on_detect=self._on_safety)
        self.progress_interval_s = progress_interval_s
        self.run_id: int | None = None
        self.state = "idle"
        self.progress = Progress(0.0, 0.0, self.plan.total_duration_s, steps=len(self.plan.steps))
        self.finished: RunFinished | None = None
        self.safety_event: SafetyEvent | None = None
        self.output_off_latency_s: float | None = None
        self._listeners: list[Listener] = []
        self._cond = threading.Condition()
        self._abort_reason: str | None = None
        self._pause_requested = False
        self._detected_at: float | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._last_progress_wall = 0.0
        self._listener_errors = 0
        self._step: tuple[int, float] | None = None  # (index of the step under way, active time it began)
        self._part: tuple[int, float] | None = None  # a sequence's: (its procedure under way, when it began)
        self._spectrum_temperature_read = False
        self.ctx: RunContext | None = None
        #: Why the galvanostat's output could not be switched off (its state unknown), else None.
        self.output_unknown: str | None = None

    # --- control (any thread) ------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event, after the store has it. Returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def start(self) -> int:
        """Open the run in the store and start the worker thread; return the run id."""
        if self._thread is not None:
            raise RunnerError("this runner has already been started; make a new Runner for a new run")
        self.run_id = self._open_run()
        self._thread = threading.Thread(target=self._work, name=f"run-{self.run_id}", daemon=True)
        self._set_state("running", emit=False)
        self._thread.start()
        return self.run_id

    def pause(self) -> None:
        with self._cond:
            if self.state in ("running",):
                self._pause_requested = True
                self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._pause_requested = False
            self._cond.notify_all()

    def abort(self, reason: str = "aborted by the user") -> None:
        """Stop the run as soon as possible (within one sample, or ~50 ms of a wait)."""
        with self._cond:
            if self._abort_reason is None:
                self._abort_reason = reason
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> RunFinished | None:
        """Block until the run has finished (output already safe); return ``RunFinished``."""
        if self._thread is None:
            raise RunnerError("the run has not been started")
        self._done.wait(timeout)
        return self.finished

    def run_blocking(self) -> RunFinished:
        """Start and wait; Ctrl-C aborts the run (output off) and still returns its ``RunFinished``."""
        self.start()
        try:
            while not self._done.wait(0.1):
                pass
        except (KeyboardInterrupt, Terminated) as exc:
            self.abort(interruption_reason(exc))
            self._done.wait()
        assert self.finished is not None
        return self.finished

    # --- worker thread -------------------------------------------------------------------------
    def checkpoint(self) -> None:
        """Called by the procedure's context between samples and in its waits."""
        if self._abort_reason is not None:
            raise Stopped(self._abort_reason)
        if self._pause_requested:
            self._pause()

    def _pause(self) -> None:
        ctx = self.ctx
        t_paused = ctx.clock.now()
        was_on, current_a = ctx.output_is_on, ctx.source_current_a
        if was_on:
            ctx.galvanostat.safe_state()
            ctx.output_is_on = False
        self._set_state("paused")
        _pacing(ctx.clock, False)   # a pause lasts as long as the user wants: emulated time runs free
        try:
            with self._cond:
                while self._pause_requested and self._abort_reason is None:
                    self._cond.wait(0.1)
        finally:
            _pacing(ctx.clock, True)
        ctx.paused_s += ctx.clock.now() - t_paused
        if self._abort_reason is not None:
            raise Stopped(self._abort_reason)
        if was_on:
            ctx.source(current_a)
        self._set_state("running")

    def _put_sample_on_bench(self) -> str | None:
        """On an emulated bench, make the twins measure this sample's cell; return its description."""
        set_sample_cell = getattr(self.bench, "set_sample_cell", None)
        if not callable(set_sample_cell):
            return None
        cell = set_sample_cell(
            self.sample.name,
            surface_state=self.sample.surface_state,
            thickness_cm=self.sample.thickness_cm,
            electrode_diameter_cm=self.sample.electrode_diameter_mm / 10.0,
        )
        return None if cell is None else cell.describe()

    def _open_run(self) -> int:
        instruments: dict[str, str] = {}
        cell = self._put_sample_on_bench()
        if cell is not None:
            instruments["cell"] = cell
        roles = getattr(self.bench, "roles", None)
        entries = (
            roles()
            if callable(roles)
            else [(r, r, getattr(self.bench, r, None)) for r in ("fra", "galvanostat", "stage")]
        )
        for role, _label, instrument in entries:
            try:
                instruments[role] = instrument.identity if instrument is not None else "disconnected"
            except Exception as exc:  # noqa: BLE001 - an identity is information, not a requirement
                instruments[role] = f"unavailable ({exc})"
        temperature_c = None
        try:
            temperature_c = float(self.bench.stage.read_temperature_c())
        except Exception:  # noqa: BLE001 - the run records no temperature rather than not starting
            temperature_c = None
        return self.store.create_run(
            self.procedure.kind,
            sample=self.sample,
            parameters={"kind": self.procedure.kind, **to_jsonable(self.procedure.parameters)},
            plan=self.plan.to_dict(),
            instruments=instruments,
            temperature_c=temperature_c,
            software_version=software_version(),
        )

    def _work(self) -> None:
        _pacing(self.bench.clock, True)   # emulated time never runs ahead of the run's work
        try:
            self._work_paced()
        finally:
            _pacing(self.bench.clock, False)

    def _work_paced(self) -> None:
        status, reason = "completed", ""
        self.ctx = ctx = RunContext(self.bench, self.sample, control=self)
        generator = None
        try:
            self._emit(RunStarted(self.run_id, self.procedure.kind, self.sample.name, self.plan.to_dict()))
            self._emit(StateChanged("running", ctx.now()))
            generator = self.procedure.run(ctx)
            for item in generator:
                self._handle(item)
                self.checkpoint()
        except Stopped:
            status, reason = self._stop_status()
        except Exception as exc:  # noqa: BLE001 - every failure ends the run safely and is recorded
            status, reason = "failed", f"{type(exc).__name__}: {exc}"
            self._record("failure", {"error": reason, "traceback": traceback.format_exc()})
        finally:
            self._set_state("stopping")
            self._make_safe()
            if generator is not None:
                try:
                    generator.close()
                except Exception as exc:  # noqa: BLE001
                    self._record("failure", {"error": f"while closing the procedure: {exc}"})
        if status == "shorted":
            with self._cond:
                self._abort_reason = None  # the stop is handled; a new abort may end the confirmation
            self._after_short(ctx)
        self._finish(status, reason)

    def _stop_status(self) -> tuple[str, str]:
        event = self.safety_event
        if event is not None:
            status = "shorted" if event.shorted else "aborted"
            if event.criterion == "compliance":   # its detail says it all, in the user's words
                return status, f"{event.detail}; current switched off"
            j = event.current_density_mA_cm2
            direction = "plating" if j < 0 else "stripping"
            return status, (
                f"{event.criterion.replace('_', ' ')} at {abs(j):g} mA/cm2 ({direction}, "
                f"half-cycle {event.half_cycle}): {event.detail}"
            )
        return "aborted", self._abort_reason or "aborted"

    def _on_safety(self, event: SafetyEvent) -> None:
        """The detector fired: stop before the next sample (the worker checks right after listeners)."""
        self._detected_at = time.perf_counter()
        self.safety_event = event
        if event.shorted:
            try:
                self.procedure.short_detected(event)
            except Exception as exc:  # noqa: BLE001 - the output goes off whatever a procedure does
                self._record("failure", {"error": f"short_detected: {type(exc).__name__}: {exc}"})
        self.abort(f"safety: {event.criterion}")

    def _make_safe(self) -> None:
        """Current zero and output off; record (never raise) if the instrument refuses. When it refuses
        on a run that drives current, the output state is unknown (``output_unknown`` says why) and the
        run ends as ``OUTPUT_UNKNOWN`` with what to do, until a later attempt succeeds."""
        try:
            self.bench.galvanostat.safe_state()
            if self.ctx is not None:
                self.ctx.output_is_on = False
                self.ctx.source_current_a = 0.0
            if self._detected_at is not None and self.output_off_latency_s is None:
                self.output_off_latency_s = time.perf_counter() - self._detected_at
            self.output_unknown = None
        except Exception as exc:  # noqa: BLE001 - must not mask the run's own outcome
            error = f"{type(exc).__name__}: {exc}"
            self._record("safe_state_failed", {"error": error, "traceback": traceback.format_exc()})
            if self.procedure.uses_galvanostat or (self.ctx is not None and self.ctx.output_is_on):
                self.output_unknown = error

    def _after_short(self, ctx: RunContext) -> None:
        self.detector = None
        try:
            for item in self.procedure.after_short(ctx):
                self._handle(item)
        except Exception as exc:  # noqa: BLE001 - the short is the result; a failed confirmation is a note
            self._record("failure", {"error": f"after the short: {type(exc).__name__}: {exc}"})
            self._make_safe()

    def _finish(self, status: str, reason: str) -> None:
        try:
            result = to_jsonable(self.procedure.result())
        except Exception as exc:  # noqa: BLE001
            result = {"error": f"result unavailable: {exc}"}
        if self.safety_event is not None:
            result["safety"] = {
                "criterion": self.safety_event.criterion,
                "current_density_mA_cm2": self.safety_event.current_density_mA_cm2,
                "half_cycle": self.safety_event.half_cycle,
                "output_off_latency_ms": None
                if self.output_off_latency_s is None
                else 1e3 * self.output_off_latency_s,
            }
        if self.output_unknown is not None:
            result["output_state"] = "unknown"
            result["ended_as"] = status
            result["output_error"] = self.output_unknown
            reason = output_unknown_text(self.output_unknown) + (f" The run {status}: {reason}" if reason else "")
            status = OUTPUT_UNKNOWN
        recorded = True
        try:
            self.store.finish_run(self.run_id, status, reason=reason, result=result)
        except Exception as exc:  # noqa: BLE001 - said in the RunFinished, never hidden
            recorded = False
            reason = f"{reason}; the store could not record the end of the run: {exc}".lstrip("; ")
        self.finished = RunFinished(self.run_id, status, reason, result, recorded=recorded)
        self.state = "finished"
        self.progress = replace(
            self.progress, fraction=1.0 if status == "completed" else self.progress.fraction, remaining_s=0.0,
            at_least=False,
        )
        self._emit(StateChanged("finished"))
        self._emit(self.finished)
        self._done.set()

    # --- store first, then listeners -----------------------------------------------------------
    def _handle(self, item: Event) -> None:
        if isinstance(item, DataPoint):
            seq = self.store.add_point(self.run_id, item.kind, item.time_s, item.values)
            item = replace(item, seq=seq, run_id=self.run_id)
            if item.kind == "impedance" and not self._spectrum_temperature_read:
                self._record_spectrum_temperature()
            fired = False
            if self.detector is not None and item.kind == "cycling" and self.safety_event is None:
                self.detector(item)
                fired = self.safety_event is not None
                if fired:
                    self._make_safe()  # output off first, then tell anyone
            self._emit(item)
            if fired:
                event = self.safety_event
                latency_ms = None if self.output_off_latency_s is None else 1e3 * self.output_off_latency_s
                self._record(
                    "safety", {**to_jsonable(event), "output_off_latency_ms": latency_ms}, event.time_s
                )
                self._emit(event)
        elif isinstance(item, StepStarted):
            self._record("step", {"step": item.step, "label": item.label}, item.time_s)
            self._step = (item.step, self.ctx.active_time() if self.ctx else 0.0)
            self._emit(item)
        elif isinstance(item, Progress):
            self.progress = item
            self._emit(item)
        else:
            self._emit(item)
        self._maybe_progress(isinstance(item, StepStarted) or self._new_part())

    def _record(self, kind: str, payload: Any, time_s: float | None = None) -> None:
        try:
            self.store.add_event(self.run_id, kind, payload, time_s)
        except Exception:  # noqa: BLE001 - recording is best effort once the store itself fails
            pass

    def _maybe_progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress_wall < self.progress_interval_s:
            return
        self._last_progress_wall = now
        elapsed = self.ctx.active_time() if self.ctx else 0.0
        self.progress = self._progress_at(elapsed)
        self._emit(self.progress)

    def _new_part(self) -> bool:
        """A sequence began its next procedure (the plan's next step): note when; True if it did."""
        if self.procedure.kind != "sequence":
            return False
        active = getattr(self.procedure, "active", None)
        if active is None or (self._part is not None and self._part[0] == active):
            return False
        self._part = (active, self.ctx.active_time() if self.ctx else 0.0)
        return True

    def _progress_at(self, elapsed: float) -> Progress:
        """How far the run is along its plan: by the plan's steps done and the time spent in the one under
        way (a sequence's steps are its procedures), so that a step that takes longer than planned (a stage
        slow to settle, a bench that cannot keep its clock) leaves the later steps' time still to come.

        The time left is never a confident 0 while a step remains: once the step under way has passed its
        planned time its end is not known, and the time left is given as at least that of the steps after
        it (``at_least``), or as not known (None) when none follow. Without a step to go by, by the time
        elapsed, and not known once that passes the plan's."""
        total = self.plan.total_duration_s
        steps = len(self.plan.steps)
        if total <= 0:
            return Progress(0.0, elapsed, None, steps=steps)
        durations = [float(step.get("duration_s", 0.0)) for step in self.plan.steps]
        position = self._part if self.procedure.kind == "sequence" else self._step
        index, started = position if position is not None else (None, 0.0)
        if index is not None and 0 <= index < len(durations):
            spent, planned = max(elapsed - started, 0.0), durations[index]
            before, after = sum(durations[:index]), sum(durations[index + 1:])
            if spent < planned:
                done = before + spent
                return Progress(min(0.999, done / total), elapsed, total - done, step=index, steps=steps)
            fraction = min(0.999, (before + planned) / total)
            return Progress(fraction, elapsed, after if after > 0 else None, at_least=after > 0, step=index,
                            steps=steps)
        if elapsed < total:
            return Progress(min(0.999, elapsed / total), elapsed, total - elapsed, steps=steps)
        return Progress(0.999, elapsed, None, steps=steps)

    def _record_spectrum_temperature(self) -> None:
        """The run's temperature is the stage's when its first spectrum began (a sequence that heats the
        stage first is stored at the temperature it measured at, not the one it started at)."""
        self._spectrum_temperature_read = True
        try:
            temperature_c = float(self.bench.stage.read_temperature_c())
            self.store.set_temperature(self.run_id, temperature_c)
        except Exception:  # noqa: BLE001 - the run keeps the temperature read at its start
            pass

    def _set_state(self, state: str, emit: bool = True) -> None:
        self.state = state
        if emit:
            self._emit(StateChanged(state, self.ctx.now() if self.ctx is not None else None))

    def _emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - a display bug must not stop a measurement
                self._listener_errors += 1
                if self._listener_errors <= 3 and self.run_id is not None:
                    self._record(
                        "listener_error",
                        {"error": f"{type(exc).__name__}: {exc}", "listener": repr(listener)},
                    )
