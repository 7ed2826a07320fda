"""The data rows as a small editable table: type into a cell, paste rows, add and delete rows.

Every change goes through the model (``model.set_data``) as one undoable edit and recomputes the surface and
the paths, exactly like dragging a point in the data pane. A cell that is not a finite number is refused with
the row and column named under the table; the data stay as they were. Pasted text is CSV or tab-separated
rows of numbers (a header row naming the columns is skipped), checked as a whole by
:func:`explorer.data.parse_csv` before anything changes.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from explorer.data import MAX_ROWS, DataError, parse_csv
from explorer.events import Bindings

ERROR_COLOR = "#d62728"


class RowsModel(QAbstractTableModel):
    """The comparison's data rows (as given, before any standardising) for a QTableView."""

    def __init__(self, model, table: DataTable) -> None:
        super().__init__(table)
        self._model = model
        self._table = table

    def _rows(self) -> np.ndarray:
        spec = self._model.dataspec
        return spec.dataset.rows if spec is not None else np.empty((0, 0))

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else self._rows().shape[0]

    def columnCount(self, parent=None) -> int:
        spec = self._model.dataspec
        return 0 if parent is not None and parent.isValid() or spec is None else len(spec.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return None
        value = float(self._rows()[index.row(), index.column()])
        return f"{value:.10g}" if role == Qt.ItemDataRole.DisplayRole else repr(value)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        spec = self._model.dataspec
        if orientation == Qt.Orientation.Horizontal:
            return spec.columns[section] if spec is not None and section < len(spec.columns) else None
        return str(section + 1)

    def flags(self, index):
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        return self._table.set_cell(index.row(), index.column(), str(value))

    def refresh(self) -> None:
        """Follow the model: new values in place (an open editor stays), a reset when the shape changed."""
        spec = self._model.dataspec
        shape = (self.rowCount(), self.columnCount(), spec.columns if spec is not None else ())
        if shape == getattr(self, "_shape", None) and shape[0] and shape[1]:
            self.dataChanged.emit(self.index(0, 0), self.index(shape[0] - 1, shape[1] - 1))
        else:
            self.beginResetModel()
            self.endResetModel()
        self._shape = shape


class DataTable(QWidget):
    """Rows table with Add Row / Delete Rows / Paste buttons, bound to a :class:`~explorer.model.Comparison`."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.rows = RowsModel(model, self)
        self.view = QTableView()
        self.view.setModel(self.rows)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.add_button = QPushButton("Add Row")
        self.delete_button = QPushButton("Delete Rows")
        self.paste_button = QPushButton("Paste Rows")
        self.add_button.setToolTip("Append a copy of the last row (then edit it)")
        self.delete_button.setToolTip("Delete the selected rows (Delete)")
        self.paste_button.setToolTip("Append rows copied from a spreadsheet or a CSV file (Ctrl+V)")
        self.add_button.clicked.connect(self.add_row)
        self.delete_button.clicked.connect(self.delete_selected)
        self.paste_button.clicked.connect(self.paste)
        QShortcut(QKeySequence.StandardKey.Paste, self.view, self.paste,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence.StandardKey.Delete, self.view, self.delete_selected,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for b in (self.add_button, self.delete_button, self.paste_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self._bindings = Bindings(((model.data_changed, self._refresh), (model.loaded, self._refresh)))
        self._refresh()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def _refresh(self, *_args) -> None:
        self.rows.refresh()
        has = self._model.dataspec is not None
        for b in (self.add_button, self.delete_button, self.paste_button):
            b.setEnabled(has)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(f"<span style='color:{ERROR_COLOR}'>{text}</span>" if error else text)

    # ------------------------------------------------------------------ edits
    def set_cell(self, row: int, column: int, text: str) -> bool:
        """Set one cell from typed text; a bad number is refused and named (returns False)."""
        m = self._model
        spec = m.dataspec
        name = spec.columns[column]
        try:
            value = float(text.strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or abs(value) > 1e150:
            self._say(f"row {row + 1}, column '{name}': {text.strip()!r} is not a finite number; the row is "
                      "unchanged", error=True)
            return False
        values = spec.dataset.rows[row].copy()
        values[column] = value
        self._say("")
        with m.edit(f"Edit row {row + 1}"):
            m.set_data(spec.dataset.with_row(row, values))
        return True

    def add_row(self) -> None:
        m = self._model
        spec = m.dataspec
        if spec is None:
            return
        if len(spec.dataset) >= MAX_ROWS:
            self._say(f"at most {MAX_ROWS:,} rows", error=True)
            return
        values = spec.dataset.rows[-1] if len(spec.dataset) else np.zeros(len(spec.columns))
        with m.edit("Add a data row"):
            m.set_data(spec.dataset.with_added(values))
        self.view.scrollToBottom()

    def delete_selected(self) -> None:
        m = self._model
        spec = m.dataspec
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})
        if spec is None or not rows:
            return
        if len(rows) >= len(spec.dataset):
            self._say("At least one row stays: a loss over no rows is undefined.", error=True)
            return
        kept = np.delete(spec.dataset.rows, rows, axis=0)
        from explorer.data import Dataset

        with m.edit(f"Delete {len(rows)} row{'s' if len(rows) > 1 else ''}"):
            m.set_data(Dataset(spec.columns, kept))
        self._say("")

    def paste(self, text: str | None = None) -> bool:
        """Append the rows in ``text`` (default: the clipboard); returns False (and says why) if they do not
        fit the columns."""
        m = self._model
        spec = m.dataspec
        if spec is None:
            return False
        text = QGuiApplication.clipboard().text() if text is None else text
        lines = [line.replace("\t", ",") for line in text.splitlines() if line.strip()]
        if not lines:
            self._say("Nothing to paste: copy rows of numbers first.", error=True)
            return False
        header = [c.strip() for c in lines[0].split(",")]
        if header != list(spec.columns):
            lines.insert(0, ",".join(spec.columns))
        try:
            pasted = parse_csv("\n".join(lines), "pasted text")
        except DataError as err:
            # parse_csv counts the header we added as row 1: the user's first pasted line is row 1 too
            shift = 0 if header == list(spec.columns) else 1
            where = ", ".join(p for p in (f"row {err.row - shift}" if err.row else "",
                                          f"column '{err.column}'" if err.column else "") if p)
            self._say(f"pasted text{': ' + where if where else ''}: {err.problem}; nothing was added", error=True)
            return False
        if len(spec.dataset) + len(pasted) > MAX_ROWS:
            self._say(f"at most {MAX_ROWS:,} rows", error=True)
            return False
        from explorer.data import Dataset

        with m.edit(f"Paste {len(pasted)} row{'s' if len(pasted) != 1 else ''}"):
            m.set_data(Dataset(spec.columns, np.vstack([spec.dataset.rows, pasted.rows])))
        self._say(f"added {len(pasted)} row{'s' if len(pasted) != 1 else ''}")
        self.view.scrollToBottom()
        return True
