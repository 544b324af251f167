"""The red banner across the top of the window for what must not be missed: a run that ended with the
cycler's output state unknown (the current may still be on). It stays until the user acknowledges it."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class AlarmBanner(QFrame):
    """Hidden until ``raise_alarm(text)``; the button hides it again."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("alarm-banner")
        self.setStyleSheet("#alarm-banner { background: #b71c1c; } QLabel { color: white; font-weight: bold; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.acknowledge = QPushButton("The output is off now")
        self.acknowledge.setToolTip("Hide this warning once the cycler's output is off or the cell disconnected")
        self.acknowledge.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.acknowledge)
        self.hide()

    def raise_alarm(self, text: str) -> None:
        self.label.setText(text)
        self.show()
