"""How is a stored run or a spectrum file analysed, and where is its interface resistance kept?

``analyse_run(store, run_id)`` reads the run's impedance points, computes the interface resistance with
the run's electrode area (:func:`workbench.interface.interface_resistance`, the one method) and keeps it
with the run: a row of ``fits`` with the circuit, the fitted parameters, chi-square and the result's
``to_dict()`` (value, uncertainty or bound, method, arcs), unless the store is read-only.
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


def analyse_run(store, run_id: int, *, keep: bool = True) -> InterfaceResistance:
    """The interface resistance of a stored impedance run, kept with the run when ``keep`` and the store
    can be written."""
    record = store.run(run_id)
    frequency_hz, z = store.spectrum(run_id)
    if frequency_hz.size == 0:
        raise AnalysisError(f"run {run_id} ({record.kind}) has no impedance points to analyse")
    if not (record.area_cm2 and record.area_cm2 > 0):
        raise AnalysisError(f"run {run_id} has no electrode area stored: its interface resistance in "
                            "Ohm cm2 cannot be given")
    try:
        result = interface_resistance(frequency_hz, z, area_cm2=float(record.area_cm2))
    except ValueError as exc:
        raise AnalysisError(f"run {run_id}: {exc}") from None
    if keep and not store.read_only:
        keep_result(store, run_id, result)
    return result


def keep_result(store, run_id: int, result: InterfaceResistance) -> int:
    """Store ``result`` with run ``run_id`` (a fits row); returns the row id."""
    values = {**result.parameters}
    for arc in result.arcs:
        prefix = "gb" if arc.name == "grain boundary" else "int"
        values.update({f"R_{prefix}_ohm": arc.r_ohm, f"C_{prefix}_f": arc.capacitance_f, f"n_{prefix}": arc.n})
    return store.add_fit(run_id, result.circuit, values, errors={"R_int_ohm_cm2": result.stderr_ohm_cm2},
                         notes=result.text(), result=result.to_dict())


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


def analyse_file(path: str | Path, area_cm2: float | None = None) -> tuple[InterfaceResistance, dict]:
    """The interface resistance of a spectrum file; area from ``area_cm2`` or the file. Returns the
    result and what was read (``format``, ``sweep``, ``n_sweeps``, ``area_source``)."""
    from workbench.formats import FormatError, read_spectrum

    path = Path(path)
    if not path.is_file():
        raise AnalysisError(f"{path}: no such file")
    try:
        df = read_spectrum(path)
    except FormatError as exc:
        raise AnalysisError(str(exc)) from None
    info = {"source": str(path), "format": df.attrs.get("format")}
    if "sweep" in df.columns and df["sweep"].nunique() > 1:
        last = df["sweep"].max()
        info.update(sweep=int(last), n_sweeps=int(df["sweep"].nunique()))
        df = df[df["sweep"] == last]
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
