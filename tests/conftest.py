"""Shared test set-up for the core tests (no Qt here: they must run where PySide6 is not installed).

The window's tests and their Qt fixtures live in ``tests/gui/``. CI runs the core tests once more in a venv
from which Qt, pyqtgraph and pytest-qt were removed (``.ci/run``); there pytest-qt's ini keys in
pyproject.toml would be unknown, so they are declared here instead, and ``tests/gui`` is not collected.
"""

from __future__ import annotations

import importlib.util

HAVE_QT = importlib.util.find_spec("PySide6") is not None and importlib.util.find_spec("pytestqt") is not None

collect_ignore = [] if HAVE_QT else ["gui"]


def pytest_addoption(parser):
    if importlib.util.find_spec("pytestqt") is None:   # pytest-qt declares these itself when installed
        parser.addini("qt_api", "Qt binding (used by pytest-qt; unused without Qt)")
        parser.addini("qt_log_level_fail", "Qt log level that fails a test (used by pytest-qt)")
    if importlib.util.find_spec("pytest_xvfb") is None:   # likewise pytest-xvfb's
        for name in ("xvfb_width", "xvfb_height", "xvfb_colordepth"):
            parser.addini(name, "virtual screen (used by pytest-xvfb)")
