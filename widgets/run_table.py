"""A table of the runs at the current step: step reached, loss, ‖∇f‖, position and status.

Numbers are rounded for people (:func:`explorer.summary.for_people`: ``-3.77e-15`` is "≈ 0", ``60.7333…``
is "60.73"); the status says in words how a run ended ("converged at step 37", "diverged at step 12", "ran
all 600 steps"). Columns are sized for the widest text a run can show, so nothing is cut off.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.model import Comparison
from explorer.summary import ZERO, for_people, outcome_words
from widgets.throttle import Throttle

RUN_COLUMN_MAX = 210
STEP_REFRESH_MS = 66   # during playback the numbers update ~15 times a second: readable, and cheap
COLUMNS = ("Run", "Status", "Step", "Loss", "‖∇f‖", "Position (x, y)")


def status_text(traj, step: int) -> str:
    """What a run is doing at ``step``: still moving, or how and when it finished, in words."""
    if traj is None:
        return "not computed"
    if step < traj.stop_step:
        return "running"
    return outcome_words(traj.status, traj.stop_step)


_fmt = for_people


class RunTable(QWidget):
    def __init__(self, model: Comparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        # fixed widths, fitted when runs or trajectories change: resizing to contents on every step is slow
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_select)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        for signal in (model.runs_changed, model.run_changed, model.trajectories_changed):
            signal.connect(self._refit)
        model.surface_changed.connect(self._name_columns)
        self._name_columns()
        self._throttled_refresh = Throttle(self.refresh, STEP_REFRESH_MS, self)
        model.step_changed.connect(self._throttled_refresh)
        model.selection_changed.connect(self._show_selection)
        self._refit()

    def _refit(self, *_args) -> None:
        """Refresh, then size the columns for the widest value the runs can show."""
        m = self._model
        self._fill(m.max_step)   # the last step typically shows the widest values (statuses, diverged)
        widths = [self.table.sizeHintForColumn(c) for c in range(len(COLUMNS))]
        self._fill(m.step)
        widths = [max(w, self.table.sizeHintForColumn(c)) for c, w in enumerate(widths)]
        widths[0] = min(widths[0], RUN_COLUMN_MAX)     # a long label is elided (its tooltip has it all)
        # a loss or gradient norm between the first and the last step can be wider than both ("1.234 × 10⁻⁵"
        # where they read "12.5" and "≈ 0"): room for the widest a number for people can be at any step of
        # these runs, never "1.… …" (and no room wasted at 1024 px where no value needs powers of ten)
        metrics = self.table.fontMetrics()
        for name, values in (("Loss", lambda t: t.loss), ("‖∇f‖", lambda t: np.linalg.norm(t.grads, axis=-1))):
            texts = ["−888.888"]
            for traj in m.trajectories:
                if traj is None:
                    continue
                v = np.abs(np.asarray(values(traj), dtype=float))
                v = v[np.isfinite(v) & (v >= ZERO)]
                if v.size and (v.min() < 1e-4 or v.max() >= 1e6):
                    texts.append("−8.888 × 10⁻¹⁸")
                    break
            c = COLUMNS.index(name)
            widths[c] = max(widths[c], max(metrics.horizontalAdvance(t) for t in texts) + 8)
        header = self.table.horizontalHeader()
        for c, w in enumerate(widths[:-1]):
            header.resizeSection(c, max(w + 16, header.sectionSizeHint(c)))

    def _name_columns(self, *_args) -> None:
        names = ", ".join(self._model.variables)
        self.table.setHorizontalHeaderLabels([*COLUMNS[:-1], f"Position ({names})"])

    def cell(self, row: int, column: str) -> str:
        return self.table.item(row, COLUMNS.index(column)).text()

    def refresh(self, *_args) -> None:
        """Show the current step."""
        self._fill(self._model.step)

    def _fill(self, step: int) -> None:
        m = self._model
        if self.table.rowCount() != len(m.runs):
            self.table.setRowCount(len(m.runs))
            self._show_selection(m.selected)
        for i, run in enumerate(m.runs):
            traj = m.trajectories[i]
            if traj is None:
                values = (run.label, m.errors[i] or "not computed", "–", "–", "–", "–")
            else:
                k = min(step, traj.stop_step)
                position = ", ".join(_fmt(float(v)) for v in traj.points[k])
                values = (run.label, status_text(traj, step), str(k), _fmt(traj.loss[k]),
                          _fmt(float(np.linalg.norm(traj.grads[k]))), f"({position})")
            for column, text in enumerate(values):
                item = self.table.item(i, column)
                if item is None:
                    item = QTableWidgetItem()
                    if 1 < column < len(COLUMNS) - 1:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(i, column, item)
                if item.text() != text:
                    item.setText(text)
            swatch = self.table.item(i, 0)
            swatch.setToolTip(run.label)
            swatch.setData(Qt.ItemDataRole.DecorationRole, QColor(m.color_of(i)))
            swatch.setData(Qt.ItemDataRole.ForegroundRole, None if run.visible else QColor("gray"))

    def _show_selection(self, index: int) -> None:
        self.table.blockSignals(True)
        if 0 <= index < self.table.rowCount():
            self.table.selectRow(index)
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)

    def _on_select(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if rows:
            self._model.select(min(rows))
