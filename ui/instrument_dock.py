"""A dock per instrument role: which instrument it is, emulated or connected, live readings, and
connect/disconnect."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

_READING_LABELS = {
    "output": ("Output", "{}"),
    "temperature_c": ("Temperature", "{:.1f} °C"),
    "setpoint_c": ("Setpoint", "{:.1f} °C"),
    "voltage_v": ("Voltage", "{:.4f} V"),
    "current_a": ("Current", "{:.4f} mA", 1e3),
    "current_density_mA_cm2": ("Current density", "{:.3f} mA/cm²"),
}


class InstrumentDock(QDockWidget):
    """Shows one role's instrument; asks the window to connect or disconnect it."""

    connect_requested = Signal(str)
    disconnect_requested = Signal(str)

    def __init__(self, role: str, label: str, spec, parent: QWidget | None = None):
        super().__init__(label, parent)
        self.role = role
        self.setObjectName(f"dock-{role}")
        self.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        body = QWidget()
        layout = QVBoxLayout(body)
        form = QFormLayout()
        self.identity_label = QLabel("—")
        self.identity_label.setWordWrap(True)
        self.identity_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.state_label = QLabel()
        self.state_label.setObjectName("state")
        self.state_label.setWordWrap(True)
        form.addRow("Driver", QLabel(f"{spec.driver}  ({spec.resource})"))
        form.addRow("Instrument", self.identity_label)
        form.addRow("State", self.state_label)
        self._reading_labels: dict[str, QLabel] = {}
        self._shown: set[str] = set()
        self._readings_form = form
        layout.addLayout(form)
        self.connect_button = QPushButton()
        self.connect_button.clicked.connect(self._toggle)
        layout.addWidget(self.connect_button)
        self.controls_box = QGroupBox("Manual control")
        self.controls_box.setLayout(QVBoxLayout())
        self.controls_box.hide()
        layout.addWidget(self.controls_box)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self._connected = False
        self.set_instrument(None, emulated=spec.emulated)

    def set_instrument(self, instrument, *, emulated: bool, error: str | None = None) -> None:
        """Show a connected instrument, or a disconnected role (with the reason when it failed)."""
        self._connected = instrument is not None
        if instrument is not None:
            self.identity_label.setText(instrument.identity)
            state, colour = ("emulated", "#1565c0") if emulated else ("connected", "#2e7d32")
        else:
            self.identity_label.setText("—")
            state, colour = (f"error: {error}", "#c62828") if error else ("disconnected", "#757575")
        self.state_label.setText(state)
        self.state_label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.connect_button.setText("Disconnect" if self._connected else "Connect")
        self.show_readings({})  # no readings from an instrument just (dis)connected

    def set_controls(self, widget: QWidget) -> None:
        """Put a manual control (a sweep, a hold, a setpoint) under the readings."""
        self.controls = widget
        self.controls_box.layout().addWidget(widget)
        self.controls_box.show()

    def state_text(self) -> str:
        return self.state_label.text()

    def show_readings(self, values: dict) -> None:
        """Show the role's last readings; they replace the previous ones whole (a reading not in
        ``values``, such as the current once the output is off, is no longer shown)."""
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
            label.setText(fmt.format(value * (scale[0] if scale else 1)))
            if key == "output":
                label.setStyleSheet("font-weight: bold; color: #c62828;" if value == "on" else "")
        for key, label in self._reading_labels.items():
            self._readings_form.setRowVisible(label, key in values)
        self._shown = {key for key in values if key in self._reading_labels}

    def reading_text(self, key: str) -> str | None:
        """What the dock shows for a reading now (None when it is not shown)."""
        label = self._reading_labels.get(key)
        return label.text() if label is not None and key in self._shown else None

    def _toggle(self) -> None:
        (self.disconnect_requested if self._connected else self.connect_requested).emit(self.role)
