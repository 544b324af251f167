"""What differs between Windows, macOS and Linux: where the workspace lives, whether a process runs.

``data_dir()`` is the per-user data folder that Qt calls ``QStandardPaths.GenericDataLocation``, so the
window (which asks Qt) and the command line (which asks this module) find the same workspace:

=======  ================================================================
Linux    ``$XDG_DATA_HOME`` or ``~/.local/share``
macOS    ``~/Library/Application Support``
Windows  ``%LOCALAPPDATA%`` (``C:\\Users\\<user>\\AppData\\Local``)
=======  ================================================================

``process_alive(pid)`` asks the system without touching the process: on Windows ``os.kill(pid, 0)``
would terminate it (``TerminateProcess``), so the process is opened for a status query instead.

``TerminationSignals(on_signal)`` lets a process that drives a current end safely when it is asked to end
(``SIGTERM``; ``SIGHUP`` when its terminal closes; ``SIGBREAK`` on Windows): only the signals this platform
has are caught, and only in the main thread.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

APP_DIR = "nzsp-workbench"


def data_dir(platform: str | None = None, environ: dict[str, str] | None = None, home: Path | None = None) -> Path:
    """The per-user data folder of this platform (arguments: for tests)."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if platform == "win32":
        local = environ.get("LOCALAPPDATA")
        return Path(local) if local else home / "AppData" / "Local"
    if platform == "darwin":
        return home / "Library" / "Application Support"
    xdg = environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"


def default_workspace(platform: str | None = None, environ: dict[str, str] | None = None,
                      home: Path | None = None) -> Path:
    return data_dir(platform, environ, home) / APP_DIR / "workspace.sqlite"


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (never signals or stops it)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_process_alive(pid)
    else:
        try:
            os.kill(pid, 0)        # signal 0 on POSIX: only checks that the process exists
        except ProcessLookupError:
            return False
        except PermissionError:
            return True            # it exists, owned by someone else
        return True


def _windows_process_alive(pid: int) -> bool:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.GetExitCodeProcess.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD)]
    kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    process_query_limited_information, still_active, access_denied = 0x1000, 259, 5
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return ctypes.get_last_error() == access_denied
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


#: the signals that ask a process to end, by name; those missing on this platform are left out
TERMINATING_SIGNALS = ("SIGTERM", "SIGHUP", "SIGBREAK")


class Terminated(BaseException):
    """The process was asked to end by a signal (like ``KeyboardInterrupt``, not an ``Exception``)."""

    def __init__(self, signal_name: str):
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.reason = f"terminated by signal {signal_name}"


def raise_terminated(signal_name: str) -> None:
    raise Terminated(signal_name)


class TerminationSignals:
    """While entered, the first terminating signal calls ``on_signal(name)`` (in the main thread, between
    two Python instructions); later ones are ignored, so the cleanup that the first one started is not
    cut short. The handlers in place before are put back on leaving. Outside the main thread, or for a
    signal this platform does not have, nothing is installed."""

    def __init__(self, on_signal: Callable[[str], None] = raise_terminated):
        self.on_signal = on_signal
        self.received: str | None = None
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum, _frame) -> None:
        if self.received is not None:
            return
        self.signum = signum
        self.received = signal.Signals(signum).name
        self.on_signal(self.received)

    def __enter__(self) -> TerminationSignals:
        for name in TERMINATING_SIGNALS:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except (ValueError, OSError):  # not the main thread, or a signal that cannot be caught here
                pass
        return self

    def __exit__(self, *_exc) -> None:
        self.restore()

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            try:
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            except (ValueError, OSError):
                pass
        self._previous.clear()

    def exit_code(self) -> int | None:
        """The shell's code for a process ended by the signal received (128 + its number), else None."""
        return None if self.signum is None else 128 + int(self.signum)
