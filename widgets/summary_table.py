"""The summary of a comparison as a sortable table: status, steps to tolerance, final loss, distance to the
nearest known minimum and gradient evaluations per run (numbers from :mod:`explorer.summary`).

Click a header to sort (numbers sort as numbers; "never" and "—" sort last), Ctrl+C copies the selected rows
as tab-separated text (with the header, ready for a spreadsheet), "Export CSV…" writes the whole table.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from explorer.summary import RunSummary, summarize_comparison, summary_cells, write_summary_csv

COLUMNS = ["Run", "Status", "Steps to tolerance", "Final loss", "Distance to minimum", "Gradient evals"]
_CELL_OF_COLUMN = [1, 3, 4, 5, 6, 7]     # index into summary_cells()
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_NUMERIC = {2, 3, 4, 5}


def _sort_key(row: RunSummary, column: int):
    value = [row.label, row.status, row.steps_to_tolerance, row.final_loss, row.distance_to_minimum,
             row.grad_evals][column]
    if column in _NUMERIC:   # None / nan sort after every number
        return math.inf if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    return value


class SummaryModel(QAbstractTableModel):
    """Rows of :func:`explorer.summary.summarize_comparison`, refreshed when the comparison changes."""

    def __init__(self, comparison, parent=None) -> None:
        super().__init__(parent)
        self.comparison = comparison
        self.rows: list[RunSummary] = []
        for signal in (comparison.trajectories_changed, comparison.runs_changed, comparison.run_changed,
                       comparison.settings_changed, comparison.surface_changed):
            signal.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        self.beginResetModel()
        self.rows = summarize_comparison(self.comparison)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return summary_cells(row)[_CELL_OF_COLUMN[column]]
        if role == SORT_ROLE:
            return _sort_key(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QColor(self.comparison.color_of(row.index))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.message or None
        return None

    def disconnect_comparison(self) -> None:
        for signal in (self.comparison.trajectories_changed, self.comparison.runs_changed,
                       self.comparison.run_changed, self.comparison.settings_changed,
                       self.comparison.surface_changed):
            signal.disconnect(self.refresh)


class SummaryTable(QWidget):
    """The summary table with Export CSV…; ``table`` is the QTableView, ``proxy`` its sort model."""

    def __init__(self, comparison, parent=None) -> None:
        super().__init__(parent)
        self.comparison = comparison
        self.source = SummaryModel(comparison, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)   # file order until a header is clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.source.modelReset.connect(self.table.resizeColumnsToContents)
        self.table.resizeColumnsToContents()
        self.table.installEventFilter(self)   # the view's own Ctrl+C copies one cell; ours copies rows
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(lambda: self.export_csv())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.destroyed.connect(self.source.disconnect_comparison)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress and event.matches(
                QKeySequence.StandardKey.Copy):
            self.copy_selection()
            return True
        return super().eventFilter(watched, event)

    def visible_rows(self) -> list[list[str]]:
        """The displayed text, in the current sort order."""
        return [[self.proxy.index(r, c).data() for c in range(self.proxy.columnCount())]
                for r in range(self.proxy.rowCount())]

    def selection_tsv(self) -> str:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedIndexes()})
        lines = ["\t".join(COLUMNS)]
        lines += ["\t".join(self.proxy.index(r, c).data() for c in range(len(COLUMNS))) for r in rows]
        return "\n".join(lines) + "\n"

    def copy_selection(self) -> None:
        if self.table.selectionModel().hasSelection():
            QApplication.clipboard().setText(self.selection_tsv())

    def _save_path_dialog(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export summary", "summary.csv", "CSV files (*.csv)")
        return path

    def export_csv(self, path: str | None = None) -> bool:
        path = path or self._save_path_dialog()
        if not path:
            return False
        try:
            write_summary_csv(self.source.rows, path)
        except OSError as err:
            QMessageBox.warning(self, "Could not export", f"Could not write {path}: {err.strerror or err}")
            return False
        return True
