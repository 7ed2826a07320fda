"""Draw the whole window at a given step to a PNG without the user seeing it (README shots, slides, tests).

Used by ``python main.py render PRESET --png OUT [--step N] [--size WxH]``. The window is laid out at the
requested size and captured with :meth:`QWidget.grab`, which includes the 3-D view (it renders off screen
into an image, :mod:`widgets.gl_canvas`, and a grab draws its current scene). Its OpenGL context needs an X
display, so run it with ``xvfb-run``; with ``QT_QPA_PLATFORM=offscreen`` the 3-D view may come out empty.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

SETTLE_MS = 150   # let deferred layouts, pyqtgraph updates and the first GL frame happen


def _settle(app: QApplication, msecs: int = SETTLE_MS) -> None:
    loop = QEventLoop()
    QTimer.singleShot(msecs, loop.quit)
    loop.exec()
    app.processEvents()


def settle_window(app, window, timeout: float = 60.0) -> None:
    """Process events until the trajectories, the analysis and the typeset maths are all there."""
    import time

    from widgets import jobs

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = (window.model.pending or window.math_view.busy or jobs.runner().busy
                or window.model.analysis.pending and not window.model.analysis.synchronous)
        if not busy:
            break
        app.processEvents()
        time.sleep(0.01)
    _settle(app)


@contextmanager
def offscreen_window(preset, size: tuple[int, int] = (1600, 1000), *, theme: str = "light",
                     presentation: bool = False):
    """A laid-out explorer window on ``preset`` for headless capture; closed (without asking) on exit.

    preset : a :class:`~explorer.preset.Preset`, a :class:`~explorer.model.Comparison`, a built-in preset
        name or a path to a preset file. Yields ``(app, window)``.
    """
    from explorer.model import Comparison
    from widgets.app import apply_theme, create_app, load_comparison
    from widgets.main_window import MainWindow

    app = create_app()
    apply_theme(app, theme)
    if isinstance(preset, Comparison):
        model = preset
    elif isinstance(preset, (str, os.PathLike)):
        model = load_comparison(str(preset))
    else:
        model = Comparison.from_preset(preset)
    window = MainWindow(model, compute_in_background=False)
    window.resize(*size)
    window.show()
    try:
        if presentation:
            window.set_presentation(True)
            window.showNormal()          # keep the requested size (a virtual screen is larger)
            window.resize(*size)
        settle_window(app, window)
        yield app, window
    finally:
        window.document.set_modified(False)
        window.close()
        window.deleteLater()
        app.processEvents()


def render_window_png(preset, out: str | os.PathLike, step: int | None = None,
                      size: tuple[int, int] = (1600, 1000), *, theme: str = "light",
                      presentation: bool = False, summary: list | None = None) -> Path:
    """Render the explorer window showing ``preset`` at ``step`` (default: the last) to the PNG ``out``.

    theme : "light" or "dark"; presentation : as in presentation mode (F11). Returns the path written.
    summary : a list that gets the lines saying what the map shows (for a slice: method, directions, anchor,
    seed, explained variance; :meth:`explorer.projection.Projection.summary`).
    Raises ``OSError`` if the PNG cannot be written.
    """
    with offscreen_window(preset, size, theme=theme, presentation=presentation) as (app, window):
        model = window.model
        model.set_step(model.max_step if step is None else step)
        settle_window(app, window)
        out = Path(out)
        if not window.grab().save(str(out), "PNG"):
            raise OSError(f"could not write {out}")
        if summary is not None:
            summary.extend(model.projection.summary())
        return out
