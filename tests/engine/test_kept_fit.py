"""A stored run opened again shows the fit kept with it (workbench.kept_fit): the same parameters, errors,
arcs and interface resistance as when it was made, on the sweep it was made on; a run never fitted has
none; a result of `workbench analyse` is shown with its arcs and curve."""

import math

import numpy as np
import pytest

from instruments.bench import Bench
from instruments.clock import ManualClock
from workbench.cell import Sample
from workbench.impedance import evaluate_fit, fit_circuit
from workbench.impedance.synthetic import log_frequencies, noisy_spectrum, paper_cell_parameters
from workbench.interface import InterfaceResistance, interface_resistance
from workbench.procedures import ImpedanceSweep
from workbench.run_analysis import analyse_run
from workbench.session import Session
from workbench.store import Store

TWO_ARCS = "R0-L0-p(R1,CPE1)-p(R2,CPE2)"


@pytest.fixture
def session(tmp_path):
    bench = Bench.from_config(clock=ManualClock(), cell="EtOH500")
    session = Session(bench, Store(tmp_path / "w.sqlite"), sample=Sample.paper("EtOH500", name="NZSP-07"))
    yield session
    session.close()
    bench.close()
    session.store.close()


def sweep(session) -> int:
    runner = session.start_run(ImpedanceSweep())
    session.wait(60)
    return runner.run_id


def stored_run(store, sample, sweeps) -> int:
    """A run whose impedance points are the given (f, z) sweeps one after the other."""
    run_id = store.create_run("impedance", sample=sample)
    t = 0.0
    for f, z in sweeps:
        for fi, zi in zip(f, z, strict=True):
            store.add_point(run_id, "impedance", t, {"frequency_hz": fi, "z_real_ohm": zi.real, "z_imag_ohm": zi.imag})
            t += 1.0
    store.finish_run(run_id, "completed")
    return run_id


def test_evaluating_a_fit_at_its_values_gives_the_fit_again():
    f = log_frequencies(13e6, 5.0, 20)
    z = noisy_spectrum(paper_cell_parameters(24.2, area_cm2=0.5675), f, 0.003, 3)
    for fixed in (None, {"L0": 1e-7}):
        fit = fit_circuit(TWO_ARCS, f, z, fixed=fixed)
        again = evaluate_fit(TWO_ARCS, f, z, fit.values, fixed=fit.fixed)
        assert again.chi_square == pytest.approx(fit.chi_square, rel=1e-12)
        assert again.stderr == pytest.approx(fit.stderr, rel=1e-9)
        assert again.fixed == fit.fixed and again.correlation_names == fit.correlation_names
        assert np.allclose(again.residuals_real, fit.residuals_real)
    moved = dict(fit.values, R2=fit.values["R2"] * 1.5)
    assert evaluate_fit(TWO_ARCS, f, z, moved).chi_square > 10 * fit.chi_square


def test_a_reopened_run_shows_its_kept_fit_and_a_run_never_fitted_shows_none(session):
    first = sweep(session)
    made = session.analyse(TWO_ARCS)
    second = sweep(session)
    assert session.analysis is None
    session.open_run(first)
    shown = session.analysis
    assert shown is not None and shown is not made
    assert shown.kept.run_id == first and not shown.kept.by_analysis
    assert shown.kept.fit_id == session.store.fits(first)[-1]["id"] and shown.kept.created_at
    assert shown.fit.values == made.fit.values and shown.fit.chi_square == pytest.approx(made.fit.chi_square)
    assert shown.fit.stderr == pytest.approx(made.fit.stderr, rel=1e-9)
    assert [a.r_ohm_cm2 for a in shown.arcs] == pytest.approx([a.r_ohm_cm2 for a in made.arcs])
    assert [a.capacitance_stderr_f for a in shown.arcs] == pytest.approx([a.capacitance_stderr_f for a in made.arcs])
    assert shown.interface.text() == made.interface.text()
    assert shown.interface.method == made.interface.method
    assert shown.kramers_kronig is not None and shown.kramers_kronig.passed == made.kramers_kronig.passed
    session.open_run(second)
    assert session.analysis is None, "the second run was never fitted"


def test_a_fit_with_a_fixed_parameter_comes_back_fixed(session):
    run_id = sweep(session)
    made = session.analyse(TWO_ARCS, fixed={"L0": 2e-7})
    session.open_run(run_id)
    shown = session.analysis
    assert shown.fit.fixed == ("L0",) and shown.fit.values["L0"] == 2e-7 and shown.fit.stderr["L0"] == 0.0
    assert shown.fit.stderr == pytest.approx(made.fit.stderr, rel=1e-9)


def test_the_latest_fit_of_each_sweep_is_shown_with_that_sweep(session):
    f = log_frequencies(13e6, 5.0, 15)
    area = session.sample.area_cm2
    before = noisy_spectrum(paper_cell_parameters(24.2, area_cm2=area), f, 0.003, 1)
    after = noisy_spectrum(paper_cell_parameters(60.0, area_cm2=area), f, 0.003, 2)
    run_id = stored_run(session.store, session.sample, [(f, before), (f, after)])
    session.open_run(run_id)
    assert session.analysis is None and len(session.run_spectra) == 2
    session.select_sweep(1)
    session.analyse("R0-L0-p(R1,CPE1)")
    latest = session.analyse(TWO_ARCS)            # the later fit of the same sweep is the one kept
    session.select_sweep(0)
    assert session.analysis is None, "the sweep before was never fitted"
    session.select_sweep(1)
    assert session.analysis is latest
    session.open_run(run_id)                      # opened again: at the sweep fitted last, its fit kept
    shown = session.analysis
    assert session.spectrum is session.run_spectra[1]
    assert shown.kept.sweep == 1 and str(shown.fit.circuit) == TWO_ARCS
    assert shown.fit.values == latest.fit.values
    session.select_sweep(0)
    assert session.analysis is None
    session.open_run(run_id, sweep=0)
    assert session.spectrum is session.run_spectra[0] and session.analysis is None


def test_a_result_kept_by_workbench_analyse_is_shown_with_its_arcs_and_curve(session):
    f = log_frequencies(13e6, 5.0, 20)
    z = noisy_spectrum(paper_cell_parameters(24.2, area_cm2=session.sample.area_cm2), f, 0.003, 4)
    run_id = stored_run(session.store, session.sample, [(f, z)])
    result = analyse_run(session.store, run_id)
    session.open_run(run_id)
    shown = session.analysis
    assert shown.kept.by_analysis and shown.interface.text() == result.text()
    assert [a.r_ohm_cm2 for a in shown.arcs] == pytest.approx([a.r_ohm_cm2 for a in result.arcs])
    assert [shown.arc_name(a) for a in shown.arcs] == [a.name for a in result.arcs]
    rms = math.sqrt(np.mean(np.concatenate([shown.fit.residuals_real, shown.fit.residuals_imag]) ** 2))
    assert rms < 0.01, "the kept two-arc parameters draw a curve through the data (0.3 % noise)"
    assert all(math.isnan(v) for v in shown.fit.stderr.values()), "no error per parameter was kept"


@pytest.mark.parametrize("r_area", [24.2, 0.02, 30000.0])  # resolved, not resolved, partial arc
def test_an_interface_resistance_is_read_back_from_its_dict(r_area):
    f = log_frequencies(13e6, 5.0, 20)
    z = noisy_spectrum(paper_cell_parameters(r_area, area_cm2=0.5675), f, 0.003, 5)
    result = interface_resistance(f, z, area_cm2=0.5675)
    again = InterfaceResistance.from_dict(result.to_dict())
    assert again.text() == result.text() and again.to_dict() == result.to_dict()
