"""The critical-current-density wizard: cell, protocol, safety, review, run, result.

Every number is checked by the engine's own parameter classes as it is typed (``Sample``,
``CCDParameters``, ``FormationParameters``, ``ShortCriteria``); a page whose entries are refused shows
the reason and will not let the user go on. The run is started by the session (the cell of the first
page becomes the session's sample, so on an emulated bench it is the cell measured): the automatic abort
on a short is the engine's, the wizard shows it happen and then shows the result.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ui.entry import duration_text, parse_number, parse_numbers, percent_text, time_left_text
from ui.memory import remember
from ui.plots.cycling import CyclingPlot
from ui.plots.nyquist import NyquistPlot
from ui.session_bridge import SessionBridge
from workbench.cell import GRIT_SIZES, PAPER_SURFACE_STATES, Sample, SampleError, parse_surface_state
from workbench.procedures import CCDParameters, CCDTest, FormationCycles, FormationParameters
from workbench.procedures.impedance_sweep import ImpedanceSweepParameters
from workbench.procedures.parameters import ParameterError, all_errors
from workbench.safety import ShortCriteria
from workbench.session import RunRefused, finished_text, safety_text

ERROR_STYLE = "color: #c62828;"
WARNING_STYLE = "color: #e65100;"
#: every surface state the sample model accepts: the paper's first, then the other grits
SURFACE_STATES = PAPER_SURFACE_STATES + tuple(
    f"{solvent}{grit}{suffix}" for grit in GRIT_SIZES if f"EtOH{grit}" not in PAPER_SURFACE_STATES
    for solvent in ("EtOH", "dry") for suffix in ("", "-anneal"))
MODES = ("Constant capacity", "Constant dwell", "Formation cycles")


class _Page(QWizardPage):
    """A page with an error line; ``complete`` is recomputed whenever an entry changes."""

    def __init__(self, title: str, subtitle: str = ""):
        super().__init__()
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        # the line keeps its height whatever it says, so that the fields never move under the pointer
        self.error.setMinimumHeight(self.error.fontMetrics().lineSpacing() * 4)
        self.error.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.warning = QLabel("")
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self._ok = False

    def watch(self, *edits) -> None:
        for edit in edits:
            signal = getattr(edit, "textChanged", None) or getattr(edit, "toggled", None)
            if isinstance(edit, QComboBox):
                signal = edit.currentTextChanged
            signal.connect(self.revalidate)

    def revalidate(self, *_args) -> None:
        self.problems, self.warnings = [], []
        try:
            self.validate_entries()
        except ParameterError as exc:
            self.problems.append(exc.for_display(self.LABELS))
        except ValueError as exc:
            self.problems.append(str(exc))
        self._ok = not self.problems
        self.error.setText("\n".join(self.problems))
        self.warning.setText("\n".join("⚠ " + w for w in self.warnings))
        self.completeChanged.emit()

    #: the words of the page's fields for the engine's parameter keys
    LABELS: dict[str, str] = {}

    def read_all(self, cls, entries: dict, labels: dict | None = None) -> dict:
        """Read every field (``key -> read()``) and check them together as ``cls``: every problem goes to
        ``self.problems`` at once; returns the values read."""
        values = {}
        for key, read in entries.items():
            try:
                values[key] = read()
            except ParameterError as exc:
                self.problems.append(exc.for_display(labels or self.LABELS))
            except ValueError as exc:
                self.problems.append(str(exc))
        self.problems += [exc.for_display(labels or self.LABELS) for exc in all_errors(cls, values)]
        return values

    def validate_entries(self) -> None:  # overridden
        pass

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self._ok


class CellPage(_Page):
    def __init__(self, settings: QSettings, store=None):
        """``store``: the workspace, to say when the named sample has shorted before."""
        super().__init__("The cell", "The Na|NZSP|Na symmetric cell to be tested.")
        self.settings = settings
        self.store = store
        self.name = QLineEdit(settings.value("ccd/sample_name", "NZSP-01"))
        self.surface = QComboBox()  # a plain list: one click opens it
        self.surface.addItems(SURFACE_STATES)
        self.surface.setMaxVisibleItems(len(SURFACE_STATES))
        saved = settings.value("ccd/surface_state", "as sintered")
        try:
            saved = parse_surface_state(saved).name
        except ValueError:
            saved = "as sintered"
        self.surface.setCurrentText(saved)
        self.surface.setToolTip("The paper's nomenclature: as sintered, EtOH500 (ethanol, SiC grit 500), "
                                "dry4000-anneal (no solvent, grit 4000, annealed at 900 °C), ...")
        self.thickness = QLineEdit(settings.value("ccd/thickness_mm", "1.70"))
        self.diameter = QLineEdit(settings.value("ccd/electrode_diameter_mm", "8.5"))
        self.area = QLabel()
        form = QFormLayout(self)
        form.addRow("Sample name", self.name)
        form.addRow("Surface history", self.surface)
        form.addRow("Pellet thickness (mm)", self.thickness)
        form.addRow("Na electrode diameter (mm)", self.diameter)
        form.addRow("Electrode area", self.area)
        form.addRow(self.error)
        form.addRow(self.warning)
        self.sample: Sample | None = None
        self.watch(self.name, self.surface, self.thickness, self.diameter)
        self.revalidate()

    LABELS = {"name": "Sample name", "surface_state": "Surface history", "thickness_mm": "Pellet thickness (mm)",
              "electrode_diameter_mm": "Na electrode diameter (mm)"}

    def validate_entries(self) -> None:
        self.sample = None
        self.area.setText("—")
        typed = {"name": self.name.text().strip(), "surface_state": self.surface.currentText().strip()}
        for key, field in (("thickness_mm", self.thickness), ("electrode_diameter_mm", self.diameter)):
            try:
                typed[key] = parse_number(field.text(), self.LABELS[key])
            except ValueError as exc:
                self.problems.append(str(exc))
        # each field checked on its own, so that every problem is said at once
        good = {"name": "NZSP", "surface_state": "as sintered", "thickness_mm": 1.7, "electrode_diameter_mm": 8.5}
        for key, value in typed.items():
            try:
                Sample(**{**good, key: value})
            except SampleError as exc:
                self.problems.append(f"{self.LABELS[exc.field]}: {exc.message}")
        if self.problems:
            return
        self.sample = Sample(**typed)
        self.area.setText(f"{self.sample.area_cm2:.4f} cm²  (π d² / 4)")
        if self.sample.thickness_mm < 0.3 or self.sample.electrode_diameter_mm < 2:
            self.warnings.append(f"A {self.sample.thickness_mm:g} mm pellet with {self.sample.electrode_diameter_mm:g} "
                                 "mm electrodes is unusually small (the paper's: 1.70 mm, 8.5 mm): check the "
                                 "units, every current density and Ω cm² follows from them.")
        shorted = [r for r in self.store.runs() if r.sample_name == self.sample.name and r.status == "shorted"] \
            if self.store is not None else []
        if shorted:
            self.warnings.append(f"{self.sample.name} shorted in run {shorted[-1].id}. A shorted cell stays shorted: "
                                 "for a new pellet give it a new name (or use Replace cell in the window).")
        for key, value in (("sample_name", self.name.text()), ("surface_state", self.surface.currentText()),
                           ("thickness_mm", self.thickness.text()),
                           ("electrode_diameter_mm", self.diameter.text())):
            self.settings.setValue(f"ccd/{key}", value)


class ProtocolPage(_Page):
    PLAN_COLUMNS = ["Step", "mA/cm²", "Current (mA)", "Half-cycle", "mAh/cm²", "Step time"]

    def __init__(self, cell_page: CellPage, settings: QSettings):
        super().__init__("The protocol", "Current densities in mA/cm², capacities in mAh/cm²; the currents, "
                         "durations and total time follow as you type.")
        self.cell_page = cell_page
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.start = QLineEdit("0.5")
        self.stop = QLineEdit("15")
        self.step = QLineEdit("0.5")
        self.capacity = QLineEdit("0.25")
        self.dwell = QLineEdit("1800")
        self.cycles = QLineEdit("1")
        self.sample_period = QLineEdit("1")
        self.formation_j = QLineEdit(" ".join(f"{v:g}" for v in FormationParameters().current_densities_mA_cm2))
        self.formation_t = QLineEdit(" ".join(f"{v:g}" for v in FormationParameters().half_cycles_s))

        staircase = QWidget()
        sform = QFormLayout(staircase)
        sform.addRow("Start (mA/cm²)", self.start)
        sform.addRow("Stop (mA/cm²)", self.stop)
        sform.addRow("Step (mA/cm²)", self.step)
        self.capacity_row = QLabel("Capacity per half-cycle (mAh/cm²)")
        sform.addRow(self.capacity_row, self.capacity)
        self.dwell_row = QLabel("Half-cycle duration (s)")
        sform.addRow(self.dwell_row, self.dwell)
        formation = QWidget()
        fform = QFormLayout(formation)
        fform.addRow("Current densities (mA/cm²)", self.formation_j)
        fform.addRow("Half-cycle durations (s)", self.formation_t)
        self.stack = QStackedWidget()
        self.stack.addWidget(staircase)
        self.stack.addWidget(formation)
        common = QFormLayout()
        common.addRow("Protocol", self.mode)
        common.addRow("Cycles per step", self.cycles)
        common.addRow("Sample period (s)", self.sample_period)

        self.table = QTableWidget(0, len(self.PLAN_COLUMNS))
        self.table.setHorizontalHeaderLabels(self.PLAN_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.total = QLabel()
        self.total.setObjectName("total")
        self.total.setWordWrap(True)
        layout = QGridLayout(self)
        left = QVBoxLayout()
        left.addLayout(common)
        left.addWidget(self.stack)
        left.addWidget(self.error)
        left.addWidget(self.warning)
        left.addStretch(1)
        layout.addLayout(left, 0, 0)
        right = QVBoxLayout()
        right.addWidget(self.table)
        right.addWidget(self.total)
        layout.addLayout(right, 0, 1)
        layout.setColumnStretch(1, 1)
        self.procedure = None
        self.plan = None
        remember(settings, "ccd_protocol", mode=self.mode, start=self.start, stop=self.stop, step=self.step,
                 capacity=self.capacity, dwell=self.dwell, cycles=self.cycles, sample_period=self.sample_period,
                 formation_j=self.formation_j, formation_t=self.formation_t)
        self.watch(self.mode, self.start, self.stop, self.step, self.capacity, self.dwell, self.cycles,
                   self.sample_period, self.formation_j, self.formation_t)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self._mode_changed()

    def initializePage(self) -> None:  # noqa: N802
        self.revalidate()

    def _mode_changed(self, *_args) -> None:
        mode = self.mode.currentText()
        self.stack.setCurrentIndex(1 if mode == "Formation cycles" else 0)
        constant_capacity = mode == "Constant capacity"
        for widget in (self.capacity, self.capacity_row):
            widget.setVisible(constant_capacity)
        for widget in (self.dwell, self.dwell_row):
            widget.setVisible(mode == "Constant dwell")
        self.revalidate()

    LABELS = {"start_current_density_mA_cm2": "Start (mA/cm²)", "stop_current_density_mA_cm2": "Stop (mA/cm²)",
              "step_current_density_mA_cm2": "Step (mA/cm²)",
              "capacity_mAh_cm2": "Capacity per half-cycle (mAh/cm²)",
              "half_cycle_s": "Half-cycle duration (s)", "cycles_per_step": "Cycles per step",
              "sample_period_s": "Sample period (s)", "current_densities_mA_cm2": "Current densities (mA/cm²)",
              "half_cycles_s": "Half-cycle durations (s)", "compliance_v": "Voltage compliance (V)"}

    def _entries(self) -> tuple[type, dict]:
        """The parameters class of the chosen protocol, and how to read each of its fields."""
        def cycles():
            value = parse_number(self.cycles.text(), "Cycles per step")
            if value != int(value):
                raise ValueError(f"Cycles per step: {value:g} is not a whole number.")
            return int(value)

        entries = {"cycles_per_step": cycles,
                   "sample_period_s": lambda: parse_number(self.sample_period.text(), "Sample period (s)")}
        mode = self.mode.currentText()
        if mode == "Formation cycles":
            entries["current_densities_mA_cm2"] = lambda: parse_numbers(self.formation_j.text(),
                                                                        "Current densities (mA/cm²)")
            entries["half_cycles_s"] = lambda: parse_numbers(self.formation_t.text(), "Half-cycle durations (s)")
            return FormationParameters, entries
        entries["start_current_density_mA_cm2"] = lambda: parse_number(self.start.text(), "Start (mA/cm²)")
        entries["stop_current_density_mA_cm2"] = lambda: parse_number(self.stop.text(), "Stop (mA/cm²)")
        entries["step_current_density_mA_cm2"] = lambda: parse_number(self.step.text(), "Step (mA/cm²)")
        if mode == "Constant capacity":
            entries["capacity_mAh_cm2"] = lambda: parse_number(self.capacity.text(),
                                                               "Capacity per half-cycle (mAh/cm²)")
        else:
            entries["half_cycle_s"] = lambda: parse_number(self.dwell.text(), "Half-cycle duration (s)")
        return CCDParameters, entries

    def is_formation(self) -> bool:
        return self.mode.currentText() == "Formation cycles"

    def make_procedure(self, **extra):
        """The procedure with the page's values and ``extra`` (compliance, sweeps) from the next page;
        raises ParameterError or ValueError (the first problem) when the entries do not make one."""
        cls, entries = self._entries()
        values = {key: read() for key, read in entries.items()}
        if cls is FormationParameters:
            extra = {k: v for k, v in extra.items() if k == "compliance_v"}  # no sweeps in formation cycles
        return (FormationCycles if cls is FormationParameters else CCDTest)(cls(**values, **extra))

    def validate_entries(self) -> None:
        self.procedure = self.plan = None
        self.table.setRowCount(0)
        self.total.setText("")
        sample = self.cell_page.sample
        if sample is None:
            raise ValueError("Go back and complete the cell first.")
        cls, entries = self._entries()
        values = self.read_all(cls, entries)
        if self.problems:
            return
        parameters = cls(**values)
        self.procedure = (FormationCycles if cls is FormationParameters else CCDTest)(parameters)
        wizard = self.wizard()
        try:  # the plan as the run would check it: a run longer than any bench run is refused here
            self.plan = wizard.session.preview(self.procedure, sample)[1] if wizard else self.procedure.plan(sample)
        except ParameterError as exc:
            self.problems.append(exc.for_display(self.LABELS))
            self.procedure = None
            return
        rows = [s for s in self.plan.steps if "current_density_mA_cm2" in s]
        self.table.setRowCount(len(rows))
        for r, step in enumerate(rows):
            j = step["current_density_mA_cm2"]
            half = step.get("half_cycle_s")
            cells = [str(r + 1), f"{j:g}", f"{step['current_mA']:.4g}", duration_text(half),
                     f"{j * half / 3600:.4g}" if half else "—", duration_text(step.get("duration_s"))]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        cycling_s = sum(step["duration_s"] for step in rows)
        text = (f"{len(rows)} current steps, {sum(step['n_points'] for step in rows)} points, cycling for at most "
                f"{duration_text(cycling_s)} (it ends earlier at the short).")
        if not self.is_formation():
            sweep_s = ImpedanceSweepParameters.paper().duration_s()
            text += (f" Impedance sweeps, chosen on the next page, add about {duration_text(sweep_s)} each.")
        self.total.setText(text)
        self.warnings += self.wizard().session.concerns(parameters, sample) if self.wizard() else []


class SafetyPage(_Page):
    def __init__(self, settings: QSettings):
        super().__init__("Safety", "When the cell shorts, the engine switches the current off at once and "
                         "ends the run. Tune the criteria only if you know your cell.")
        defaults = ShortCriteria()
        self.hard = QLineEdit(f"{defaults.hard_short_resistance_fraction:g}")
        self.hard.setToolTip("Hard short: |V/I| falls below this fraction of the resistance at the start of "
                             "the half-cycle")
        self.soft = QLineEdit(f"{defaults.soft_short_drop_fraction:g}")
        self.soft.setToolTip("Soft short: |V| drops by more than this fraction within a few samples")
        self.upper = QLineEdit(f"{defaults.upper_voltage_limit_v:g}")
        self.upper.setToolTip("Contact loss: |V| above this limit ends the run")
        self.compliance = QLineEdit("10")
        self.sweep_before = QCheckBox("Impedance sweep before cycling (the paper's sweep, 13 MHz to 5 Hz)")
        self.sweep_before.setChecked(True)
        self.sweep_after = QCheckBox("Impedance sweep after cycling, and after a short to confirm it")
        self.sweep_after.setChecked(True)
        form = QFormLayout(self)
        form.addRow("Hard short: fraction of the ohmic resistance", self.hard)
        form.addRow("Soft short: sudden drop of |V| (fraction)", self.soft)
        form.addRow("Upper voltage limit (V)", self.upper)
        form.addRow("Voltage compliance (V)", self.compliance)
        form.addRow(self.sweep_before)
        form.addRow(self.sweep_after)
        form.addRow(self.error)
        form.addRow(self.warning)
        self.criteria: ShortCriteria | None = None
        remember(settings, "ccd_safety", hard=self.hard, soft=self.soft, upper=self.upper,
                 compliance=self.compliance, sweep_before=self.sweep_before, sweep_after=self.sweep_after)
        self.watch(self.hard, self.soft, self.upper, self.compliance, self.sweep_before, self.sweep_after)
        self.revalidate()

    LABELS = {"hard_short_resistance_fraction": "Hard short fraction",
              "soft_short_drop_fraction": "Soft short drop (fraction)",
              "upper_voltage_limit_v": "Upper voltage limit (V)", "compliance_v": "Voltage compliance (V)"}

    def initializePage(self) -> None:  # noqa: N802
        wizard = self.wizard()
        formation = wizard is not None and wizard.protocol_page.is_formation()
        for box in (self.sweep_before, self.sweep_after):
            box.setEnabled(not formation)
            box.setToolTip("Formation cycles run without impedance sweeps" if formation else "")
        self.revalidate()

    def validate_entries(self) -> None:
        self.criteria = None
        values = self.read_all(ShortCriteria, {
            "hard_short_resistance_fraction": lambda: parse_number(self.hard.text(), "Hard short fraction"),
            "soft_short_drop_fraction": lambda: parse_number(self.soft.text(), "Soft short drop (fraction)"),
            "upper_voltage_limit_v": lambda: parse_number(self.upper.text(), "Upper voltage limit (V)"),
        })
        try:
            compliance = parse_number(self.compliance.text(), "Voltage compliance (V)")
        except ValueError as exc:
            self.problems.append(str(exc))
            compliance = None
        upper = values.get("upper_voltage_limit_v")
        if compliance is not None and upper is not None and upper > compliance:
            self.problems.append(f"Upper voltage limit ({upper:g} V) must not exceed the compliance "
                                 f"({compliance:g} V), or the source would clamp before the limit is seen.")
        for key, words in (("hard_short_resistance_fraction", "Hard short fraction"),
                           ("soft_short_drop_fraction", "Soft short drop (fraction)")):
            value = values.get(key)
            if value is not None and not 0 < value < 1:
                self.problems.append(f"{words} must be between 0 and 1 (not {value:g}): at {value:g} this "
                                     "criterion would never see a short, and the test would not stop at it.")
        if self.problems:
            return
        self.criteria = ShortCriteria(**values)
        wizard = self.wizard()
        if wizard is not None and wizard.cell_page.sample is not None:
            try:
                procedure = wizard.protocol_page.make_procedure(**self.extra())
            except ParameterError as exc:
                self.problems.append(exc.for_display(self.LABELS))
                return
            except ValueError:
                return  # the protocol page says what is wrong there
            self.warnings += wizard.session.concerns(procedure.parameters, wizard.cell_page.sample)

    def extra(self) -> dict:
        sweep = ImpedanceSweepParameters.paper()
        extra = {"compliance_v": parse_number(self.compliance.text(), "Voltage compliance (V)")}
        extra["sweep_before"] = sweep if self.sweep_before.isChecked() else None
        extra["sweep_after"] = sweep if self.sweep_after.isChecked() else None
        return extra


class ReviewPage(_Page):
    def __init__(self, wizard: CCDWizard):
        super().__init__("Review", "Nothing has been sent to the instruments yet. Start runs the test.")
        self.wizard_ = wizard
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        self.setCommitPage(True)
        self.setButtonText(QWizard.CommitButton, "Start run")

    def initializePage(self) -> None:  # noqa: N802
        self.revalidate()

    def validate_entries(self) -> None:
        w = self.wizard_
        self.text.setPlainText("")
        sample = w.cell_page.sample
        procedure, plan = w.session.preview(w.protocol_page.make_procedure(**w.safety_page.extra()), sample)
        w.procedure, w.plan = procedure, plan
        self.warnings += w.session.concerns(procedure.parameters, sample)
        self.text.setPlainText(review_text(sample, procedure, plan, w.safety_page.criteria, w.bench_description,
                                           self.warnings))


def review_text(sample, procedure, plan, criteria, bench: str, warnings: list[str]) -> str:
    """What the review page says: the cell, the protocol, the plan's steps and totals, in words."""
    p = procedure.parameters
    current_steps = [s for s in plan.steps if "current_density_mA_cm2" in s]
    sweeps = [s for s in plan.steps if "current_density_mA_cm2" not in s]
    js = [s["current_density_mA_cm2"] for s in current_steps]
    cycling_s = sum(s["duration_s"] for s in current_steps)
    if isinstance(p, FormationParameters):
        protocol = (f"Formation cycles: {', '.join(f'{j:g}' for j in js)} mA/cm² with half-cycles of "
                    f"{', '.join(duration_text(t) for t in p.half_cycles_s)}")
    else:
        each = (f"{p.capacity_mAh_cm2:g} mAh/cm² per half-cycle (constant capacity)" if p.capacity_mAh_cm2
                is not None else f"half-cycles of {duration_text(p.half_cycle_s)} (constant dwell)")
        protocol = (f"Critical current density: {js[0]:g} to {js[-1]:g} mA/cm² in steps of "
                    f"{p.step_current_density_mA_cm2:g} ({current_steps[0]['current_mA']:.4g} to "
                    f"{current_steps[-1]['current_mA']:.4g} mA), {each}")
    parts = [f"{len(current_steps)} current steps ({duration_text(cycling_s)})"]
    parts = ([f"{s['label']} ({duration_text(s['duration_s'])})" for s in sweeps if "before" in s["label"]]
             + parts + [f"{s['label']} ({duration_text(s['duration_s'])})" for s in sweeps if "after" in s["label"]])
    lines = [
        f"Cell: {sample.name}, {sample.surface_state}, pellet {sample.thickness_mm:g} mm, Na electrodes "
        f"{sample.electrode_diameter_mm:g} mm = {sample.area_cm2:.4f} cm²",
        f"Protocol: {protocol}; {p.cycles_per_step} cycle(s) per step, a sample every {p.sample_period_s:g} s, "
        f"compliance {p.compliance_v:g} V",
        f"Steps: {' · '.join(parts)}",
        f"In all: {len(plan.steps)} steps, {plan.n_points} points, at most {duration_text(plan.total_duration_s)} "
        "(the test ends earlier at the short" + (", with the sweep after it to confirm it)" if any(
            "after" in s["label"] for s in sweeps) else ")"),
        f"Short circuit: hard below {criteria.hard_short_resistance_fraction:g} × the ohmic resistance, soft on a "
        f"{criteria.soft_short_drop_fraction:.0%} drop of |V|, erratic voltage, contact loss above "
        f"{criteria.upper_voltage_limit_v:g} V",
        f"Bench: {bench}",
    ]
    lines += [f"Note: {note}" for note in getattr(plan, "notes", [])]
    lines += ["⚠ " + w for w in warnings]
    return "\n".join(lines)


def in_words(text: str) -> str:
    """An engine label as the window writes it: mA/cm², °C, and durations as '4 min 17 s'."""
    text = text.replace("mA/cm2", "mA/cm²").replace("degC", "°C")
    return re.sub(r"(\d+(?:\.\d+)?) s\b", lambda match: duration_text(float(match.group(1))), text)


def step_text(event, plan) -> str:
    """'3 of 32: 1.5 mA/cm² (0.8512 mA), half-cycles of 10 min 00 s': the step as the plan numbers it."""
    steps = plan.steps
    if plan.kind == "sequence":   # it numbers the steps of all its procedures; its plan counts the procedures
        return f"{event.step + 1}: {in_words(event.label)}"
    text = f"{event.step + 1} of {len(steps)}: {in_words(event.label)}"
    if 0 <= event.step < len(steps):
        planned = steps[event.step]
        j, half = planned.get("current_density_mA_cm2"), planned.get("half_cycle_s")
        if j is not None and f"{j:g} mA/cm" in event.label:
            if "half_cycles" in planned and half:
                text = (f"{event.step + 1} of {len(steps)}: {j:g} mA/cm² ({planned['current_mA']:.4g} mA), "
                        f"half-cycles of {duration_text(half)}")
            else:
                text = text.replace(" mA/cm²", f" mA/cm² ({planned['current_mA']:.4g} mA)", 1)
    return text


class RunPage(QWizardPage):
    def __init__(self, wizard: CCDWizard):
        super().__init__()
        self.setTitle("Running")
        self.wizard_ = wizard
        self.plot = CyclingPlot(time_unit="min")
        self.step_label = QLabel("—")
        self.step_label.setObjectName("step")
        self.state_label = QLabel("—")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.time_left = QLabel("—")
        self.abort_button = QPushButton("Abort")
        self.abort_button.setStyleSheet("font-weight: bold; color: #c62828;")
        self.abort_button.clicked.connect(self.abort)
        info = QFormLayout()
        info.addRow("Step", self.step_label)
        info.addRow("State", self.state_label)
        info.addRow("Time left", self.time_left)
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.abort_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addLayout(info)
        layout.addLayout(row)
        self.runner = None
        self.finished = None
        bridge = wizard.bridge
        bridge.points.connect(self._points)
        bridge.step.connect(self._step)
        bridge.state.connect(self._state)
        bridge.progress.connect(self._progress)
        bridge.safety.connect(self._safety)
        bridge.finished.connect(self._finished)

    def _following(self) -> bool:
        """Events are this page's while its run is the session's active one."""
        return self.runner is not None and self.finished is None

    def initializePage(self) -> None:  # noqa: N802
        w = self.wizard_
        self.plot.clear()
        self.finished = None
        self.runner = None
        session = w.session
        try:
            session.set_sample(w.cell_page.sample)
            self.runner = session.start_run(w.procedure, criteria=w.safety_page.criteria)
        except RunRefused as exc:
            self.setTitle("The run could not start")
            self.state_label.setText(str(exc))
            self.abort_button.setEnabled(False)
            return
        self.abort_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.setTitle(f"Running: run {self.runner.run_id} on {self.runner.sample.name}")

    def _state(self, event) -> None:
        if self._following():
            self.state_label.setText(event.state)
            if event.state == "paused" and event.time_s is not None:
                self.plot.mark_pause(event.time_s)
            elif event.state == "running" and event.time_s is not None and len(self.plot.buffer):
                self.plot.mark_resume(event.time_s)
            elif event.state == "stopping" and event.time_s is not None and len(self.plot.buffer):
                self.plot.mark_pause(event.time_s)  # the output is switched off now

    def _step(self, event) -> None:
        if not self._following():
            return
        self.step_label.setText(step_text(event, self.runner.plan))

    def _points(self, kind: str, points: list) -> None:
        if kind != "cycling" or not self._following():
            return
        t = np.fromiter((p.time_s for p in points), float, len(points))
        v = np.fromiter((p.values["voltage_v"] for p in points), float, len(points))
        j = np.fromiter((p.values["current_density_mA_cm2"] for p in points), float, len(points))
        self.plot.append(t, v, j)

    def _progress(self, progress) -> None:
        if not self._following():
            return
        self.progress.setValue(int(1000 * progress.fraction))
        self.progress.setFormat(percent_text(progress.fraction))  # as the window's status bar says it
        self.time_left.setText(time_left_text(progress, upper_bound=True))  # a short may end it before

    def _safety(self, event) -> None:
        if not self._following():
            return
        self.plot.mark_event(event.time_s, event.criterion.replace("_", " "))
        self.state_label.setText(safety_text(event))

    def _finished(self, finished) -> None:
        if not self._following() or finished.run_id != self.runner.run_id:
            return
        self.finished = finished
        self.abort_button.setEnabled(False)
        if finished.status in ("completed", "shorted"):
            # a CCD test that ends at the short has ended as planned: the bar is full, and says so
            self.progress.setValue(1000)
            self.progress.setFormat("completed" if finished.status == "completed" else "ended at the short")
        else:
            self.progress.setFormat(f"{finished.status} at %p%")
        self.time_left.setText("—")
        self.state_label.setText(f"{finished.status}: {finished.reason}" if finished.reason else finished.status)
        self.wizard_.run_finished.emit(finished)
        self.completeChanged.emit()

    def abort(self) -> None:
        if self._following():
            self.runner.abort("aborted by the user from the wizard")

    def isComplete(self) -> bool:  # noqa: N802
        return self.finished is not None


def ccd_text(finished) -> str:
    """The result's headline: a critical current density only where the test found one."""
    result = finished.result or {}
    ccd = result.get("critical_current_density_mA_cm2")
    failed_at = result.get("failed_at_current_density_mA_cm2")
    if finished.status == "shorted":
        if ccd is not None:
            return f"Critical current density: {ccd:g} mA/cm² (short at {failed_at:g} mA/cm²)" if failed_at \
                else f"Critical current density: {ccd:g} mA/cm²"
        return f"Critical current density: below {failed_at:g} mA/cm², the first step" if failed_at \
            else "Critical current density: below the first step"
    if finished.status == "completed" and "critical_current_density_mA_cm2" in result:
        highest = result.get("highest_step_without_short_mA_cm2", ccd)
        return f"No short: the critical current density is above {highest:g} mA/cm², the last step" if highest \
            else "No short"
    reached = f" at {failed_at:g} mA/cm²" if failed_at else ""
    return f"Run {finished.status}{reached}: no critical current density (the test did not reach a short)"


class ResultPage(QWizardPage):
    def __init__(self, wizard: CCDWizard):
        super().__init__()
        self.setTitle("Result")
        self.wizard_ = wizard
        self.ccd_label = QLabel()
        self.ccd_label.setObjectName("ccd")
        self.ccd_label.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.event_label = QLabel()
        self.event_label.setWordWrap(True)
        self.event_plot = CyclingPlot(time_unit="min")
        self.spectra = NyquistPlot()
        self.export_button = QPushButton("Export run data (CSV)…")
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.export_label = QLabel("")
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.event_plot)
        splitter.addWidget(self.spectra)
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addWidget(self.export_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.ccd_label)
        layout.addWidget(self.event_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(row)

    def initializePage(self) -> None:  # noqa: N802
        w = self.wizard_
        finished = w.run_page.finished
        self.ccd_label.setText(ccd_text(finished))
        run_id = finished.run_id
        store = w.store
        safety = store.events(run_id, "safety")
        cycling = store.points(run_id, "cycling")
        if safety:
            event = safety[0]
            t = event["time_s"]
            latency = event.get("output_off_latency_ms")
            self.event_label.setText(
                f"Run {run_id} {finished.status} at t = {duration_text(t)}: {safety_text(event)}"
                + (f" {latency:.1f} ms after the sample that showed it" if latency is not None else "")
                + f". {event['detail'][0].upper()}{event['detail'][1:]}."
            )
            keep = (cycling["time_s"] >= t - 120) & (cycling["time_s"] <= t + 30)
            self.event_plot.append(cycling["time_s"][keep], cycling["voltage_v"][keep],
                                   cycling["current_density_mA_cm2"][keep])
            self.event_plot.mark_event(t, event["criterion"].replace("_", " "))
            self.event_plot.zoom_to(t - 120, t + 30)
        else:
            self.event_label.setText(finished_text(finished))
            self.event_plot.append(cycling["time_s"], cycling["voltage_v"], cycling["current_density_mA_cm2"])
            self.event_plot.refresh(force=True)
        self._show_spectra(run_id)

    def _show_spectra(self, run_id: int) -> None:
        """Before and after spectra: the impedance points split at the start of cycling."""
        store = self.wizard_.store
        imp = store.points(run_id, "impedance")
        cyc = store.points(run_id, "cycling")
        if len(imp["seq"]) == 0:
            return
        first_cycling = cyc["seq"][0] if len(cyc["seq"]) else np.iinfo(np.int64).max
        before = imp["seq"] < first_cycling
        for name, mask in (("before cycling", before), ("after cycling", ~before)):
            if mask.any():
                self.spectra.set_spectrum(name, imp["frequency_hz"][mask], imp["z_real_ohm"][mask],
                                          imp["z_imag_ohm"][mask])

    def export_csv(self, path: str | None = None) -> Path | None:
        run_id = self.wizard_.run_page.finished.run_id
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export run data", f"run-{run_id}.csv", "CSV (*.csv)")
            if not path:
                return None
        try:
            written = self.wizard_.store.export_csv(run_id, path)
        except OSError as exc:
            self.export_label.setText(f"Not written to {path}: {exc.strerror or exc}. Choose a folder you can "
                                      "write to.")
            return None
        self.export_label.setText(f"Written to {written}")
        return written


class CCDWizard(QWizard):
    """Guides a CCD (or formation-cycles) test from the cell to its result."""

    run_finished = Signal(object)  # RunFinished

    def __init__(self, session, *, bridge: SessionBridge | None = None, settings: QSettings | None = None,
                 parent: QWidget | None = None):
        """``session``: the session whose bench runs the test; ``bridge``: its events on the GUI thread
        (the window's; the wizard makes its own when alone)."""
        super().__init__(parent)
        self.setWindowTitle("Critical current density test")
        self.setWizardStyle(QWizard.ClassicStyle)
        self.resize(1100, 720)
        self.session = session
        self.bench = session.bench
        self.store = session.store
        self.bridge = bridge if bridge is not None else SessionBridge(session, parent=self)
        self.procedure = None
        self.plan = None
        settings = settings if settings is not None else QSettings()
        kinds = ", ".join(f"{label}: {'emulated' if spec.emulated else 'real'}"
                          for (role, label, _i), spec in zip(self.bench.roles(), self.bench.config.roles.values(),
                                                              strict=True))
        self.bench_description = kinds
        self.cell_page = CellPage(settings, session.store)
        self.protocol_page = ProtocolPage(self.cell_page, settings)
        self.safety_page = SafetyPage(settings)
        self.review_page = ReviewPage(self)
        self.run_page = RunPage(self)
        self.result_page = ResultPage(self)
        for page in (self.cell_page, self.protocol_page, self.safety_page, self.review_page, self.run_page,
                     self.result_page):
            self.addPage(page)
        self.setOption(QWizard.NoBackButtonOnLastPage, True)

    def reject(self) -> None:
        runner = self.run_page.runner
        if runner is not None and self.run_page.finished is None:
            runner.abort("the wizard was closed")
            runner.wait(10)
            self.bridge.drain()
        super().reject()
