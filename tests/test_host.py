"""Where the workspace is by default on each platform, the same for the window and the command line; and
whether a process runs, asked without touching it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.host import data_dir, default_workspace, process_alive
from workbench.store import default_store_path


def test_data_folder_per_platform():
    home = Path("home-of-ada")
    assert data_dir("linux", {}, home) == home / ".local" / "share"
    assert data_dir("linux", {"XDG_DATA_HOME": str(Path.cwd() / "xdg")}, home) == Path.cwd() / "xdg"
    assert data_dir("linux", {"XDG_DATA_HOME": "relative"}, home) == home / ".local" / "share"  # ignored, as Qt
    assert data_dir("darwin", {}, home) == home / "Library" / "Application Support"
    assert data_dir("win32", {"LOCALAPPDATA": "LocalAppData"}, home) == Path("LocalAppData")
    assert data_dir("win32", {}, home) == home / "AppData" / "Local"
    assert default_workspace("win32", {"LOCALAPPDATA": "L"}, home) == Path("L", "nzsp-workbench", "workspace.sqlite")


def test_window_and_command_line_use_the_same_workspace(qapp):
    from ui.app import default_workspace_path

    assert default_workspace_path() == default_store_path() == default_workspace()


def test_process_alive_asks_without_touching(tmp_path):
    assert process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
        assert child.poll() is None          # asking did not stop it
    finally:
        child.kill()
        child.wait(timeout=30)
    assert not process_alive(child.pid)
    assert not process_alive(0) and not process_alive(-5)
