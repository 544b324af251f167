"""Manual controls of the docks: an impedance sweep, a galvanostatic hold, a stage setpoint.

Each control builds the engine's parameters from what is typed (so the engine's limits apply), says
every problem at once in the words of its own field labels, warns of what the cell would make of the
request (``Session.concerns``), shows what the action will do, and asks the window to run it as a stored
run. None of them talks to an instrument directly. The message line keeps its height whatever it says,
so the fields never move under the pointer.
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

from ui.entry import duration_text, parse_number, parse_time, whole_number
from workbench.procedures import (
    ImpedanceSweep,
    ImpedanceSweepParameters,
    SubRange,
    TemperatureStep,
    TemperatureStepParameters,
)
from workbench.procedures.hold import GalvanostaticHold, HoldParameters
from workbench.procedures.parameters import ParameterError, all_errors

ERROR_STYLE = "color: #c62828;"
WARNING_STYLE = "color: #e65100;"
MESSAGE_LINES = 4


def _frequency(hz: float) -> str:
    for scale, unit in ((1e6, "MHz"), (1e3, "kHz"), (1.0, "Hz")):
        if hz >= scale:
            return f"{hz / scale:.3g} {unit}"
    return f"{hz * 1e3:.3g} mHz"


class _Control(QWidget):
    start_requested = Signal(object)  # a Procedure
    #: the parameters class, and the words of the form for each of its keys
    Parameters: type = object
    LABELS: dict[str, str] = {}

    def __init__(self, session, button_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.form = QFormLayout()
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() * MESSAGE_LINES)
        self.button = QPushButton(button_text)
        self.button.clicked.connect(self.request)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.button)
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.unavailable: str | None = None  # why the instrument cannot take this now (disconnected)

    def set_unavailable(self, reason: str | None) -> None:
        """The role's instrument is disconnected (``reason`` says so) or back (None)."""
        self.unavailable = reason
        self.check()

    def watch(self, *edits) -> None:
        for edit in edits:
            (edit.currentTextChanged if isinstance(edit, QComboBox) else edit.textChanged).connect(self.check)

    # --- what the form says ----------------------------------------------------------------------
    @property
    def error(self) -> QLabel:
        """The message line (it shows the problems, or the summary when there is none)."""
        return self.message

    @property
    def summary(self) -> QLabel:
        return self.message

    def entries(self) -> dict:
        """key -> a function that reads the field (raising ValueError with the field's label)."""
        raise NotImplementedError

    def check(self, *_args):
        """Read the form; show every problem, or the warnings and what the run will do. Returns the
        procedure when it can run."""
        values, problems = {}, []
        for key, read in self.entries().items():
            try:
                values[key] = read()
            except ParameterError as exc:
                problems.append(exc.for_display(self.LABELS))
            except ValueError as exc:
                problems.append(str(exc))
        problems += [exc.for_display(self.LABELS) for exc in all_errors(self.Parameters, values)]
        self.problems, self.warnings = problems, []
        if problems:
            self._say("\n".join(problems), ERROR_STYLE)
            self.button.setEnabled(False)
            return None
        procedure = self.make(self.Parameters(**values))
        try:
            _fitted, plan = self.session.preview(procedure)
        except ParameterError as exc:  # e.g. a run longer than any run the workbench takes
            self.problems = [exc.for_display(self.LABELS)]
            self._say(self.problems[0], ERROR_STYLE)
            self.button.setEnabled(False)
            return None
        self.warnings = [*plan.notes, *self.session.concerns(procedure.parameters)]
        if self.unavailable:
            self._say("\n".join([self.describe(procedure), self.unavailable]), ERROR_STYLE)
            self.button.setEnabled(False)
            return None
        if self.warnings:
            self._say("\n".join([self.describe(procedure), *("⚠ " + w for w in self.warnings)]), WARNING_STYLE)
        else:
            self._say(self.describe(procedure), "")
        self.button.setEnabled(True)
        return procedure

    def _say(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(style)

    def request(self) -> None:
        procedure = self.check()
        if procedure is not None:
            self.start_requested.emit(procedure)

    def make(self, parameters):  # overridden
        raise NotImplementedError

    def describe(self, procedure) -> str:  # overridden
        return ""


class SweepControl(_Control):
    """A single impedance sweep over its sub-ranges (the paper's by default). The table is the one control
    of the range: the sweep runs from the first sub-range's From down to the last one's To."""

    Parameters = ImpedanceSweepParameters
    LABELS = {"start_frequency_hz": "From (Hz) of the first sub-range", "stop_frequency_hz":
              "To (Hz) of the last sub-range", "points_per_decade": "Points per decade",
              "amplitude_v": "Amplitude (mV rms)", "high_frequency_hz": "From (Hz)", "low_frequency_hz": "To (Hz)",
              "sub_ranges": "The sub-ranges"}

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(session, "Sweep", parent)
        paper = ImpedanceSweepParameters.paper()
        self.ppd = QLineEdit(str(paper.points_per_decade))
        self.amplitude = QLineEdit(f"{paper.amplitude_v * 1e3:g}")
        self.form.addRow("Points per decade", self.ppd)
        self.form.addRow("Amplitude (mV rms)", self.amplitude)
        self.ranges = QTableWidget(0, 4)
        self.ranges.setHorizontalHeaderLabels(["From (Hz)", "To (Hz)", "Integration", "Delay"])
        self.ranges.verticalHeader().setVisible(False)
        self.ranges.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.ranges.setToolTip("The sweep runs through these sub-ranges, from the first From down to the last To. "
                               "Integration and delay in seconds ('2 s') or in cycles ('30 cycles').")
        for sub in paper.sub_ranges:
            self.add_range(sub)
        self.ranges.setMaximumHeight(130)
        buttons = QHBoxLayout()
        add, remove = QPushButton("+ sub-range"), QPushButton("− sub-range")
        add.clicked.connect(lambda: self.add_range(None))
        remove.clicked.connect(self._remove_range)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        self.form.addRow(QLabel("Sub-ranges (the sweep's range)"))
        self.form.addRow(self.ranges)
        self.form.addRow(buttons)
        self.watch(self.ppd, self.amplitude)
        self.ranges.itemChanged.connect(self.check)
        self.check()

    def add_range(self, sub: SubRange | None) -> None:
        row = self.ranges.rowCount()
        self.ranges.blockSignals(True)
        self.ranges.insertRow(row)
        if sub is None:
            previous = self.ranges.item(row - 1, 1) if row else None
            cells = [previous.text() if previous is not None else "", "", "1 s", "0 s"]
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

    def _cell(self, row: int, col: int) -> str:
        item = self.ranges.item(row, col)
        return item.text() if item is not None else ""

    def set_range(self, high_hz: float, low_hz: float) -> None:
        """Sweep from ``high_hz`` down to ``low_hz``: the first sub-range's From, the last one's To."""
        last = self.ranges.rowCount() - 1
        self.ranges.item(0, 0).setText(f"{high_hz:g}")
        self.ranges.item(last, 1).setText(f"{low_hz:g}")

    def sub_ranges(self) -> tuple[SubRange, ...]:
        subs = []
        for row in range(self.ranges.rowCount()):
            name = f"Sub-range {row + 1}"
            integration, i_unit = parse_time(self._cell(row, 2), f"{name} integration")
            delay, d_unit = parse_time(self._cell(row, 3) or "0 s", f"{name} delay")
            try:
                subs.append(SubRange(parse_number(self._cell(row, 0), f"{name} From (Hz)"),
                                     parse_number(self._cell(row, 1), f"{name} To (Hz)"),
                                     **{f"integration_{i_unit}": integration, f"delay_{d_unit}": delay}))
            except ParameterError as exc:
                raise ValueError(f"{name}: {exc.for_display(self.LABELS)}") from None
        return tuple(subs)

    def entries(self) -> dict:
        def ppd():
            return whole_number(self.ppd.text(), "Points per decade", 1, 1000)

        def ranges():
            subs = self.sub_ranges()
            if not subs:
                raise ValueError("Add a sub-range: the sweep runs through them.")
            return subs

        read = {"points_per_decade": ppd,
                "amplitude_v": lambda: parse_number(self.amplitude.text(), "Amplitude (mV rms)") / 1e3}
        try:
            subs = ranges()
        except ValueError as exc:
            message = str(exc)

            def fail():
                raise ValueError(message)

            read["sub_ranges"] = fail
        else:
            read["sub_ranges"] = lambda: subs
            read["start_frequency_hz"] = lambda: max(s.high_frequency_hz for s in subs)
            read["stop_frequency_hz"] = lambda: min(s.low_frequency_hz for s in subs)
        return read

    def make(self, parameters):
        return ImpedanceSweep(parameters)

    def describe(self, procedure) -> str:
        p = procedure.parameters
        return (f"{_frequency(p.start_frequency_hz)} down to {_frequency(p.stop_frequency_hz)}: "
                f"{len(p.frequencies_hz())} frequencies in {len(p.sub_ranges)} sub-range(s), about "
                f"{duration_text(p.duration_s())}")


class HoldControl(_Control):
    """A constant current density for a set time, on the session's sample (its area makes the current)."""

    Parameters = HoldParameters
    LABELS = {"current_density_mA_cm2": "Current density (mA/cm²)", "duration_s": "Duration (s)",
              "direction": "Direction", "compliance_v": "Compliance (V)"}

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(session, "Hold current", parent)
        self.current_density = QLineEdit("0.5")
        self.duration = QLineEdit("600")
        self.direction = QComboBox()
        self.direction.addItems(["plate", "strip"])
        self.compliance = QLineEdit(f"{HoldParameters().compliance_v:g}")
        self.form.addRow("Current density (mA/cm²)", self.current_density)
        self.form.addRow("Duration (s)", self.duration)
        self.form.addRow("Direction", self.direction)
        self.form.addRow("Compliance (V)", self.compliance)
        self.watch(self.current_density, self.duration, self.direction, self.compliance)
        self.check()

    def entries(self) -> dict:
        return {
            "current_density_mA_cm2": lambda: parse_number(self.current_density.text(), "Current density (mA/cm²)"),
            "duration_s": lambda: parse_number(self.duration.text(), "Duration (s)"),
            "direction": self.direction.currentText,
            "compliance_v": lambda: parse_number(self.compliance.text(), "Compliance (V)"),
        }

    def make(self, parameters):
        return GalvanostaticHold(parameters)

    def describe(self, procedure) -> str:
        p = procedure.parameters
        sample = self.session.sample
        return (f"{p.current_density_mA_cm2 * sample.area_cm2:.4g} mA on {sample.name}'s {sample.area_cm2:.4f} cm², "
                f"{p.current_density_mA_cm2 * p.duration_s / 3600:.3g} mAh/cm² in {duration_text(p.duration_s)}")


class StageControl(_Control):
    """Ramp the stage to a setpoint and wait until it is stable."""

    Parameters = TemperatureStepParameters
    LABELS = {"setpoint_c": "Setpoint (°C)", "ramp_c_per_min": "Ramp (°C/min)",
              "tolerance_c": "Stable within (°C)", "stable_for_s": "for (s)"}

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(session, "Go to setpoint", parent)
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

    def entries(self) -> dict:
        return {
            "setpoint_c": lambda: parse_number(self.setpoint.text(), "Setpoint (°C)"),
            "ramp_c_per_min": lambda: parse_number(self.ramp.text(), "Ramp (°C/min)"),
            "tolerance_c": lambda: parse_number(self.tolerance.text(), "Stable within (°C)"),
            "stable_for_s": lambda: parse_number(self.stable_for.text(), "for (s)"),
        }

    def make(self, parameters):
        return TemperatureStep(parameters)

    def describe(self, procedure) -> str:
        return f"about {duration_text(procedure.parameters.expected_duration_s())} to settle"
