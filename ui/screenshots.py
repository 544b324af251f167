"""Make the README's screenshots on the emulated bench: ``python -m ui.screenshots OUTDIR``.

Runs the real window and wizard (under Xvfb or any display): an impedance sweep of an EtOH500 cell fitted
with the paper's two-arc circuit, then a CCD test of an as-sintered cell caught mid-run and on its
result page.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWizard

from instruments.bench import Bench
from instruments.clock import AcceleratedClock, ManualClock
from ui.main_window import MainWindow
from workbench.store import Store


def _wait(app: QApplication, condition, timeout_s: float = 120) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the emulated run did not finish in time")
        app.processEvents()
        time.sleep(0.01)


def _settle(app: QApplication, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "resources/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    work = Path(tempfile.mkdtemp())
    settings = QSettings(str(work / "settings.ini"), QSettings.IniFormat)
    store = Store(work / "workspace.sqlite")

    window = MainWindow(Bench.from_config(clock=ManualClock(), cell="EtOH500"), store, settings=settings)
    window.resize(1600, 980)
    window.show()
    window.controls["fra"].button.click()
    _wait(app, lambda: window.runner is None)
    window.fit_panel.set_circuit("R0-L0-p(R1,CPE1)-p(R2,CPE2)")
    window.fit_panel.fit()
    window.normalise.setChecked(True)
    _settle(app)
    window.grab().save(str(out / "main_window.png"))
    window.close()

    settings.setValue("ccd/surface_state", "as sintered")
    settings.setValue("ccd/sample_name", "NZSP-07")
    # x500: the test's 4 h in about 30 s, at a pace the emulated bench keeps (one sample a second)
    window = MainWindow(Bench.from_config(clock=AcceleratedClock(500), cell="as sintered"), store,
                        settings=settings)
    window.show()
    wizard = window.open_ccd_wizard()
    for _ in range(3):
        wizard.button(QWizard.NextButton).click()
    wizard.button(QWizard.CommitButton).click()
    run_page = wizard.run_page
    _wait(app, lambda: len(run_page.plot.buffer.x) > 2500)
    _settle(app)
    wizard.grab().save(str(out / "wizard_run.png"))
    _wait(app, lambda: run_page.finished is not None, timeout_s=300)
    _settle(app)
    wizard.button(QWizard.NextButton).click()
    _settle(app)
    wizard.grab().save(str(out / "wizard_result.png"))
    wizard.close()
    window.close()
    store.close()
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
