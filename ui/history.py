"""Run history: every stored run with its sample, kind, date, status and key result; open one back
into the plots, export it, or select several and compare them."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.ccd_outcome import ccd_summary

ALARM_RED = "#b00020"


def started_text(started_at: str | None) -> str:
    """When a run started, in this computer's local time with its zone ('2026-12-02 18:07:49 UTC'), as
    the status bar's times are; the store keeps UTC."""
    if not started_at:
        return ""
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return started_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or local.strftime('%z')}"


def key_result(record, analysis: dict | None = None) -> str:
    """The one number a user looks for first in a run's result; ``analysis``: the interface resistance kept
    with the run when it was fitted (its ``text``, with uncertainty and method)."""
    result = record.result or {}
    if (record.abort_reason or "").startswith("THE CURRENT MAY STILL BE ON"):
        return record.abort_reason      # before any result: someone may touch the cell
    if analysis and analysis.get("text"):
        return f"R_int {analysis['text']}"
    found = ccd_summary(record.status, result)   # a CCD only where a short ended the test
    if found:
        return found
    if result.get("r_interface_ohm_cm2") is not None:
        return f"R_int {result['r_interface_ohm_cm2']:.3g} Ω cm²"
    if result.get("n_points") is not None:
        source = f" from {result['source_file']}" if result.get("source_file") else ""
        return f"{result['n_points']} points{source}"
    return record.abort_reason or ""


class HistoryPanel(QWidget):
    """A table of the store's runs."""

    open_requested = Signal(int)
    compare_requested = Signal(list)
    series_requested = Signal(list)
    COLUMNS = ["Run", "Sample", "Surface", "Kind", "Started", "Status", "Key result"]

    def __init__(self, store, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self._open())
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, slot, tip in [
            ("Refresh", self.refresh, "Read the list of runs again"),
            ("Open", self._open, "Show the selected run in the plots"),
            ("Compare", self._compare, "Compare the selected runs: spectra and interface resistance by surface"),
            ("Fit series", self._series, "Fit one circuit to the selected spectra; parameter against temperature"),
            ("Export CSV…", self._export, "Write the selected run's data to a CSV file"),
        ]:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            setattr(self, f"{text.split()[0].lower()}_button", button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        records = list(reversed(self.store.runs()))
        analyses = self.store.latest_results()
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            cells = [str(record.id), record.sample_name or "", record.surface_state or "", record.kind,
                     started_text(record.started_at), record.status,
                     key_result(record, analyses.get(record.id))]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, record.id)
                if record.abort_reason:
                    item.setToolTip(record.abort_reason)
                    if record.abort_reason.startswith("THE CURRENT MAY STILL BE ON") and col >= 5:
                        item.setForeground(QColor(ALARM_RED))   # status and key result: an alarm
                self.table.setItem(row, col, item)
        self.message.setText(f"{len(records)} runs in {self.store.path}")

    def selected_run_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [int(self.table.item(row, 0).data(Qt.UserRole)) for row in rows]

    def select_runs(self, run_ids) -> None:
        wanted = set(run_ids)
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.MultiSelection)
        for row in range(self.table.rowCount()):
            if int(self.table.item(row, 0).data(Qt.UserRole)) in wanted:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _open(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) != 1:
            self.message.setText("Select one run to open.")
            return
        self.open_requested.emit(ids[0])

    def _compare(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) < 2:
            self.message.setText("Select two or more runs to compare (Ctrl-click or Shift-click).")
            return
        self.compare_requested.emit(ids)

    def _series(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) < 2:
            self.message.setText("Select two or more spectra (e.g. a temperature series) to fit as a series.")
            return
        self.series_requested.emit(ids)

    def _export(self, path: str | None = None) -> None:
        ids = self.selected_run_ids()
        if len(ids) != 1:
            self.message.setText("Select one run to export.")
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export run data", f"run-{ids[0]}.csv", "CSV (*.csv)")
        if path:
            try:
                written = self.store.export_csv(ids[0], path)
            except OSError as exc:
                self.message.setText(f"Run {ids[0]} was not written to {path}: {exc.strerror or exc}. "
                                     "Choose a folder you can write to.")
                return
            self.message.setText(f"Run {ids[0]} written to {written}")
