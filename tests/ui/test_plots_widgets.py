"""The live plot widgets: coalesced redraws from the buffer, following, events, units, Nyquist markers and
normalisation, export. Each widget is also rendered to /tmp/nzsp-plots/*.png for a look."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402
from pathlib import Path  # noqa: E402
from xml.dom import minidom  # noqa: E402

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402

from ui.plots._spectra import decade_indices, format_frequency  # noqa: E402
from ui.plots.bode import BodePlot  # noqa: E402
from ui.plots.cycling import CyclingPlot  # noqa: E402
from ui.plots.export import export_plot  # noqa: E402
from ui.plots.nyquist import NyquistPlot  # noqa: E402
from ui.plots.residuals import ResidualsPlot  # noqa: E402
from ui.plots.temperature import TemperaturePlot  # noqa: E402

RENDER_DIR = Path("/tmp/nzsp-plots")


def _show(qtbot, widget, size=(1000, 650)):
    qtbot.addWidget(widget)
    widget.resize(*size)
    with qtbot.waitExposed(widget):
        widget.show()
    return widget


def _render(widget, name: str) -> Path:
    widget.refresh(force=True)
    RENDER_DIR.mkdir(exist_ok=True)
    path = RENDER_DIR / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


def _cycling_data(n: int, hours: float = 10.0):
    t = np.linspace(0, hours * 3600, n)
    j = np.where((t // 1800) % 2 == 0, 0.1, -0.1)
    v = 0.5 * j * (1 + 0.5 * (t % 1800) / 1800) + 0.002 * np.random.default_rng(0).normal(size=n)
    return t, v, j


def _rc_arc(f, r_hf=300.0, r=1000.0, c=4e-9):
    z = r_hf + r / (1 + 2j * np.pi * f * r * c)
    return z.real, z.imag


def _axis_label(plot, side):
    """The axis label as plain text (pyqtgraph wraps it in HTML)."""
    return re.sub(r"<[^>]+>", "", plot.getAxis(side).labelString())


def _n_points(curve) -> int:
    x = curve.getData()[0]
    return 0 if x is None else len(x)


# -- cycling ------------------------------------------------------------------------------------------
def test_append_only_stores_and_the_timer_draws_decimated_buffer_data(qtbot):
    plot = _show(qtbot, CyclingPlot())
    t, v, j = _cycling_data(500_000)
    plot.append(t, v, j)
    assert _n_points(plot.voltage_curve) == 0
    qtbot.waitUntil(lambda: plot.voltage_curve.getData()[0] is not None
                    and len(plot.voltage_curve.getData()[0]) > 0, timeout=30_000)
    width_px = plot.voltage_plot.getViewBox().width()
    for curve, column in ((plot.voltage_curve, v), (plot.current_curve, j)):
        x, y = curve.getData()
        assert 100 < len(x) <= 2 * width_px + 4
        assert y.max() == column.max() and y.min() == column.min()
    # following: the whole run is on screen, in hours, with 10 % headroom on the right
    x0, x1 = plot.voltage_plot.viewRange()[0]
    assert x0 <= 0 and x1 == pytest.approx(11.0)


def test_redraws_are_coalesced_to_one_set_data_per_curve_per_frame(qtbot):
    plot = _show(qtbot, CyclingPlot(time_unit="s"))
    calls = []
    original = plot.voltage_curve.setData
    plot.voltage_curve.setData = lambda *a, **k: (calls.append(1), original(*a, **k))
    for i in range(500):
        plot.append(float(i), 0.1 * np.sin(i / 50), 0.1)
    assert calls == []  # nothing drawn per point
    qtbot.waitUntil(lambda: len(calls) >= 1, timeout=30_000)
    assert len(calls) <= 2
    assert len(plot.voltage_curve.getData()[0]) == 500  # fewer points than pixels: all of them
    assert plot.voltage_curve.getData()[0][-1] == 499.0


def test_follows_latest_until_zoomed_then_resumes(qtbot):
    plot = _show(qtbot, CyclingPlot(time_unit="s"))
    plot.append(np.arange(1000.0), np.zeros(1000), np.zeros(1000))
    plot.refresh()
    assert plot.is_following
    assert plot.visible_time_range_s() == pytest.approx((0.0, 1098.9))
    plot.append(1050.0, 0.0, 0.0)  # within the headroom: the view (and its cached axes) stays put
    plot.refresh()
    assert plot.visible_time_range_s() == pytest.approx((0.0, 1098.9))
    assert plot.voltage_curve.getData()[0][-1] == 1050.0
    plot.append(1200.0, 0.0, 0.0)  # beyond it: the view moves on
    plot.refresh()
    assert plot.visible_time_range_s() == pytest.approx((0.0, 1320.0))
    plot.zoom_to(100.0, 200.0)
    assert not plot.is_following
    plot.append(np.arange(1300.0, 5000.0), np.ones(3700), np.ones(3700))
    plot.refresh()
    assert plot.visible_time_range_s() == pytest.approx((100.0, 200.0))
    assert plot.voltage_curve.getData()[0].max() <= 201.0
    plot.follow_latest()
    assert plot.visible_time_range_s()[1] >= 4999.0
    plot.follow_latest(window_s=600.0)
    x0_s, x1_s = plot.visible_time_range_s()
    assert x0_s == pytest.approx(4399.0) and x1_s >= 4999.0


def test_manual_pan_stops_following(qtbot):
    plot = _show(qtbot, CyclingPlot(time_unit="s"))
    plot.append(np.arange(1000.0), np.zeros(1000), np.zeros(1000))
    plot.refresh()
    vb = plot.voltage_plot.getViewBox()
    vb.translateBy(x=-300.0)
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])  # what a mouse drag emits
    assert not plot.is_following


def test_time_unit_labels_and_events(qtbot):
    plot = _show(qtbot, CyclingPlot(time_unit="h"))
    t, v, j = _cycling_data(100_000, hours=2.0)
    plot.append(t, v, j)
    plot.mark_event(5400.0, "short circuit")
    plot.refresh()
    assert _axis_label(plot.current_plot, "bottom").endswith("Time (h)")
    assert "Voltage (V)" in _axis_label(plot.voltage_plot, "left")
    assert "Current density (mA/cm²)" in _axis_label(plot.current_plot, "left")
    lines = [i for i in plot.voltage_plot.items if isinstance(i, pg.InfiniteLine)]
    assert len(lines) == 1 and lines[0].value() == pytest.approx(1.5)
    assert plot.events == [(5400.0, "short circuit")]
    plot.set_time_unit("s")
    assert _axis_label(plot.current_plot, "bottom").endswith("Time (s)")
    assert lines[0].value() == pytest.approx(5400.0)
    assert plot.voltage_curve.getData()[0].max() == pytest.approx(7200.0)
    _render(plot, "cycling")
    plot.clear_events()
    assert not [i for i in plot.current_plot.items if isinstance(i, pg.InfiniteLine)]
    with pytest.raises(ValueError):
        plot.append(0.0, 0.0, 0.0)  # time went backwards
    with pytest.raises(ValueError):
        plot.set_time_unit("days")


def test_hidden_plot_does_not_draw_until_shown(qtbot):
    plot = CyclingPlot()
    qtbot.addWidget(plot)
    plot.append(np.arange(100.0), np.zeros(100), np.zeros(100))
    qtbot.wait(100)
    assert _n_points(plot.voltage_curve) == 0
    with qtbot.waitExposed(plot):
        plot.show()
    qtbot.waitUntil(lambda: _n_points(plot.voltage_curve) == 100, timeout=30_000)


def test_temperature_plot(qtbot):
    plot = _show(qtbot, TemperaturePlot(time_unit="min"))
    t = np.arange(0.0, 3600.0, 2.0)
    setpoint = np.where(t < 1800, 25.0, 60.0)
    temperature = setpoint - np.where(t < 1800, 0.0, 35.0 * np.exp(-(t - 1800) / 300))
    plot.append(t, temperature, setpoint)
    plot.refresh()
    assert "Temperature (°C)" in _axis_label(plot.plot, "left")
    assert _axis_label(plot.plot, "bottom").endswith("Time (min)")
    x, y = plot.setpoint_curve.getData()
    assert x.max() == pytest.approx(3598.0 / 60) and set(np.unique(y)) == {25.0, 60.0}
    _render(plot, "temperature")


# -- Nyquist ------------------------------------------------------------------------------------------
def test_format_frequency():
    assert [format_frequency(f) for f in (1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1, 0.1, 0.01)] == [
        "10 MHz", "1 MHz", "100 kHz", "10 kHz", "1 kHz", "100 Hz", "10 Hz", "1 Hz", "100 mHz", "10 mHz"]
    assert format_frequency(2.5e5) == "250 kHz"


def test_decade_indices_pick_the_nearest_point_within_tolerance():
    f = np.array([1.2e6, 9.5e5, 3e5, 1.05e5, 2e4, 5e3])
    decades, idx = decade_indices(f)
    np.testing.assert_array_equal(decades, [1e5, 1e6])  # 1e4 and 1e3 are too far from any point
    np.testing.assert_array_equal(idx, [3, 1])


def test_nyquist_decade_markers_normalisation_and_equal_aspect(qtbot):
    plot = _show(qtbot, NyquistPlot(), size=(800, 700))
    f = np.logspace(7, -1, 81)  # 10 points per decade, decades included
    zr, zi = _rc_arc(f)
    plot.set_spectrum("EtOH500", f, zr, zi)
    plot.refresh()
    decades, x, y = plot.decade_markers("EtOH500")
    np.testing.assert_allclose(decades, 10.0 ** np.arange(-1, 8))
    idx = [np.argmin(np.abs(f - d)) for d in decades]
    np.testing.assert_allclose(x, zr[idx])
    np.testing.assert_allclose(y, -zi[idx])
    marker_x, marker_y = plot.spectrum("EtOH500").items["decades"].getData()
    np.testing.assert_allclose(marker_x, zr[idx])
    assert "1 MHz" in plot.decade_labels("EtOH500") and "100 kHz" in plot.decade_labels("EtOH500")
    assert _axis_label(plot.plot, "bottom").endswith("Z′ (Ω)")

    plot.set_normalisation(area_cm2=0.5, symmetric=True)
    data_x, data_y = plot.spectrum("EtOH500").items["data"].getData()
    np.testing.assert_allclose(data_x, zr * 0.5 / 2)
    np.testing.assert_allclose(data_y, -zi * 0.5 / 2)
    assert _axis_label(plot.plot, "bottom").endswith("Z′ (Ω cm²)")
    assert _axis_label(plot.plot, "left").endswith("−Z″ (Ω cm²)")
    plot.set_normalisation(area_cm2=0.5, symmetric=False)
    np.testing.assert_allclose(plot.spectrum("EtOH500").items["data"].getData()[0], zr * 0.5)
    with pytest.raises(ValueError):
        plot.set_normalisation(area_cm2=0.0)

    vb = plot.plot.getViewBox()
    assert vb.state["aspectLocked"] == 1.0
    qtbot.wait(50)
    px_w, px_h = vb.viewPixelSize()
    assert px_w == pytest.approx(px_h, rel=0.01)  # one Ohm is as long on both axes


def test_nyquist_live_points_fits_and_overlays(qtbot):
    plot = _show(qtbot, NyquistPlot(), size=(900, 700))
    f = np.logspace(6, -1, 71)
    zr, zi = _rc_arc(f, r_hf=80.0, r=300.0)
    calls = []
    for fi, a, b in zip(f, zr, zi, strict=True):
        plot.add_point(fi, a, b)
    data = plot.spectrum("live").items  # nothing drawn yet: items are created at the first frame
    assert data == {}
    qtbot.waitUntil(lambda: "data" in plot.spectrum("live").items
                    and len(plot.spectrum("live").items["data"].getData()[0]) == f.size, timeout=30_000)
    curve = plot.spectrum("live").items["data"]
    original = curve.setData
    curve.setData = lambda *a, **k: (calls.append(1), original(*a, **k))
    plot.add_point(0.05, zr[-1] + 1, -0.5)
    plot.add_point(0.02, zr[-1] + 2, -0.4)
    qtbot.waitUntil(lambda: len(calls) >= 1, timeout=30_000)
    assert len(calls) == 1 and len(curve.getData()[0]) == f.size + 2

    f_fit = np.logspace(6, -1, 300)
    plot.set_fit("live", f_fit, *_rc_arc(f_fit, r_hf=80.0, r=300.0))
    for i, (name, r) in enumerate((("as sintered", 260.0), ("EtOH500-anneal", 240.0))):
        zr2, zi2 = _rc_arc(f, r_hf=70.0 + 5 * i, r=r)
        plot.set_spectrum(name, f, zr2, zi2)
        plot.set_fit(name, f_fit, *_rc_arc(f_fit, r_hf=70.0 + 5 * i, r=r))
    plot.set_normalisation(area_cm2=0.785)
    plot.refresh()
    assert len(plot.spectrum("live").items["fit"].getData()[0]) == 300
    # a fit shows through its spectrum's markers of the same colour: wider, and drawn above them
    items = plot.spectrum("live").items
    assert items["fit"].opts["pen"].widthF() >= 2 > items["data"].opts["symbolPen"].widthF()
    assert items["fit"].zValue() > items["data"].zValue()
    legend_names = [label.text for _, label in plot.legend.items]
    assert legend_names == ["live", "as sintered", "EtOH500-anneal"]
    _render(plot, "nyquist")
    plot.clear_fit("live")
    plot.refresh()
    assert _n_points(plot.spectrum("live").items["fit"]) == 0
    plot.remove_spectrum("as sintered")
    assert [label.text for _, label in plot.legend.items] == ["live", "EtOH500-anneal"]
    plot.clear()
    assert plot.spectrum_names == [] and plot.legend.items == []
    assert not [i for i in plot.plot.items if isinstance(i, pg.TextItem)]


# -- Bode, residuals ----------------------------------------------------------------------------------
def test_bode_plot_magnitude_phase_and_fit(qtbot):
    plot = _show(qtbot, BodePlot(), size=(900, 700))
    f = np.logspace(6, -1, 71)
    zr, zi = _rc_arc(f)
    plot.set_spectrum("cell A", f, zr, zi)
    plot.set_fit("cell A", f, zr, zi)
    plot.refresh()
    x, magnitude = plot.spectrum("cell A").items["magnitude"].getOriginalDataset()
    np.testing.assert_allclose(x, f[::-1])  # sorted by increasing frequency
    np.testing.assert_allclose(magnitude, np.hypot(zr, zi)[::-1])
    _, phase = plot.spectrum("cell A").items["phase"].getOriginalDataset()
    assert phase.max() > 0  # -phase of a capacitive arc
    np.testing.assert_allclose(phase, -np.degrees(np.arctan2(zi, zr))[::-1])
    assert plot.magnitude_plot.getViewBox().state["logMode"] == [True, True]
    items = plot.spectrum("cell A").items
    for fit, data in (("magnitude_fit", "magnitude"), ("phase_fit", "phase")):
        assert items[fit].opts["pen"].widthF() >= 2 and items[fit].zValue() > items[data].zValue()
    assert "|Z| (Ω)" in _axis_label(plot.magnitude_plot, "left")
    assert "Frequency (Hz)" in _axis_label(plot.phase_plot, "bottom")
    _render(plot, "bode")


def test_residuals_plot(qtbot):
    plot = _show(qtbot, ResidualsPlot(), size=(800, 400))
    f = np.logspace(6, -1, 71)
    real = np.sin(np.arange(71) / 3)
    plot.set_residuals(f, real, -real)
    x, y = plot.real_curve.getOriginalDataset()
    np.testing.assert_allclose(x, f[::-1])
    np.testing.assert_allclose(y, real[::-1])
    assert "Residual (%)" in _axis_label(plot.plot, "left")
    assert "Z<sub>data</sub>" in plot.plot.titleLabel.text  # relative to |Z data|, said in the title
    with pytest.raises(ValueError):
        plot.set_residuals(f, real[:-1], real)
    _render(plot, "residuals")


# -- export -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("factory", [CyclingPlot, TemperaturePlot, NyquistPlot, BodePlot, ResidualsPlot])
def test_every_widget_exports_png_and_svg(qtbot, tmp_path, factory):
    widget = _show(qtbot, factory(), size=(640, 480))
    if isinstance(widget, CyclingPlot | TemperaturePlot):
        widget.append(np.arange(5000.0), np.sin(np.arange(5000) / 300), np.cos(np.arange(5000) / 300))
    elif isinstance(widget, ResidualsPlot):
        widget.set_residuals([1e3, 1e2, 10], [0.1, -0.2, 0.3], [0.0, 0.1, -0.1])
    else:
        f = np.logspace(5, 0, 21)
        widget.set_spectrum("cell", f, *_rc_arc(f))
    widget.export(tmp_path / "plot.png")
    widget.export(tmp_path / "plot.svg")
    image = QImage(str(tmp_path / "plot.png"))
    assert image.width() > 100 and image.height() > 100
    assert QColor(image.pixel(2, 2)).name() == "#ffffff"  # white background, for papers
    svg = minidom.parse(str(tmp_path / "plot.svg"))
    assert svg.documentElement.tagName == "svg"
    assert len(svg.getElementsByTagName("path")) + len(svg.getElementsByTagName("polyline")) > 3


def test_export_plot_item_and_unknown_extension(qtbot, tmp_path):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.plot([0, 1, 2], [1, 0, 1])
    path = export_plot(widget.getPlotItem(), tmp_path / "item.PNG", width_px=1600)
    assert QImage(str(path)).width() == 1600
    assert export_plot(widget, tmp_path / "widget.svg").stat().st_size > 0
    with pytest.raises(ValueError, match=r"\.pdf"):
        export_plot(widget, tmp_path / "plot.pdf")
    with pytest.raises(ValueError, match="unknown extension"):
        export_plot(widget, tmp_path / "plot")
    with pytest.raises(TypeError):
        export_plot(object(), tmp_path / "plot.png")


def test_svg_fix_installed_for_pyqtgraphs_own_export(qtbot, tmp_path):
    import pyqtgraph as pg
    from pyqtgraph.exporters import SVGExporter

    from ui.plots.export import install_svg_fix

    install_svg_fix()
    install_svg_fix()  # idempotent
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.plot([0, 1, 2], [1, 0, 1])
    path = tmp_path / "direct.svg"
    SVGExporter(widget.getPlotItem()).export(str(path))  # what the right-click dialog calls
    assert "<svg" in path.read_text()


# -- legends keep out of the data ------------------------------------------------------------------
def _points_under_legend(plot_item, legend) -> int:
    """The data points (of every curve, in view coordinates) that the legend's box covers on screen."""
    view = plot_item.getViewBox()
    box = view.mapSceneToView(legend.sceneBoundingRect()).boundingRect()
    n = 0
    for item in plot_item.listDataItems():
        x, y = item.getData()
        if x is not None and len(x):
            n += int(np.count_nonzero((x >= box.left()) & (x <= box.right()) & (y >= box.top()) & (y <= box.bottom())))
    return n


def _in_view(plot_item) -> bool:
    """Every data point is inside the view (the view has been fitted to the data)."""
    box = plot_item.getViewBox().viewRect()
    items = [item.getData() for item in plot_item.listDataItems()]
    return all(x is None or not len(x) or (x.min() >= box.left() and x.max() <= box.right() and
                                           y.min() >= box.top() and y.max() <= box.bottom()) for x, y in items)


def test_the_nyquist_legend_moves_to_a_corner_without_data_and_stays_where_the_user_puts_it(qtbot):
    from workbench.impedance.synthetic import log_frequencies, noisy_spectrum, paper_cell_parameters

    plot = _show(qtbot, NyquistPlot(), size=(700, 600))
    f = log_frequencies(13e6, 5.0, 10)
    # the paper's Figure 6 cells side by side: dry4000's large interface arc fills the upper right, where
    # a legend sits by default, and hides its end; the EtOH500 cells are small by its side
    for k, (name, r_area) in enumerate((("dry4000", 9000.0), ("EtOH500", 24.2), ("EtOH500-anneal", 0.1))):
        z = noisy_spectrum(paper_cell_parameters(r_area, area_cm2=0.5675), f, 0.003, k)
        plot.set_spectrum(name, f, z.real, z.imag)
    plot.refresh(force=True)
    qtbot.waitUntil(lambda: _in_view(plot.plot), timeout=3000)
    qtbot.waitUntil(lambda: _points_under_legend(plot.plot, plot.legend) == 0, timeout=3000)
    assert plot.legend.covered("top right") > 0, "the default corner would have hidden points"
    assert plot.legend.corner != "top right"

    # the user drags it elsewhere: it stays there whatever is drawn next
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    viewport = plot.graphics.viewport()
    start = plot.graphics.mapFromScene(plot.legend.sceneBoundingRect().center())
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, start)
    for k in range(1, 11):
        QTest.mouseMove(viewport, start + QPoint(15 * k, 20 * k))
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, start + QPoint(150, 200))
    assert plot.legend.placed_by_user
    put = plot.legend.pos()
    plot.remove_spectrum("dry4000")
    plot.refresh(force=True)
    qtbot.waitUntil(lambda: plot.plot.getViewBox().viewRect().width() < 1000, timeout=3000)  # fitted anew
    view = plot.plot.getViewBox()
    assert plot.legend.pos().y() == pytest.approx(put.y())  # where it was put: in no corner
    assert abs(put.y() - plot.legend.MARGIN) > 50 and abs(view.height() - plot.legend.height() - put.y()) > 50


def test_the_bode_legend_keeps_out_of_the_magnitude(qtbot):
    plot = _show(qtbot, BodePlot(), size=(700, 600))
    f = np.logspace(7, 0, 71)
    # a large inductance: |Z| highest at the highest frequencies, where the legend sits by default
    z = 20 + 2j * np.pi * f * 1e-3 + 1000 / (1 + 2j * np.pi * f * 1000 * 1e-6)
    plot.set_spectrum("cell", f, z.real, z.imag)
    plot.refresh(force=True)
    qtbot.waitUntil(lambda: _in_view(plot.magnitude_plot), timeout=3000)
    qtbot.waitUntil(lambda: _points_under_legend(plot.magnitude_plot, plot.legend) == 0, timeout=3000)
    assert plot.legend.covered("top right") > 0 and plot.legend.corner != "top right"
