"""The explorer window: formula on top, contour and 3-D views side by side, runs on the right, playback and
numbers at the bottom — laid out for a projector (large views, large type, few controls in sight).

::

    ┌──────────────────────────────────────────────┬────────────┐
    │ f(x, y) = [ formula ]          f, ∇f, H      │  runs      │
    ├───────────────────────┬──────────────────────┤  + editor  │
    │   contour view        │   3-D surface view   │  (dock)    │
    ├───────────────────────┴──────────────────────┴────────────┤
    │ ⏮ ⏴ ▶ ⏵ ⏭  ───────── scrub ─────────  step k / N   speed │
    ├─────────────────────────────────┬─────────────────────────┤
    │ loss vs step (dock)             │ per-run table (dock)    │
    └─────────────────────────────────┴─────────────────────────┘
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from explorer.model import Comparison
from widgets.expression_editor import ExpressionEditor
from widgets.loss_plot import LossPlot
from widgets.playback import PlaybackBar
from widgets.run_panel import RunPanel
from widgets.run_table import RunTable
from widgets.workers import CompileWorker, RecomputeWorker

APP_NAME = "Gradient Descent Explorer"


def _make_views(model: Comparison) -> tuple[QWidget, QWidget, QWidget]:
    """HOOK — the "views" helper's widgets: ContourView, SurfaceView (3-D) and MathView (f, ∇f, H)."""
    from widgets.contour_view import ContourView
    from widgets.math_view import MathView
    from widgets.surface_view import SurfaceView

    return ContourView(model), SurfaceView(model), MathView(model)


class MainWindow(QMainWindow):
    """The whole app around one :class:`Comparison`.

    ``compute_in_background`` (default True) simulates long runs on a worker thread; the model is switched
    to asynchronous recomputation for the window's lifetime (see :class:`~widgets.workers.RecomputeWorker`).
    """

    theme_requested = Signal(str)   # "light" | "dark"; widgets.app applies it

    def __init__(self, model: Comparison, parent: QWidget | None = None, *,
                 settings: QSettings | None = None, compute_in_background: bool = True) -> None:
        super().__init__(parent)
        self.model = model
        self._settings = settings
        self.recompute_worker = RecomputeWorker(model, self) if compute_in_background else None
        self.compile_worker = CompileWorker(self)

        self.contour_view, self.surface_view, self.math_view = _make_views(model)
        self.expression_editor = ExpressionEditor(model, worker=self.compile_worker)
        self.playback = PlaybackBar(model)
        self.run_panel = RunPanel(model)
        self.loss_plot = LossPlot(model)
        self.run_table = RunTable(model)

        self._create_central()
        self._create_docks()
        self._create_actions()
        self._create_menus()
        self._create_status_bar()
        model.settings_changed.connect(self._update_title)
        model.surface_changed.connect(self._on_modified)
        model.runs_changed.connect(self._on_modified)
        model.run_changed.connect(self._on_modified)
        self.file_path: str | None = None
        self._update_title()
        from widgets.extras import install_extras

        install_extras(self, settings)
        self._read_settings()

    # ------------------------------------------------------------------ construction
    def _create_central(self) -> None:
        top = QWidget()
        top_row = QHBoxLayout(top)
        top_row.setContentsMargins(8, 6, 8, 0)
        top_row.addWidget(self.expression_editor, 3)
        top_row.addWidget(self.math_view, 2)
        self.views_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.views_splitter.addWidget(self.contour_view)
        self.views_splitter.addWidget(self.surface_view)
        self.views_splitter.setChildrenCollapsible(False)
        self.views_splitter.setStretchFactor(0, 1)
        self.views_splitter.setStretchFactor(1, 1)
        for view in (self.contour_view, self.surface_view):
            view.setMinimumSize(320, 280)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(top)
        column.addWidget(self.views_splitter, 1)
        column.addWidget(self.playback)
        self.setCentralWidget(central)
        self.contour_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Enter in the formula field hands the keyboard back to playback
        self.expression_editor.line_edit.returnPressed.connect(self.contour_view.setFocus)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _create_docks(self) -> None:
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.runs_dock = self._dock("Runs", "runs", self.run_panel, right)
        self.loss_dock = self._dock("Loss", "loss", self.loss_plot, bottom)
        self.table_dock = self._dock("Numbers", "numbers", self.run_table, bottom)
        self.splitDockWidget(self.loss_dock, self.table_dock, Qt.Orientation.Horizontal)
        self._laid_out = False

    def _initial_layout(self) -> None:
        """Share the space once the window has its size: equal views, a readable runs dock."""
        half = max(self.views_splitter.width() // 2, 1)
        self.views_splitter.setSizes([half, half])
        self.resizeDocks([self.runs_dock], [430], Qt.Orientation.Horizontal)
        self.resizeDocks([self.loss_dock], [240], Qt.Orientation.Vertical)
        half = self.width() // 2
        self.resizeDocks([self.loss_dock, self.table_dock], [half, half], Qt.Orientation.Horizontal)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._laid_out:
            self._laid_out = True
            if self._settings_state is None:
                self._initial_layout()
            self.contour_view.setFocus()   # Space/arrows drive playback, not the formula field

    def _action(self, text: str, slot, shortcut=None, *, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        return action

    def _create_actions(self) -> None:
        self.open_action = self._action("&Open…", self.open_file, QKeySequence.StandardKey.Open)
        self.save_as_action = self._action("Save &As…", self.save_file_as, QKeySequence.StandardKey.SaveAs)
        self.export_action = self._action("&Export Window as PNG…", self.export_png, "Ctrl+E")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.add_run_action = self._action("&Add Run", self.run_panel.add_run, "Ctrl+Shift+N")
        self.duplicate_run_action = self._action("&Duplicate Run", self.run_panel.duplicate_run, "Ctrl+D")
        self.remove_run_action = self._action("&Remove Run", self.run_panel.remove_run, "Ctrl+Del")
        self.log_levels_action = self._action(
            "&Logarithmic Contour Levels", lambda on: self.model.set_view("log_levels", on), checkable=True)
        self.log_levels_action.setChecked(bool(self.model.view.get("log_levels", False)))
        self.model.view_changed.connect(self._on_view_changed)
        self.reset_camera_action = self._action("Reset &Camera", self._reset_camera, "Ctrl+R")
        self.full_screen_action = self._action("&Full Screen", self._toggle_full_screen,
                                               "Ctrl+Shift+F", checkable=True)  # F11 = presentation mode
        self.theme_group = QActionGroup(self)
        self.light_action = self._action("&Light Theme", lambda: self.theme_requested.emit("light"),
                                         checkable=True)
        self.dark_action = self._action("&Dark Theme", lambda: self.theme_requested.emit("dark"),
                                        checkable=True)
        for a in (self.light_action, self.dark_action):
            self.theme_group.addAction(a)
        self.light_action.setChecked(True)
        self.about_action = self._action("&About", self.show_about)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addSeparator()   # widgets.document installs New/Open/Recent/Gallery/Save/Export above
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu("&View")
        for dock in (self.runs_dock, self.loss_dock, self.table_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.reset_camera_action)
        view_menu.addSeparator()
        view_menu.addAction(self.light_action)
        view_menu.addAction(self.dark_action)
        view_menu.addAction(self.full_screen_action)
        run_menu = bar.addMenu("&Run")
        p = self.playback
        for a in (p.play_action, p.back_action, p.forward_action, p.start_action, p.end_action):
            run_menu.addAction(a)
        run_menu.addSeparator()
        for a in (self.add_run_action, self.duplicate_run_action, self.remove_run_action):
            run_menu.addAction(a)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _create_status_bar(self) -> None:
        self.statusBar().showMessage("Space plays · ← → step · Home/End jump · click the map to move a start",
                                     8000)

    # ------------------------------------------------------------------ behaviour
    def _on_view_changed(self, key: str) -> None:
        if key == "log_levels":
            self.log_levels_action.setChecked(bool(self.model.view.get("log_levels")))

    def _reset_camera(self) -> None:
        reset = getattr(self.surface_view, "reset_camera", None)
        if reset is not None:
            reset()

    def _toggle_full_screen(self, on: bool) -> None:
        if on:
            self.showFullScreen()
        else:
            self.showNormal()

    def _on_modified(self, *_args) -> None:
        self.setWindowModified(True)

    def _update_title(self) -> None:
        name = self.model.title or "untitled"
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")

    def load_model(self, model: Comparison) -> None:
        """Replace the comparison (File ▸ Open): the simplest correct way is a fresh window in place."""
        window = MainWindow(model, settings=self._settings,
                            compute_in_background=self.recompute_worker is not None)
        window.theme_requested.connect(self.theme_requested.emit)
        window.setGeometry(self.geometry())
        window.show()
        self.setWindowModified(False)
        self.close()

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open preset", "", "Presets (*.toml);;All files (*)")
        if not path:
            return
        from explorer.preset import PresetError, load_preset

        try:
            model = Comparison.from_preset(load_preset(path))
        except (PresetError, ValueError) as exc:
            QMessageBox.warning(self, "Could not open preset", str(exc))
            return
        self.load_model(model)

    def save_file_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save preset", "", "Presets (*.toml)")
        if not path:
            return
        from explorer.preset import save_preset

        try:
            save_preset(self.model.to_preset(), path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Could not save", str(exc))
            return
        self.file_path = path
        self.setWindowModified(False)

    def export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export window as PNG", "window.png",
                                              "PNG images (*.png)")
        if path and not self.grab().save(path, "PNG"):
            QMessageBox.warning(self, "Could not export", f"Could not write {path}")

    def show_about(self) -> None:
        from widgets.app import app_version

        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {app_version()}</h3>"
                          "<p>Type a loss surface and watch optimizers race over it: a contour map and a 3-D "
                          "surface in step, with torch.optim's update rules, names and defaults.</p>")

    # ------------------------------------------------------------------ settings and shutdown
    def _read_settings(self) -> None:
        self._settings_state = None
        if self._settings is None:
            self.resize(1600, 1000)
            return
        geometry = self._settings.value("window/geometry")
        state = self._settings.value("window/state")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1600, 1000)
        if state is not None and self.restoreState(state):
            self._settings_state = state

    def write_settings(self) -> None:
        if self._settings is None:
            return
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        if self.model.surface is not None:
            self._settings.setValue("surface/expression", self.model.expression)
            self._settings.setValue("surface/x_range", list(self.model.x_range))
            self._settings.setValue("surface/y_range", list(self.model.y_range))

    def shutdown(self) -> None:
        """Stop playback and wait for background work (called on close)."""
        self.playback.pause()
        self.compile_worker.wait()
        if self.recompute_worker is not None:
            self.recompute_worker.detach()
        from widgets.basin_view import wait_for_background_jobs

        wait_for_background_jobs()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.write_settings()
        self.shutdown()
        super().closeEvent(event)
