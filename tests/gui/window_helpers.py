"""Helpers shared by the window tests (the ``open_window`` fixture that uses them is in conftest.py)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication


def settle(window, timeout: float = 60.0, *, caption: bool = False) -> None:
    """Let the background work (trajectories, analysis, typesetting, compiling) finish and the views draw;
    with ``caption`` also wait for the map's slice caption, which follows at most every 100 ms."""
    from widgets import jobs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QApplication.processEvents()
        if not (window.model.pending or window.math_view.busy or jobs.runner().busy
                or window.expression_editor.pending):
            break
        time.sleep(0.01)
    for _ in range(5):
        QApplication.processEvents()
    if caption:
        time.sleep(0.12)
        QApplication.processEvents()
