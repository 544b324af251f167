"""Start the workbench window: ``nzsp-workbench [--config BENCH.toml] [--speed FACTOR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from instruments.bench import DEFAULT_CONFIG


def build_parser() -> argparse.ArgumentParser:
    from workbench.cli import OneLineParser  # a bad option is one line, as on the command line

    parser = OneLineParser(
        prog="nzsp-workbench",
        description="NZSP Workbench: impedance, plating/stripping and critical-current-density tests of "
        "Na|NZSP|Na cells. Starts on emulated instruments unless the bench config says otherwise.",
    )
    parser.add_argument(
        "--config", metavar="FILE", type=Path, default=None,
        help=f"bench config (TOML) naming each role's driver and VISA resource; default: {DEFAULT_CONFIG.name}, "
        "all emulated",
    )
    parser.add_argument(
        "--speed", metavar="FACTOR", type=float, default=None,
        help="run the emulated clock this many times faster than real time (emulated benches only)",
    )
    parser.add_argument(
        "--store", metavar="FILE", type=Path, default=None,
        help="the workspace database (SQLite) where runs are kept; default: nzsp-workbench/workspace.sqlite in "
        "the user's data folder (~/.local/share on Linux, %%LOCALAPPDATA%% on Windows), as the command line",
    )
    parser.add_argument(
        "--screenshot", metavar="PNG", type=Path, default=None,
        help="open the window, save a picture of it to PNG and quit",
    )
    return parser


def default_workspace_path() -> Path:
    """Qt's per-user data folder (``QStandardPaths.GenericDataLocation``) + ``nzsp-workbench/workspace.sqlite``:
    the file the command line uses by default (``workbench.host``), found the platform's way."""
    from PySide6.QtCore import QStandardPaths

    from workbench.host import APP_DIR, default_workspace

    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base) / APP_DIR / "workspace.sqlite" if base else default_workspace()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from instruments.bench import Bench, ConfigError, check_speed

    if args.speed is not None:
        try:  # the command line's check: one range, one message
            check_speed(args.speed, "--speed")
        except ConfigError as exc:
            print(f"error: nzsp-workbench: {exc}", file=sys.stderr)
            return 2
    from workbench.store import Store, StoreError

    store_path = args.store or default_workspace_path()
    try:  # before any instrument is opened: a newer or damaged workspace is refused with nothing touched
        store = Store(store_path)
    except StoreError as exc:
        print(f"nzsp-workbench: cannot open the workspace: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    try:
        bench = Bench.from_config(args.config, speed=args.speed, keep_going=True)
    except ConfigError as exc:
        store.close()
        print(f"nzsp-workbench: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - an instrument that cannot be opened: say which and why
        store.close()
        print(f"nzsp-workbench: could not set up the bench: {exc}", file=sys.stderr)
        return 1

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("NZSP Workbench")
    app.setApplicationName("NZSP Workbench")
    window = MainWindow(bench, store)
    termination = close_on_termination(window)
    window.show()
    if args.screenshot is not None:
        def snap() -> None:
            window.grab().save(str(args.screenshot))
            window.close()
            app.quit()

        QTimer.singleShot(1500, snap)
    code = app.exec()
    termination.restore()
    return termination.exit_code() or code


def close_on_termination(window):
    """SIGTERM/SIGHUP (where the platform has them) close the session safely instead of killing the window:
    the run under way is aborted with the signal's name (output off), then the window closes as if the user
    closed it, without asking whether to abort the run (nobody may be there to answer), and the application
    quits. Qt's event loop runs in C++, where Python's signal handlers wait;
    a timer lets Python run every 200 ms. Returns the installed ``TerminationSignals`` (``restore()`` it)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.host import TerminationSignals

    def on_signal(name: str) -> None:
        reason = f"terminated by signal {name}"
        window.session.abort(reason)
        window.closing_because = reason   # no question: the run is being aborted, nobody may be there

        def close() -> None:
            window.close()          # closeEvent: waits for the run to end (output off), closes the bench
            QApplication.quit()

        QTimer.singleShot(0, close)

    termination = TerminationSignals(on_signal).__enter__()
    window._termination_timer = timer = QTimer(window)
    timer.timeout.connect(lambda: None)   # a moment of Python for the handler
    timer.start(200)
    return termination


if __name__ == "__main__":
    raise SystemExit(main())
