"""The formula field: type f(x, y); the comparison changes only when the text is complete and valid.

Half-typed text never replaces the comparison. While the user types, the field says "typing…"; after a short
pause (:data:`APPLY_AFTER_MS`) the text is compiled off the GUI thread (the job runner's ``compile`` channel,
newest request wins) and, if it is valid and looks finished, handed to the model. Enter applies at once (a
valid text, finished or not); Esc puts back the formula the comparison has and hands the keyboard back to the
map; the applied formula is one Ctrl+Z away (the window's undo, see :mod:`widgets.undo`). A text that does
not compile leaves the comparison as it was and shows the typed text again under the field with the
offending characters marked in red, and the message beside.

"Looks finished": the text compiles and does not end in a name that is the beginning of a function's name
(``x + s`` is on its way to ``x + sin(y)``, not a parameter ``s``; Enter applies it anyway).

When the model's formula changes from elsewhere (a lesson opened, File ▸ New, undo, Reset lesson) the field
shows the new formula and any error or half-typed text is dropped.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QWidget

from explorer.model import Comparison
from widgets import jobs

ERROR_COLOR = "#d62728"
OK_COLOR = "#2a9d3a"
TYPING_COLOR = "#8a6d00"
APPLY_AFTER_MS = 1000      # a pause this long after the last keystroke applies a finished, valid formula
COMPILE_TIMEOUT = 5.0      # seconds of symbolic work allowed per formula
_LAST_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*$")


def marked_html(text: str, start: int, end: int) -> str:
    """``text`` as rich text with characters ``start:end`` underlined in red (a red caret if empty)."""
    start = min(max(start, 0), len(text))
    end = min(max(end, start), len(text))
    style = f"color:{ERROR_COLOR}; text-decoration:underline; font-weight:bold"
    middle = html.escape(text[start:end]) if end > start else "\u2038"  # ‸ caret where something is missing
    return (f"<span style='white-space:pre'>{html.escape(text[:start])}"
            f"<span style='{style}; background-color:rgba(214,39,40,40)'>{middle}</span>"
            f"{html.escape(text[end:])}</span>")


def looks_unfinished(text: str) -> bool:
    """True when ``text`` ends in a name that only begins a function's name (``x + s``, ``x + ex``)."""
    from explorer.expression import FUNCTIONS

    match = _LAST_NAME.search(text)
    if match is None or match[1] in FUNCTIONS:
        return False
    return any(f != match[1] and f.startswith(match[1]) for f in FUNCTIONS)


def parse_variables(text: str) -> tuple[str, ...]:
    """The names typed in the variables field ("x1, x2, x3" or "x1 x2 x3"), checked: 1 to 20 names of letters,
    digits and _, no function or constant, none twice. Raises ``ExpressionError`` saying which name is wrong."""
    from explorer.expression import check_names

    names = tuple(n for n in re.split(r"[\s,;]+", text.strip()) if n)
    return check_names(names, "variable", at_least=1)


def _compile(text: str, parameters: dict[str, float], **over_data):
    """``over_data``: the variables, and for a comparison with data (issue 12) the data rows and reduction:
    the typed text is then the loss of one example, in those variables and the data's column names."""
    from explorer.surface import compile_surface

    return compile_surface(text, dict(parameters), timeout=COMPILE_TIMEOUT, **over_data)


class ExpressionEditor(QWidget):
    """``f(x, y) =`` line edit, its status line and the x/y range editors, bound to a Comparison."""

    surface_applied = Signal(object)   # a compiled surface was handed to the model
    error_shown = Signal(object)       # an ExpressionError is now displayed
    done_editing = Signal()            # Enter or Esc: the keyboard may go back to the map

    def __init__(self, model: Comparison, parent: QWidget | None = None, *, compile_fn=_compile) -> None:
        super().__init__(parent)
        self._model = model
        self._compile_fn = compile_fn
        self.error = None           # the ExpressionError shown, or None
        self._applied = model.expression   # the formula the field last took from / gave to the model
        self._apply_when_compiled = False
        self._force = False
        self._requested = None      # the text whose compilation is running
        self.channel = jobs.channel(self, "compile", on_superseded=_cancel_compile_worker)
        self.channel.finished.connect(self._on_compiled)
        self.channel.failed.connect(self._on_failed)
        self.pause = QTimer(self, singleShot=True, interval=APPLY_AFTER_MS)
        self.pause.timeout.connect(lambda: self._request(force=False))

        self.line_edit = QLineEdit(model.expression)
        self.line_edit.setCursorPosition(0)
        self.line_edit.setPlaceholderText("type a loss surface in x and y, e.g. (1 - x)^2 + 100 (y - x^2)^2")
        self.line_edit.setClearButtonEnabled(True)
        self.line_edit.setAccessibleName("surface formula")
        self.line_edit.setToolTip("Enter applies the formula, Esc puts back the current one, Ctrl+Z undoes it")
        font = self.line_edit.font()
        font.setFamilies(["DejaVu Sans Mono", "Monospace"])
        font.setPointSizeF(max(font.pointSizeF() * 1.2, 13.0))
        self.line_edit.setFont(font)
        self.line_edit.textEdited.connect(self._on_edited)
        self.line_edit.returnPressed.connect(self.apply)
        self.line_edit.installEventFilter(self)
        # the variables being optimised (issue 13): 1 to 20 names; every other free letter is a parameter
        self.variables_label = QLabel("variables")
        self.variables_edit = QLineEdit(", ".join(model.variables))
        self.variables_edit.setAccessibleName("variables")
        self.variables_edit.setToolTip("The variables the optimizers move, 1 to 20 names separated by commas "
                                       "(any other letter in the formula is a parameter with a slider). Enter "
                                       "applies, Esc puts back the current ones.")
        self.variables_edit.setFont(font)
        self.variables_edit.setMinimumWidth(self.variables_edit.fontMetrics().horizontalAdvance("x1, x2, x3, x4"))
        self.variables_edit.setMaximumWidth(self.variables_edit.fontMetrics().horizontalAdvance("x" * 22))
        self.variables_edit.setCursorPosition(0)
        self.variables_edit.textEdited.connect(self._on_edited)
        self.variables_edit.returnPressed.connect(self.apply)
        self.variables_edit.installEventFilter(self)
        self._applied_variables = tuple(model.variables)

        self.marked = QLabel()      # the typed text with the error span in red
        self.marked.setTextFormat(Qt.TextFormat.RichText)
        self.marked.setFont(font)
        self.marked.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.marked.hide()
        self.message = QLabel()     # what is wrong, that it is being typed, or that the formula is in use
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.setMinimumWidth(self.message.fontMetrics().horizontalAdvance("✔ in use  "))

        self.x_min, self.x_max, self.y_min, self.y_max = (self._range_box() for _ in range(4))
        self.status_row = QWidget()
        status = QHBoxLayout(self.status_row)
        status.setContentsMargins(0, 0, 0, 0)
        status.addWidget(self.message, 1)
        self.range_labels = [QLabel(t) for t in ("x", "to", "  y", "to")]
        for label, box in zip(self.range_labels, (self.x_min, self.x_max, self.y_min, self.y_max), strict=True):
            status.addWidget(label)
            status.addWidget(box)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        self.label = QLabel("f(x, y) =")
        self.label.setFont(font)
        grid.addWidget(self.label, 0, 0)
        grid.addWidget(self.line_edit, 0, 1)
        grid.addWidget(self.variables_label, 0, 2)
        grid.addWidget(self.variables_edit, 0, 3)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(self.status_row, 1, 0, 1, 4)   # under the label too: "f(volatility, rate) =" costs no width
        grid.addWidget(self.marked, 2, 0, 1, 4)
        grid.setColumnStretch(1, 1)

        model.surface_changed.connect(self._sync_from_model)
        self._sync_from_model()
        self._show_ok()

    # ------------------------------------------------------------------ model -> widget
    def _range_box(self) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-1e6, 1e6)
        box.setDecimals(3)
        box.setKeyboardTracking(False)
        box.setMinimumWidth(72)
        box.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons)
        box.valueChanged.connect(self._on_range_edited)
        return box

    def _sync_from_model(self) -> None:
        m = self._model
        names = list(m.variables)
        letter = "ℓ" if m.data is not None and m.surface is not None and m.surface.columns else "f"
        self.label.setText(f"{letter}({', '.join(names)}) =" if len(names) <= 3 else f"{letter}({names[0]}, …) =")
        self.label.setToolTip("ℓ: the loss of one data row; f is its mean (or sum) over the rows"
                              if letter == "ℓ" else "")
        two = m.ndim == 2
        for widget in (self.y_min, self.y_max, *self.range_labels[2:]):
            widget.setVisible(two)
        for widget in (self.x_min, self.x_max, *self.range_labels[:2]):
            widget.setVisible(m.ndim <= 2)
        self.range_labels[0].setText(names[0] if names else "x")
        if two:
            self.range_labels[2].setText(f"  {names[1]}")
        for box, value in zip((self.x_min, self.x_max, self.y_min, self.y_max), (*m.x_range, *m.y_range),
                              strict=True):
            if box.value() != value:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)
        if m.expression != self._applied or tuple(m.variables) != self._applied_variables:
            self.show_model_formula()       # changed elsewhere: a lesson, New, undo, Reset lesson

    def show_model_formula(self) -> None:
        """Drop whatever is typed or wrong and show the comparison's formula."""
        self._applied = self._model.expression
        self._applied_variables = tuple(self._model.variables)
        self.pause.stop()
        self.channel.cancel()
        self._requested, self._apply_when_compiled = None, False
        self.error = None
        if self.line_edit.text() != self._applied:
            self.line_edit.setText(self._applied)
            self.line_edit.setCursorPosition(0)    # a long formula reads from its start
        shown = ", ".join(self._applied_variables)
        if self.variables_edit.text() != shown and self._typed_variables() != self._applied_variables:
            self.variables_edit.setText(shown)
            self.variables_edit.setCursorPosition(0)
        self._show_ok()

    def set_compact(self, compact: bool, scale: float = 1.0) -> None:
        """Presentation mode: just the formula, its type ``scale`` times larger (it has a font of its own, so
        the application's larger type does not reach it); the status and ranges row shows only while typing or
        wrong."""
        self._compact = compact
        base = getattr(self, "_base_point_size", None)
        if base is None:
            base = self._base_point_size = self.line_edit.font().pointSizeF()
        for widget in (self.line_edit, self.variables_edit, self.marked, self.label):
            font = widget.font()
            font.setPointSizeF(base * (scale if compact else 1.0))
            widget.setFont(font)
        self._show_status_row()

    def _show_status_row(self) -> None:
        quiet = getattr(self, "_compact", False) and self.error is None and not self.pending
        self.status_row.setVisible(not quiet)

    @property
    def pending(self) -> bool:
        """True while typed text has not been applied or refused yet."""
        return self.pause.isActive() or self.channel.busy

    @property
    def dirty(self) -> bool:
        """True when the fields hold a formula or variables other than the comparison's."""
        return (self.line_edit.text() != self._model.expression
                or self._typed_variables() != tuple(self._model.variables))

    def _typed_variables(self) -> tuple[str, ...] | None:
        """The names in the variables field, or None when they are not valid names."""
        from explorer.expression import ExpressionError

        try:
            return parse_variables(self.variables_edit.text())
        except ExpressionError:
            return None

    def set_variables(self, text: str) -> None:
        """Type ``text`` into the variables field and press Enter (used by menus, tests and benchmarks)."""
        self.variables_edit.setText(text)
        self._on_edited(text)
        self.apply()

    # ------------------------------------------------------------------ widget -> model
    def set_text(self, text: str) -> None:
        """Replace the formula as if typed and Enter pressed (used by menus, tests and benchmarks)."""
        self.line_edit.setText(text)
        self._on_edited(text)
        self.apply()

    def apply(self) -> None:
        """Apply the typed text now if it compiles (Enter); the keyboard goes back to the map once it is in
        use (a mistake keeps it in the field)."""
        self.pause.stop()
        if not self.dirty:
            self.show_model_formula()
            self.done_editing.emit()
            return
        self._request(force=True)

    def revert(self) -> None:
        """Esc: put back the comparison's formula."""
        self.show_model_formula()
        self.done_editing.emit()

    def _on_edited(self, _text: str = "") -> None:
        self.pause.stop()
        text = self.line_edit.text()
        if not text.strip():
            self.channel.cancel()
            self._show_error_text(text, 0, 0, "type a formula in x and y")
            return
        if not self.dirty and self._typed_variables() is not None:
            self.show_model_formula()
            return
        self.error = None
        self.marked.hide()
        self._set_frame_color(None)
        self.message.setText(f"<span style='color:{TYPING_COLOR}'>typing… Enter applies, Esc puts back "
                             "the current formula</span>")
        self.status_row.setVisible(True)
        self.pause.start()

    def _request(self, *, force: bool) -> None:
        from explorer.expression import ExpressionError

        text = self.line_edit.text()
        if not text.strip() or not self.dirty and self._typed_variables() is not None:
            return
        try:
            variables = parse_variables(self.variables_edit.text())
        except ExpressionError as error:      # refused here, before any compiling: the comparison stays
            self.channel.cancel()
            self._requested = None
            self._show_variables_error(error)
            return
        self._apply_when_compiled = True
        self._force = force
        if self._requested == (text, variables) and self.channel.busy:
            return
        self._requested = (text, variables)
        parameters, compile_fn = dict(self._model.parameters), self._compile_fn
        m = self._model
        if compile_fn is _compile:
            over = {"variables": variables}
            if m.data is not None:      # a per-example loss over the comparison's data
                over.update(data=m.data, reduction=m.surface.reduction)
            compile_fn = lambda text, parameters: _compile(text, parameters, **over)  # noqa: E731
        elif variables != tuple(m.variables):
            compile_fn = lambda text, parameters, f=compile_fn: f(text, parameters, variables=variables)  # noqa: E731
        self.channel.submit(lambda progress, cancelled: (text, variables, compile_fn(text, parameters)))

    def _on_compiled(self, payload) -> None:
        text, variables, surface = payload
        self._requested = None
        if text != self.line_edit.text() or variables != self._typed_variables():
            return   # the fields changed meanwhile
        self.error = None
        if not self._apply_when_compiled or (not self._force and looks_unfinished(text)):
            self.message.setText(f"<span style='color:{TYPING_COLOR}'>valid, not applied yet: "
                                 "press Enter to use it</span>")
            return
        self._apply_when_compiled = False
        self._applied = surface.text
        self._applied_variables = tuple(surface.variable_names)
        if self._applied_variables != tuple(self._model.variables):
            self._model.set_variables(surface)    # ranges and starts follow the names (one undo step)
        else:
            self._model.set_surface(surface)
        self._show_ok()
        self.surface_applied.emit(surface)
        if self._force:
            self.done_editing.emit()

    def _on_failed(self, error) -> None:
        text = self._requested[0] if self._requested else self.line_edit.text()
        self._requested = None
        if text != self.line_edit.text():
            return
        from explorer.expression import ExpressionError

        if not isinstance(error, ExpressionError):
            error = ExpressionError(f"could not compile: {error}", 0, len(text))
        self.error = error
        self._show_error_text(text, error.start, error.end, getattr(error, "message", str(error)))
        self.error_shown.emit(error)

    def _on_range_edited(self) -> None:
        x = (self.x_min.value(), self.x_max.value())
        y = (self.y_min.value(), self.y_max.value()) if self._model.ndim == 2 else (0.0, 1.0)
        if x[0] < x[1] and y[0] < y[1]:
            self._model.set_ranges(x, y if self._model.ndim == 2 else None)
            if self.error is None and not self.pending:
                self._show_ok()
        else:
            self.message.setText(f"<span style='color:{ERROR_COLOR}'>each range needs min &lt; max</span>")

    # ------------------------------------------------------------------ keys
    def eventFilter(self, watched, event) -> bool:
        if watched is self.line_edit or watched is self.variables_edit:
            kind = event.type()
            if kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
                self.revert()
                return True
            if kind == QEvent.Type.ShortcutOverride and not self.dirty and (
                    event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)):
                # nothing typed: Ctrl+Z belongs to the comparison (the window's Edit ▸ Undo), not to the field
                event.ignore()
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ display
    def _show_ok(self) -> None:
        if hasattr(self, "status_row"):
            QTimer.singleShot(0, self._show_status_row)
        self.marked.clear()
        self.marked.hide()
        self._set_frame_color(None)
        if self._model.surface is not None:
            self.message.setText(f"<span style='color:{OK_COLOR}'>\u2714 in use</span>")
        else:
            self.message.clear()

    def _show_variables_error(self, error) -> None:
        """A bad name in the variables field: say which, mark the field; the comparison keeps its variables."""
        message = getattr(error, "message", str(error))
        self.status_row.setVisible(True)
        self.marked.hide()
        self.error = error
        kept = " — the comparison keeps its variables" if self._model.surface is not None else ""
        self.message.setText(f"<span style='color:{ERROR_COLOR}'>\u2716 variables: "
                             f"{html.escape(message, quote=False)}</span>{kept}")
        self.variables_edit.setStyleSheet(f"QLineEdit {{ border: 2px solid {ERROR_COLOR}; }}")
        self.variables_edit.setProperty("invalid", True)
        self.error_shown.emit(error)

    def _show_error_text(self, text: str, start: int, end: int, message: str) -> None:
        self.status_row.setVisible(True)
        self.marked.setText(marked_html(text, start, end))
        self.marked.setVisible(bool(text))
        kept = " — the comparison keeps its formula" if self._model.surface is not None else ""
        shown = html.escape(message, quote=False)
        self.message.setText(f"<span style='color:{ERROR_COLOR}'>\u2716 {shown}</span>{kept}")
        self._set_frame_color(ERROR_COLOR)

    def _set_frame_color(self, color: str | None) -> None:
        self.line_edit.setStyleSheet(f"QLineEdit {{ border: 2px solid {color}; }}" if color else "")
        self.line_edit.setProperty("invalid", color is not None)
        if color is None and self.variables_edit.property("invalid"):
            self.variables_edit.setStyleSheet("")
            self.variables_edit.setProperty("invalid", False)


def _cancel_compile_worker() -> None:
    """A superseded compilation still running after a moment is killed (its worker process restarts)."""
    from explorer import compile_worker

    compile_worker.cancel()
