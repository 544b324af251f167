"""House style of the plots: white background, dark foreground, 1-px pens, labels with units.

Styling is applied per plot (never through pyqtgraph's global config options, which would change every
other pyqtgraph view of the application).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsItem

BACKGROUND = "w"
FOREGROUND = "#000000"  # a colour name CSS understands too (axis labels are HTML)
GRID_ALPHA = 0.15
# dark, distinguishable on white and in print (Tableau 10, darkest first)
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22"]


def colour(index: int) -> str:
    """The `index`-th colour of the palette (cycling)."""
    return PALETTE[index % len(PALETTE)]


def pen(colour_: str = FOREGROUND, style: Qt.PenStyle = Qt.SolidLine, width: float = 1):
    """A cosmetic pen, 1 px unless asked: wider pens are about 60x slower to draw on large data (only
    fitted curves, a few hundred points, are drawn wider)."""
    return pg.mkPen(colour_, width=width, style=style)


class TidyAxis(pg.AxisItem):
    """An axis whose log-mode labels never crowd: when a level has many ticks (a range of less than a
    decade, as a live sweep's first points), only 1, 2 and 5 times a power of ten are labelled."""

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        strings = super().logTickStrings(values, scale, spacing)
        if len(values) <= 4:
            return strings
        kept = (1, 2, 5) if len(values) <= 12 else (1,)
        tidy = []
        for value, text in zip(values, strings, strict=True):
            mantissa = 10 ** (value - np.floor(value + 1e-9))
            tidy.append(text if any(abs(mantissa - m) < 1e-6 * m for m in kept) else "")
        return tidy


def style_plot(plot: pg.PlotItem, grid: bool = True) -> None:
    """Dark axes, ticks and labels on a white background; plain unit labels (no automatic SI prefix,
    which would turn hours into 'kh'); a light grid of major and minor ticks.

    The axes (which also draw the grid over the whole plot) are cached as pixmaps: a live plot whose range
    stays put then repaints its curves only. Without the cache the translucent grid lines cost more than
    the curves (tens of ms per frame at 1280x800).
    """
    plot.setAxisItems({name: TidyAxis(name) for name in ("left", "bottom")})
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pen(FOREGROUND))
        axis.setTextPen(pen(FOREGROUND))
        axis.enableAutoSIPrefix(False)
        axis.setStyle(maxTickLevel=1)
        axis.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
    plot.titleLabel.opts["color"] = FOREGROUND
    if grid:
        plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)


def set_label(plot: pg.PlotItem, side: str, text: str, units: str | None = None) -> None:
    """Axis label 'text (units)' in the foreground colour."""
    plot.setLabel(side, text, units=units, color=FOREGROUND)


#: a fitted curve's pen width (px): it is drawn over its spectrum's markers of the same colour
FIT_WIDTH = 2.5


def add_fit_line(plot: pg.PlotItem, colour_: str, sorted_x: bool = True) -> pg.PlotDataItem:
    """Add an empty fitted curve: a `FIT_WIDTH` line above the measured points, so it shows through them."""
    curve = add_line(plot, colour_, sorted_x=sorted_x, width=FIT_WIDTH)
    curve.setZValue(10)
    return curve


def add_line(plot: pg.PlotItem, colour_: str, name: str | None = None, style: Qt.PenStyle = Qt.SolidLine,
             sorted_x: bool = True, width: float = 1) -> pg.PlotDataItem:
    """Add an empty line curve to `plot` with a `width`-px pen (default 1).

    For curves whose x values are sorted, clip-to-view and peak auto-downsampling are switched on
    *after* adding the curve (addItem resets them). Both assume increasing x, so `sorted_x=False`
    (e.g. a Nyquist plot) leaves them off.
    """
    curve = pg.PlotDataItem(pen=pen(colour_, style, width), name=name)
    plot.addItem(curve)
    if sorted_x:
        _fast(curve)
    return curve


def add_markers(plot: pg.PlotItem, colour_: str, name: str | None = None, filled: bool = False,
                symbol: str = "o", size: float = 7, sorted_x: bool = True) -> pg.PlotDataItem:
    """Add an empty scatter curve: open (or filled) symbols with a 1-px outline."""
    curve = pg.PlotDataItem(pen=None, symbol=symbol, symbolSize=size, symbolPen=pen(colour_),
                            symbolBrush=pg.mkBrush(colour_) if filled else None, name=name)
    plot.addItem(curve)
    if sorted_x:
        _fast(curve)
    return curve


def _fast(curve: pg.PlotDataItem) -> None:
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")


def new_layout() -> pg.GraphicsLayoutWidget:
    """An empty white GraphicsLayoutWidget."""
    layout = pg.GraphicsLayoutWidget()
    layout.setBackground(BACKGROUND)
    return layout


class Legend(pg.LegendItem):
    """A legend that keeps out of the data: it sits in the corner of its plot where it covers the fewest
    points (data, fitted curves, their labels), chosen again whenever the view or the data change
    (``place``), until the user drags it: then it stays where it was put."""

    MARGIN = 10  # px from the plot's edges
    #: corner -> (the legend's point, the plot's point, offset in px); the first is preferred on a tie
    CORNERS = {"top right": ((1, 0), (1, 0), (-MARGIN, MARGIN)), "top left": ((0, 0), (0, 0), (MARGIN, MARGIN)),
               "bottom right": ((1, 1), (1, 1), (-MARGIN, -MARGIN)),
               "bottom left": ((0, 1), (0, 1), (MARGIN, -MARGIN))}

    def __init__(self, plot: pg.PlotItem, **kwargs):
        super().__init__(offset=self.CORNERS["top right"][2], **kwargs)
        self.plot = plot
        self.corner = "top right"
        self.placed_by_user = False
        view = plot.getViewBox()
        view.sigRangeChanged.connect(lambda *_: self.place())
        view.sigResized.connect(lambda *_: self.place())

    def mouseDragEvent(self, ev):  # noqa: N802 - pyqtgraph's name
        if ev.button() == Qt.MouseButton.LeftButton:
            self.placed_by_user = True
        super().mouseDragEvent(ev)

    def _points(self) -> tuple[np.ndarray, np.ndarray]:
        """Everything drawn in the plot that the legend should not hide, in view coordinates."""
        xs, ys = [], []
        for item in self.plot.listDataItems():
            if not item.isVisible():
                continue
            x, y = item.getData()
            if x is not None and y is not None and len(x):
                xs.append(np.asarray(x, dtype=float))
                ys.append(np.asarray(y, dtype=float))
        for item in self.plot.getViewBox().addedItems:
            if isinstance(item, pg.TextItem) and item.isVisible():
                xs.append(np.array([item.pos().x()]))
                ys.append(np.array([item.pos().y()]))
        if not xs:
            return np.empty(0), np.empty(0)
        return np.concatenate(xs), np.concatenate(ys)

    def covered(self, corner: str, x: np.ndarray | None = None, y: np.ndarray | None = None) -> int:
        """How many of the plot's points the legend would cover in ``corner``."""
        if x is None or y is None:
            x, y = self._points()
        view = self.plot.getViewBox()
        w, h = self.width(), self.height()
        right = corner.endswith("right")
        top = corner.startswith("top")
        left_px = view.width() - self.MARGIN - w if right else self.MARGIN
        top_px = self.MARGIN if top else view.height() - self.MARGIN - h
        a = view.mapToView(QPointF(left_px, top_px))
        b = view.mapToView(QPointF(left_px + w, top_px + h))
        x0, x1 = sorted((a.x(), b.x()))
        y0, y1 = sorted((a.y(), b.y()))
        return int(np.count_nonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)))

    def place(self) -> str:
        """Move to the corner that covers the fewest points (staying put on a tie); returns the corner."""
        if self.placed_by_user or not self.items or self.parentItem() is None:
            return self.corner
        x, y = self._points()
        if x.size:
            counts = {corner: self.covered(corner, x, y) for corner in self.CORNERS}
            self.corner = min(counts, key=lambda corner: (counts[corner], corner != self.corner))
        item_pos, parent_pos, offset = self.CORNERS[self.corner]
        self.opts["offset"] = offset
        self.anchor(itemPos=item_pos, parentPos=parent_pos, offset=offset)
        return self.corner


def legend(plot: pg.PlotItem) -> Legend:
    """A legend with dark text on a translucent white box, in the corner where it hides the fewest points
    (``Legend``); the plot's named curves are added to it."""
    item = Legend(plot, labelTextColor=FOREGROUND, brush=pg.mkBrush(255, 255, 255, 200), pen=pen("#888888"))
    item.setParentItem(plot.getViewBox())
    plot.legend = item
    return item
