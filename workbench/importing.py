"""How does a user's own file come into the workspace?

``import_files(store, paths, sample)`` reads each file (an impedance spectrum or a cycling run, in any
format :mod:`workbench.formats` reads) and stores it as a run marked ``imported``: status
``imported``, its source file, the file's SHA-256 and format, and the sample the user names. The run is
then listed, opened, fitted, exported and compared like a measured one. A file of several sweeps (an
EC-Lab multi-sweep export) becomes one run per sweep, a series that can be fitted together. A file
whose content was imported before (same SHA-256, whatever its name) is not imported again: the outcome
names the runs it is already in. A file that cannot be read is reported with the reason, one line,
and the batch goes on with the next file.

Imported runs keep what the file says and no more: an imported spectrum has no times (its points'
``time_s`` is the point number, said in the run's parameters); an imported cycling run keeps its
times from its first point, its current with the file's sign convention (Maccor's magnitudes are
given the sign of their charge/discharge state), and the current density on the sample's area.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.formats import FormatError, read_measurement

IMPORTED = "imported"


@dataclass
class ImportOutcome:
    """What became of one file: the runs made, the runs it was already in, or why it was not read."""

    path: Path
    run_ids: list[int] = field(default_factory=list)
    kind: str | None = None  # 'impedance' or 'cycling'
    format: str | None = None
    duplicate_of: list[int] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def text(self) -> str:
        """One line for the user."""
        name = self.path.name
        if self.error:
            return f"{name}: not imported: {self.error}"
        if self.duplicate_of:
            runs = ", ".join(str(r) for r in self.duplicate_of)
            return f"{name}: already imported (run{'s' if len(self.duplicate_of) > 1 else ''} {runs}); skipped"
        runs = ", ".join(str(r) for r in self.run_ids)
        if self.kind == "impedance":
            count = f"{len(self.run_ids)} spectra" if len(self.run_ids) > 1 else "1 spectrum"
        else:
            count = f"{len(self.run_ids)} cycling runs" if len(self.run_ids) > 1 else "1 cycling run"
        note = f" ({'; '.join(self.warnings)})" if self.warnings else ""
        return f"{name}: {count} ({self.format}) imported as run{'s' if len(self.run_ids) > 1 else ''} {runs}{note}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _common_parameters(frame: pd.DataFrame, path: Path) -> dict:
    keep = ("format", "technique", "instrument", "date", "time", "software", "area_cm2", "amplitude_mv",
            "columns_used", "current_sign", "current_source", "time_unit_found", "warnings",
            "skipped_rest_rows", "skipped_zero_rows", "variant")
    source = {k: frame.attrs[k] for k in keep if k in frame.attrs}
    if "area_cm2" in source:
        source["file_area_cm2"] = source.pop("area_cm2")  # the file's own figure; the run uses the sample's
    return {"imported_from": path.name, "source": source}


def _spectrum_runs(frame: pd.DataFrame, path: Path) -> list[tuple[dict, list]]:
    """(parameters, points) of each sweep of a spectrum file."""
    sweeps = frame["sweep"].to_numpy() if "sweep" in frame.columns else np.ones(len(frame), dtype=int)
    numbers = list(dict.fromkeys(sweeps.tolist()))
    runs = []
    for number in numbers:
        part = frame[sweeps == number]
        points = [("impedance", float(i), {"frequency_hz": float(f), "z_real_ohm": float(zr), "z_imag_ohm": float(zi)})
                  for i, (f, zr, zi) in enumerate(part[["frequency_hz", "z_real_ohm", "z_imag_ohm"]].itertuples(
                      index=False, name=None))]
        parameters = _common_parameters(frame, path)
        parameters["time_s"] = "point number: the file gives no time for its impedance points"
        if len(numbers) > 1:
            parameters["sweep"] = int(number)
            parameters["sweeps_in_file"] = len(numbers)
        runs.append((parameters, points))
    return runs


_MACCOR_SIGN = {"C": 1.0, "D": -1.0}


def _cycling_run(frame: pd.DataFrame, path: Path, area_cm2: float) -> tuple[dict, list]:
    parameters = _common_parameters(frame, path)
    current = frame["current_a"].to_numpy(dtype=float).copy()
    if frame.attrs.get("format") == "maccor" and "state" in frame.columns:
        states = frame["state"].astype(str).str.upper().to_numpy()
        signs = np.array([_MACCOR_SIGN.get(s[:1], 1.0) for s in states])
        current = current * signs
        parameters["current_sign_stored"] = "Maccor magnitudes given the sign of their state: + charge (C), " \
                                            "- discharge (D)"
    time = frame["time_s"].to_numpy(dtype=float)
    if time[0] != 0:
        parameters["time_offset_s"] = float(time[0])  # the file's time of the first point; stored from 0
    density = current / area_cm2 * 1e3
    if "half_cycle" in frame.columns:
        half = frame["half_cycle"].to_numpy()
    else:
        half = half_cycles(current)
        parameters["half_cycle"] = "derived: counts the changes of sign of the current (the file has no half cycles)"
    if "step" in frame.columns:
        step = frame["step"].to_numpy()
    else:
        step = np.zeros(len(frame), dtype=np.int64)
        parameters["step"] = "0 throughout: the file numbers no steps"
    points = []
    voltage = frame["voltage_v"].to_numpy(dtype=float)
    for k in range(len(frame)):
        values = {"voltage_v": float(voltage[k]), "current_a": float(current[k]),
                  "current_density_mA_cm2": float(density[k]), "half_cycle": int(half[k]), "step": int(step[k])}
        points.append(("cycling", float(time[k] - time[0]), values))
    if "cycle" in frame.columns:
        parameters["cycles"] = sorted({int(c) for c in frame["cycle"]})[:1000]
    return parameters, points


def half_cycles(current_a: np.ndarray) -> np.ndarray:
    """Half-cycle number (from 0) of each point: it goes up where a non-zero current changes sign; points at
    zero current (rest) belong to the half-cycle before them."""
    signs = np.sign(current_a)
    last = 0.0
    numbers = np.zeros(len(current_a), dtype=np.int64)
    count = 0
    for k, sign in enumerate(signs):
        if sign != 0:
            if last != 0 and sign != last:
                count += 1
            last = sign
        numbers[k] = count
    return numbers


def import_file(store, path: str | Path, sample, *, temperature_c: float | None = None,
                software_version: str | None = None) -> ImportOutcome:
    """Import one file (see the module docstring); never raises for a bad file: the outcome says why."""
    path = Path(path)
    outcome = ImportOutcome(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        outcome.error = f"cannot read it ({exc.strerror or exc})"
        return outcome
    digest = _sha256(data)
    outcome.duplicate_of = store.imported_runs(digest)
    if outcome.duplicate_of:
        return outcome
    try:
        kind, frame = read_measurement(path, data)
    except FormatError as exc:
        outcome.error = exc.detail if exc.line is None else f"line {exc.line}: {exc.detail}"
        return outcome
    outcome.kind, outcome.format = kind, frame.attrs.get("format")
    outcome.warnings = list(frame.attrs.get("warnings", []))
    result_common = {"source_file": path.name}
    if kind == "impedance":
        runs = _spectrum_runs(frame, path)
        run_kind = "impedance_sweep"
    else:
        runs = [_cycling_run(frame, path, sample.area_cm2)]
        run_kind = "cycling"
    for parameters, points in runs:
        result = {**result_common, "n_points": len(points)}
        outcome.run_ids.append(store.add_imported_run(
            run_kind, sample=sample, source_path=path.resolve(), source_sha256=digest,
            source_format=outcome.format or "", points=points, parameters=parameters, result=result,
            temperature_c=temperature_c, software_version=software_version))
    return outcome


def import_files(store, paths: Iterable[str | Path], sample, *, temperature_c: float | None = None,
                 progress: Callable[[int, int, ImportOutcome], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> list[ImportOutcome]:
    """Import several files one after the other; a bad file is reported in its outcome and the batch goes
    on. ``progress(done, total, outcome)`` is called after each file; ``cancelled()`` is asked before
    each one (the files not started are left out of the result)."""
    from workbench import __version__ as version

    paths = [Path(p) for p in paths]
    outcomes = []
    for index, path in enumerate(paths):
        if cancelled is not None and cancelled():
            break
        outcome = import_file(store, path, sample, temperature_c=temperature_c, software_version=version)
        outcomes.append(outcome)
        if progress is not None:
            progress(index + 1, len(paths), outcome)
    return outcomes
