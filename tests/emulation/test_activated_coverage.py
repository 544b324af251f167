"""The thermally activated cells measured over many seeds: the interface resistance's interval holds the
model's value (the paper's analysis reads it as Z'data(f_min) - Z'fit(f->0), with its error)."""

from __future__ import annotations

import dataclasses

import pytest

from instruments.bench import Bench, load_config
from instruments.clock import ManualClock
from workbench.cell import Sample
from workbench.procedures.impedance_sweep import ImpedanceSweep, ImpedanceSweepParameters
from workbench.session import Session
from workbench.spectrum_analysis import interface_resistance
from workbench.store import Store

ACTIVATED = ["as sintered", "EtOH500-anneal", "dry500-anneal", "EtOH4000-anneal"]


@pytest.mark.timeout(600)
def test_activated_interfaces_inside_their_interval_in_nine_runs_of_ten(tmp_path):
    # 15 seeds x 4 cells: 57 of 60 runs hold the truth (53, below the 54 asked, with the error from an
    # edge-padded window around the last point)
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
