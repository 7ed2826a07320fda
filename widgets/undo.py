"""Undo and redo for every change a person makes to the comparison (Qt's undo framework).

The model announces each edit of the document (:class:`explorer.model.Edit`: a name, the document state
before and after, a merge key); :class:`UndoHistory` turns each into an :class:`EditCommand` on a
:class:`QUndoStack`. Undo restores the state before, redo the state after (``model.restore``: only what
differs changes, runs that did not change keep their trajectories). Edits with the same key made within
:data:`explorer.model.MERGE_SECONDS` of each other fold into one command, so dragging a slider or a start
is one step. "Modified" is simply "the stack is not at its clean index" (``cleanChanged``).
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from explorer.model import MERGE_SECONDS, Edit

_MERGE_ID = 1


class EditCommand(QUndoCommand):
    """One :class:`~explorer.model.Edit` (or several merged ones) on the undo stack."""

    def __init__(self, model, edit: Edit) -> None:
        super().__init__(edit.text)
        self.model = model
        self.edit = edit
        self._done = True     # the change happened before the command was pushed: the first redo is a no-op

    def id(self) -> int:
        return _MERGE_ID if self.edit.key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other.edit.key != self.edit.key:
            return False
        if other.edit.time - self.edit.time > MERGE_SECONDS:
            return False
        e = self.edit
        self.edit = Edit(e.text, e.before, other.edit.after, e.key, other.edit.time)
        return True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.model.restore(self.edit.after)

    def undo(self) -> None:
        self.model.restore(self.edit.before)


class UndoHistory(QUndoStack):
    """The comparison's undo stack: follows ``model.edited``; cleared when a document is loaded."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.setUndoLimit(500)
        model.edited.connect(self._on_edited)

    def _on_edited(self, edit: Edit) -> None:
        self.push(EditCommand(self.model, edit))

    def texts(self) -> list[str]:
        """The names of the commands on the stack, oldest first (for tests and the history view)."""
        return [self.text(i) for i in range(self.count())]
