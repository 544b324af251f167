"""The headless command line: run a protocol, list stored runs, export a run.

::

    python -m workbench run PROTOCOL.toml [--config BENCH.toml] [--store FILE] [--speed FACTOR]
                                          [--cell STATE] [--json] [--echo-points] [--quiet]
    python -m workbench plan PROTOCOL.toml [--config BENCH.toml]
    python -m workbench runs [--store FILE] [--json]
    python -m workbench export RUN_ID [--store FILE] [--format csv|z] [-o PATH]
    python -m workbench analyse RUN_ID|FILE [--store FILE] [--area-cm2 A] [--json]
    python -m workbench import FILE... --sample NAME --surface STATE [--temperature C] [--thickness-mm MM]
                                       [--electrode-diameter-mm MM] [--store FILE] [--json]

``run`` shows a progress bar with the time left on stderr; ``--json`` prints a summary on stdout at
the end (run id, status, reason, the critical current density where there is one);
``analyse`` prints the interface resistance of a stored impedance run (and keeps it with the run) or of a
spectrum file, with its uncertainty or "not resolved: < X" and the method; ``--echo-points``
prints one JSON line per point on stdout right after the store committed it. On an emulated bench the
twins measure the emulated cell of the protocol's sample (its surface state, pellet thickness and
electrode diameter); ``--cell STATE`` gives that sample another surface state, and the run is stored
with the surface state measured. ``--cell`` is refused on a bench without an emulated instrument.

``--store FILE`` names the workspace; by default it is ``nzsp-workbench/workspace.sqlite`` in the user's
data folder: ``~/.local/share`` (or ``$XDG_DATA_HOME``) on Linux, ``%LOCALAPPDATA%`` on Windows,
``~/Library/Application Support`` on macOS -- the same file the window uses.

``import`` stores each file (an impedance spectrum or a cycling run, in any format ``workbench.formats``
reads) as a run marked "imported" with its source file and the sample named; a file of several sweeps
becomes one run per sweep. A file imported before (same content) is skipped and the runs it is in are
named; a file that cannot be read is reported with the reason and the others are imported. It exits 0
when every file was imported or already there, 2 when a file could not be read (the rest imported).

Exit codes: 0 the run completed (or ended in the short it was looking for), 1 it was aborted or
failed, 2 bad input (nothing started), 3 the bench could not be opened, 4 the cycler did not confirm
that its output is off at the end (the current may still be on: the message says what to do).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

from workbench.ccd_outcome import ccd_summary, critical_current_density
from workbench.events import DataPoint, Event, Progress, RunFinished, SafetyEvent, StepStarted
from workbench.runner import OUTPUT_UNKNOWN

STORE_HELP = ("workspace database file (default: nzsp-workbench/workspace.sqlite in the user's data folder: "
              "~/.local/share on Linux, %%LOCALAPPDATA%% on Windows, ~/Library/Application Support on macOS)")

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_NO_BENCH, EXIT_OUTPUT_UNKNOWN = 0, 1, 2, 3, 4


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line (exit 2), with where to read the usage; the window's
    launcher (``ui/app.py``) uses it too."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {' '.join(message.split())}; see `{self.prog} --help`.\n")


_Parser = OneLineParser


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m workbench", description="NZSP Workbench: run measurement protocols headless."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a protocol file on the bench")
    run.add_argument("protocol", type=Path, help="protocol file (TOML), see resources/protocols/")
    run.add_argument("--config", type=Path, default=None, help="bench config (default: all emulated)")
    run.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    run.add_argument(
        "--speed", type=float, default=None, help="emulated time runs FACTOR times faster than the wall clock"
    )
    run.add_argument(
        "--cell", default=None, help="surface state of the sample on an emulated bench (default: the protocol's)"
    )
    run.add_argument("--json", action="store_true", help="print a JSON summary on stdout at the end")
    run.add_argument(
        "--echo-points",
        action="store_true",
        help="print each point's sequence number (JSON line) on stdout once it is stored",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    plan = sub.add_parser("plan", help="check a protocol and print its plan; touches no instrument")
    plan.add_argument("protocol", type=Path)
    plan.add_argument(
        "--config", type=Path, default=None, help="bench config: fit the plan to its analyser's frequency range"
    )
    plan.add_argument("--json", action="store_true")

    runs = sub.add_parser("runs", help="list the runs in the store")
    runs.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    runs.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="export a run's data")
    export.add_argument("run_id", type=int)
    export.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    export.add_argument(
        "--format",
        choices=("csv", "z"),
        default="csv",
        help="csv: every point; z: the impedance spectrum for ZView",
    )
    export.add_argument("-o", "--output", type=Path, default=None, help="output file")
    analyse = sub.add_parser("analyse", help="interface resistance of a stored impedance run or a spectrum file")
    analyse.add_argument("target", help="a run id in the store, or a spectrum file (.mpt, .mpr, .z, .DTA, .csv, ...)")
    analyse.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    analyse.add_argument("--area-cm2", type=float, default=None,
                         help="electrode area of a file's cell, cm2 (default: the file's own, if it has one)")
    analyse.add_argument("--sweep", type=int, default=None, metavar="N",
                         help="which sweep of a run or file of several (1 = the first; default: the last)")
    analyse.add_argument("--json", action="store_true", help="print the whole result as JSON")

    imp = sub.add_parser("import", help="import impedance or cycling files into the store as runs")
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE", help="files to import (.mpr, .mpt, .DTA, .z, "
                     ".par, .csv, .txt, ...)")
    imp.add_argument("--sample", required=True, help="the sample the files were measured on (its name)")
    imp.add_argument("--surface", required=True, help="its surface state (as sintered, EtOH500, dry4000-anneal, ...)")
    imp.add_argument("--temperature", type=float, default=None, metavar="C",
                     help="temperature of the measurement in degrees C (for Arrhenius plots of a series)")
    imp.add_argument("--thickness-mm", type=float, default=None, help="pellet thickness (default: the paper's, 1.70)")
    imp.add_argument("--electrode-diameter-mm", type=float, default=None,
                     help="Na electrode diameter, which gives the area (default: the paper's, 8.5)")
    imp.add_argument("--store", type=Path, default=None, help=STORE_HELP)
    imp.add_argument("--json", action="store_true", help="print the outcome of each file as JSON on stdout")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"run": _run, "plan": _plan, "runs": _runs, "export": _export, "analyse": _analyse,
                "import": _import}[args.command](args)
    except CliError as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)  # one line, whatever the cause
        return exc.code
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        return EXIT_OK


def _load(path: Path):
    from workbench.protocol import ProtocolError, load_protocol

    try:
        return load_protocol(path)
    except ProtocolError as exc:
        raise CliError(f"{exc} Nothing was started.") from None


def _open_store(path: Path | None, *, write: bool = False):
    """The store, or a ``CliError`` (exit 2) saying why not; ``write``: a run must be recordable in it."""
    from workbench.store import Store, StoreError, default_store_path

    if not write and not (path or default_store_path()).exists():  # `runs` and `export` make no store
        raise CliError(f"{path or default_store_path()}: no such store; `python -m workbench run` makes one.")
    try:
        store = Store(path)
    except (StoreError, OSError) as exc:
        raise CliError(f"cannot open the store: {exc}") from None
    if write and store.read_only:
        store.close()
        raise CliError(
            f"cannot record a run in the store {store.path}: {store.read_only_reason}. Use --store with a file "
            "you can write (`runs` and `export` can still read this one). Nothing was started."
        )
    if store.migrated_from is not None:
        print(
            f"note: the store {store.path} was updated from schema version {store.migrated_from} to "
            f"{store.schema_version}; a copy of it as it was is in {store.backup_path}",
            file=sys.stderr,
        )
    return store


def _plan(args) -> int:
    protocol = _load(args.protocol)
    procedure, notes = protocol.procedure(), []
    if args.config is not None:
        from instruments.bench import ConfigError, driver_class, load_config
        from workbench.procedures.analyser_range import fit_to_analyser

        try:
            analyser = driver_class("fra", load_config(args.config).roles["fra"].driver)
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        procedure, notes = fit_to_analyser(procedure, analyser.max_frequency_hz, getattr(analyser, "model", ""))
    plan = procedure.plan(protocol.sample)
    plan.notes += notes
    from workbench.feasibility import concerns

    warnings = concerns(procedure.parameters, protocol.sample)   # as the window's forms warn
    if args.json:
        from workbench.store import to_jsonable

        print(json.dumps({**to_jsonable(plan.to_dict()), "warnings": warnings}))
    else:
        print(
            f"sample {protocol.sample.name} ({protocol.sample.surface_state}), "
            f"area {protocol.sample.area_cm2:.4f} cm2"
        )
        print(plan.describe())
        for warning in warnings:
            print(f"warning: {warning}")
    return EXIT_OK


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


class _ProgressBar:
    """Progress on stderr: a redrawn bar on a terminal, a line every 10 % otherwise."""

    def __init__(self, speed: float):
        self.tty = sys.stderr.isatty()
        self.speed = speed
        self.last_decile = -1
        self.label = ""

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.label = event.label
        elif isinstance(event, Progress):
            left_wall = None if event.remaining_s is None else event.remaining_s / self.speed
            at_least = ">= " if event.at_least else ""
            text = (
                f"{event.fraction:6.1%}  elapsed {_hours(event.elapsed_s)}  left {at_least}{_hours(event.remaining_s)}"
                f" (wall {at_least}{_hours(left_wall)})  {self.label}"
            )
            if self.tty:
                bar = "#" * int(30 * event.fraction)
                sys.stderr.write(f"\r[{bar:<30}] {text}\033[K")
                sys.stderr.flush()
            elif int(event.fraction * 10) > self.last_decile:
                self.last_decile = int(event.fraction * 10)
                print(text, file=sys.stderr, flush=True)
        elif isinstance(event, SafetyEvent):
            what = (event.detail if event.criterion == "compliance"   # a sentence of its own
                    else f"{event.criterion} at {event.current_density_mA_cm2:g} mA/cm2: {event.detail}")
            print(f"\nSAFETY: {what}", file=sys.stderr, flush=True)
        elif isinstance(event, RunFinished) and self.tty:
            sys.stderr.write("\n")


def _run(args) -> int:
    protocol = _load(args.protocol)
    from instruments.bench import Bench, ConfigError, check_speed, load_config

    try:
        if args.speed is not None:
            check_speed(args.speed, "--speed")
        config = load_config(args.config)  # a bad config is bad input: refused before the store or the bench
    except ConfigError as exc:
        raise CliError(f"{exc} Nothing was started.") from None
    sample = protocol.sample
    if args.cell is not None and not config.any_emulated:
        raise CliError(
            "--cell sets the surface state of the emulated cell, and this bench has no emulated "
            "instrument; describe the real cell in the protocol's [sample] table. Nothing was started."
        )
    if args.cell is not None:
        from workbench.cell import SampleError

        try:
            sample = dataclasses.replace(sample, surface_state=args.cell)
        except SampleError as exc:
            raise CliError(f"--cell: {str(exc).split(': ', 1)[1]} Nothing was started.") from None
    store = _open_store(args.store, write=True)
    try:
        bench = Bench.from_config(args.config, speed=args.speed, cell=sample.surface_state)
    except ConfigError as exc:
        raise CliError(f"{exc} Nothing was started.") from None
    except Exception as exc:  # noqa: BLE001 - say what failed, no traceback
        raise CliError(f"cannot open the bench: {type(exc).__name__}: {exc}", EXIT_NO_BENCH) from None
    from workbench.host import Terminated, TerminationSignals
    from workbench.session import RunRefused, Session

    termination = TerminationSignals()
    try:
        procedure = protocol.procedure()
        session = Session(bench, store, sample=sample)
        if session.recorded_short is not None and not args.quiet:
            print(f"note: {session.recorded_short.text(sample.name)}", file=sys.stderr)
        for concern in session.concerns(procedure.parameters):   # the warnings the window gives, --quiet too
            print(f"warning: {concern}", file=sys.stderr)
        speed = getattr(bench.clock, "speed", 1.0)
        listeners = []
        echo = None
        if not args.quiet:
            print(
                f"run: {sample.name} ({sample.surface_state}), "
                f"{procedure.plan(sample).describe().splitlines()[0]}; store {store.path}",
                file=sys.stderr,
            )
            listeners.append(_ProgressBar(speed))
        if args.echo_points:
            echo = _Echo()
            listeners.append(echo)
        t0 = time.perf_counter()
        try:
            # SIGTERM/SIGHUP end the run as Ctrl-C does: aborted, output off, stored with the signal's name
            with termination:
                finished = session.run_blocking(procedure, criteria=protocol.criteria, listeners=listeners)
        except RunRefused as exc:
            raise CliError(f"{exc}\nNothing was started.", EXIT_RUN_FAILED) from None
        except Terminated as exc:
            raise CliError(f"{exc.reason} before the run started; nothing was started.",
                           termination.exit_code()) from None
        wall_s = time.perf_counter() - t0
    finally:
        try:
            bench.close()
        except Exception as exc:  # noqa: BLE001
            print(f"warning: closing the bench: {exc}", file=sys.stderr)
    if echo is not None:
        echo.close()
    summary = _summary(finished, store, wall_s)
    if finished.status == OUTPUT_UNKNOWN:  # always said, --quiet or not: someone may touch the cell
        bar = "!" * 100
        print(f"{bar}\nrun {finished.run_id}: {finished.reason}\n{bar}", file=sys.stderr, flush=True)
    if not finished.recorded:
        print(
            f"run {finished.run_id}: ended {finished.status}, but THE STORE DID NOT RECORD ITS END "
            f"({finished.reason}); its row in {store.path} may still say 'running'. Its points up to the "
            "failure are kept.",
            file=sys.stderr,
        )
    elif not args.quiet and finished.status != OUTPUT_UNKNOWN:
        line = f"run {finished.run_id}: {finished.status}"
        if finished.reason:
            line += f" ({finished.reason})"
        found = ccd_summary(finished.status, finished.result)
        if found:
            line += f"; {found}"
        print(line, file=sys.stderr)
    if args.json:
        print(json.dumps(summary), flush=True)
    store.close()
    if finished.status == OUTPUT_UNKNOWN:
        return EXIT_OUTPUT_UNKNOWN
    if termination.received is not None:   # the shell's code for "ended by that signal", after a safe end
        return termination.exit_code()
    ok = finished.recorded and finished.status in ("completed", "shorted")
    return EXIT_OK if ok else EXIT_RUN_FAILED


class _Echo:
    """``--echo-points``: each stored point's sequence number, printed on stdout by a thread of its own,
    so that a reader that stops reading (a full pipe) never stalls the measurement: the run's worker
    thread only queues the line."""

    def __init__(self):
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._print, name="echo-points", daemon=True)
        self.thread.start()

    def __call__(self, event: Event) -> None:
        if isinstance(event, DataPoint):
            self.lines.put(json.dumps({"seq": event.seq, "kind": event.kind, "run_id": event.run_id}))

    def _print(self) -> None:
        broken = False
        while (line := self.lines.get()) is not None:
            if not broken:
                try:
                    print(line, flush=True)
                except (BrokenPipeError, OSError):
                    broken = True  # the reader went away: keep draining, print nothing more

    def close(self) -> None:
        """Print what is still queued (the run is over and safe by now)."""
        self.lines.put(None)
        self.thread.join()


def _summary(finished: RunFinished, store, wall_s: float) -> dict[str, Any]:
    from workbench.store import StoreError

    try:
        points: dict[str, int] | None = store.point_kinds(finished.run_id)
    except StoreError:
        points = None
    summary: dict[str, Any] = {
        "run_id": finished.run_id,
        "status": finished.status,
        "recorded": finished.recorded,
        "abort_reason": finished.reason or None,
        "store": str(store.path),
        "wall_s": round(wall_s, 3),
        "points": points,
    }
    if "critical_current_density_mA_cm2" in finished.result:  # a CCD only where a short ended the test
        summary["critical_current_density_mA_cm2"] = critical_current_density(finished.status, finished.result)
    summary["result"] = finished.result
    return summary


def _runs(args) -> int:
    from workbench.store import StoreError

    store = _open_store(args.store)
    try:
        records = store.runs()
    except StoreError as exc:
        raise CliError(f"cannot list the runs: {exc}") from None
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "status": r.status,
                        "started_at": r.started_at,
                        "sample": r.sample_name,
                        "surface_state": r.surface_state,
                        "abort_reason": r.abort_reason,
                        "result": r.result,
                        "source_path": r.source_path,
                    }
                    for r in records
                ]
            )
        )
        return EXIT_OK
    if not records:
        print(f"no runs in {store.path}")
        return EXIT_OK
    print(
        f"{'id':>4}  {'kind':<17} {'status':<11} {'started (UTC)':<24} {'sample':<20} {'surface':<16} result"
    )
    for r in records:
        result = ccd_summary(r.status, r.result) or ""
        if (r.abort_reason or "").startswith("THE CURRENT MAY STILL BE ON"):
            result = r.abort_reason[:100]   # before any result: someone may touch the cell
        elif result:
            pass
        elif r.status == "imported":
            result = f"{r.result.get('n_points', '?')} points from {r.result.get('source_file', r.source_path)}"[:60]
        elif r.abort_reason:
            result = r.abort_reason[:60]
        print(
            f"{r.id:>4}  {r.kind:<17} {r.status:<11} {r.started_at[:23]:<24} {str(r.sample_name)[:20]:<20} "
            f"{str(r.surface_state):<16} {result}"
        )
    return EXIT_OK


def _export(args) -> int:
    from workbench.store import StoreError

    store = _open_store(args.store)
    try:
        record = store.run(args.run_id)
        suffix = ".z" if args.format == "z" else ".csv"
        output = args.output or Path(f"run{record.id}_{record.kind}{suffix}")
        if args.format == "z":
            path = store.export_zview(record.id, output)
        else:
            path = store.export_csv(record.id, output)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(path)
    return EXIT_OK


def _analyse(args) -> int:
    from workbench.run_analysis import AnalysisError, analyse_file, run_result
    from workbench.store import StoreError

    area = args.area_cm2
    if area is not None and not (area > 0 and area < float("inf")):
        raise CliError(f"--area-cm2 {area}: expected a positive electrode area in cm2")
    if args.target.strip().isdigit():
        if area is not None:
            raise CliError("--area-cm2 is for a file: a stored run has its own electrode area")
        store = _open_store(args.store)
        try:
            record = store.run(int(args.target))
            result, info = run_result(store, record.id, sweep=args.sweep)
        except (StoreError, AnalysisError) as exc:
            raise CliError(str(exc)) from None
        finally:
            store.close()
        kept = "" if store.read_only else " (kept with the run)"
        head = f"run {record.id} {record.sample_name or ''} ({record.surface_state or 'surface unknown'})"
        if info["n_sweeps"] > 1:
            head += f", sweep {info['sweep']} of {info['n_sweeps']}"
        if info["note"]:
            kept += f"; {info['note']}"
        extra = {"run_id": record.id, "kept": not store.read_only, **info}
    else:
        try:
            result, info = analyse_file(Path(args.target), area, sweep=args.sweep)
        except AnalysisError as exc:
            raise CliError(str(exc)) from None
        sweep = f", sweep {info['sweep']} of {info['n_sweeps']}" if "sweep" in info else ""
        head, kept, extra = f"{args.target}{sweep}", "", info
    if args.json:
        print(json.dumps({**extra, **result.to_dict()}))
    else:
        print(f"{head}: interface resistance {result.text()}{kept}")
    return EXIT_OK


def _import(args) -> int:
    import math

    from workbench.cell import Sample, SampleError
    from workbench.importing import import_files
    from workbench.store import StoreError

    if args.temperature is not None and not (math.isfinite(args.temperature) and -273.15 < args.temperature < 2000):
        raise CliError(f"--temperature: expected degrees C above -273.15, got {args.temperature:g}. "
                       "Nothing was imported.")
    paper = Sample.paper()
    thickness = paper.thickness_mm if args.thickness_mm is None else args.thickness_mm
    diameter = paper.electrode_diameter_mm if args.electrode_diameter_mm is None else args.electrode_diameter_mm
    try:
        sample = Sample(args.sample, args.surface, thickness, diameter)
    except SampleError as exc:
        option = {"name": "--sample", "surface_state": "--surface", "thickness_mm": "--thickness-mm",
                  "electrode_diameter_mm": "--electrode-diameter-mm"}.get(exc.field, exc.field)
        raise CliError(f"{option}: {exc.message} Nothing was imported.") from None
    store = _open_store(args.store, write=True)
    geometry = (f"sample {sample.name} ({sample.surface_state}), area {sample.area_cm2:.4g} cm2 from a "
                f"{sample.electrode_diameter_mm:g} mm electrode"
                + (" (the paper's; --electrode-diameter-mm to change)" if args.electrode_diameter_mm is None else ""))
    if not args.json:
        print(geometry, file=sys.stderr)
    try:
        outcomes = import_files(store, args.files, sample, temperature_c=args.temperature)
    except StoreError as exc:
        raise CliError(f"cannot record the import: {exc}") from None
    if args.json:
        print(json.dumps([{"file": str(o.path), "ok": o.ok, "kind": o.kind, "format": o.format,
                           "run_ids": o.run_ids, "duplicate_of": o.duplicate_of, "error": o.error,
                           "warnings": o.warnings} for o in outcomes]))
    else:
        for outcome in outcomes:
            print(outcome.text(), file=sys.stdout if outcome.ok else sys.stderr)
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_BAD_INPUT
