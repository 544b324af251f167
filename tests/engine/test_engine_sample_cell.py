"""Headless runs measure the sample they name: protocol [sample], --cell, and the stored run."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from tests.engine.test_engine_cli import PROTOCOLS, cli


def stored(store, run_id):
    """The stored run's surface state, instruments and spectrum."""
    with sqlite3.connect(store) as db:
        surface, instruments = db.execute(
            "SELECT surface_state, instruments FROM runs WHERE id=?", (run_id,)).fetchone()
    from workbench.store import Store

    with Store(store) as s:
        f, z = s.spectrum(run_id)
    return surface, json.loads(instruments), f, z


def test_cell_option_sets_the_measured_cell_and_the_stored_label(tmp_path):
    store = tmp_path / "w.sqlite"
    runs = {}
    for state in (None, "dry500"):
        extra = ["--cell", state] if state else []
        done = cli("run", PROTOCOLS / "paper_eis_sweep.toml", "--store", store, "--speed", "inf", "--json",
                   "--quiet", *extra, timeout=120)
        assert done.returncode == 0, done.stderr
        runs[state] = stored(store, json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    surface, instruments, f, z_as = runs[None]
    assert surface == "as sintered"
    assert instruments["cell"] == "emulated cell NZSP-AS-01: as sintered, 1.70 mm, 8.5 mm electrodes"
    surface, instruments, f, z_dry = runs["dry500"]
    assert surface == "dry500"
    assert instruments["cell"] == "emulated cell NZSP-AS-01: dry500, 1.70 mm, 8.5 mm electrodes"
    # the dry500 interface arc: 2 x 22.1 Ohm cm2 / 0.5675 cm2 = 78 Ohm more at 5 Hz
    assert z_dry.real[np.argmin(f)] - z_as.real[np.argmin(f)] > 60


def test_protocol_sample_geometry_sets_the_cell(tmp_path):
    text = (PROTOCOLS / "paper_eis_sweep.toml").read_text()
    text = text.replace("thickness_mm = 1.70", "thickness_mm = 0.85").replace('"NZSP-AS-01"', '"THIN-1"')
    protocol = tmp_path / "thin.toml"
    protocol.write_text(text)
    store = tmp_path / "w.sqlite"
    done = cli("run", protocol, "--store", store, "--speed", "inf", "--json", "--quiet", timeout=120)
    assert done.returncode == 0, done.stderr
    surface, instruments, f, z = stored(store, json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    assert instruments["cell"] == "emulated cell THIN-1: as sintered, 0.85 mm, 8.5 mm electrodes"
    # half the pellet: half the 60 Ohm of the paper's cell at 100 kHz-ish (total conductivity 5 mS/cm)
    plateau = z.real[np.argmin(abs(f - 1e4))]
    assert 0.085 / ((plateau - 0.5) * np.pi * 0.425**2) == pytest.approx(5e-3, rel=0.05)


def test_bad_cell_option_is_one_line(tmp_path):
    done = cli("run", PROTOCOLS / "paper_eis_sweep.toml", "--store", tmp_path / "w.sqlite", "--cell",
               "polished", "--quiet")
    assert done.returncode == 2
    assert done.stderr.startswith("error: --cell: ") and "Traceback" not in done.stderr


def test_cell_option_is_refused_on_a_real_bench(tmp_path):
    from tests.engine.test_engine_cli import ROOT

    text = (ROOT / "resources" / "benches" / "emulated.toml").read_text().replace("emulated = true",
                                                                                  "emulated = false")
    config = tmp_path / "real.toml"
    config.write_text(text)
    done = cli("run", PROTOCOLS / "paper_eis_sweep.toml", "--config", config, "--store", tmp_path / "w.sqlite",
               "--cell", "EtOH500", "--quiet")
    assert done.returncode == 2, done.stderr
    assert "no emulated instrument" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "w.sqlite").exists()
