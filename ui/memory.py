"""Last-used values: a form's fields come back as the user left them in the previous session."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QTableWidget


def remember(settings: QSettings, group: str, **fields) -> None:
    """Load each field's saved value (if any) and save it again whenever it changes.

    ``fields`` maps a key to a QLineEdit, an editable or plain QComboBox, a QCheckBox or a QTableWidget
    (its cells' text, row by row); values are kept under ``group/key`` in ``settings``.
    """
    for name, widget in fields.items():
        key = f"{group}/{name}"
        saved = settings.value(key)
        if isinstance(widget, QLineEdit):
            if saved is not None:
                widget.setText(str(saved))
            widget.textChanged.connect(lambda text, key=key: settings.setValue(key, text))
        elif isinstance(widget, QComboBox):
            if saved is not None:
                widget.setCurrentText(str(saved))
            widget.currentTextChanged.connect(lambda text, key=key: settings.setValue(key, text))
        elif isinstance(widget, QCheckBox):
            if saved is not None:
                widget.setChecked(str(saved).lower() == "true")
            widget.toggled.connect(lambda on, key=key: settings.setValue(key, "true" if on else "false"))
        elif isinstance(widget, QTableWidget):
            _remember_table(settings, key, widget, saved)
        else:
            raise TypeError(f"cannot remember a {type(widget).__name__} ({key})")


def _table_rows(table: QTableWidget) -> list[list[str]]:
    return [[table.item(r, c).text() if table.item(r, c) is not None else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def _remember_table(settings: QSettings, key: str, table: QTableWidget, saved) -> None:
    if saved is not None:
        try:
            rows = json.loads(str(saved))
        except ValueError:
            rows = None
        if isinstance(rows, list) and rows and all(isinstance(r, list) for r in rows):
            from PySide6.QtWidgets import QTableWidgetItem

            table.blockSignals(True)
            table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c in range(table.columnCount()):
                    table.setItem(r, c, QTableWidgetItem(str(row[c]) if c < len(row) else ""))
            table.blockSignals(False)
            table.itemChanged.emit(table.item(0, 0))

    def save(*_args) -> None:
        settings.setValue(key, json.dumps(_table_rows(table)))

    table.itemChanged.connect(save)
    table.model().rowsInserted.connect(save)
    table.model().rowsRemoved.connect(save)
