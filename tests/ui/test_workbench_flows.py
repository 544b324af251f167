"""The window on the emulated bench: each dock's control reaches its instrument through the engine, a
sweep fills the Nyquist plot live and is fitted from the panel, runs reopen from history and compare."""

import pytest

from instruments.bench import Bench
from instruments.clock import ManualClock
from ui.main_window import MainWindow
from workbench.store import Store


@pytest.fixture
def open_window(qtbot, settings, tmp_path):
    opened = []

    def make(cell="as sintered", clock=None):
        bench = Bench.from_config(clock=clock or ManualClock(), cell=cell)
        store = Store(tmp_path / "workspace.sqlite")
        window = MainWindow(bench, store, settings=settings)
        qtbot.addWidget(window)
        with qtbot.waitExposed(window):
            window.show()
        opened.append((window, store))
        return window

    yield make
    for window, store in opened:
        window.close()
        store.close()


@pytest.fixture
def window(open_window):
    return open_window()


def _wait_idle(qtbot, window, timeout=60_000):
    qtbot.waitUntil(lambda: window.runner is None, timeout=timeout)


def test_sweep_control_fills_nyquist_live_and_fits(window, qtbot):
    sweep = window.controls["fra"]
    sweep.set_range(1e7, 10)
    assert sweep.button.isEnabled(), sweep.error.text()
    sizes = []
    window.bridge.points.connect(lambda kind, pts: sizes.append(len(window.fit_panel.frequency_hz)))
    sweep.button.click()
    assert window.runner is not None
    assert not window.controls["galvanostat"].isEnabled(), "controls are locked while a run is active"
    _wait_idle(qtbot, window)
    assert len(sizes) >= 2, "points arrived in several batches while the sweep ran"
    shown = window.plot_name(window.session.spectrum)
    assert shown == f"run {window.session.spectrum.run_id}: NZSP-01", "the legend names the run once it ended"
    n = len(window.nyquist.spectrum(shown).points.x)
    assert n == 121  # 1e7 to 10 Hz at 20 points per decade
    assert "completed" in window.activity_label.text()
    window.fit_panel.set_circuit("R0-L0-p(R1,CPE1)")
    analysis = window.fit_panel.fit()
    assert analysis is not None
    (arc,) = analysis.arcs
    cell = window.bench.cell.resistances_ohm()
    assert arc.capacitance_f == pytest.approx(4e-9, rel=0.5)
    assert 2e5 < arc.apex_frequency_hz < 5e6
    assert analysis.interface_estimate is not None
    assert analysis.kramers_kronig.passed, window.fit_panel.kk_label.text()
    assert "valid up to 1 MHz" in window.fit_panel.kk_label.text()
    assert "Ω cm²" in window.fit_panel.interface_label.text()
    assert window.nyquist.spectrum(shown).fit is not None
    assert analysis.fit.values["R1"] == pytest.approx(cell["r_gb_ohm"] if "r_gb_ohm" in cell else
                                                     analysis.fit.values["R1"], rel=0.1)
    fits = window.store.fits(window.session.spectrum.run_id)
    assert fits and fits[-1]["circuit"] == "R0-L0-p(R1,CPE1)"


def test_fit_panel_fixes_a_parameter(window, qtbot):
    window.controls["fra"].button.click()
    _wait_idle(qtbot, window)
    panel = window.fit_panel
    panel.fix("L0", 2e-7)
    analysis = panel.fit()
    assert analysis.fit.values["L0"] == 2e-7
    assert "fixed" in panel.param_table.item(1, 2).text()
    panel.free("L0")
    assert panel.fit().fit.values["L0"] != 2e-7
    panel.set_circuit("R0-p(R1,")
    assert not panel.fit_button.isEnabled()
    assert "Circuit not understood" in panel.status.text()


def test_stage_control_ramps_the_stage(window, qtbot):
    stage = window.controls["stage"]
    stage.setpoint.setText("40")
    stage.ramp.setText("20")
    stage.stable_for.setText("60")
    stage.button.click()
    _wait_idle(qtbot, window)
    assert window.bench.stage.read_temperature_c() == pytest.approx(40, abs=0.3)
    assert window.bench.cell.temperature_c == pytest.approx(40, abs=0.5)
    assert len(window.temperature.buffer.x) > 5
    stage.setpoint.setText("hot")
    assert not stage.button.isEnabled() and "not a number" in stage.error.text()


def test_hold_control_sources_current_then_output_off(window, qtbot):
    hold = window.controls["galvanostat"]
    hold.current_density.setText("1")
    hold.duration.setText("120")
    assert "0.5675 cm²" in hold.summary.text()
    shown = []
    window.bridge.readings.connect(lambda role, values: role == "galvanostat" and shown.append(
        window.docks["galvanostat"].reading_text("current_density_mA_cm2")))
    hold.button.click()
    _wait_idle(qtbot, window)
    assert len(window.cycling.buffer.x) >= 100
    assert any(text and text.startswith("-1.000") for text in shown)
    assert window.docks["galvanostat"].reading_text("output") == "off"
    assert window.docks["galvanostat"].reading_text("current_density_mA_cm2") is None
    assert window.bench.galvanostat.query(":OUTP?").strip() == "0"
    hold.current_density.setText("-2")
    assert not hold.button.isEnabled() and "Current density (mA/cm²) must be greater than 0" in hold.error.text()


def test_runs_reopen_from_history_and_compare(open_window, qtbot, tmp_path):
    window = open_window("EtOH500")  # an interface arc the spectrum resolves: 24.2 Ohm cm2 in the paper
    for _ in range(2):
        window.controls["fra"].button.click()
        _wait_idle(qtbot, window)
    history = window.history
    assert history.table.rowCount() == 2
    ids = [int(history.table.item(r, 0).text()) for r in range(2)]
    history.select_runs(ids[:1])
    history.open_button.click()
    assert any(name.startswith(f"run {ids[0]}") for name in window.nyquist.spectrum_names)
    assert window.fit_panel.frequency_hz.size == 129
    history.select_runs(ids)
    history.compare_button.click()
    dialog = window.compare_dialog
    assert set(dialog.results) == set(ids)
    assert list(dialog.bars.means) == ["EtOH500"]
    assert dialog.bars.means["EtOH500"] == pytest.approx(window.bench.cell.r_interface_ohm_cm2, rel=0.05)
    png = tmp_path / "bars.png"
    dialog.bars.export(png)
    assert png.stat().st_size > 1000
    dialog.close()
    history.select_runs(ids[:1])
    history._export(str(tmp_path / "run.csv"))
    assert (tmp_path / "run.csv").read_text().count("\n") == 131  # comment, header, 129 points


def test_export_current_plot(window, tmp_path):
    for suffix in ("png", "svg"):
        path = window.export_plot(str(tmp_path / f"nyquist.{suffix}"))
        assert path.stat().st_size > 500


def test_temperature_series_fitted_in_one_go_gives_an_activation_energy(open_window, qtbot):
    window = open_window("EtOH500")
    sweep = window.controls["fra"]
    sweep.set_range(13e6, 50)  # the interface arc of EtOH500 peaks near 2.7 kHz at 25 C
    for setpoint in ("25", "45", "65"):
        stage = window.controls["stage"]
        stage.setpoint.setText(setpoint)
        stage.stable_for.setText("60")
        stage.button.click()
        _wait_idle(qtbot, window)
        sweep.button.click()
        _wait_idle(qtbot, window)
    sweeps = [r.id for r in window.store.runs() if r.kind == "impedance_sweep"]
    assert [round(window.store.run(i).temperature_c) for i in sweeps] == [25, 45, 65]
    window.history.refresh()
    window.history.select_runs(sweeps)
    window.history.fit_button.click()
    dialog = window.series_dialog
    assert dialog.table.rowCount() == 3
    assert dialog.parameter.currentText() == dialog.INTERFACE
    k_t = 8.617333262e-5 * 318  # ln(T/R) against 1/T adds about kT to the exponent of R alone
    expected = window.bench.cell.params.ea_interface_ev + k_t
    assert dialog.activation_energy_ev == pytest.approx(expected, abs=0.03)
    assert "Ea =" in dialog.result.text()
    dialog.close()


def test_fit_follows_the_sweep_as_it_fills(open_window, qtbot):
    """The sweep is held (deterministically, not by timing) at 40 and at 80 points until the panel has
    re-fitted what it has: the fit follows the points as they come, and ends on all 129."""
    import threading

    from workbench.events import DataPoint

    window = open_window()
    fitted_sizes = []
    gates = {40: threading.Event(), 80: threading.Event()}

    def fitted(analysis):
        fitted_sizes.append(len(analysis.fit.frequency_hz))
        for size, gate in gates.items():
            if fitted_sizes[-1] >= size:
                gate.set()

    seen = []

    def hold_the_sweep(event):  # on the run's worker thread
        if isinstance(event, DataPoint) and event.kind == "impedance":
            seen.append(event)
            gate = gates.get(len(seen))
            if gate is not None:
                gate.wait(30)

    window.fit_panel.fitted.connect(fitted)
    window.session.events.run_event.connect(hold_the_sweep)
    window.fit_panel.set_circuit("R0-L0-p(R1,CPE1)")
    window.fit_panel.auto_refit.setChecked(True)
    window.controls["fra"].button.click()
    _wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(fitted_sizes) and fitted_sizes[-1] == 129, timeout=10_000)
    assert all(gate.is_set() for gate in gates.values()), "re-fitted while the points came in"
    assert any(40 <= n < 80 for n in fitted_sizes) and any(80 <= n < 129 for n in fitted_sizes), fitted_sizes
    assert fitted_sizes == sorted(fitted_sizes)
    assert window.nyquist.spectrum(window.plot_name(window.session.spectrum)).fit is not None
