"""Opening a fitted run from the history shows the fit kept with it (value ± error, method, arcs, the curve on
the Nyquist and Bode plots) and says so; a run never fitted says "not fitted yet"; a fit of one run is never
left on screen over another. Driven through the real window on the emulated bench."""

import numpy as np
import pytest

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.main_window import MainWindow
from workbench.store import Store

TWO_ARCS = "R0-L0-p(R1,CPE1)-p(R2,CPE2)"


@pytest.fixture
def window(qtbot, settings, tmp_path):
    bench = Bench.from_config(clock=ManualClock(), cell="EtOH500")
    store = Store(tmp_path / "workspace.sqlite")
    window = MainWindow(bench, store, settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    yield window
    window.close()
    store.close()


def sweep(qtbot, window) -> int:
    window.controls["fra"].button.click()
    qtbot.waitUntil(lambda: window.runner is None and not window.session.is_running, timeout=60_000)
    return window.session.spectrum.run_id


def table(widget) -> list[list[str]]:
    return [[widget.item(r, c).text() if widget.item(r, c) else "" for c in range(widget.columnCount())]
            for r in range(widget.rowCount())]


def shown(window) -> dict:
    """What the fit panel and the plots show of a fit."""
    panel = window.fit_panel
    name = window.plot_name(window.session.spectrum)
    fits = {plot: plot.spectrum(name).fit for plot in (window.nyquist, window.bode) if name in plot.spectrum_names}
    return {"params": [row[:3] for row in table(panel.param_table)], "arcs": table(panel.arc_table),
            "interface": panel.interface_label.text(), "circuit": panel.circuit_text(),
            "curve": {plot: None if fit is None else np.column_stack(fit) for plot, fit in fits.items()}}


def open_from_history(qtbot, window, run_id) -> None:
    window.history.refresh()
    window.history.select_runs([run_id])
    window.history.open_button.click()
    qtbot.waitUntil(lambda: window.loading_run is None and window.session.opened_run is not None
                    and window.session.opened_run.id == run_id, timeout=10_000)


@pytest.mark.parametrize("read_on_a_thread", [False, True], ids=["read-at-once", "read-off-the-gui-thread"])
def test_reopening_a_fitted_run_shows_its_kept_fit_and_an_unfitted_run_says_so(window, qtbot, monkeypatch,
                                                                               read_on_a_thread):
    if read_on_a_thread:  # every run read in blocks on a thread of its own, as a long run is
        monkeypatch.setattr(MainWindow, "READ_AT_ONCE", 0)
    panel = window.fit_panel
    fitted = sweep(qtbot, window)
    panel.set_circuit(TWO_ARCS)
    analysis = panel.fit()
    assert analysis is not None and analysis.interface.resolved
    made = shown(window)
    assert made["interface"] == f"Interface resistance: {analysis.interface.text()}"
    assert len(made["curve"]) == 2 and all(curve is not None and len(curve) == 300 for curve in made["curve"].values())
    assert panel.origin.text() == f"Run {fitted}: fitted now, kept with the run."

    unfitted = sweep(qtbot, window)
    open_from_history(qtbot, window, unfitted)
    assert panel.origin.text() == f"Run {unfitted}: not fitted yet." and panel.origin.isVisible()
    assert panel.status.text().startswith(f"129 points of run {unfitted}") and "not fitted yet" in panel.status.text()
    now = shown(window)
    assert all(value == "" for _name, value, _err in now["params"]) and now["arcs"] == []
    assert now["interface"] == "" and len(now["curve"]) == 2 and all(c is None for c in now["curve"].values())
    assert "not fitted yet" in window.activity_label.toolTip()

    panel.set_circuit("R0-L0-p(R1,CPE1)")  # what is typed now does not change what was kept
    open_from_history(qtbot, window, fitted)
    again = shown(window)
    assert again["circuit"] == TWO_ARCS
    assert again["params"] == made["params"] and again["arcs"] == made["arcs"]
    assert again["interface"] == made["interface"]
    for plot in (window.nyquist, window.bode):
        assert again["curve"][plot] is not None
        assert np.allclose(again["curve"][plot], made["curve"][plot], rtol=1e-9)
    assert panel.status.text().startswith(f"Fitted 129 points of run {fitted}: χ² = ")
    kept = window.store.fits(fitted)[-1]
    assert panel.origin.text().startswith(f"Run {fitted}: fit kept with the run, made ")
    assert kept["created_at"][:10] in panel.origin.text()
    assert "Kramers-Kronig: valid" in panel.kk_label.text()
    x, residuals = window.residuals.real_curve.getData()
    assert residuals is not None and len(residuals) == 129
    order = np.argsort(analysis.fit.frequency_hz)
    assert np.allclose(residuals[np.argsort(x)], 100 * analysis.fit.residuals_real[order])
    assert "its kept fit shown" in window.activity_label.toolTip()

    open_from_history(qtbot, window, unfitted)  # and back: nothing of the other run's fit stays
    assert panel.origin.text() == f"Run {unfitted}: not fitted yet."
    assert table(panel.arc_table) == [] and panel.interface_label.text() == ""
    assert all(plot.spectrum(name).fit is None for plot in (window.nyquist, window.bode)
               for name in plot.spectrum_names)

