"""A dock per instrument role: which instrument it is, emulated or connected, the cell an emulated one
measures, its live readings, and connect/disconnect; and one dock with the manual controls, a tab each.

The role docks are kept short (a line per fact, the instrument's full identity in the tooltip) so that
all three stay in view with their readings, and the manual controls get the room their forms need.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.labels import ElidedLabel

_READING_LABELS = {
    "output": ("Output", "{}"),
    "temperature_c": ("Temperature", "{:.1f} °C"),
    "setpoint_c": ("Setpoint", "{:.1f} °C"),
    "voltage_v": ("Voltage", "{:.4f} V"),
    "current_a": ("Current", "{:.4f} mA", 1e3),
    "current_density_mA_cm2": ("Current density", "{:.3f} mA/cm²"),
}
IDENTITY_CHARACTERS = 44


def short_identity(identity: str) -> str:
    """The maker and model of an identity string (the first two fields of a ``*IDN?`` reply)."""
    text = ", ".join(part.strip() for part in identity.split(",")[:2])
    return text if len(text) <= IDENTITY_CHARACTERS else text[:IDENTITY_CHARACTERS - 1] + "…"


def stale_line(values: dict) -> str:
    """'No reading since HH:MM:SS: why' for readings that are no longer true (local time)."""
    read_at = values.get("read_at")
    reason = values.get("stale", "")
    if read_at is None:
        found = time.localtime(values.get("stale_at") or time.time())
        return f"No reading ({time.strftime('%H:%M:%S', found)}): {reason}"
    return f"No reading since {time.strftime('%H:%M:%S', time.localtime(read_at))}: {reason}"


class InstrumentDock(QDockWidget):
    """Shows one role's instrument; asks the window to connect or disconnect it."""

    connect_requested = Signal(str)
    disconnect_requested = Signal(str)

    def __init__(self, role: str, label: str, spec, parent: QWidget | None = None):
        super().__init__(label, parent)
        self.role = role
        self.spec = spec
        self.setObjectName(f"dock-{role}")
        self.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 2, 6, 2)
        form = QFormLayout()
        form.setVerticalSpacing(2)
        self.identity_label = QLabel("—")
        self.identity_label.setObjectName("identity")
        self.state_label = QLabel()
        self.state_label.setObjectName("state")
        self.state_label.setWordWrap(True)
        self.connect_button = QPushButton()
        self.connect_button.clicked.connect(self._toggle)
        form.addRow("Instrument", self.identity_label)
        form.addRow(self.state_label, self.connect_button)
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(self.error_label)  # the whole width: an error says what and where
        form.setRowVisible(self.error_label, False)
        self.cell_label = ElidedLabel("")  # one line: the whole description is in its tooltip
        self.cell_label.setObjectName("cell")
        form.addRow("Measures", self.cell_label)
        form.setRowVisible(self.cell_label, False)
        self.stale_label = QLabel("")
        self.stale_label.setObjectName("stale")
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet("color: #c62828;")
        self.stale_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form.addRow(self.stale_label)  # the whole width: what is no longer true, since when, and why
        form.setRowVisible(self.stale_label, False)
        self._reading_labels: dict[str, QLabel] = {}
        self._shown: set[str] = set()
        self._readings_form = form
        layout.addLayout(form)
        self.setWidget(body)
        self._connected = False
        self.identity = ""
        self.set_instrument(None, emulated=spec.emulated)

    def set_instrument(self, instrument, *, emulated: bool, error: str | None = None) -> None:
        """Show a connected instrument, or a disconnected role (with the reason when it failed)."""
        self._connected = instrument is not None
        where = f"{self.spec.driver} at {self.spec.resource}"
        if instrument is not None:
            self.identity = instrument.identity
            self.identity_label.setText(short_identity(instrument.identity))
            state, colour = ("emulated", "#1565c0") if emulated else ("connected", "#2e7d32")
        else:
            self.identity = ""
            self.identity_label.setText("—")
            state, colour = ("error", "#c62828") if error else ("disconnected", "#757575")
        self.identity_label.setToolTip(f"{self.identity or 'no instrument'}\n({where})")
        self._state = (state, colour)
        self.state_label.setText(state)
        self.error_label.setText(error or "")
        self._readings_form.setRowVisible(self.error_label, bool(error) and instrument is None)
        self.state_label.setToolTip(where)
        self.state_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.connect_button.setText("Disconnect" if self._connected else "Connect")
        self.show_readings({})  # no readings from an instrument just (dis)connected

    def set_cell(self, description: str | None) -> None:
        """The emulated cell this (emulated) instrument measures; None hides the line (a real instrument
        measures whatever is on the bench)."""
        # the role says "emulated" already: the line names the cell ("cell NZSP-01: EtOH500, ...")
        self.cell_label.setText((description or "").removeprefix("emulated "))
        self._readings_form.setRowVisible(self.cell_label, bool(description))

    def state_text(self) -> str:
        return self.state_label.text()

    def show_readings(self, values: dict) -> None:
        """Show the role's last readings; they replace the previous ones whole (a reading not in
        ``values``, such as the current once the output is off, is no longer shown). Stale readings
        (``values["stale"]``: the instrument did not answer, or a run ended without confirming its state)
        are greyed under a red line saying since when there has been no reading and why; a cycler's
        output then reads UNKNOWN in red."""
        stale = values.get("stale")
        for key, value in values.items():
            spec = _READING_LABELS.get(key)
            if spec is None:
                continue
            name, fmt, *scale = spec
            label = self._reading_labels.get(key)
            if label is None:
                label = QLabel()
                label.setObjectName(key)
                self._reading_labels[key] = label
                self._readings_form.addRow(name, label)
            if key == "output" and value == "unknown":
                label.setText("UNKNOWN")
            else:
                label.setText(fmt.format(value * (scale[0] if scale else 1)))
            if key == "output" and value in ("on", "unknown"):
                label.setStyleSheet("font-weight: bold; color: #c62828;")
            else:
                label.setStyleSheet("color: #9e9e9e;" if stale else "")
        for key, label in self._reading_labels.items():
            self._readings_form.setRowVisible(label, key in values)
        self._shown = {key for key in values if key in self._reading_labels}
        self.stale_label.setText(stale_line(values) if stale else "")
        self._readings_form.setRowVisible(self.stale_label, bool(stale))
        state, colour = ("not answering", "#c62828") if stale else self._state
        self.state_label.setText(state)
        self.state_label.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def stale_text(self) -> str:
        """The line that says the readings are stale ("" while they are true)."""
        return self.stale_label.text() if not self.stale_label.isHidden() else ""

    def reading_text(self, key: str) -> str | None:
        """What the dock shows for a reading now (None when it is not shown)."""
        label = self._reading_labels.get(key)
        return label.text() if label is not None and key in self._shown else None

    def _toggle(self) -> None:
        (self.disconnect_requested if self._connected else self.connect_requested).emit(self.role)


class ControlsDock(QDockWidget):
    """The manual controls (a sweep, a hold, a setpoint), one tab each."""

    def __init__(self, controls: dict[str, tuple[str, QWidget]], parent: QWidget | None = None):
        super().__init__("Manual control", parent)
        self.setObjectName("dock-controls")
        self.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.tabs = QTabWidget()
        self.tab_of: dict[str, int] = {}
        for role, (title, widget) in controls.items():
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            scroll.setFrameShape(QScrollArea.NoFrame)
            page = QWidget()
            layout = QVBoxLayout(page)
            layout.addWidget(widget)
            layout.addStretch(1)
            scroll.setWidget(page)
            self.tab_of[role] = self.tabs.addTab(scroll, title)
        self.setWidget(self.tabs)

    def show_control(self, role: str) -> None:
        self.tabs.setCurrentIndex(self.tab_of[role])
