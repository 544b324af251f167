"""Last-used values: a form's fields come back as the user left them in the previous session."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit


def remember(settings: QSettings, group: str, **fields) -> None:
    """Load each field's saved value (if any) and save it again whenever it changes.

    ``fields`` maps a key to a QLineEdit, an editable or plain QComboBox, or a QCheckBox; values are kept
    under ``group/key`` in ``settings``.
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
        else:
            raise TypeError(f"cannot remember a {type(widget).__name__} ({key})")
