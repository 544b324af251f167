"""The machinery shared by the plots of quantities against time (cycling, temperature).

`LiveTimeSeries` owns a `SeriesBuffer` (time in seconds plus one column per quantity) and a stack of
x-linked plots. `append` only stores into the buffer. A timer at display rate redraws when new data arrived
or the view changed, with one `setData` per curve per frame from the peak-decimated visible range, so ten
million points cost the same to draw as a few thousand. The view follows the latest data until the user
zooms or pans the time axis; the "A" button of a plot (or `follow_latest()`) resumes following.

`append` must be called from the GUI thread (a runner's listener hands its points over with a queued
signal); the buffer is not locked.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.plots import _style
from ui.plots.buffer import SeriesBuffer

FRAME_INTERVAL_MS = 33  # ~30 frames per second
TIME_UNITS_S = {"s": 1.0, "min": 60.0, "h": 3600.0}
EVENT_COLOUR = "#d62728"


class LiveTimeSeries(QWidget):
    """Base widget: plots stacked vertically sharing one time axis, filled live from one buffer.

    Subclasses call `_add_plot` for each plot and `_add_curve` for each buffer column.
    """

    def __init__(self, n_columns: int, time_unit: str = "h", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buffer = SeriesBuffer(n_columns)
        self.graphics = _style.new_layout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self._plots: list[pg.PlotItem] = []
        self._curves: list[tuple[pg.PlotDataItem, int]] = []
        self._events: list[tuple[float, str, list[pg.InfiniteLine]]] = []
        self._time_unit = time_unit
        self._follow = True
        self._follow_window_s: float | None = None
        self._followed_range: tuple[float, float] | None = None
        self._drawn_state: tuple | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self._on_frame)
        self._timer.start()
        if time_unit not in TIME_UNITS_S:
            raise ValueError(f"unknown time unit {time_unit!r}; use one of {sorted(TIME_UNITS_S)}")

    # -- building --------------------------------------------------------------------------------------
    def _add_plot(self, label: str, units: str) -> pg.PlotItem:
        plot = self.graphics.addPlot(row=len(self._plots), col=0)
        _style.style_plot(plot)
        _style.set_label(plot, "left", label, units)
        plot.getAxis("left").setWidth(78)  # room for '-0.04094' beside the label; the plots stay aligned
        vb = plot.getViewBox()
        vb.enableAutoRange(axis="y")
        vb.setAutoVisible(y=True)
        vb.sigRangeChangedManually.connect(self._on_manual_range)
        plot.autoBtn.clicked.connect(self.follow_latest)
        if self._plots:
            plot.setXLink(self._plots[0])
            self._plots[-1].getAxis("bottom").setStyle(showValues=False)
            self._plots[-1].setLabel("bottom", "")
        self._plots.append(plot)
        self._set_time_label()
        return plot

    def _add_curve(self, plot: pg.PlotItem, column: int, colour: str, name: str | None = None,
                   style: Qt.PenStyle = Qt.SolidLine) -> pg.PlotDataItem:
        curve = _style.add_line(plot, colour, name=name, style=style)
        self._curves.append((curve, column))
        return curve

    def _set_time_label(self) -> None:
        _style.set_label(self._plots[-1], "bottom", "Time", self._time_unit)

    # -- data ------------------------------------------------------------------------------------------
    def _append(self, time_s, *columns) -> None:
        self.buffer.append(time_s, *columns)

    def clear(self) -> None:
        """Forget all data and events; follow the latest data again."""
        self.buffer.clear()
        self.clear_events()
        for curve, _ in self._curves:
            curve.setData([], [])
        self._follow = True
        self._followed_range = None
        self._drawn_state = None

    @property
    def curves(self) -> list[pg.PlotDataItem]:
        return [curve for curve, _ in self._curves]

    @property
    def plots(self) -> list[pg.PlotItem]:
        return list(self._plots)

    # -- view ------------------------------------------------------------------------------------------
    @property
    def time_unit(self) -> str:
        return self._time_unit

    @property
    def seconds_per_unit(self) -> float:
        return TIME_UNITS_S[self._time_unit]

    def set_time_unit(self, unit: str) -> None:
        """Show time in 's', 'min' or 'h' (the data stay in seconds)."""
        if unit not in TIME_UNITS_S:
            raise ValueError(f"unknown time unit {unit!r}; use one of {sorted(TIME_UNITS_S)}")
        factor = TIME_UNITS_S[self._time_unit] / TIME_UNITS_S[unit]
        x0, x1 = self._plots[0].viewRange()[0]
        self._time_unit = unit
        self._set_time_label()
        for time_s, _, lines in self._events:
            for line in lines:
                line.setValue(time_s / self.seconds_per_unit)
        if not self._follow:
            self._plots[0].setXRange(x0 * factor, x1 * factor, padding=0)
        self.refresh(force=True)

    @property
    def is_following(self) -> bool:
        return self._follow

    def follow_latest(self, window_s: float | None = None) -> None:
        """Follow the newest data: show all of it, or only the last `window_s` seconds."""
        self._follow = True
        self._follow_window_s = window_s
        self._followed_range = None
        self.refresh(force=True)

    def zoom_to(self, t_start_s: float, t_end_s: float) -> None:
        """Show the time window [t_start_s, t_end_s] and stop following the latest data."""
        if not t_end_s > t_start_s:
            raise ValueError("the time window must have t_end_s > t_start_s")
        self._follow = False
        scale = self.seconds_per_unit
        self._plots[0].setXRange(t_start_s / scale, t_end_s / scale, padding=0)
        self.refresh()

    def visible_time_range_s(self) -> tuple[float, float]:
        """The time range on screen, in seconds."""
        x0, x1 = self._plots[0].viewRange()[0]
        return x0 * self.seconds_per_unit, x1 * self.seconds_per_unit

    def _on_manual_range(self, *_) -> None:
        # a drag on the y axis alone also reports a manual change: only a new time range stops following
        if self._followed_range is None or not np.allclose(self._plots[0].viewRange()[0], self._followed_range):
            self._follow = False

    # -- events ----------------------------------------------------------------------------------------
    def mark_event(self, time_s: float, label: str, colour: str = EVENT_COLOUR) -> None:
        """Mark an event (a short circuit, a step change...) with a vertical line across the plots and a
        label at the top of the first plot."""
        lines = []
        for i, plot in enumerate(self._plots):
            line = pg.InfiniteLine(pos=time_s / self.seconds_per_unit, angle=90, movable=False,
                                   pen=_style.pen(colour, Qt.DashLine))
            if i == 0 and label:
                pg.InfLineLabel(line, text=label, position=0.92, anchors=[(0, 0), (0, 0)],
                                color=colour, fill=pg.mkBrush(255, 255, 255, 200))
            plot.addItem(line, ignoreBounds=True)
            lines.append(line)
        self._events.append((float(time_s), label, lines))

    @property
    def events(self) -> list[tuple[float, str]]:
        """(time_s, label) of every marked event."""
        return [(t, label) for t, label, _ in self._events]

    def clear_events(self) -> None:
        for _, _, lines in self._events:
            for plot, line in zip(self._plots, lines, strict=True):
                plot.removeItem(line)
        self._events.clear()

    # -- drawing ---------------------------------------------------------------------------------------
    def _on_frame(self) -> None:
        if self.isVisible():
            self.refresh()

    def _follow_range(self) -> tuple[float, float]:
        """The time range (display units) that shows the latest data.

        The range leaves 10 % headroom on the right and only moves when the data reach its right edge,
        so the axes and grid are re-rendered now and then rather than at every frame (a fixed range lets
        them be drawn from cache: a frame then costs the curves only).
        """
        scale = self.seconds_per_unit
        x = self.buffer.x
        t_first, t_last = float(x[0]), float(x[-1])
        window = self._follow_window_s
        current = self._followed_range
        if current is not None:
            left_s, right_s = current[0] * scale, current[1] * scale
            fits = left_s <= t_first if window is None else True
            if fits and t_last <= right_s and (window is not None or t_first - left_s <= 0.1 * (right_s - left_s)):
                return current
        if window is None:
            span = max(t_last - t_first, 1.0)
            left_s, right_s = t_first, t_last + 0.1 * span
        else:
            right_s = t_last + 0.1 * window
            left_s = right_s - 1.1 * window
        return left_s / scale, right_s / scale

    def refresh(self, force: bool = False) -> bool:
        """Redraw now if new data arrived or the view changed (or `force`). Returns True if it drew.

        Called by the display timer; call it directly to flush before a grab or an export.
        """
        n = len(self.buffer)
        vb = self._plots[0].getViewBox()
        if n and self._follow:
            x0, x1 = self._follow_range()
            if (x0, x1) != self._followed_range or force:
                self._plots[0].setXRange(x0, x1, padding=0)
                self._followed_range = (x0, x1)
        x0, x1 = vb.viewRange()[0]
        width_px = max(int(vb.width()), 100)
        state = (n, x0, x1, width_px, self._time_unit)
        if not force and state == self._drawn_state:
            return False
        if not force and self._drawn_state is not None and state[1:] == self._drawn_state[1:]:
            # only new data, and the last point drawn already lay right of the view: nothing changes on screen
            n_drawn = self._drawn_state[0]
            if 0 < n_drawn < n and self.buffer.x[n_drawn - 1] > x1 * self.seconds_per_unit:
                return False
        scale = self.seconds_per_unit
        if n:
            t, columns = self.buffer.decimated(x0 * scale, x1 * scale, width_px)
            t = t / scale
        else:
            t, columns = np.empty(0), np.empty((self.buffer.n_y, 0))
        for curve, column in self._curves:
            curve.setData(t, columns[column])
        self._drawn_state = state
        return True

    def export(self, path) -> None:
        """Write the plots to `path` (.png or .svg)."""
        from ui.plots.export import export_plot

        export_plot(self, path)
