"""Manual controls of the docks: an impedance sweep, a galvanostatic hold, a stage setpoint.

Each control builds the engine's parameters from what is typed (so the engine's limits and messages
apply), shows what the action will do, and asks the window to run it as a stored run. None of them talks
to an instrument directly.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.entry import duration_text, parse_number, parse_time
from workbench.procedures import (
    ImpedanceSweep,
    ImpedanceSweepParameters,
    SubRange,
    TemperatureStep,
    TemperatureStepParameters,
)
from workbench.procedures.hold import GalvanostaticHold, HoldParameters

ERROR_STYLE = "color: #c62828;"


class _Control(QWidget):
    start_requested = Signal(object)  # a Procedure

    def __init__(self, button_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = QFormLayout()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.button = QPushButton(button_text)
        self.button.clicked.connect(self.request)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.form)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.button)

    def watch(self, *edits) -> None:
        for edit in edits:
            (edit.currentTextChanged if isinstance(edit, QComboBox) else edit.textChanged).connect(self.check)

    def check(self, *_args) -> object | None:
        try:
            procedure = self.build()
        except ValueError as exc:
            self.error.setText(str(exc))
            self.summary.setText("")
            self.button.setEnabled(False)
            return None
        self.error.setText("")
        self.summary.setText(self.describe(procedure))
        self.button.setEnabled(True)
        return procedure

    def request(self) -> None:
        procedure = self.check()
        if procedure is not None:
            self.start_requested.emit(procedure)

    def build(self):  # overridden
        raise NotImplementedError

    def describe(self, procedure) -> str:  # overridden
        return ""


class SweepControl(_Control):
    """A single impedance sweep with its sub-ranges (the paper's by default)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Sweep", parent)
        paper = ImpedanceSweepParameters.paper()
        self.start = QLineEdit(f"{paper.start_frequency_hz:g}")
        self.stop = QLineEdit(f"{paper.stop_frequency_hz:g}")
        self.ppd = QLineEdit(str(paper.points_per_decade))
        self.amplitude = QLineEdit(f"{paper.amplitude_v * 1e3:g}")
        self.form.addRow("From (Hz)", self.start)
        self.form.addRow("To (Hz)", self.stop)
        self.form.addRow("Points per decade", self.ppd)
        self.form.addRow("Amplitude (mV rms)", self.amplitude)
        self.ranges = QTableWidget(0, 4)
        self.ranges.setHorizontalHeaderLabels(["From (Hz)", "To (Hz)", "Integration", "Delay"])
        self.ranges.verticalHeader().setVisible(False)
        self.ranges.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.ranges.setToolTip("Integration and delay in seconds ('2 s') or in cycles ('30 cycles')")
        for sub in paper.sub_ranges:
            self.add_range(sub)
        self.ranges.setMaximumHeight(130)
        buttons = QHBoxLayout()
        add, remove = QPushButton("+ sub-range"), QPushButton("− sub-range")
        add.clicked.connect(lambda: self.add_range(None))
        remove.clicked.connect(self._remove_range)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        self.form.addRow(self.ranges)
        self.form.addRow(buttons)
        self.watch(self.start, self.stop, self.ppd, self.amplitude)
        self.ranges.itemChanged.connect(self.check)
        self.check()

    def add_range(self, sub: SubRange | None) -> None:
        row = self.ranges.rowCount()
        self.ranges.blockSignals(True)
        self.ranges.insertRow(row)
        if sub is None:
            cells = ["", "", "1 s", "0 s"]
        else:
            integration = (f"{sub.integration_s:g} s" if sub.integration_s is not None
                           else f"{sub.integration_cycles:g} cycles")
            delay = (f"{sub.delay_cycles:g} cycles" if sub.delay_cycles is not None
                     else f"{sub.delay_s or 0:g} s")
            cells = [f"{sub.high_frequency_hz:g}", f"{sub.low_frequency_hz:g}", integration, delay]
        for col, text in enumerate(cells):
            self.ranges.setItem(row, col, QTableWidgetItem(text))
        self.ranges.blockSignals(False)
        self.check()

    def _remove_range(self) -> None:
        if self.ranges.rowCount() > 1:
            self.ranges.removeRow(self.ranges.rowCount() - 1)
            self.check()

    def sub_ranges(self) -> tuple[SubRange, ...]:
        subs = []
        for row in range(self.ranges.rowCount()):
            def cell(col, row=row):
                item = self.ranges.item(row, col)
                return item.text() if item is not None else ""
            name = f"Sub-range {row + 1}"
            integration, i_unit = parse_time(cell(2), f"{name} integration")
            delay, d_unit = parse_time(cell(3) or "0 s", f"{name} delay")
            subs.append(SubRange(parse_number(cell(0), f"{name} from"), parse_number(cell(1), f"{name} to"),
                                 **{f"integration_{i_unit}": integration, f"delay_{d_unit}": delay}))
        return tuple(subs)

    def build(self):
        ppd = parse_number(self.ppd.text(), "Points per decade")
        if ppd != int(ppd):
            raise ValueError(f"Points per decade: {ppd:g} is not a whole number.")
        return ImpedanceSweep(ImpedanceSweepParameters(
            start_frequency_hz=parse_number(self.start.text(), "From"),
            stop_frequency_hz=parse_number(self.stop.text(), "To"),
            points_per_decade=int(ppd),
            amplitude_v=parse_number(self.amplitude.text(), "Amplitude") / 1e3,
            sub_ranges=self.sub_ranges()))

    def describe(self, procedure) -> str:
        p = procedure.parameters
        return f"{len(p.frequencies_hz())} frequencies, about {duration_text(p.duration_s())}"


class HoldControl(_Control):
    """A constant current density for a set time, on the session's sample (its area makes the current)."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__("Hold current", parent)
        self.session = session
        self.current_density = QLineEdit("0.5")
        self.duration = QLineEdit("600")
        self.direction = QComboBox()
        self.direction.addItems(["plate", "strip"])
        self.form.addRow("Current density (mA/cm²)", self.current_density)
        self.form.addRow("Duration (s)", self.duration)
        self.form.addRow("Direction", self.direction)
        self.watch(self.current_density, self.duration, self.direction)
        self.check()

    def build(self):
        return GalvanostaticHold(HoldParameters(
            current_density_mA_cm2=parse_number(self.current_density.text(), "Current density"),
            duration_s=parse_number(self.duration.text(), "Duration"),
            direction=self.direction.currentText()))

    def describe(self, procedure) -> str:
        p = procedure.parameters
        area = self.session.sample.area_cm2
        return (f"{p.current_density_mA_cm2 * area:.4g} mA on {area:.4f} cm², "
                f"{p.current_density_mA_cm2 * p.duration_s / 3600:.3g} mAh/cm² in {duration_text(p.duration_s)}")


class StageControl(_Control):
    """Ramp the stage to a setpoint and wait until it is stable."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Go to setpoint", parent)
        self.setpoint = QLineEdit("25")
        self.ramp = QLineEdit("10")
        self.tolerance = QLineEdit("0.2")
        self.stable_for = QLineEdit("300")
        self.form.addRow("Setpoint (°C)", self.setpoint)
        self.form.addRow("Ramp (°C/min)", self.ramp)
        self.form.addRow("Stable within (°C)", self.tolerance)
        self.form.addRow("for (s)", self.stable_for)
        self.watch(self.setpoint, self.ramp, self.tolerance, self.stable_for)
        self.check()

    def build(self):
        return TemperatureStep(TemperatureStepParameters(
            setpoint_c=parse_number(self.setpoint.text(), "Setpoint"),
            ramp_c_per_min=parse_number(self.ramp.text(), "Ramp"),
            tolerance_c=parse_number(self.tolerance.text(), "Tolerance"),
            stable_for_s=parse_number(self.stable_for.text(), "Stable for")))

    def describe(self, procedure) -> str:
        return f"about {duration_text(procedure.parameters.expected_duration_s())} to settle"
