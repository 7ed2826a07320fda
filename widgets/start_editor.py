"""A run's start: one number per variable, each box named after its variable (1 to 20 of them).

Two boxes a row (one for one variable), so ten variables take five rows of the runs panel. Typing a number and
pressing Enter (or leaving the box) emits ``edited`` with the whole start; setting the values from the model
(:meth:`StartEditor.show_start`) emits nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSizePolicy, QWidget

PER_ROW = 2


class StartEditor(QWidget):
    """See the module docstring. ``boxes`` and ``labels`` hold one spin box and one name per variable."""

    edited = Signal(tuple)      # the start, one float per variable

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(2)
        self.boxes: list[QDoubleSpinBox] = []
        self.labels: list[QLabel] = []
        self._syncing = False

    def show_start(self, names, values) -> None:
        """Show ``values`` (one per variable in ``names``; missing ones as 0) without emitting ``edited``."""
        names = list(names)
        if [label.text() for label in self.labels] != names:
            self._build(names)
        self._syncing = True
        try:
            for k, box in enumerate(self.boxes):
                box.setValue(float(values[k]) if k < len(values) else 0.0)
        finally:
            self._syncing = False

    def values(self) -> tuple[float, ...]:
        return tuple(box.value() for box in self.boxes)

    def _build(self, names: list[str]) -> None:
        for widget in self.boxes + self.labels:
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self.boxes, self.labels = [], []
        per_row = 1 if len(names) == 1 else PER_ROW
        for k, name in enumerate(names):
            label = QLabel(name)
            box = QDoubleSpinBox()
            box.setRange(-1e6, 1e6)
            box.setDecimals(4)
            box.setSingleStep(0.1)
            box.setKeyboardTracking(False)
            box.setMinimumWidth(70)
            box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            box.setAccessibleName(f"start {name}")
            label.setBuddy(box)
            box.valueChanged.connect(self._on_value)
            row, col = divmod(k, per_row)
            self.grid.addWidget(label, row, 2 * col)
            self.grid.addWidget(box, row, 2 * col + 1)
            self.labels.append(label)
            self.boxes.append(box)

    def _on_value(self, _value: float) -> None:
        if not self._syncing:
            self.edited.emit(self.values())
