"""The stationary points of the surface in the visible domain, listed with coordinates, f and curvature.

Computed with :func:`explorer.critical.critical_points` on a worker thread whenever the surface or the ranges
change (newest request wins). Double-clicking a row moves the selected run's start next to that point, so a
learner can watch what an optimizer does near a saddle or a maximum.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from explorer.critical import critical_points
from widgets.basin_view import LatestJobRunner

COLUMNS = ("kind", "x", "y", "f(x, y)", "λ₁", "λ₂")
PLURALS = {"minimum": "minima", "maximum": "maxima", "saddle": "saddles", "degenerate": "degenerate points"}
SYMBOLS = {"minimum": "▼ minimum", "maximum": "▲ maximum", "saddle": "✕ saddle", "degenerate": "◆ degenerate"}


class _Number(QTableWidgetItem):
    """A cell that sorts by its value, not its text."""

    def __init__(self, value: float) -> None:
        super().__init__(f"{value:.6g}")
        self.value = float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        return self.value < getattr(other, "value", float("inf"))


class CriticalPointList(QWidget):
    """A sortable table of the critical points of ``model.surface`` over ``model.x_range × model.y_range``."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.points: list | None = None
        self.status = QLabel("Computing critical points…")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
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
        self._runner = LatestJobRunner(self)
        self._runner.finished.connect(self._show)
        self._runner.failed.connect(lambda exc: self.status.setText(f"Could not search: {exc}"))
        model.surface_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        m = self._model
        self.points = None
        self.table.setRowCount(0)
        if m.surface is None:
            self.status.setText("No surface yet.")
            return
        self.status.setText("Computing critical points…")
        surface, xr, yr = m.surface, tuple(m.x_range), tuple(m.y_range)
        self._runner.submit(lambda progress, cancelled: critical_points(surface, xr, yr))

    def wait(self, msecs: int = 30_000) -> bool:
        return self._runner.wait(msecs)

    def _show(self, points) -> None:
        self.points = list(points)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.points))
        for row, p in enumerate(self.points):
            kind = QTableWidgetItem(SYMBOLS.get(p.kind, p.kind))
            kind.setData(Qt.ItemDataRole.UserRole, row)
            values = [float(p.xy[0]), float(p.xy[1]), float(p.value), *map(float, p.eigenvalues)]
            for col, item in enumerate([kind, *map(_Number, values)]):
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(3, Qt.SortOrder.AscendingOrder)   # lowest f first: the global minimum on top
        counts = {k: sum(p.kind == k for p in self.points) for k in SYMBOLS}
        summary = ", ".join(f"{n} {k if n == 1 else PLURALS[k]}" for k, n in counts.items() if n)
        self.status.setText(f"In view: {summary or 'no critical points'}. Double-click a row to start "
                            "the selected run next to it.")

    def _start_near(self, row: int, _col: int) -> None:
        m = self._model
        index = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        if self.points is None or not (0 <= m.selected < len(m.runs)):
            return
        x, y = (float(v) for v in self.points[index].xy)
        # Exactly at a stationary point the gradient is zero and nothing moves: start 2 % of the view away.
        dx = 0.02 * (m.x_range[1] - m.x_range[0])
        dy = 0.02 * (m.y_range[1] - m.y_range[0])
        m.set_run(m.selected, replace(m.runs[m.selected], start=(x + dx, y + dy)))
