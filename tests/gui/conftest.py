"""Shared test set-up.

GUI tests need an X server: pytest-xvfb starts Xvfb when it is installed (CI installs it). Where none is
available we fall back to Qt's offscreen platform, which renders 2-D only — there QOpenGLWidget has no
context and GLViewWidget.renderToArray segfaults — so tests marked ``gl`` are skipped, with that reason.
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QCoreApplication, Qt

# pyqtgraph.opengl keeps compiled shaders in class attributes: every 3-D view must share one GL context
# group, and the attribute has to be set before the QApplication exists.
QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def _have_x_server() -> bool:
    return bool(os.environ.get("DISPLAY")) and os.environ.get("QT_QPA_PLATFORM", "xcb") != "offscreen"


def pytest_collection_modifyitems(config, items):
    if _have_x_server():
        return
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    skip = pytest.mark.skip(reason="no X server: Qt's offscreen platform cannot create an OpenGL context")
    for item in items:
        if "gl" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path, monkeypatch):
    """Tests never read or write the user's settings, recent files or recovery folder."""
    from PySide6.QtCore import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    try:
        import widgets.document as document
    except ImportError:
        return
    monkeypatch.setattr(document, "default_recovery_dir", lambda: tmp_path / "recovery")


@pytest.fixture(autouse=True)
def _no_blocking_dialogs(monkeypatch):
    """A modal dialog would hang a headless test run: closing a modified window discards, boxes return at once.

    Tests that check a question or a message replace ``Document._ask`` / ``_inform`` on their instance.
    """
    from PySide6.QtWidgets import QMessageBox

    discard = QMessageBox.StandardButton.Discard
    for name in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: discard))
    try:
        import widgets.document as document
    except ImportError:
        return
    monkeypatch.setattr(document.Document, "_ask", lambda self, *a, **k: discard)
    monkeypatch.setattr(document.Document, "_inform", lambda self, *a, **k: None)


@pytest.fixture
def open_window(qtbot, tmp_path):
    """open_window(preset=None, size=(1400, 900), recovery_dir=None) -> the window as ``python main.py
    [PRESET]`` opens it (:func:`widgets.app.start_window`), settings and recovery in ``tmp_path``."""
    from PySide6.QtCore import QSettings
    from window_helpers import settle

    from widgets.app import start_window

    made = []

    def open_(preset=None, size=(1400, 900), recovery_dir=None):
        settings = QSettings(str(tmp_path / f"settings{len(made)}.ini"), QSettings.Format.IniFormat)
        window = start_window(preset, settings=settings, recovery_dir=recovery_dir or tmp_path / "recovery")
        qtbot.addWidget(window)
        window.resize(*size)
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        settle(window)
        made.append(window)
        return window

    yield open_
    for window in made:
        window.document.set_modified(False)
        window.close()
