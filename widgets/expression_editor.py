"""The formula field: type f(x, y), see at once whether it compiles and where it is wrong.

Every edit is compiled off the GUI thread (:class:`~widgets.workers.CompileWorker`, newest request wins).
A good formula replaces the model's surface; a bad one leaves the last good surface on screen and shows
the typed text again under the field with the offending characters marked in red, and the message beside.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from explorer.model import Comparison
from widgets.workers import CompileWorker

ERROR_COLOR = "#d62728"
OK_COLOR = "#2a9d3a"


def marked_html(text: str, start: int, end: int) -> str:
    """``text`` as rich text with characters ``start:end`` underlined in red (a red caret if empty)."""
    start = min(max(start, 0), len(text))
    end = min(max(end, start), len(text))
    style = f"color:{ERROR_COLOR}; text-decoration:underline; font-weight:bold"
    middle = html.escape(text[start:end]) if end > start else "\u2038"  # ‸ caret where something is missing
    return (f"<span style='white-space:pre'>{html.escape(text[:start])}"
            f"<span style='{style}; background-color:rgba(214,39,40,40)'>{middle}</span>"
            f"{html.escape(text[end:])}</span>")


class ExpressionEditor(QWidget):
    """``f(x, y) =`` line edit, live error display and the x/y range editors, bound to a Comparison."""

    surface_applied = Signal(object)   # a compiled surface was handed to the model
    error_shown = Signal(object)       # an ExpressionError is now displayed

    def __init__(self, model: Comparison, parent: QWidget | None = None, *,
                 worker: CompileWorker | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._worker = worker or CompileWorker(self)
        self._worker.compiled.connect(self._on_compiled)
        self._worker.failed.connect(self._on_failed)
        self.error = None   # the ExpressionError shown, or None

        self.line_edit = QLineEdit(model.expression)
        self.line_edit.setPlaceholderText("type a loss surface in x and y, e.g. (1 - x)^2 + 100 (y - x^2)^2")
        self.line_edit.setClearButtonEnabled(True)
        self.line_edit.setAccessibleName("surface formula")
        font = self.line_edit.font()
        font.setFamilies(["DejaVu Sans Mono", "Monospace"])
        font.setPointSizeF(max(font.pointSizeF() * 1.25, 13.0))
        self.line_edit.setFont(font)
        self.line_edit.textEdited.connect(self._on_edited)

        self.marked = QLabel()      # the typed text with the error span in red
        self.marked.setTextFormat(Qt.TextFormat.RichText)
        self.marked.setFont(font)
        self.message = QLabel()     # what is wrong, or that the formula is fine
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.x_min, self.x_max, self.y_min, self.y_max = (self._range_box() for _ in range(4))
        ranges = QHBoxLayout()
        for text, box in (("x from", self.x_min), ("to", self.x_max), ("   y from", self.y_min),
                          ("to", self.y_max)):
            ranges.addWidget(QLabel(text))
            ranges.addWidget(box)
        ranges.addStretch(1)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        label = QLabel("f(x, y) =")
        label.setFont(font)
        grid.addWidget(label, 0, 0)
        grid.addWidget(self.line_edit, 0, 1)
        grid.addWidget(self.marked, 1, 1)
        grid.addWidget(self.message, 2, 1)
        grid.addLayout(ranges, 3, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)   # keep the rows together at the top when the formula panel is taller

        model.surface_changed.connect(self._sync_from_model)
        self._sync_from_model()
        self._show_ok()

    # ------------------------------------------------------------------ model -> widget
    def _range_box(self) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-1e6, 1e6)
        box.setDecimals(3)
        box.setKeyboardTracking(False)
        box.setMinimumWidth(90)
        box.valueChanged.connect(self._on_range_edited)
        return box

    def _sync_from_model(self) -> None:
        m = self._model
        for box, value in zip((self.x_min, self.x_max, self.y_min, self.y_max), (*m.x_range, *m.y_range),
                              strict=True):
            if box.value() != value:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)
        if self.error is None and self.line_edit.text() != m.expression:
            self.line_edit.setText(m.expression)

    # ------------------------------------------------------------------ widget -> model
    def set_text(self, text: str) -> None:
        """Replace the formula as if typed (used by menus and tests)."""
        self.line_edit.setText(text)
        self._on_edited(text)

    def _on_edited(self, text: str) -> None:
        if not text.strip():
            self._show_error_text(text, 0, 0, "type a formula in x and y")
            return
        self._worker.request(text, self._model.parameters)

    def _on_compiled(self, text: str, surface) -> None:
        if text != self.line_edit.text():
            return   # the field changed meanwhile; its own request is on the way
        self.error = None
        self._model.set_surface(surface)
        self._show_ok()
        self.surface_applied.emit(surface)

    def _on_failed(self, text: str, error) -> None:
        if text != self.line_edit.text():
            return
        self.error = error
        self._show_error_text(text, error.start, error.end, getattr(error, "message", str(error)))
        self.error_shown.emit(error)

    def _on_range_edited(self) -> None:
        x = (self.x_min.value(), self.x_max.value())
        y = (self.y_min.value(), self.y_max.value())
        if x[0] < x[1] and y[0] < y[1]:
            self._model.set_ranges(x, y)
            if self.error is None:
                self._show_ok()
        else:
            self.message.setText(f"<span style='color:{ERROR_COLOR}'>each range needs min &lt; max</span>")

    # ------------------------------------------------------------------ display
    def _show_ok(self) -> None:
        self.marked.clear()
        self.marked.hide()
        self._set_frame_color(None)
        if self._model.surface is not None:
            self.message.setText(f"<span style='color:{OK_COLOR}'>\u2714 compiled</span>")
        else:
            self.message.clear()

    def _show_error_text(self, text: str, start: int, end: int, message: str) -> None:
        self.marked.setText(marked_html(text, start, end))
        self.marked.setVisible(bool(text))
        kept = " — the last good surface stays on screen" if self._model.surface is not None else ""
        shown = html.escape(message, quote=False)
        self.message.setText(f"<span style='color:{ERROR_COLOR}'>\u2716 {shown}</span>{kept}")
        self._set_frame_color(ERROR_COLOR)

    def _set_frame_color(self, color: str | None) -> None:
        self.line_edit.setStyleSheet(f"QLineEdit {{ border: 2px solid {color}; }}" if color else "")
        self.line_edit.setProperty("invalid", color is not None)
