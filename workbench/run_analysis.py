"""How is a stored run or a spectrum file analysed, and where is its interface resistance kept?

``analyse_run(store, run_id, sweep=None)`` reads one sweep of the run's impedance points (a CCD test
stores one before and one after; by default the last), computes the interface resistance with the run's
electrode area (:func:`workbench.interface.interface_resistance`, the one method) and keeps it with the
run: a row of ``fits`` with the circuit, the fitted parameters, chi-square and the result's ``to_dict()``
(value, uncertainty or bound, method, arcs) with the sweep it is of, unless the store is read-only.
``run_result(store, run_id, sweep)`` gives the result with the sweep, and what to know of that sweep.
``stored_result(store, run_id)`` is the latest result kept for a run, ``header_lines(result)`` the lines
exports carry, and ``analyse_file(path, area_cm2)`` analyses a spectrum file of any format
:func:`workbench.formats.read_spectrum` reads (the last sweep of a file of several).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from workbench.interface import InterfaceResistance, interface_resistance


class AnalysisError(ValueError):
    """A run or file that cannot be analysed, with the reason in one line."""


def analyse_run(store, run_id: int, *, sweep: int | None = None, keep: bool = True) -> InterfaceResistance:
    """The interface resistance of sweep ``sweep`` (1 = the first; default the last) of a stored impedance
    run, kept with the run when ``keep`` and the store can be written."""
    return run_result(store, run_id, sweep=sweep, keep=keep)[0]


def run_result(store, run_id: int, *, sweep: int | None = None, keep: bool = True) -> tuple[InterfaceResistance, dict]:
    """``analyse_run``, and what was read: ``sweep`` (1-based), ``n_sweeps``, ``note`` (e.g. measured after
    the cell shorted: not the interface's arcs) and ``n_points``."""
    from workbench.session import stored_sweeps

    record = store.run(run_id)
    if not (record.area_cm2 and record.area_cm2 > 0):
        raise AnalysisError(f"run {run_id} has no electrode area stored: its interface resistance in "
                            "Ohm cm2 cannot be given")
    spectra = stored_sweeps(store, run_id)
    if not spectra:
        raise AnalysisError(f"run {run_id} ({record.kind}) has no impedance points to analyse")
    n = len(spectra)
    if sweep is None:
        sweep = n
    elif not 1 <= sweep <= n:
        raise AnalysisError(f"sweep {sweep}: run {run_id} has {n} sweep{'s' if n > 1 else ''} "
                            f"({'1' if n == 1 else f'1 to {n}'})")
    spectrum = spectra[sweep - 1]
    try:
        result = interface_resistance(spectrum.frequency_hz, spectrum.z, area_cm2=float(record.area_cm2))
    except ValueError as exc:
        raise AnalysisError(f"run {run_id}, sweep {sweep}: {exc}") from None
    info = {"sweep": sweep, "n_sweeps": n, "note": spectrum.note, "n_points": spectrum.n_points}
    if keep and not store.read_only:
        keep_result(store, run_id, result, sweep=sweep, n_sweeps=n)
    return result, info


def keep_result(store, run_id: int, result: InterfaceResistance, *, sweep: int | None = None,
                n_sweeps: int | None = None) -> int:
    """Store ``result`` with run ``run_id`` (a fits row), with the sweep it is of (1-based); returns the row id."""
    values = {**result.parameters}
    for arc in result.arcs:
        prefix = "gb" if arc.name == "grain boundary" else "int"
        values.update({f"R_{prefix}_ohm": arc.r_ohm, f"C_{prefix}_f": arc.capacitance_f, f"n_{prefix}": arc.n})
    return store.add_fit(run_id, result.circuit, values, errors={"R_int_ohm_cm2": result.stderr_ohm_cm2},
                         notes=result.text(), result={**result.to_dict(), "sweep": sweep, "n_sweeps": n_sweeps})


def stored_result(store, run_id: int) -> dict | None:
    """The latest interface resistance kept for a run (``to_dict()`` form), or None."""
    for fit in reversed(store.fits(run_id)):
        if fit.get("result"):
            return fit["result"]
    return None


def header_lines(result: dict) -> list[str]:
    """Lines for an export's header: the result's text, then the whole of it as JSON."""
    return [f"interface resistance: {result['text']}; circuit {result['circuit']}; "
            f"uncertainty: {result['uncertainty']}",
            "interface resistance (json): " + json.dumps(result, separators=(",", ":"), allow_nan=False,
                                                        default=str)]


_ASCII = {"±": "+-", "Ω": "Ohm", "²": "2", "→": "->", "−": "-", "µ": "u", "≈": "~"}


def ascii_line(text: str) -> str:
    """``text`` in ASCII (for formats such as ZView's .z): "24.2 +- 0.3 Ohm cm2 (interface arc)"."""
    for a, b in _ASCII.items():
        text = text.replace(a, b)
    return text.encode("ascii", "replace").decode("ascii")


def analyse_file(path: str | Path, area_cm2: float | None = None,
                 sweep: int | None = None) -> tuple[InterfaceResistance, dict]:
    """The interface resistance of a spectrum file (of its sweep ``sweep``, 1-based, of a file of several;
    default the last); area from ``area_cm2`` or the file. Returns the result and what was read
    (``format``, ``sweep``, ``n_sweeps``, ``area_source``)."""
    from workbench.formats import FormatError, read_spectrum

    path = Path(path)
    if not path.is_file():
        raise AnalysisError(f"{path}: no such file")
    try:
        df = read_spectrum(path)
    except FormatError as exc:
        raise AnalysisError(str(exc)) from None
    info = {"source": str(path), "format": df.attrs.get("format")}
    numbers = sorted(df["sweep"].unique()) if "sweep" in df.columns else [None]
    if sweep is not None and not 1 <= sweep <= len(numbers):
        raise AnalysisError(f"sweep {sweep}: {path} has {len(numbers)} sweep{'s' if len(numbers) > 1 else ''}")
    if len(numbers) > 1:
        chosen = len(numbers) if sweep is None else sweep
        info.update(sweep=chosen, n_sweeps=len(numbers))
        df = df[df["sweep"] == numbers[chosen - 1]]
    if area_cm2 is None:
        area_cm2 = df.attrs.get("area_cm2")
        info["area_source"] = "file"
        if not (isinstance(area_cm2, int | float) and area_cm2 > 0):
            raise AnalysisError(f"{path}: the file gives no electrode area; pass --area-cm2 (the area of one "
                                "electrode, cm2)")
    else:
        info["area_source"] = "given"
    f = df["frequency_hz"].to_numpy(float)
    z = df["z_real_ohm"].to_numpy(float) + 1j * df["z_imag_ohm"].to_numpy(float)
    keep = f > 0
    try:
        result = interface_resistance(f[keep], z[keep], area_cm2=float(area_cm2))
    except ValueError as exc:
        raise AnalysisError(f"{path}: {exc}") from None
    info["area_cm2"] = float(area_cm2)
    info["n_points"] = int(np.sum(keep))
    return result, info
