"""The thermally activated cells measured over many seeds: the interface resistance's interval holds the
model's value (the paper's analysis reads it as Z'data(f_min) - Z'fit(f->0), with its error)."""

from __future__ import annotations

import dataclasses

import pytest

from instruments.bench import Bench, load_config
from instruments.clock import ManualClock
from workbench.cell import Sample
from workbench.impedance.two_arcs import TwoArcFit
from workbench.procedures.impedance_sweep import ImpedanceSweep, ImpedanceSweepParameters
from workbench.session import Session
from workbench.spectrum_analysis import interface_resistance
from workbench.store import Store

ACTIVATED = ["as sintered", "EtOH500-anneal", "dry500-anneal", "EtOH4000-anneal"]


@pytest.mark.timeout(600)
def test_activated_interfaces_inside_their_interval_in_nine_runs_of_ten(tmp_path):
    # 15 seeds x 4 cells: 57 of 60 runs hold the truth (53, below the 54 asked, with the error from an
    # edge-padded window around the last point); over 200 seeds, 188 of 200 for each of the four cells
    outcomes = []
    for state in ACTIVATED:
        for seed in range(1, 16):
            bench = Bench(dataclasses.replace(load_config(), seed=seed), clock=ManualClock())
            session = Session(bench, Store(tmp_path / f"{state}-{seed}.sqlite"), sample=Sample.paper(state))
            finished = session.run_blocking(ImpedanceSweep(ImpedanceSweepParameters()))
            assert finished.status == "completed", finished.reason
            f, z = session.store.spectrum(finished.run_id)
            truth = bench.cell.preset.r_interface_ohm_cm2  # the process read at low frequency
            r = interface_resistance(f, z, area_cm2=session.area_cm2)
            assert r.value_ohm_cm2 >= 0
            if r.resolved:
                outcomes.append(abs(r.value_ohm_cm2 - truth) <= 2 * r.stderr_ohm_cm2)
            else:
                outcomes.append(r.upper_bound_ohm_cm2 > truth)
            session.store.close()
    assert sum(outcomes) >= 0.9 * len(outcomes), f"{sum(outcomes)} of {len(outcomes)} runs hold the truth"


def _emulated_spectrum(tmp_path, state: str, seed: int):
    bench = Bench(dataclasses.replace(load_config(), seed=seed), clock=ManualClock())
    session = Session(bench, Store(tmp_path / f"{state}-{seed}.sqlite"), sample=Sample.paper(state))
    try:
        finished = session.run_blocking(ImpedanceSweep(ImpedanceSweepParameters()))
        assert finished.status == "completed", finished.reason
        f, z = session.store.spectrum(finished.run_id)
        return f, z, session.area_cm2
    finally:
        session.store.close()


@pytest.mark.timeout(600)
def test_no_interface_arc_is_read_into_a_cell_that_has_none(tmp_path):
    # The EtOH500-anneal cell's interface process (0.1 Ohm cm2, 2e-3 F/cm2) peaks near 0.8 kHz, far slower than
    # any interface arc (<= 1e-4 F/cm2): its spectrum holds the grain-boundary arc and a low-frequency process
    # only. Neither an "interface arc" nor a "partial arc below f_min" may be reported, over 60 seeds (5 were,
    # at 0.16-0.49 Ohm cm2 with 2-sigma intervals missing 0.1, when the fit kept the first start's local optimum).
    wrong = []
    for seed in range(1, 61):
        f, z, area = _emulated_spectrum(tmp_path, "EtOH500-anneal", seed)
        r = interface_resistance(f, z, area_cm2=area)
        if r.method not in ("Z'data(f_min) - Z'fit(f->0)", "not resolved"):
            wrong.append((seed, r.text()))
    assert not wrong


def test_the_two_arc_fit_is_never_worse_than_the_fit_without_an_interface_arc(tmp_path):
    # the circuit without an interface arc is the two-arc circuit with R2 = 0: its best fit cannot be better
    for seed in (20, 34, 48, 55, 60):
        f, z, area = _emulated_spectrum(tmp_path, "EtOH500-anneal", seed)
        fit = TwoArcFit(f, z, area)
        best = fit.best()
        assert best.chi2 <= fit.fixed_r2(0.0).chi2 * (1 + 1e-6), seed
