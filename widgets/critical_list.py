"""The stationary points of the surface in the visible domain, listed with coordinates, f and curvature.

The points come from the model's analysis layer (:class:`explorer.analysis.Analysis`: found once per change
of surface or ranges, off the GUI thread); this table only shows them, numbers rounded for people (the exact
value is in each cell's tooltip and is what the columns sort by). Double-clicking a row moves the selected
run's start next to that point, so a learner can watch what an optimizer does near a saddle or a maximum.

Any number of variables: a point is classified by the signs of its Hessian's eigenvalues (its *index* is the
number of negative ones: 0 a minimum, d a maximum, in between a saddle) and listed with all of them. Up to
three variables each coordinate and eigenvalue has a column; with more, the point and the eigenvalues are
written out in one column each (in full in the tooltip). For three or more variables "Slice Through It" makes
the map's slice pass through the selected point.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

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


WIDE = 3      # more variables than this: the point and the eigenvalues in one column each


def _subscript(i: int) -> str:
    return "".join(chr(0x2080 + int(c)) for c in str(i))


def columns(variables) -> list[str]:
    names = list(variables)
    f = f"f({', '.join(names)})" if len(names) <= WIDE else f"f({names[0]}, …)"
    if len(names) > WIDE:
        return ["kind", "point", f, "index", "eigenvalues of the Hessian"]
    index = ["index"] if len(names) == WIDE else []
    return ["kind", *names, f, *index, *(f"λ{_subscript(i + 1)}" for i in range(len(names)))]


def _listed(values) -> str:
    """"(0, 0, 0, 1)": each number for people, a rounding residue (≈ 0) as 0."""
    return "(" + ", ".join(for_people(float(v)).replace("≈ 0", "0") for v in values) + ")"


class _Text(QTableWidgetItem):
    """A cell with a written-out vector that sorts by a number (the first coordinate, the smallest λ)."""

    def __init__(self, text: str, key: float, tip: str) -> None:
        super().__init__(text)
        self.value = float(key)
        self.setToolTip(tip)

    def __lt__(self, other) -> bool:
        return self.value < getattr(other, "value", float("inf"))


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
        self.slice_button = QPushButton("Slice Through It")
        self.slice_button.setToolTip("Make the map and the 3-D view show the slice through the selected point")
        self.slice_button.clicked.connect(self.slice_through_selected)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.slice_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        model.surface_changed.connect(self._enable_slice)
        self._enable_slice()
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
        d = len(self._model.variables)
        for row, p in enumerate(self.points):
            kind = QTableWidgetItem(SYMBOLS.get(p.kind, p.kind))
            kind.setData(Qt.ItemDataRole.UserRole, row)
            lam = [float(v) for v in p.eigenvalues]
            if d > WIDE:
                names = self._model.variables
                tip = "\n".join(f"{n} = {float(v)!r}" for n, v in zip(names, p.xy, strict=True))
                items = [kind, _Text(_listed(p.xy), float(p.xy[0]), tip), _Number(float(p.value)),
                         _Text(str(int(p.index)), int(p.index), "the number of negative eigenvalues"),
                         _Text(_listed(lam), lam[0], "\n".join(f"λ{_subscript(i + 1)} = {v!r}"
                                                             for i, v in enumerate(lam)))]
            else:
                index = [_Text(str(int(p.index)), int(p.index), "the number of negative eigenvalues")] \
                    if d == WIDE else []
                items = [kind, *(_Number(float(v)) for v in p.xy), _Number(float(p.value)), *index,
                         *map(_Number, lam)]
            for col, item in enumerate(items):
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        f_column = 1 + (d if d <= WIDE else 1)
        self.table.sortItems(f_column, Qt.SortOrder.AscendingOrder)   # lowest f first: the global minimum on top
        counts = {k: sum(p.kind == k for p in self.points) for k in SYMBOLS}
        summary = ", ".join(f"{n} {k if n == 1 else PLURALS[k]}" for k, n in counts.items() if n)
        self.table.resizeColumnToContents(0)
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

    # ------------------------------------------------------------------ slices
    def _enable_slice(self, *_args) -> None:
        sliced = self._model.surface is not None and self._model.ndim >= 3
        self.slice_button.setVisible(sliced)

    def slice_through_selected(self) -> bool:
        """Anchor the map's slice at the selected row's point (three or more variables); False if none."""
        from dataclasses import replace

        m = self._model
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if self.points is None or not rows or m.ndim < 3:
            return False
        index = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        m.view.update({"slice": replace(m.view.slice, anchor="critical", critical=int(index), racer=None, point=None)})
        return True
