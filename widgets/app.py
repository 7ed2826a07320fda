"""Application setup: the QApplication, readable light/dark themes, remembered settings, the entry point.

``run(preset)`` is what ``python main.py [PRESET]`` calls.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QThread, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ORGANIZATION = "GradientDescentExplorer"
APPLICATION = "Gradient Descent Explorer"
BASE_POINT_SIZE = 12      # projector-friendly; never below 11
DEFAULT_EXPRESSION = "(1 - x)^2 + 100 (y - x^2)^2"


def app_version() -> str:
    """The installed distribution's version, else ``explorer.__version__``."""
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("gradient-descent-explorer", "gradient_descent_explorer"):
        try:
            return version(dist)
        except PackageNotFoundError:
            pass
    try:
        from explorer import __version__
    except ImportError:
        return "unknown"
    return __version__


def share_gl_contexts() -> None:
    """Let every OpenGL context share resources; must run before the QApplication exists.

    pyqtgraph compiles each shader program once per process; without sharing, a second 3-D view (a second
    window, or the next test) uses program ids of another context: GL "invalid value" errors and crashes.
    """
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists), with the app's names, font and pyqtgraph options."""
    import pyqtgraph as pg

    if QApplication.instance() is None:
        share_gl_contexts()
    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(app_version())
    font = app.font()
    if font.pointSizeF() < BASE_POINT_SIZE:
        font.setPointSizeF(BASE_POINT_SIZE)
        app.setFont(font)
    pg.setConfigOptions(antialias=True)
    return app


def dark_palette() -> QPalette:
    """A dark palette with text contrast ≥ 7:1 (WCAG AAA) on the main surfaces."""
    p = QPalette()
    window, base, text = QColor("#202124"), QColor("#17181a"), QColor("#eeeeee")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#2a2b2e"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor("#2d2e31"))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#303134"))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.Highlight, QColor("#4c8dff"))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#000000"))
        p.setColor(group, QPalette.ColorRole.Link, QColor("#8ab4f8"))
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#9aa0a6"))
        p.setColor(group, QPalette.ColorRole.Mid, QColor("#9aa0a6"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7f7f7f"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#7f7f7f"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7f7f7f"))
    return p


def apply_theme(app: QApplication, theme: str) -> None:
    """Switch between "light" (the Fusion default) and "dark"; pyqtgraph plots follow."""
    import pyqtgraph as pg

    app.setStyle("Fusion")
    background, foreground = ("#17181a", "#e8e8e8") if theme == "dark" else ("w", "#202020")
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
    pg.setConfigOptions(background=background, foreground=foreground)
    # plots already on screen follow the theme too: only those of windows on screen (allWidgets() also
    # returned plots of closed windows being torn down, and touching those crashed now and then)
    shown = [top for top in app.topLevelWidgets() if top.isVisible()]
    for widget in [w for top in shown for w in (top, *top.findChildren(pg.GraphicsView))]:
        try:
            if isinstance(widget, pg.GraphicsView):
                widget.setBackground(background)
            if isinstance(widget, pg.PlotWidget):
                for name in ("left", "bottom"):
                    axis = widget.getPlotItem().getAxis(name)
                    axis.setPen(foreground)
                    axis.setTextPen(foreground)
        except (AttributeError, RuntimeError):   # a plot being closed (its items already gone)
            continue


def _default_model(settings: QSettings | None = None):
    """The first start opens the Rosenbrock race lesson (its description on the lesson card); later starts
    the last surface used, as an untitled comparison with three runs (it was titled "Rosenbrock race" whatever
    the surface)."""
    from explorer.model import Comparison
    from explorer.preset import builtin_presets, load_preset
    from explorer.runs import RunSpec
    from explorer.surface import compile_surface

    settings = settings if settings is not None else QSettings()
    text = str(settings.value("surface/expression", DEFAULT_EXPRESSION))
    if " ".join(text.split()) == DEFAULT_EXPRESSION:
        return Comparison.from_preset(load_preset(builtin_presets()["rosenbrock-race"]))
    try:
        surface = compile_surface(text)
        x_range = tuple(float(v) for v in settings.value("surface/x_range", [-2.0, 2.0]))
        y_range = tuple(float(v) for v in settings.value("surface/y_range", [-1.0, 3.0]))
    except (ValueError, TypeError):
        surface, x_range, y_range = compile_surface(DEFAULT_EXPRESSION), (-2.0, 2.0), (-1.0, 3.0)
    runs = [RunSpec("GD", "sgd", (-1.5, 2.0), {"lr": 1e-3}),
            RunSpec("Momentum", "sgd", (-1.5, 2.0), {"lr": 1e-3, "momentum": 0.9}),
            RunSpec("Adam", "adam", (-1.5, 2.0), {"lr": 0.05})]
    return Comparison(surface, runs, x_range=x_range, y_range=y_range, title="Untitled",
                      default_steps=1000, tolerance=1e-8)


def load_comparison(preset: str | None, settings: QSettings | None = None):
    """A Comparison from a built-in preset name, a path, or (None) the last surface with three runs."""
    from explorer.model import Comparison

    if preset is None:
        return _default_model(settings)
    from explorer.preset import load_preset, resolve_preset

    return Comparison.from_preset(load_preset(resolve_preset(preset)))


def preset_file(preset: str | None) -> str | None:
    """The file a command-line ``preset`` names, or None for a built-in lesson (opened as a template)."""
    if preset is None:
        return None
    from explorer.preset import builtin_presets

    if preset in builtin_presets() and not Path(preset).exists():
        return None
    return str(Path(preset).resolve())


def start_window(preset: str | None = None, *, settings: QSettings | None = None, recovery_dir=None):
    """The window as ``python main.py [PRESET]`` opens it: on ``preset`` (a file keeps its path, so Ctrl+S
    saves back to it), in the remembered theme, and — once shown — offering back the work a crashed or killed
    run left in the recovery folder. Returns the (shown) window; the caller runs the event loop."""
    from explorer.compiled import preload
    from widgets.main_window import MainWindow

    preload()   # numba's start-up and the kernels load on another thread while the window is built
    app = create_app()
    settings = settings if settings is not None else QSettings()
    theme = str(settings.value("theme", "light"))
    apply_theme(app, theme)
    window = MainWindow(load_comparison(preset, settings), settings=settings, recovery_dir=recovery_dir)
    (window.dark_action if theme == "dark" else window.light_action).setChecked(True)
    path = preset_file(preset)
    if path is not None:
        window.document.set_file_path(path)

    def set_theme(name: str) -> None:
        apply_theme(app, name)
        settings.setValue("theme", name)

    window.theme_requested.connect(set_theme)
    window.show()
    QTimer.singleShot(0, window.document.offer_recovery)   # over the window, not before it
    return window


WARM_UP_CODE = "from explorer.compiled import warm_up; warm_up()"


def engine_marker() -> Path | None:
    """The file that says the engine's kernels are in the disk cache for this numba and these engine files;
    None when no cache folder is writable (then the kernels compile in memory at every start)."""
    import numba

    from explorer import compiled

    folder = compiled.cache_folder()
    if folder is None:
        return None
    return Path(folder) / f"warm-{numba.__version__}-{compiled.ENGINE_STAMP}"


def prepare_engine(app: QApplication, command: list[str] | None = None) -> bool:
    """Before the first window after an install (or an engine update): compile the optimizer engine once, in
    a separate process, while a dialog says so. Numba compiles every kernel the first time (30-40 s on a
    2-core machine); without this the app showed nothing at all for that long. Later starts load the kernels
    from the disk cache (about a second) and show no dialog. Returns True when it compiled."""
    import os
    import subprocess

    from PySide6.QtWidgets import QProgressDialog

    marker = engine_marker()
    if marker is not None and marker.exists():
        return False
    dialog = QProgressDialog("Preparing the optimizer engine.\nThis happens once after installing and takes "
                             "about half a minute.", "", 0, 0)
    dialog.setCancelButton(None)
    dialog.setWindowTitle(APPLICATION)
    dialog.setMinimumDuration(0)
    dialog.setMinimumWidth(460)
    dialog.show()
    app.processEvents()
    if marker is None:                      # nothing can be cached: compile here, with the dialog on screen
        from explorer.compiled import warm_up

        warm_up()
    else:
        root = str(Path(__file__).resolve().parents[1])     # the folder holding explorer/ (a checkout or site)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
        process = subprocess.Popen(command or [sys.executable, "-c", WARM_UP_CODE], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None:
            app.processEvents()
            QThread.msleep(30)
        if process.returncode == 0:
            try:
                marker.write_text("the engine's kernels are in this cache folder\n", encoding="utf-8")
            except OSError:
                pass
    dialog.close()
    return True


def run(preset: str | None = None, argv: list[str] | None = None) -> int:
    """Open the window (optionally on ``preset``) and run the event loop; returns the exit code."""
    from explorer import compile_worker
    from explorer.compiled import preload

    marker = engine_marker()
    if marker is not None and marker.exists():   # (after an install prepare_engine compiles them first)
        preload()        # the cached kernels load on another thread while Qt starts and the window is built
    app = create_app(argv)
    compile_worker.start()   # sympy takes ~0.5 s to import in the worker; do it before the first keystroke
    prepare_engine(app)
    window = start_window(preset)
    try:
        return app.exec()
    finally:
        del window
        compile_worker.shutdown()
