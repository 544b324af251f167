"""What becomes of a sweep that starts above the impedance analyser's highest frequency?

The paper's sweep starts at 13 MHz, the top of its Solartron 1260 (32 MHz); a BioLogic VMP-300 measures
up to 7 MHz. Before a run, ``fit_to_analyser`` starts every impedance sweep of a procedure (a sweep, the
sweeps before and after a CCD test, the steps of a sequence) at the analyser's highest frequency
instead, keeping the points per decade and the sub-ranges below it (a sub-range wholly above it is
dropped, the one across it starts there), and returns one line per clipped sweep for the plan, so the
clipping is said before the run and kept with it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from workbench.procedures.base import Procedure
from workbench.procedures.impedance_sweep import ImpedanceSweepParameters
from workbench.procedures.parameters import ParameterError


def analyser_limit(bench: Any) -> tuple[float | None, str]:
    """(highest frequency in Hz or None, analyser name) of the bench's impedance analyser, if connected."""
    instrument = bench.instrument("fra") if hasattr(bench, "instrument") else getattr(bench, "fra", None)
    limit = getattr(instrument, "max_frequency_hz", None)
    return (float(limit) if limit else None), str(getattr(instrument, "model", type(instrument).__name__))


def clip_sweep(p: ImpedanceSweepParameters, max_frequency_hz: float, analyser: str = "analyser"
               ) -> ImpedanceSweepParameters:
    """The sweep started at ``max_frequency_hz`` (``ParameterError`` when all of it lies above)."""
    if p.start_frequency_hz <= max_frequency_hz * (1 + 1e-9):
        return p
    if p.stop_frequency_hz >= max_frequency_hz:
        raise ParameterError("stop_frequency_hz", f"({p.stop_frequency_hz:g} Hz) is not below "
                             f"{max_frequency_hz:g} Hz, the highest frequency the {analyser} measures: "
                             "the whole sweep lies above it.")
    ranges = tuple(
        dataclasses.replace(r, high_frequency_hz=min(r.high_frequency_hz, max_frequency_hz))
        for r in p.sub_ranges if r.low_frequency_hz < max_frequency_hz
    )
    return dataclasses.replace(p, start_frequency_hz=max_frequency_hz, sub_ranges=ranges)


def _visit(value: Any, max_frequency_hz: float, notes: list[str], analyser: str) -> Any:
    if isinstance(value, ImpedanceSweepParameters):
        clipped = clip_sweep(value, max_frequency_hz, analyser)
        if clipped is not value:
            notes.append(f"impedance sweep starts at {max_frequency_hz / 1e6:g} MHz instead of "
                         f"{value.start_frequency_hz / 1e6:g} MHz: the {analyser} measures up to "
                         f"{max_frequency_hz / 1e6:g} MHz")
        return clipped
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            new = _visit(old, max_frequency_hz, notes, analyser)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, list | tuple):
        items = [_visit(v, max_frequency_hz, notes, analyser) for v in value]
        return type(value)(items) if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def fit_to_analyser(procedure: Procedure, max_frequency_hz: float | None,
                    analyser: str = "analyser") -> tuple[Procedure, list[str]]:
    """``procedure`` with its sweeps started at most at ``max_frequency_hz``, and a note per clipped sweep
    (the same procedure and no notes when nothing is above it or the limit is unknown)."""
    if not max_frequency_hz:
        return procedure, []
    notes: list[str] = []
    parameters = _visit(procedure.parameters, max_frequency_hz, notes, analyser)
    if parameters is procedure.parameters:
        return procedure, []
    return type(procedure)(parameters), notes
