"""What is the state of a working session? The bench, the store, the sample on the bench, the one active
run, the spectrum being looked at and its latest analysis, and the last readings of each role.

The window, its docks, the fit panel, the CCD wizard and the command line are clients of one ``Session``:
they change it through its methods and show what its events say. It is plain Python (no Qt), so what the
window shows is testable without a window. It is also the one place where a run is started::

    session = Session(bench, store, sample=Sample.paper("EtOH500"))
    session.events.run_finished.connect(lambda finished: print(finished.status))
    runner = session.start_run(ImpedanceSweep())      # RunRefused while another run is active
    session.wait()
    analysis = session.analyse("R0-L0-p(R1,CPE1)-p(R2,CPE2)")

Events (``session.events.<name>.connect(callback)``; each callback receives one value):

=================== =========================================================== ====================
event               value                                                       emitted on
=================== =========================================================== ====================
sample_changed      the new ``Sample`` (``session.cell_description`` follows)   the caller's thread
run_started         the ``Runner``                                              the caller's thread
run_event           every event of the active run (``DataPoint``, ``Progress``,  the run's worker
                    ``StepStarted``, ``StateChanged``, ``SafetyEvent``, ...)
run_finished        the ``RunFinished`` (the session is idle again)             the run's worker
spectrum_changed    the new ``Spectrum`` (a new live sweep began, a run opened) caller or worker
analysis_changed    the new ``SpectrumAnalysis`` (a fit made now, or the one    the caller's thread
                    kept with an opened run: ``analysis.kept``), or None
readings_changed    ``(role, values)``; ``session.readings[role]`` is the same   monitor or worker
                    (``values["stale"]``: why they are no longer true, see
                    ``mark_stale``)
instrument_failed   ``(role, message)``: the monitor could not read a role      monitor
=================== =========================================================== ====================

Events from the worker or monitor threads must be marshalled by a GUI before it touches a widget
(``ui/session_bridge.py`` does that for the window).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.ccd_outcome import ccd_summary
from workbench.cell import Sample
from workbench.events import DataPoint, Event, RunFinished, SafetyEvent, StateChanged
from workbench.host import Terminated
from workbench.store import Store

LIVE = "live"


class RunRefused(RuntimeError):
    """A run cannot start now (another run is active, a role is missing); the message says why."""


class Emitter:
    """One named event: ``connect(callback)`` returns a function that disconnects it again."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable[[Any], None]] = []
        self._lock = threading.Lock()

    def connect(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)
        return lambda: self.disconnect(callback)

    def disconnect(self, callback: Callable[[Any], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def emit(self, value: Any = None) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback(value)

    def __repr__(self) -> str:
        return f"<Emitter {self.name} ({len(self._callbacks)} connected)>"


class SessionEvents:
    """The session's events, by name (see the module docstring)."""

    NAMES = ("sample_changed", "run_started", "run_event", "run_finished", "spectrum_changed",
             "analysis_changed", "readings_changed", "instrument_failed")

    def __init__(self) -> None:
        for name in self.NAMES:
            setattr(self, name, Emitter(name))


@dataclass(frozen=True)
class Spectrum:
    """An impedance spectrum being looked at: the live sweep or one opened from the store.

    ``area_cm2`` is the electrode area of the sample it was measured on (for Ohm cm2); ``run_id`` is the
    stored run it belongs to (None for a spectrum not in the store).
    """

    name: str
    frequency_hz: np.ndarray
    z: np.ndarray
    area_cm2: float
    sample_name: str = ""
    surface_state: str = ""
    run_id: int | None = None
    live: bool = False
    #: what to know when reading it (e.g. measured after the cell shorted), or ""
    note: str = ""

    @property
    def n_points(self) -> int:
        return int(self.frequency_hz.size)


def split_sweeps(frequency_hz) -> list[slice]:
    """The sweeps in a run's impedance points, in order: a sweep runs from high to low frequency, so a
    frequency that does not fall begins the next one (a CCD test stores a sweep before and one after)."""
    f = np.asarray(frequency_hz, dtype=float)
    if f.size == 0:
        return []
    starts = [0, *(int(i) + 1 for i in np.flatnonzero(f[1:] >= f[:-1]))]
    return [slice(a, b) for a, b in zip(starts, [*starts[1:], f.size], strict=True)]


def stored_sweeps(store, run_id: int) -> list[Spectrum]:
    """The stored run's sweeps as spectra, each named by the step it was measured in and noted when it
    was measured after the cell shorted."""
    record = store.run(run_id)
    data = store.points(run_id, "impedance")
    if data["frequency_hz"].size == 0:
        return []
    if not record.area_cm2:
        raise ValueError(f"run {run_id} has no electrode area recorded; its spectrum cannot be "
                         "shown in Ω cm².")
    steps = sorted((e.get("time_s") or 0.0, e.get("label", "")) for e in store.events(run_id, "step"))
    shorts = [e.get("time_s") or 0.0 for e in store.events(run_id, "safety")]
    sweeps = split_sweeps(data["frequency_hz"])
    spectra = []
    for k, part in enumerate(sweeps):
        t0 = float(data["time_s"][part][0])
        label = next((text for t, text in reversed(steps) if t <= t0 + 1e-9), "")
        name = f"run {run_id}: {record.sample_name}"
        if len(sweeps) > 1:
            name += f", {label.replace('impedance sweep ', '') or f'sweep {k + 1}'}"
        note = ""
        if shorts and t0 >= min(shorts):
            note = ("measured after the cell shorted: a metal filament bridges it, so its arcs are not "
                    "the interface's")
        z = data["z_real_ohm"][part] + 1j * data["z_imag_ohm"][part]
        spectra.append(Spectrum(name, data["frequency_hz"][part], z, float(record.area_cm2),
                                record.sample_name or "", record.surface_state or "", run_id, note=note))
    return spectra


ROLE_NAMES = {"fra": "impedance analyser", "galvanostat": "cycler", "stage": "temperature stage"}


def required_roles(procedure) -> list[str]:
    """The bench roles a procedure will use: the analyser for any sweep in it, the cycler when it drives
    current, the stage for a temperature step."""
    from workbench.procedures.impedance_sweep import ImpedanceSweepParameters
    from workbench.procedures.temperature_step import TemperatureStepParameters

    roles: list[str] = []

    def visit(value) -> None:
        if isinstance(value, ImpedanceSweepParameters) and "fra" not in roles:
            roles.append("fra")
        elif isinstance(value, TemperatureStepParameters) and "stage" not in roles:
            roles.append("stage")
        elif hasattr(value, "parameters") and hasattr(value, "plan"):  # a procedure (in a sequence)
            if getattr(value, "uses_galvanostat", False) and "galvanostat" not in roles:
                roles.append("galvanostat")
            visit(value.parameters)
            for inner in getattr(value, "procedures", ()) or ():
                visit(inner)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                visit(getattr(value, item.name))
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)

    visit(procedure)
    return roles


def safety_text(event: SafetyEvent | dict) -> str:
    """The one line that says what the short-circuit detector (or a limit) did; ``event`` is the
    ``SafetyEvent`` or the store's record of it."""
    get = event.get if isinstance(event, dict) else lambda key: getattr(event, key)
    if get("criterion") == "compliance":   # its detail is the sentence: "the cell needs more than ..."
        return f"{get('detail')}: current switched off"
    j = get("current_density_mA_cm2")
    direction = "plating" if j < 0 else "stripping"  # negative current plates on the working electrode
    return (f"{get('criterion').replace('_', ' ')} at {abs(j):g} mA/cm² ({direction}, half-cycle "
            f"{get('half_cycle')}): current switched off")


def output_alarm(finished: RunFinished) -> str | None:
    """The warning to show until acknowledged when a run ended with the cycler's output state unknown
    (the current may still be on), saying what to do; None otherwise."""
    from workbench.runner import OUTPUT_UNKNOWN

    if finished.status != OUTPUT_UNKNOWN:
        return None
    return f"Run {finished.run_id}: {finished.reason}"


def finished_text(finished: RunFinished) -> str:
    """The one line that says how a run ended, its key result first (a status bar too narrow for the
    reason still shows it): 'Run 4 shorted · CCD 9.5 mA/cm²: hard short at ...'."""
    text = f"Run {finished.run_id} {finished.status}"
    found = ccd_summary(finished.status, finished.result)   # a CCD only where a short ended the test
    if found:
        text += f" · {found}"
    if finished.reason:
        text += f": {finished.reason.replace('mA/cm2', 'mA/cm²').replace('degC', '°C')}"
    return text


#: the cycling columns a run is shown with (besides time_s)
CYCLING_TRACE = ("voltage_v", "current_density_mA_cm2")


@dataclass
class OpenedRun:
    """A stored run as read for showing it (``Session.read_run``)."""

    record: Any
    kinds: dict[str, int]                    # points of each kind
    spectra: list[Spectrum]                  # its sweeps, apart
    cycling: dict[str, np.ndarray] | None    # time_s, voltage_v, current_density_mA_cm2
    safety: list[dict[str, Any]]             # the short-circuit detector's events
    #: sweep index -> the latest fit kept with the run for that sweep, as a ``SpectrumAnalysis``
    #: (``workbench.kept_fit``); sweeps never fitted are absent
    kept: dict[int, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        return sum(self.kinds.values())


@dataclass
class _Live:
    """The live sweep's points, gathered on the worker thread."""

    run_id: int
    sample: Sample
    frequency_hz: list[float] = field(default_factory=list)
    z: list[complex] = field(default_factory=list)
    note: str = ""


class Session:
    """The state of one working session on one bench, and the only place a run is started."""

    def __init__(self, bench: Any, store: Store | None = None, *, sample: Sample | None = None):
        self.bench = bench
        self.store = store if store is not None else Store(":memory:")
        self.events = SessionEvents()
        self._lock = threading.RLock()
        self._sample: Sample | None = None
        self.cell_description: str | None = None
        #: the short the store records for the sample's cell (``workbench.sample_record``), else None
        self.recorded_short = None
        self._runner = None
        self._spectrum: Spectrum | None = None
        self._live: _Live | None = None
        self._run_spectra: list[Spectrum] = []
        self._opened_run = None
        self._analysis = None
        self._kept: dict[int, Any] = {}  # the opened run's fits by sweep (kept ones, and those made since)
        self.readings: dict[str, dict[str, Any]] = {}
        self.monitor = None
        clock = getattr(bench, "clock", None)
        self._t0 = clock.now() if clock is not None else 0.0
        self.set_sample(sample if sample is not None else self._default_sample())

    def _default_sample(self) -> Sample:
        cell = getattr(self.bench, "cell", None)
        state = getattr(cell, "surface_state", None) or "as sintered"
        return Sample.paper(state, name="NZSP-01")

    # --- the sample ------------------------------------------------------------------------------
    @property
    def sample(self) -> Sample:
        return self._sample

    @property
    def area_cm2(self) -> float:
        """The electrode area of the sample on the bench: every current density uses it."""
        return self._sample.area_cm2

    def set_sample(self, sample: Sample, *, fresh: bool = False) -> None:
        """Put ``sample`` on the bench. On an emulated bench the emulated twins measure it from now on
        (a new name is a new cell; ``fresh`` replaces the cell of that name with a new one)."""
        if not isinstance(sample, Sample):
            raise TypeError(f"expected a Sample, got {sample!r}")
        if self.is_running:
            raise RunRefused("A run is active: the cell cannot change until it has ended.")
        set_cell = getattr(self.bench, "set_sample_cell", None)
        if callable(set_cell):
            from workbench.sample_record import recorded_short

            # a sample the store records as shorted is measured shorted (after a restart too)
            self.recorded_short = None if fresh else recorded_short(self.store, sample)
            known = {"shorted": self.recorded_short.state} if self.recorded_short else {}
            set_cell(sample.name, surface_state=sample.surface_state, thickness_cm=sample.thickness_cm,
                     electrode_diameter_cm=sample.electrode_diameter_mm / 10.0, fresh=fresh, **known)
        self._sample = sample
        self.cell_description = self._describe_cell()
        self.events.sample_changed.emit(sample)

    def _describe_cell(self) -> str | None:
        """The emulated cell measured now, in one line (its short included), or None on a real bench."""
        describe = getattr(getattr(self.bench, "cell", None), "describe", None)
        return describe() if callable(describe) else None

    # --- the run -----------------------------------------------------------------------------------
    @property
    def runner(self):
        """The active ``Runner``, or None when the bench is idle."""
        return self._runner

    @property
    def is_running(self) -> bool:
        return self._runner is not None

    def start_run(self, procedure, *, criteria=None, listeners: Iterable[Callable[[Event], None]] = ()):
        """Start ``procedure`` on the session's sample as a stored run and return its ``Runner``.

        Raises ``RunRefused`` (with a message for the user) while another run is active or when the run
        cannot be set up. ``listeners`` are subscribed before the first event (the command line's
        progress bar); windows listen to ``events.run_event`` instead.
        """
        from workbench.runner import Runner

        with self._lock:
            if self._runner is not None:
                raise RunRefused(f"A run is already using the bench ({self._runner.procedure.label}, run "
                                 f"{self._runner.run_id}); wait for it to end or abort it.")
            missing = [role for role in required_roles(procedure) if not self._connected(role)]
            if missing:
                names = " and the ".join(ROLE_NAMES.get(role, role) for role in missing)
                raise RunRefused(f"{procedure.label} needs the {names}, which {'is' if len(missing) == 1 else 'are'}"
                                 " disconnected; connect it in its dock first. Nothing was started.")
            try:
                runner = Runner(procedure, self.bench, self._sample, self.store, criteria=criteria)
            except Exception as exc:  # noqa: BLE001 - said to the user; nothing was sent to an instrument
                raise RunRefused(f"Cannot start {getattr(procedure, 'label', 'the run')}: {exc}") from exc
            for listener in listeners:
                runner.subscribe(listener)
            runner.subscribe(self._on_run_event)
            self._runner = runner
        self.events.run_started.emit(runner)  # before its first event: the views make room for it
        try:
            runner.start()
        except Exception as exc:  # noqa: BLE001 - e.g. the store refused the new run
            message = f"Cannot start {procedure.label}: {exc}"
            self._on_run_event(RunFinished(runner.run_id, "failed", message))
            raise RunRefused(message) from exc
        return runner

    def _connected(self, role: str) -> bool:
        instrument = getattr(self.bench, "instrument", None)
        return instrument(role) is not None if callable(instrument) else getattr(self.bench, role, None) is not None

    def run_blocking(self, procedure, *, criteria=None, listeners=()) -> RunFinished:
        """Start a run and wait for it (the command line); Ctrl-C aborts it, output off, and still returns
        its ``RunFinished``; so does a terminating signal (``workbench.host.Terminated``, raised by the
        handlers of ``host.TerminationSignals``), with the reason "terminated by signal SIGTERM"."""
        runner = None
        try:
            runner = self.start_run(procedure, criteria=criteria, listeners=listeners)
            while runner.wait(0.1) is None:
                pass
        except (KeyboardInterrupt, Terminated) as exc:
            runner = runner or self._runner   # the signal may come before start_run returned
            if runner is None or runner.state == "idle":
                raise                         # nothing was started
            from workbench.runner import interruption_reason

            runner.abort(interruption_reason(exc))
            runner.wait()
        return runner.finished

    def pause(self) -> None:
        if self._runner is not None:
            self._runner.pause()

    def resume(self) -> None:
        if self._runner is not None:
            self._runner.resume()

    def toggle_pause(self) -> None:
        runner = self._runner
        if runner is None:
            return
        if runner.state == "paused":
            runner.resume()
        else:
            runner.pause()

    def abort(self, reason: str = "aborted by the user") -> None:
        if self._runner is not None:
            self._runner.abort(reason)

    def wait(self, timeout: float | None = None) -> RunFinished | None:
        """Block until the active run (if any) has finished; return its ``RunFinished``."""
        runner = self._runner
        if runner is None:
            return None
        return runner.wait(timeout)

    def _on_run_event(self, event: Event) -> None:
        """The runner's listener (worker thread): keep the state, then tell the clients."""
        runner = self._runner
        if isinstance(event, DataPoint):
            if event.kind == "impedance":
                self._live_point(event)
                if "stale" in self.readings.get("fra", {}):
                    self._set_readings("fra", {})  # the analyser answers again
            elif event.kind == "cycling":
                v = event.values
                self._set_readings("galvanostat", {
                    "output": "on", "voltage_v": v["voltage_v"], "current_a": v["current_a"],
                    "current_density_mA_cm2": v["current_density_mA_cm2"]})
            elif event.kind == "temperature":
                self._set_readings("stage", {"temperature_c": event.values["temperature_c"],
                                             "setpoint_c": event.values["setpoint_c"]})
        elif isinstance(event, SafetyEvent) or (isinstance(event, StateChanged) and event.state == "paused"):
            if runner is not None and runner.procedure.uses_galvanostat:
                self._set_readings("galvanostat", {"output": "off"})
        self.events.run_event.emit(event)
        if isinstance(event, RunFinished):
            with self._lock:
                self._runner = None
            self._readings_after(event, runner)
            description = self._describe_cell()
            if description != self.cell_description:  # e.g. the run shorted the cell
                self.cell_description = description
                self.events.sample_changed.emit(self._sample)
            self.events.run_finished.emit(event)

    # --- the spectrum and its analysis ---------------------------------------------------------------
    @property
    def spectrum(self) -> Spectrum | None:
        """The spectrum being looked at (a snapshot): the live sweep, or the one opened last."""
        with self._lock:
            live = self._live
            if live is not None and self._spectrum is not None and self._spectrum.live:
                return Spectrum(LIVE, np.array(live.frequency_hz), np.array(live.z, complex),
                                live.sample.area_cm2, live.sample.name, live.sample.surface_state,
                                live.run_id, live=True, note=live.note)
            return self._spectrum

    @property
    def analysis(self):
        """The latest ``SpectrumAnalysis`` of the current spectrum, or None."""
        return self._analysis

    def _live_point(self, point: DataPoint) -> None:
        f = point.values["frequency_hz"]
        z = complex(point.values["z_real_ohm"], point.values["z_imag_ohm"])
        with self._lock:
            live = self._live
            new = live is None or live.run_id != point.run_id or (live.frequency_hz and f >= live.frequency_hz[-1])
            if new:
                # a sweep goes from high to low frequency: a frequency that does not fall starts a new one
                live = self._live = _Live(point.run_id, self._runner.sample if self._runner else self._sample)
            live.frequency_hz.append(f)
            live.z.append(z)
        if new:
            cell = getattr(self.bench, "cell", None)
            live.note = ("the emulated cell is shorted: a metal filament bridges it, so its arcs are not the "
                         "interface's") if getattr(cell, "shorted", False) else ""
            self._set_spectrum(Spectrum(LIVE, np.array([f]), np.array([z]), live.sample.area_cm2,
                                        live.sample.name, live.sample.surface_state, point.run_id, live=True,
                                        note=live.note))

    def _set_spectrum(self, spectrum: Spectrum | None, keep_run_spectra: bool = False, analysis=None) -> None:
        """``spectrum`` is looked at now, with ``analysis`` (the fit kept for it) or none."""
        with self._lock:
            self._spectrum = spectrum
            if spectrum is None or not spectrum.live:
                self._live = None
            if not keep_run_spectra:
                self._run_spectra = []
                self._opened_run = None
                self._kept = {}
            self._analysis = analysis
        self.events.spectrum_changed.emit(spectrum)
        self.events.analysis_changed.emit(analysis)

    @property
    def run_spectra(self) -> list[Spectrum]:
        """The sweeps of the run opened last (one spectrum each; a CCD test has one before and one
        after), or [] when the current spectrum is not from an opened run."""
        return list(self._run_spectra)

    def run_sweeps(self, run_id: int) -> list[Spectrum]:
        """The stored run's sweeps as spectra (:func:`stored_sweeps`)."""
        return stored_sweeps(self.store, run_id)

    def open_run(self, run_id: int, sweep: int | None = None):
        """Look at a stored run: its sweep number ``sweep`` becomes the current spectrum (by default the
        sweep fitted last, else the first), with the fit kept for it as the current analysis (None when
        that sweep was never fitted), and ``run_spectra`` lists all of them; a run without a spectrum
        leaves none current. Returns the run's record. (``read_run`` then ``show_run`` do the same in two
        halves, the reading on any thread.)"""
        return self.show_run(self.read_run(run_id), sweep)

    def read_run(self, run_id: int, *, progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> OpenedRun | None:
        """Read a stored run for showing it, on any thread, changing nothing: its record, its sweeps and
        the fits kept for them, its cycling trace (time, voltage, current density) and short-circuit
        events. ``progress(done, total)`` is called after each block of points; returns None as soon as
        ``cancelled()`` is true."""
        from workbench.kept_fit import kept_analyses

        record = self.store.run(run_id)
        kinds = self.store.point_kinds(run_id)
        total = sum(kinds.values())
        spectra = self.run_sweeps(run_id)
        kept = kept_analyses(self.store, run_id, spectra)
        done = kinds.get("impedance", 0)
        if progress is not None:
            progress(done, total)
        cycling = None
        if kinds.get("cycling"):
            blocks = []
            for block in self.store.point_blocks(run_id, "cycling", CYCLING_TRACE):
                if cancelled is not None and cancelled():
                    return None
                blocks.append(block)
                done += len(block["seq"])
                if progress is not None:
                    progress(done, total)
            cycling = {c: np.concatenate([b[c] for b in blocks]) for c in ("time_s", *CYCLING_TRACE)}
        return OpenedRun(record, kinds, spectra, cycling, self.store.events(run_id, "safety"), kept)

    def show_run(self, opened: OpenedRun, sweep: int | None = None):
        """Make a run read by ``read_run`` the one looked at (see ``open_run``); returns its record."""
        if sweep is None:  # the sweep fitted last, else the first
            latest = max(opened.kept.items(), key=lambda item: item[1].kept.fit_id, default=None)
            sweep = latest[0] if latest is not None else 0
        with self._lock:
            self._run_spectra = opened.spectra
            self._opened_run = opened.record
            self._kept = dict(opened.kept)
        self._set_spectrum(opened.spectra[sweep] if opened.spectra else None, keep_run_spectra=True,
                           analysis=opened.kept.get(sweep))
        return opened.record

    def select_sweep(self, index: int) -> None:
        """Look at another sweep of the run opened last (with the fit kept for it, if any)."""
        spectra = self.run_spectra
        if not 0 <= index < len(spectra):
            raise ValueError(f"the run opened has {len(spectra)} sweeps; there is no sweep {index + 1}")
        self._set_spectrum(spectra[index], keep_run_spectra=True, analysis=self._kept.get(index))

    @property
    def opened_run(self):
        """The record of the run opened last, while its sweeps (or its lack of one) are what is looked
        at; None once a live sweep took over."""
        return self._opened_run

    def analyse(self, circuit: str, *, fixed: dict[str, float] | None = None):
        """Fit ``circuit`` to the current spectrum (with the area of the sample it was measured on),
        keep the fit with its run in the store, and make it the current analysis."""
        from workbench.spectrum_analysis import analyse_spectrum

        spectrum = self.spectrum
        opened = self._opened_run
        if spectrum is None and opened is not None:
            raise ValueError(f"Run {opened.id} has no spectrum to fit (it is a {opened.kind.replace('_', ' ')} "
                             "run); open a run with a sweep.")
        if spectrum is None or spectrum.n_points == 0:
            raise ValueError("No spectrum to fit: run a sweep or open a run first.")
        analysis = analyse_spectrum(spectrum.frequency_hz, spectrum.z, circuit, area_cm2=spectrum.area_cm2,
                                    fixed=fixed or None)
        with self._lock:
            current = self._spectrum
            if current is not None and (current.name, current.run_id) != (spectrum.name, spectrum.run_id):
                return analysis  # the spectrum changed while fitting: do not show a fit of another one
            self._analysis = analysis
            for index, sweep in enumerate(self._run_spectra):
                if (sweep.name, sweep.run_id) == (spectrum.name, spectrum.run_id):
                    self._kept[index] = analysis  # shown again when this sweep is chosen again
        if spectrum.run_id is not None:
            fit = analysis.fit
            interface = analysis.interface
            self.store.add_fit(spectrum.run_id, str(fit.circuit), fit.values, errors=fit.stderr,
                               chi_square=fit.chi_square,
                               notes=interface.text() if interface else analysis.interface_note,
                               result=interface.to_dict() if interface else None)
        self.events.analysis_changed.emit(analysis)
        return analysis

    # --- users' files --------------------------------------------------------------------------------
    def import_files(self, paths, sample: Sample | None = None, *, temperature_c: float | None = None,
                     progress=None, cancelled=None):
        """Import impedance or cycling files into the store as runs marked imported, measured on ``sample``
        (by default the session's); see ``workbench.importing``. Returns one outcome per file."""
        from workbench.importing import import_files

        return import_files(self.store, paths, sample or self._sample, temperature_c=temperature_c,
                            progress=progress, cancelled=cancelled)

    # --- before a run ------------------------------------------------------------------------------
    def preview(self, procedure, sample: Sample | None = None):
        """``(procedure, plan)`` as a run on this bench would follow them: sweeps fitted to the analyser's
        range (the plan's ``notes`` say what changed), the plan checked as the runner checks it."""
        from workbench.procedures.analyser_range import analyser_limit, fit_to_analyser

        procedure, notes = fit_to_analyser(procedure, *analyser_limit(self.bench))
        plan = procedure.checked_plan(sample or self._sample)
        plan.notes += notes
        return procedure, plan

    def concerns(self, parameters, sample: Sample | None = None) -> list[str]:
        """What to know before running ``parameters`` on the sample (see ``workbench.feasibility``): the
        cell's resistance is the one measured last on this sample when there is a spectrum of it."""
        from workbench.feasibility import Resistance, concerns

        sample = sample or self._sample
        resistance = None
        spectrum = self.spectrum
        if (spectrum is not None and spectrum.n_points and not (spectrum.live and self.is_running)
                and spectrum.sample_name == sample.name and spectrum.surface_state == sample.surface_state):
            low = int(np.argmin(spectrum.frequency_hz))
            resistance = Resistance(float(spectrum.z.real[low]), f"Z' at {spectrum.frequency_hz[low]:.3g} Hz "
                                    f"measured in run {spectrum.run_id}")
        return concerns(parameters, sample, resistance)

    # --- readings ----------------------------------------------------------------------------------
    def now(self) -> float:
        """Bench-clock seconds since the session began (the time of the readings)."""
        clock = getattr(self.bench, "clock", None)
        return clock.now() - self._t0 if clock is not None else 0.0

    def _set_readings(self, role: str, values: dict[str, Any]) -> None:
        values = dict(values)
        values.setdefault("time_s", self.now())
        values.setdefault("read_at", time.time())   # wall clock: "no reading since HH:MM:SS" if it goes stale
        if role == "galvanostat" and "current_a" in values and "current_density_mA_cm2" not in values:
            values["current_density_mA_cm2"] = values["current_a"] * 1e3 / self.area_cm2
        with self._lock:
            self.readings[role] = values
        self.events.readings_changed.emit((role, values))

    def _readings_after(self, finished: RunFinished, runner) -> None:
        """What the readings are once a run has ended: the cycler's output off when its end confirmed it,
        unknown when it did not; a role whose instrument failed the run has no true reading until the
        monitor reads it again."""
        from workbench.runner import OUTPUT_UNKNOWN

        result = finished.result if isinstance(finished.result, dict) else {}
        unknown = finished.status == OUTPUT_UNKNOWN or result.get("output_state") == "unknown"
        if unknown:
            error = result.get("output_error")
            self.mark_stale("galvanostat", f"run {finished.run_id} ended without the output confirmed off"
                            + (f" ({error})" if error else ""))
        elif runner is not None and runner.procedure.uses_galvanostat:
            self._set_readings("galvanostat", {"output": "off"})
        if finished.status in ("failed", OUTPUT_UNKNOWN):
            for role in self._roles_named(finished.reason or ""):
                if role != "galvanostat":  # the cycler is said above: unknown, or off as its end confirmed
                    self.mark_stale(role, f"run {finished.run_id} failed: {finished.reason}")

    def _roles_named(self, text: str) -> list[str]:
        """The roles whose instrument a failure's text names (an ``InstrumentError`` names it)."""
        roles = getattr(self.bench, "roles", None)
        named = []
        for role, _label, instrument in (roles() if roles is not None else []):
            label = getattr(instrument, "label", None) if instrument is not None else None
            if isinstance(label, str) and label and label in text:
                named.append(role)
        return named

    def mark_stale(self, role: str, reason: str) -> bool:
        """The last readings of ``role`` are no longer true (its instrument did not answer, or a run ended
        without confirming its state): they are kept with ``stale`` (the reason), ``stale_at`` (when it
        was found, wall-clock seconds) and ``read_at`` (the time of the last true reading, None if none);
        a cycler's output becomes ``"unknown"``. Returns False when they were already stale for this
        reason (nothing is emitted then). The next reading replaces them whole."""
        with self._lock:
            previous = self.readings.get(role, {})
            if previous.get("stale") == reason:
                return False
            values = dict(previous)
            values["stale"] = reason
            values["stale_at"] = time.time()
            values.setdefault("read_at", None)
            values.setdefault("time_s", self.now())
            if role == "galvanostat":
                values["output"] = "unknown"   # a cycler that does not answer may be sourcing
                for key in ("voltage_v", "current_a", "current_density_mA_cm2"):
                    values.pop(key, None)      # no current or voltage is known now
            self.readings[role] = values
        self.events.readings_changed.emit((role, values))
        return True

    def _monitor_failed(self, role: str, message: str) -> None:
        """The monitor could not read ``role``: its readings are stale; said once per reason."""
        if self.mark_stale(role, message):
            self.events.instrument_failed.emit((role, message))

    def update_readings(self, role: str, values: dict[str, Any]) -> None:
        """The last readings of ``role`` (from the bench monitor); replaces the previous ones whole."""
        self._set_readings(role, values)

    def start_monitor(self, interval_s: float = 1.0, on_failure=None):
        """Read the bench every ``interval_s`` on a thread of its own (see ``workbench.monitor``); the
        cycler is left to the run while a run drives it. Returns the ``BenchMonitor``."""
        from workbench.monitor import BenchMonitor

        if self.monitor is None:
            self.monitor = BenchMonitor(
                self.bench, self.update_readings,
                on_failure or self._monitor_failed,
                interval_s=interval_s, skip=self._run_reads)
            self.events.run_finished.connect(lambda _finished: self.monitor and self.monitor.poll_soon())
            self.monitor.start()
        return self.monitor

    def _run_reads(self, role: str) -> bool:
        runner = self._runner
        return role == "galvanostat" and runner is not None and runner.procedure.uses_galvanostat

    def close(self) -> None:
        """Abort an active run (output off), wait for it to end, stop the monitor."""
        if self.monitor is not None:
            self.monitor.stop()
            self.monitor = None
        runner = self._runner
        if runner is not None:
            runner.abort("the session was closed")
            runner.wait(10)
