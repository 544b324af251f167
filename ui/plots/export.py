"""Export a plot to PNG or SVG, chosen by the file extension.

`export_plot` accepts the workbench's plot widgets (anything with a `graphics` GraphicsLayoutWidget),
a pyqtgraph PlotItem, GraphicsLayout, GraphicsLayoutWidget or PlotWidget. pyqtgraph's own right-click
"Export..." dialog stays available on every plot for interactive use.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters.SVGExporter  # noqa: F401  (the module, for _closed_paths_tolerated)
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtWidgets import QGraphicsItem

EXPORTERS = {".png": ImageExporter, ".svg": SVGExporter}


def _export_item(target):
    """The graphics item (or scene) that represents `target`."""
    if isinstance(target, QGraphicsItem):
        return target
    if isinstance(target, pg.GraphicsLayoutWidget):
        return target.ci
    if isinstance(target, pg.PlotWidget):
        return target.getPlotItem()
    graphics = getattr(target, "graphics", None)
    if graphics is not None:
        return _export_item(graphics)
    raise TypeError(f"cannot export a {type(target).__name__}: pass a plot widget or a pyqtgraph PlotItem")


def export_plot(target, path, width_px: int | None = None) -> Path:
    """Write `target` to `path`: PNG (raster, `width_px` wide if given) or SVG (vector).

    Live plots are redrawn first so that the file shows every point received. Returns the path.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORTERS:
        raise ValueError(f"cannot export to {path.name!r}: unknown extension {suffix or '(none)'!r}; "
                         f"use one of {', '.join(sorted(EXPORTERS))}")
    refresh = getattr(target, "refresh", None)
    if callable(refresh):
        refresh(force=True)
    exporter = EXPORTERS[suffix](_export_item(target))
    if suffix == ".png" and width_px is not None:
        exporter.parameters()["width"] = int(width_px)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _closed_paths_tolerated():
        exporter.export(str(path))
    if not path.exists() or path.stat().st_size == 0:
        raise OSError(f"exporting to {path} wrote nothing")
    return path


def _tolerating_closed_paths(original):
    """Work around pyqtgraph issue #3495 (0.14.0): SVGExporter's coordinate correction cannot parse the
    'Z' (close path) command that Qt writes for every rectangle, so any plot failed to export. The 'Z'
    tokens are taken out of each path before the correction and put back after it, at the same places."""
    if getattr(original, "tolerates_closed_paths", False):
        return original

    def correct(node, defs, item, options):
        closed = {}
        for element in node.getElementsByTagName("path"):
            tokens = element.getAttribute("d").split()
            if "Z" in tokens:
                coords = [t for t in tokens if t != "Z"]
                # positions (in the coordinate tokens) after which a 'Z' follows
                after = [i - k for k, i in enumerate(j for j, t in enumerate(tokens) if t == "Z")]
                closed[element] = after
                element.setAttribute("d", " ".join(coords))
        original(node, defs, item, options)
        for element, after in closed.items():
            tokens = element.getAttribute("d").split()
            for k, position in enumerate(after):
                tokens.insert(position + k, "Z")
            element.setAttribute("d", " ".join(tokens))

    correct.tolerates_closed_paths = True
    return correct


def install_svg_fix() -> None:
    """Make every SVG export of the application work, pyqtgraph's own right-click "Export..." included."""
    module = sys.modules["pyqtgraph.exporters.SVGExporter"]
    module.correctCoordinates = _tolerating_closed_paths(module.correctCoordinates)


@contextlib.contextmanager
def _closed_paths_tolerated():
    """The SVG fix for the duration of one export (see ``_tolerating_closed_paths``)."""
    module = sys.modules["pyqtgraph.exporters.SVGExporter"]
    original = module.correctCoordinates
    module.correctCoordinates = _tolerating_closed_paths(original)
    try:
        yield
    finally:
        module.correctCoordinates = original
