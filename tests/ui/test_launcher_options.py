"""The window's launcher reports a bad option in one line, as the command line does, never argparse's usage
dump or a traceback, and judges --speed by the command line's own rule."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def launch(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "ui.app", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("args, words", [
    (["--speed", "abc"], "--speed: invalid float value: 'abc'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--speed"], "--speed: expected one argument"),
    (["--speed", "-3"], "--speed must be from 0.001 to 1e+09 times the wall clock, or inf, got -3"),
    (["--speed", "1e12"], "--speed must be from 0.001 to 1e+09 times the wall clock, or inf, got 1e+12"),
    (["--speed", "nan"], "--speed must be a number"),
])
def test_a_bad_option_is_one_line(tmp_path, args, words):
    result = launch(*args, "--store", str(tmp_path / "w.sqlite"))
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: nzsp-workbench: "), err
    assert words in err and "usage:" not in err and "Traceback" not in err
    assert not (tmp_path / "w.sqlite").exists()   # nothing opened


def test_the_launcher_and_the_command_line_say_the_same_of_a_bad_speed(tmp_path):
    window = launch("--speed", "-3").stderr.strip()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    protocol = "resources/protocols/plating_stripping.toml"
    command = subprocess.run([sys.executable, "-m", "workbench", "run", protocol, "--speed", "-3", "--store",
                              str(tmp_path / "w.sqlite")], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60).stderr.strip()
    said = "--speed must be from 0.001 to 1e+09 times the wall clock, or inf, got -3."
    assert said in window and said in command
