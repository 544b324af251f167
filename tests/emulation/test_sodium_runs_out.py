"""The emulated cell's Na electrodes hold a finite capacity (the paper's 11 mAh, 19.4 mAh/cm2, each): a
hold that strips more than the stripped electrode holds ends as a real cell does, the voltage climbing to
the compliance and the run ended by the compliance criterion, in its words."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from instruments.clock import ManualClock
from instruments.emulation.cell import CellModel, CellParameters

ROOT = Path(__file__).resolve().parents[2]
SODIUM = CellParameters().sodium_mAh_cm2

HOLD = """
[sample]
name = "AS-NA"
surface_state = "as sintered"
thickness_mm = 1.70
electrode_diameter_mm = 8.5

[procedure]
kind = "hold"
current_density_mA_cm2 = 1.0
duration_s = {duration}
direction = "{direction}"
sample_period_s = 30.0
"""


def test_stripping_moves_sodium_from_one_electrode_to_the_other_and_no_more_than_there_is():
    clock = ManualClock()
    cell = CellModel("as sintered", clock=clock, seed=1)
    assert cell.sodium_mAh_cm2 == (SODIUM, SODIUM)
    cell.set_current_a(1e-3 * cell.area_cm2)          # 1 mA/cm2, stripping the working electrode
    clock.advance(3600.0)
    working, counter = cell.sodium_mAh_cm2
    assert working == pytest.approx(SODIUM - 1.0) and counter == pytest.approx(SODIUM + 1.0)
    clock.advance(3600.0 * 30)                        # far more than is left
    assert cell.sodium_mAh_cm2[0] == 0.0
    assert abs(cell.voltage_v()) > 1e3                 # open circuit: no source keeps 1 mA/cm2 flowing


@pytest.mark.parametrize("direction, stripped", [("strip", "working"), ("plate", "counter")])
def test_a_hold_that_strips_an_electrode_out_ends_at_the_compliance(tmp_path, direction, stripped):
    """Through the command line on the emulated bench (--speed inf): 1 mA/cm2 for 25 h would take 25
    mAh/cm2 from an electrode that holds 19.4; the run ends after 19.4 h, at the 10 V compliance."""
    protocol = tmp_path / "hold.toml"
    protocol.write_text(HOLD.format(duration=90000.0, direction=direction))
    store = tmp_path / "w.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "workbench", "run", str(protocol), "--speed", "inf", "--store",
                           str(store), "--json", "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    summary = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    assert summary["status"] == "aborted"
    assert summary["result"]["safety"]["criterion"] == "compliance"
    assert summary["abort_reason"].startswith("the cell needs more than the 10 V compliance at 1 mA/cm²: "
                                              "current not as set")
    assert abs(summary["result"]["held_s"] - SODIUM * 3600) <= 30.0   # within one sample period
    rows = sqlite3.connect(store).execute(
        "SELECT voltage_v, current_a FROM points WHERE run_id=1 ORDER BY seq").fetchall()
    sign = 1 if direction == "strip" else -1
    assert sign * rows[-1][0] == pytest.approx(10.0)        # at the compliance, current collapsed
    assert abs(rows[-1][1]) < 1e-6 * abs(rows[0][1])
    climbing = [sign * v for v, _ in rows[-10:-1]]           # the last islands: the voltage climbs first
    assert climbing == sorted(climbing) and climbing[-1] > 1.2 * sign * rows[0][0]


def test_a_hold_within_the_electrode_s_sodium_completes(tmp_path):
    protocol = tmp_path / "hold.toml"
    protocol.write_text(HOLD.format(duration=15 * 3600.0, direction="strip"))   # 15 of 19.4 mAh/cm2
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "workbench", "run", str(protocol), "--speed", "inf", "--store",
                           str(tmp_path / "w.sqlite"), "--json", "--quiet"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"
