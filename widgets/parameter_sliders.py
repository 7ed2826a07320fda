"""A slider per parameter: names other than x and y in the formula (``a x^2 + b y^2``) become live knobs.

Each row holds the name, the lower bound, the slider, the upper bound and the exact value. Values go to
``model.set_parameters`` (the surface is re-parameterised with ``Surface.with_parameters`` — no recompile —
and the race recomputed); the ranges live in ``model.view.parameter_ranges`` as ``{name: (lo, hi)}`` so
both travel in the preset. A dragged slider fires dozens of times a second; moves are condensed with a
single-shot timer (:data:`CONDENSE_MS`) so only the latest value is applied.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSlider, QWidget

SLIDER_STEPS = 1000
CONDENSE_MS = 30


def default_range(value: float) -> tuple[float, float]:
    """A range around ``value`` wide enough to explore: value ± 2·max(|value|, 0.5)."""
    half = 2.0 * max(abs(value), 0.5)
    return (value - half, value + half)


def _spin(decimals: int = 4) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(-1e9, 1e9)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)    # apply a typed number on Enter/focus-out, not per keystroke
    box.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons)
    box.setMinimumWidth(58)      # not the width of "-1000000000.0000": the panel must fit a narrow column
    return box


class _Row:
    def __init__(self, name: str) -> None:
        self.name = name
        self.label = QLabel(f"<b>{name}</b>")
        self.low = _spin()
        self.high = _spin()
        self.value = _spin(6)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setMinimumWidth(90)
        self.low.setToolTip(f"lowest value of {name} on the slider")
        self.high.setToolTip(f"highest value of {name} on the slider")


class ParameterSliders(QWidget):
    """Rows of name · min · slider · max · value for every parameter of the model's surface."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.rows: dict[str, _Row] = {}
        self._pending: dict[str, float] = {}
        self._pins: dict[str, tuple[float, float]] = {}    # ranges to store with the pending values
        self._timer = QTimer(self, singleShot=True, interval=CONDENSE_MS)
        self._timer.timeout.connect(self._apply_pending)
        self._grid = QGridLayout(self)
        self._empty = QLabel("No parameters: any other letter in the formula (e.g. a and b in a x^2 + b y^2) "
                             "becomes a parameter with a slider here.")
        self._empty.setWordWrap(True)
        model.surface_changed.connect(self._on_surface_changed)
        model.view.events.parameter_ranges.connect(self._on_ranges_changed)
        self._rebuild()

    # ------------------------------------------------------------------ model -> widgets
    def ranges(self) -> dict[str, tuple[float, float]]:
        """name -> (lo, hi) for the current parameters (stored ranges, else :func:`default_range`)."""
        stored = self._model.view.parameter_ranges
        out = {}
        for name, value in self._model.parameters.items():
            lo, hi = stored.get(name, default_range(value))
            lo, hi = min(lo, value), max(hi, value)
            out[name] = (float(lo), float(hi)) if hi > lo else default_range(value)
        return out

    def _on_surface_changed(self) -> None:
        if set(self.rows) != set(self._model.parameters):
            self._rebuild()
        else:
            self._sync()

    def _on_ranges_changed(self, _ranges) -> None:
        self._sync()

    def _rebuild(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None and item.widget() is not self._empty:
                item.widget().deleteLater()
        self.rows = {}
        names = list(self._model.parameters)
        self._empty.setVisible(not names)
        if not names:
            self._grid.addWidget(self._empty, 0, 0)
            return
        for r, name in enumerate(names):
            row = _Row(name)
            for c, w in enumerate((row.label, row.low, row.slider, row.high, row.value)):
                self._grid.addWidget(w, r, c)
            row.slider.valueChanged.connect(lambda pos, n=name: self._slider_moved(n, pos))
            row.value.valueChanged.connect(lambda v, n=name: self._value_typed(n, v))
            row.low.valueChanged.connect(lambda _v, n=name: self._range_typed(n))
            row.high.valueChanged.connect(lambda _v, n=name: self._range_typed(n))
            self.rows[name] = row
        self._grid.setColumnStretch(2, 1)
        self._sync()

    def _sync(self) -> None:
        """Show the model's values and ranges without echoing them back."""
        ranges = self.ranges()
        for name, row in self.rows.items():
            value = self._model.parameters.get(name, 0.0)
            if name in self._pending:      # the user is still dragging: keep the slider where it is
                continue
            lo, hi = ranges[name]
            for w in (row.low, row.high, row.value, row.slider):
                w.blockSignals(True)
            row.low.setValue(lo)
            row.high.setValue(hi)
            row.value.setValue(value)
            row.slider.setValue(self._position(value, lo, hi))
            for w in (row.low, row.high, row.value, row.slider):
                w.blockSignals(False)

    @staticmethod
    def _position(value: float, lo: float, hi: float) -> int:
        return int(round((value - lo) / (hi - lo) * SLIDER_STEPS)) if hi > lo else 0

    def value_at(self, name: str, position: int) -> float:
        """The parameter value a slider position stands for (rounded to 4 significant digits of the span)."""
        lo, hi = self.ranges()[name]
        value = lo + (hi - lo) * position / SLIDER_STEPS
        digits = max(0, 3 - int(math.floor(math.log10(hi - lo)))) if hi > lo else 6
        return round(value, digits)

    # ------------------------------------------------------------------ widgets -> model
    def _slider_moved(self, name: str, position: int) -> None:
        if name not in self._model.view.parameter_ranges:   # pin the default range before it follows
            self._pins[name] = self.ranges()[name]
        value = self.value_at(name, position)
        row = self.rows[name]
        row.value.blockSignals(True)
        row.value.setValue(value)
        row.value.blockSignals(False)
        self._pending[name] = value
        self._timer.start()      # restart: only the latest move within CONDENSE_MS is applied

    def _value_typed(self, name: str, value: float) -> None:
        lo, hi = self.ranges()[name]
        if not lo <= value <= hi:     # widen the range to include a typed value
            self._pins[name] = (min(lo, value), max(hi, value))
        self._pending[name] = value
        self._apply_pending()

    def _range_typed(self, name: str) -> None:
        row = self.rows[name]
        lo, hi = row.low.value(), row.high.value()
        if hi <= lo:
            self._sync()     # refuse an empty range: show the stored one again
            return
        value = min(max(self._model.parameters.get(name, lo), lo), hi)
        self._pins[name] = (lo, hi)
        if value != self._model.parameters.get(name):
            self._pending[name] = value
        self._apply_pending()

    def _apply_pending(self) -> None:
        """Hand the pending values (and the ranges they pinned) to the model as one undoable edit."""
        self._timer.stop()
        pending, self._pending = self._pending, {}
        pins, self._pins = self._pins, {}
        names = tuple(sorted({*pending, *pins}))
        if names:
            with self._model.edit(f"Change {', '.join(names)}", ("parameters", names)):
                if pins:
                    stored = dict(self._model.view.parameter_ranges)
                    stored.update({n: (float(lo), float(hi)) for n, (lo, hi) in pins.items()})
                    self._model.view.parameter_ranges = stored
                if pending:
                    self._model.set_parameters(pending)
        self._sync()

    def closeEvent(self, event) -> None:
        self._model.surface_changed.disconnect(self._on_surface_changed)
        self._model.view.events.parameter_ranges.disconnect(self._on_ranges_changed)
        super().closeEvent(event)
