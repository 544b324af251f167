"""Which fit is kept with a stored run, and how is it shown again when the run is reopened?

A fit made on a stored run's spectrum is kept with the run (a row of the store's ``fits``: the circuit, its
parameters and their standard errors, chi-square, and the interface resistance's ``to_dict()``; see
``Session.analyse``), and so is the result of ``workbench analyse`` (``run_analysis.keep_result``: the
two-arc circuit of the one method, under its own parameter names). ``kept_analyses(store, run_id,
spectra)`` gives, for each sweep of the run that has one, the latest kept fit as a ``SpectrumAnalysis``
again, without fitting anew:

- a fit made in the window is evaluated at its kept parameters on its sweep (``evaluate_fit``): the same
  residuals, chi-square, standard errors and arcs as when it was made. Its sweep is the one on which the
  kept parameters give the kept chi-square (a CCD test has a sweep before and one after; the store does
  not name it): a kept fit that matches no sweep of the run is not shown as a fit of any.
- a result of ``workbench analyse`` is of the sweep kept with it (``sweep``, 1-based; one kept without it
  is of a run's only sweep): its arcs and curve are those of the two-arc fit it kept, without standard
  errors per parameter (it kept none).

The interface resistance is the one kept, never recomputed; ``analysis.kept`` says which fit it is, of
which run and sweep, and when it was made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbench.impedance import CircuitError, evaluate_fit
from workbench.impedance.circuits import as_circuit
from workbench.impedance.derived import ArcSummary, q_from_brug_capacitance
from workbench.interface import InterfaceResistance

#: kept and recomputed chi-square of the same parameters on the same sweep agree to rounding
CHI_SQUARE_RTOL = 1e-6


@dataclass(frozen=True)
class KeptFit:
    """Where a shown analysis comes from: a row of the store's ``fits``."""

    fit_id: int
    run_id: int
    sweep: int                # index among the run's sweeps
    created_at: str | None    # ISO time (UTC) the fit was kept, as the store has it
    by_analysis: bool = False  # kept by ``workbench analyse`` (the one method's two-arc fit), not fitted in the window


def kept_analyses(store, run_id: int, spectra) -> dict[int, object]:
    """sweep index -> the ``SpectrumAnalysis`` of the latest fit kept for that sweep of run ``run_id``
    (``spectra``: the run's sweeps, as ``Session.run_sweeps`` gives them); sweeps without one are absent."""
    out: dict[int, object] = {}
    if not spectra:
        return out
    for row in reversed(store.fits(run_id)):
        if len(out) == len(spectra):
            break
        found = _analysis_of(row, run_id, spectra, taken=set(out))
        if found is not None:
            out.setdefault(found[0], found[1])
    return out


def _analysis_of(row: dict, run_id: int, spectra, taken: set[int]):
    try:
        circuit = as_circuit(row["circuit"])
    except (CircuitError, ValueError, TypeError):
        return None
    values = row.get("values") or {}
    if set(values) == set(circuit.parameter_names):
        return _window_fit(row, run_id, circuit, spectra, taken)
    result = row.get("result")
    if result:
        # the sweep it is of, as kept with it (a result kept without one is of a run's only sweep)
        sweep = result.get("sweep") or (1 if len(spectra) == 1 else None)
        if sweep is not None and result.get("n_sweeps") in (None, len(spectra)) and sweep - 1 not in taken \
                and 1 <= sweep <= len(spectra):
            return _kept_by_analysis(row, run_id, spectra[sweep - 1], sweep - 1)
    return None


def _window_fit(row: dict, run_id: int, circuit, spectra, taken: set[int]):
    """A fit made in the window, on the sweep whose chi-square at the kept values is the kept one."""
    from workbench.impedance.derived import arc_summary
    from workbench.spectrum_analysis import SpectrumAnalysis

    errors = row.get("errors") or {}
    fixed = [name for name in circuit.parameter_names if errors.get(name) == 0.0]
    kept_chi2 = row.get("chi_square")
    for index, spectrum in enumerate(spectra):
        if index in taken or spectrum.n_points * 2 <= circuit.n_params - len(fixed):
            continue
        try:
            fit = evaluate_fit(circuit, spectrum.frequency_hz, spectrum.z, row["values"], fixed=fixed)
        except (ValueError, FloatingPointError):
            continue
        if kept_chi2 is not None and not math.isclose(fit.chi_square, kept_chi2, rel_tol=CHI_SQUARE_RTOL):
            continue
        if kept_chi2 is None and len(spectra) > 1:
            continue  # which sweep it was made on cannot be told
        analysis = SpectrumAnalysis(fit=fit, arcs=arc_summary(fit, spectrum.area_cm2), area_cm2=spectrum.area_cm2)
        _finish(analysis, row, run_id, index, spectrum, by_analysis=False)
        return index, analysis
    return None


def _kept_by_analysis(row: dict, run_id: int, spectrum, index: int = 0):
    """The one method's two-arc fit kept by ``workbench analyse``: its curve and arcs from the result."""
    from workbench.spectrum_analysis import SpectrumAnalysis

    result = row["result"]
    parameters = result.get("parameters") or {}
    arcs = [a for a in result.get("arcs") or () if a.get("r_ohm") and a.get("capacitance_f") and a.get("n")]
    if "R0_ohm" not in parameters or not arcs:
        return None
    text = "R0-L0" + "".join(f"-p(R{k},CPE{k})" for k in range(1, len(arcs) + 1))
    circuit = as_circuit(text)
    values = {"R0": parameters["R0_ohm"], "L0": parameters.get("L0_h") or 0.0}
    for k, arc in enumerate(arcs, start=1):
        values.update({f"R{k}": arc["r_ohm"], f"CPE{k}_1": arc["n"],
                       f"CPE{k}_0": float(q_from_brug_capacitance(arc["capacitance_f"], arc["r_ohm"], arc["n"]))})
    try:
        fit = evaluate_fit(circuit, spectrum.frequency_hz, spectrum.z, values, fixed=circuit.parameter_names)
    except ValueError:
        return None
    nan = math.nan
    fit.stderr = {name: nan for name in circuit.parameter_names}  # the analysis kept none per parameter
    fit.fixed = ()
    summaries = [ArcSummary(resistor=f"R{k}", r_ohm=arc["r_ohm"], r_stderr_ohm=nan, r_ohm_cm2=arc["r_ohm_cm2"],
                            q=values[f"CPE{k}_0"], n=arc["n"], capacitance_f=arc["capacitance_f"],
                            apex_frequency_hz=arc["apex_frequency_hz"] or nan)
                 for k, arc in enumerate(arcs, start=1)]
    analysis = SpectrumAnalysis(fit=fit, arcs=summaries, area_cm2=spectrum.area_cm2)
    _finish(analysis, row, run_id, index, spectrum, by_analysis=True)
    return index, analysis


def _finish(analysis, row: dict, run_id: int, index: int, spectrum, *, by_analysis: bool) -> None:
    from workbench.spectrum_analysis import KK_TRUSTED_MAX_FREQUENCY_HZ

    result = row.get("result")
    if result:
        analysis.interface = InterfaceResistance.from_dict(result)
    else:
        analysis.interface_note = row.get("notes") or "Interface resistance: none kept with this fit"
    try:
        from workbench.impedance.validation import lin_kk

        analysis.kramers_kronig = lin_kk(spectrum.frequency_hz, spectrum.z,
                                         trusted_max_frequency_hz=KK_TRUSTED_MAX_FREQUENCY_HZ)
    except (ValueError, np.linalg.LinAlgError):
        analysis.kramers_kronig = None
    analysis.kept = KeptFit(int(row["id"]), int(run_id), index, row.get("created_at"), by_analysis)
