"""Keys a class sees working: playback from anywhere in the window, Esc back to the map.

Space, ← → and Home/End drive playback wherever the keyboard focus is — a table, the runs list, a slider, a
combo box, or a text field that is not *being edited*. A text field is being edited from the moment the user
clicks into it or types in it until Enter, Esc or leaving it; while it is, these keys move the cursor and
type, as they should. So after typing a learning rate and pressing Enter, Space plays again.

Esc anywhere in the window ends editing and hands the keyboard back to the map (``escape`` signal, the window
decides what that means, e.g. the formula field puts back the formula in use). Ctrl+Z in a text field that
is not being edited is the window's Undo (the comparison's), not the field's.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QTextEdit, QWidget

PLAYBACK_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End)
_EDIT_KEYS = (Qt.Key.Key_Backspace, Qt.Key.Key_Delete)


def _text_field(widget) -> QWidget | None:
    """The text field ``widget`` belongs to (a line edit, or the spin box / editable combo holding one)."""
    while widget is not None:
        if isinstance(widget, (QLineEdit, QTextEdit)):
            parent = widget.parentWidget()
            if isinstance(parent, (QAbstractSpinBox, QComboBox)):
                return parent if not isinstance(parent, QComboBox) or parent.isEditable() else None
            return widget
        if isinstance(widget, QAbstractSpinBox):
            return widget
        widget = widget.parentWidget() if isinstance(widget, QWidget) else None
    return None


class KeyboardRouter(QObject):
    """Routes playback keys and Esc for ``window`` (see the module docstring).

    actions : key -> QAction to trigger (Space, ←, →, Home, End).
    """

    escape = Signal(object)    # the widget that had the focus

    def __init__(self, window: QWidget, actions: dict) -> None:
        super().__init__(window)
        self.window = window
        self.actions = dict(actions)
        self._editing: set[int] = set()      # ids of text fields being edited
        self._watched: QWidget | None = None
        # only the widget with the keyboard focus is watched (no filter on every event of the app)
        QApplication.instance().focusChanged.connect(self._focus_changed)
        window.destroyed.connect(self._uninstall)

    def _uninstall(self, *_args) -> None:
        app = QApplication.instance()
        if app is not None:
            app.focusChanged.disconnect(self._focus_changed)

    def _focus_changed(self, old, new) -> None:
        if old is not None and old is self._watched:
            try:
                old.removeEventFilter(self)
            except RuntimeError:       # already deleted
                pass
            self._watched = None
            field = _text_field(old)
            if field is not None and (new is None or _text_field(new) is not field):
                self._editing.discard(id(field))
        if new is not None and new.window() is self.window:
            new.installEventFilter(self)
            self._watched = new

    def editing(self, widget) -> bool:
        """True while ``widget``'s text field is being edited."""
        field = _text_field(widget)
        return field is not None and id(field) in self._editing

    def stop_editing(self, widget=None) -> None:
        if widget is None:
            self._editing.clear()
        else:
            field = _text_field(widget)
            if field is not None:
                self._editing.discard(id(field))

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.MouseButtonPress):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self.window:
            return False
        field = _text_field(watched)
        if kind == QEvent.Type.MouseButtonPress:
            if field is not None:
                self._editing.add(id(field))     # clicking into a field: the user means to edit it
            return False
        key = event.key()
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        editing = field is not None and id(field) in self._editing
        if kind == QEvent.Type.ShortcutOverride:
            if field is not None and not editing and (
                    (plain and key in PLAYBACK_KEYS) or event.matches(QKeySequence.StandardKey.Undo)
                    or event.matches(QKeySequence.StandardKey.Redo)):
                event.ignore()      # not being edited: the window's shortcut (playback, undo) takes the key
                return True
            return False
        # KeyPress
        if key == Qt.Key.Key_Escape and plain:
            if field is not None:
                self._editing.discard(id(field))
            self.escape.emit(watched)
            return True
        if field is not None:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._editing.discard(id(field))
                return False
            if editing:
                return False
            if plain and key in PLAYBACK_KEYS:
                self._trigger(key)
                return True
            if event.text().strip() or key in _EDIT_KEYS:
                self._editing.add(id(field))    # typing starts an edit
            return False
        if plain and key in PLAYBACK_KEYS and key in self.actions and not watched.isWindow():
            # a table, list, slider or combo would use the key for itself: playback takes it
            self._trigger(key)
            return True
        return False

    def _trigger(self, key) -> None:
        action = self.actions.get(key)
        if action is not None and action.isEnabled():
            action.trigger()
