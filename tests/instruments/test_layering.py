"""The instrument layer stands alone: no Qt, no workbench/ or ui/ imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "instruments"


def test_instruments_import_no_qt_and_nothing_above():
    offenders = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in {"workbench", "ui", "PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qtpy"}:
                    offenders.append(f"{path.relative_to(ROOT.parent)}: {name}")
    assert not offenders
