"""File > Import…: bring users' own impedance and cycling files into the workspace.

The dialog only collects the files and the sample they were measured on, and shows what happens: the
import itself is the session's (``Session.import_files``), run on a worker thread so that the window
stays live; its progress comes back through a queue drained by a timer on the GUI thread. Each file
gets one line: the runs it became, the runs it was already in, or why it could not be read.
"""

from __future__ import annotations

import collections
import math
import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.ccd_wizard import SURFACE_STATES
from workbench.cell import Sample, SampleError

FILE_FILTER = ("Impedance and cycling files (*.mpr *.mpt *.DTA *.dta *.z *.par *.txt *.csv *.tsv *.dat);;"
               "All files (*)")
ERROR_COLOUR = "#b71c1c"


class ImportDialog(QDialog):
    """Files, the sample they were measured on, an Import button, and one result line per file."""

    #: emitted on the GUI thread when a batch has ended, with the outcomes
    imported = Signal(list)

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Import files")
        self.resize(760, 620)
        self.outcomes: list = []
        self._queue: collections.deque = collections.deque()
        self._cancel = threading.Event()
        self._worker: threading.Thread | None = None

        self.files = QListWidget()
        self.files.setSelectionMode(QListWidget.ExtendedSelection)
        add = QPushButton("Add files…")
        add.clicked.connect(self.choose_files)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        self.add_button, self.remove_button = add, remove
        file_buttons = QHBoxLayout()
        file_buttons.addWidget(add)
        file_buttons.addWidget(remove)
        file_buttons.addStretch(1)

        sample = session.sample
        self.name = QLineEdit(sample.name)
        self.surface = QComboBox()
        self.surface.addItems(SURFACE_STATES)
        self.surface.setCurrentText(sample.surface_state)
        self.thickness = QLineEdit(f"{sample.thickness_mm:g}")
        self.diameter = QLineEdit(f"{sample.electrode_diameter_mm:g}")
        self.temperature = QLineEdit("")
        self.temperature.setPlaceholderText("not recorded")
        self.temperature.setToolTip("The temperature the files were measured at, for an Arrhenius plot of a "
                                    "series; leave empty if unknown.")
        self.area = QLabel("")
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {ERROR_COLOUR};")
        form = QFormLayout()
        form.addRow("Sample name", self.name)
        form.addRow("Surface history", self.surface)
        form.addRow("Pellet thickness (mm)", self.thickness)
        form.addRow("Na electrode diameter (mm)", self.diameter)
        form.addRow("Electrode area", self.area)
        form.addRow("Temperature (°C)", self.temperature)
        form.addRow(self.problem)
        for edit in (self.name, self.thickness, self.diameter, self.temperature):
            edit.textChanged.connect(self._validate)
        self.surface.currentTextChanged.connect(self._validate)

        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m files")
        self.progress.setValue(0)
        self.status = QLabel("Add the files to import: EC-Lab .mpr/.mpt, Gamry .DTA, ZView .z, VersaStudio .par, "
                             "Autolab, CH Instruments, PARSTAT, Maccor, Neware, Arbin, CSV.")
        self.status.setWordWrap(True)
        self.results = QListWidget()
        self.results.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.AcceptRole)
        self.cancel_button = self.buttons.addButton("Stop", QDialogButtonBox.RejectRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.Close)
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.stop)
        self.close_button.clicked.connect(self.close)
        self.cancel_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Files"))
        layout.addWidget(self.files, 1)
        layout.addLayout(file_buttons)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._drain)
        self._validate()

    # --- what to import ------------------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import files", "", FILE_FILTER)
        self.add_files(paths)

    def add_files(self, paths) -> None:
        present = set(self.paths())
        for path in paths:
            path = Path(path)
            if path not in present:
                item = QListWidgetItem(path.name)
                item.setToolTip(str(path))
                item.setData(Qt.UserRole, str(path))
                self.files.addItem(item)
                present.add(path)
        self._validate()

    def _remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._validate()

    def paths(self) -> list[Path]:
        return [Path(self.files.item(i).data(Qt.UserRole)) for i in range(self.files.count())]

    def sample_and_temperature(self) -> tuple[Sample | None, float | None, list[str]]:
        """The sample typed (None if a field is wrong), the temperature (None if empty), the problems."""
        problems = []
        numbers = {}
        for key, edit, label in (("thickness_mm", self.thickness, "Pellet thickness (mm)"),
                                 ("electrode_diameter_mm", self.diameter, "Na electrode diameter (mm)")):
            try:
                numbers[key] = float(edit.text().replace(",", "."))
            except ValueError:
                problems.append(f"{label}: expected a number, found {edit.text()!r}.")
        sample = None
        if not problems:
            try:
                sample = Sample(self.name.text().strip(), self.surface.currentText(), **numbers)
            except SampleError as exc:
                problems.append(f"{exc.field.replace('_', ' ')}: {exc.message}")
        temperature = None
        text = self.temperature.text().strip().replace(",", ".")
        if text:
            try:
                temperature = float(text)
            except ValueError:
                temperature = math.nan
            if not (math.isfinite(temperature) and -273.15 < temperature < 2000):
                problems.append(f"Temperature (°C): expected degrees C above -273.15, found {self.temperature.text()!r}"
                                " (leave it empty if unknown).")
                temperature = None
        return sample, temperature, problems

    def _validate(self, *_args) -> None:
        sample, _temperature, problems = self.sample_and_temperature()
        self.area.setText(f"{sample.area_cm2:.4f} cm²" if sample else "—")
        self.problem.setText("\n".join(problems))
        running = self._worker is not None
        self.import_button.setEnabled(not running and not problems and self.files.count() > 0)

    # --- the import ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Import the listed files on a worker thread; results come back line by line."""
        sample, temperature, problems = self.sample_and_temperature()
        paths = self.paths()
        if problems or sample is None or not paths or self._worker is not None:
            return
        self.results.clear()
        self.outcomes = []
        self.progress.setMaximum(len(paths))
        self.progress.setValue(0)
        self.status.setText(f"Importing {len(paths)} file{'s' if len(paths) > 1 else ''} as {sample.name} "
                            f"({sample.surface_state})…")
        self._cancel.clear()
        self.import_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.add_button.setEnabled(False)
        self.remove_button.setEnabled(False)

        def work():
            try:
                outcomes = self.session.import_files(
                    paths, sample, temperature_c=temperature,
                    progress=lambda done, total, outcome: self._queue.append(("file", (done, total, outcome))),
                    cancelled=self._cancel.is_set)
                self._queue.append(("done", outcomes))
            except Exception as exc:  # noqa: BLE001 - shown to the user, one line
                self._queue.append(("failed", f"{type(exc).__name__}: {exc}"))

        self._worker = threading.Thread(target=work, name="import", daemon=True)
        self._worker.start()
        self._timer.start()

    def stop(self) -> None:
        """Stop after the file being read."""
        self._cancel.set()
        self.status.setText("Stopping after the file being read…")

    def _drain(self) -> None:
        while self._queue:
            kind, value = self._queue.popleft()
            if kind == "file":
                done, total, outcome = value
                self.progress.setValue(done)
                self._add_result(outcome)
                self.status.setText(f"{done} of {total}: {outcome.path.name}")
            elif kind == "done":
                self._finish(value, None)
            else:
                self._finish(self.outcomes, value)

    def _add_result(self, outcome) -> None:
        self.outcomes.append(outcome)
        item = QListWidgetItem(outcome.text())
        item.setToolTip(str(outcome.path))
        if not outcome.ok:
            item.setForeground(QBrush(QColor(ERROR_COLOUR)))
        self.results.addItem(item)

    def _finish(self, outcomes, failure: str | None) -> None:
        self._timer.stop()
        if self._worker is not None:
            self._worker.join(timeout=5)
        self._worker = None
        self.cancel_button.setEnabled(False)
        self.add_button.setEnabled(True)
        self.remove_button.setEnabled(True)
        runs = sum(len(o.run_ids) for o in outcomes)
        bad = [o for o in outcomes if not o.ok]
        skipped = [o for o in outcomes if o.duplicate_of]
        parts = [f"{runs} run{'s' if runs != 1 else ''} imported from {len(outcomes) - len(bad) - len(skipped)} "
                 f"file{'s' if len(outcomes) - len(bad) - len(skipped) != 1 else ''}"]
        if skipped:
            parts.append(f"{len(skipped)} already imported")
        if bad:
            parts.append(f"{len(bad)} not readable (in red)")
        if len(outcomes) < self.progress.maximum():
            parts.append(f"stopped before {self.progress.maximum() - len(outcomes)} file(s)")
        if failure:
            parts.append(f"the import stopped: {failure}")
        self.status.setText("; ".join(parts) + ".")
        self._validate()
        self.imported.emit(list(outcomes))

    @property
    def running(self) -> bool:
        return self._worker is not None

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._worker is not None:
            self._cancel.set()
            self._worker.join(timeout=30)
            self._drain()
        super().closeEvent(event)
