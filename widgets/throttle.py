"""Rate limiting for views that follow playback: numbers in a table need not change 60 times a second."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class Throttle(QObject):
    """Call ``fn`` at most once per ``interval_ms``: the first call runs at once, later ones within the
    interval are merged into one trailing call, so the last state is always shown."""

    def __init__(self, fn: Callable[[], Any], interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._pending = False
        self._timer = QTimer(self, singleShot=True, interval=interval_ms)
        self._timer.timeout.connect(self._fire)

    def __call__(self, *_args) -> None:
        if self._timer.isActive():
            self._pending = True
            return
        self._fn()
        self._timer.start()

    def _fire(self) -> None:
        if self._pending:
            self._pending = False
            self._fn()
            self._timer.start()


class WhenShown(QObject):
    """Call ``fn`` now while ``widget`` is on screen, else once when it next comes on screen.

    A panel in a dock tab behind another (the trace, the 1-D cut) does no work nobody can see: dragging a start
    rebuilt the trace plot behind the Loss tab at every mouse move (~15 ms each, twice per move). Such a dock
    still counts as visible for Qt (``isVisible()``); what tells is an empty ``visibleRegion()``, and the dock's
    ``visibilityChanged(True)`` when its tab is chosen."""

    def __init__(self, widget: QWidget, fn: Callable[[], Any]) -> None:
        super().__init__(widget)
        self._widget, self._fn = widget, fn
        self._dock = None
        self.stale = False
        widget.installEventFilter(self)

    def __call__(self, *_args) -> None:
        self._follow_dock()
        if self._widget.isVisible() and not self._widget.visibleRegion().isEmpty():
            self.stale = False
            self._fn()
        else:
            self.stale = True

    def _follow_dock(self) -> None:
        from PySide6.QtWidgets import QDockWidget

        if self._dock is not None:
            return
        parent = self._widget.parentWidget()
        while parent is not None and not isinstance(parent, QDockWidget):
            parent = parent.parentWidget()
        if parent is not None:
            self._dock = parent
            parent.visibilityChanged.connect(self._shown)

    def _shown(self, visible: bool = True) -> None:
        if visible and self.stale:
            self.stale = False
            self._fn()

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Show:
            self._shown()
        return False
