"""The stationary points of the surface in the visible domain, listed with coordinates, f and curvature.

The points come from the model's analysis layer (:class:`explorer.analysis.Analysis`: found once per change
of surface or ranges, off the GUI thread); this table only shows them, numbers rounded for people (the exact
value is in each cell's tooltip and is what the columns sort by). Double-clicking a row moves the selected
run's start next to that point, so a learner can watch what an optimizer does near a saddle or a maximum.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from explorer.summary import for_people

PLURALS = {"minimum": "minima", "maximum": "maxima", "saddle": "saddles", "degenerate": "degenerate points"}
SYMBOLS = {"minimum": "▼ minimum", "maximum": "▲ maximum", "saddle": "✕ saddle", "degenerate": "◆ degenerate"}


class _Number(QTableWidgetItem):
    """A cell that shows the value for people and sorts by the exact value."""

    def __init__(self, value: float) -> None:
        super().__init__(for_people(value))
        self.value = float(value)
        self.setToolTip(repr(self.value))
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        return self.value < getattr(other, "value", float("inf"))


def columns(variables) -> list[str]:
    names = list(variables)
    return ["kind", *names, f"f({', '.join(names)})", *(f"λ{chr(0x2081 + i)}" for i in range(len(names)))]


class CriticalPointList(QWidget):
    """A sortable table of ``model.analysis.critical`` (see the module docstring)."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.points: list | None = None
        self.status = QLabel("Looking for critical points…")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.cellDoubleClicked.connect(self._start_near)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        model.analysis.critical_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        m = self._model
        if m.surface is None:
            self.points = None
            self.table.setRowCount(0)
            self.status.setText("No surface yet.")
            return
        points = m.analysis.critical
        if points is None:
            self.points = None
            self.table.setRowCount(0)
            self.status.setText("Looking for critical points…")
            return
        self._show(points)

    def _show(self, points) -> None:
        self.points = list(points)
        headers = columns(self._model.variables)
        self.table.setSortingEnabled(False)
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(self.points))
        for row, p in enumerate(self.points):
            kind = QTableWidgetItem(SYMBOLS.get(p.kind, p.kind))
            kind.setData(Qt.ItemDataRole.UserRole, row)
            values = [*map(float, p.xy), float(p.value), *map(float, p.eigenvalues)]
            for col, item in enumerate([kind, *map(_Number, values)]):
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        f_column = 1 + len(self._model.variables)
        self.table.sortItems(f_column, Qt.SortOrder.AscendingOrder)   # lowest f first: the global minimum on top
        counts = {k: sum(p.kind == k for p in self.points) for k in SYMBOLS}
        summary = ", ".join(f"{n} {k if n == 1 else PLURALS[k]}" for k, n in counts.items() if n)
        self.status.setText(f"In view: {summary or 'no critical points'}. Double-click a row to start "
                            "the selected run next to it.")

    def _start_near(self, row: int, _col: int) -> None:
        m = self._model
        index = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if self.points is None or not (0 <= m.selected < len(m.runs)):
            return
        point = [float(v) for v in self.points[index].xy]
        # Exactly at a stationary point the gradient is zero and nothing moves: start 2 % of the view away.
        start = tuple(v + 0.02 * (hi - lo) for v, (lo, hi) in zip(point, m.ranges, strict=True))
        m.set_run(m.selected, replace(m.runs[m.selected], start=start))
