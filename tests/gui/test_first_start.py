"""The first start after an install compiles the optimizer engine once, with a dialog that says so, instead of
showing nothing for half a minute; later starts show no dialog (:func:`widgets.app.prepare_engine`)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog


def test_the_first_start_says_it_prepares_the_engine_and_later_starts_do_not(qtbot, tmp_path, monkeypatch):
    from widgets import app as app_module

    marker = tmp_path / "warm-marker"
    monkeypatch.setattr(app_module, "engine_marker", lambda: marker)
    seen = []

    def look():
        seen.extend(d.labelText() for d in QApplication.topLevelWidgets()
                    if isinstance(d, QProgressDialog) and d.isVisible())

    timer = QTimer(interval=50)
    timer.timeout.connect(look)
    timer.start()
    slow = [sys.executable, "-c", "import time; time.sleep(1.0)"]     # stands in for numba's compile
    assert app_module.prepare_engine(QApplication.instance(), slow) is True
    assert any("Preparing the optimizer engine" in text and "once" in text for text in seen)
    assert marker.exists()
    seen.clear()
    assert app_module.prepare_engine(QApplication.instance(), slow) is False   # the next start: no dialog
    QApplication.processEvents()
    assert seen == []
    timer.stop()


def test_the_marker_names_this_numba_and_these_engine_files():
    import numba

    from explorer import compiled
    from widgets.app import engine_marker

    marker = engine_marker()
    assert marker is None or (numba.__version__ in marker.name and compiled.ENGINE_STAMP in marker.name)
