"""Rate limiting for views that follow playback: numbers in a table need not change 60 times a second."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer


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
