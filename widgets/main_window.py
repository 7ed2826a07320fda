"""The explorer window: the formula on top, the map and the 3-D view side by side, playback under them, the
lesson, the maths and the runs on the right, loss and numbers at the bottom — laid out for a projector.

::

    ┌───────────────────────────────────────────────────┬───────────────────┐
    │ f(x, y) = [ formula                             ] │ Lesson | Maths    │
    │ ✔ in use                       x [ ] to [ ]  y …  │                   │
    ├─────────────────────────┬─────────────────────────┤───────────────────┤
    │ map (legend, minima)    │ 3-D surface (legend)    │ Runs | Parameters │
    │                         │                         │ | Basins          │
    ├─────────────────────────┴─────────────────────────┤                   │
    │ ⏮ ⏴ ▶ ⏵ ⏭ ───────── scrub ───────── step k / N  speed │              │
    ├───────────────────────────┬───────────────────────┴───────────────────┤
    │ Loss                      │ Numbers | Summary | Sweep | Critical points │
    └───────────────────────────┴───────────────────────────────────────────┘

:class:`MainWindow` builds every part itself (``_create_*``): the views, the docks, the actions and menus.
Nothing outside sets attributes on it. File state (path, modified, title, recovery) belongs to its
:class:`~widgets.document.Document`, which also keeps the undo history (Edit ▸ Undo/Redo, Reset Lesson).
Long work runs on the job runner (:mod:`widgets.jobs`): trajectories (:mod:`widgets.trajectories`), the
analysis layer's critical points and geometry, basins, sweeps, fans, typesetting.

Minimum sizes keep the map (both axes), the playback bar and the loss plot usable at 1024×768 and up; the
maths and lesson panels scroll instead of growing. Presentation mode (F11): full screen, larger type, thick
lines, the side panels folded away (the legend on the map says who is who); the loss plot stays.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QFont, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from explorer.model import Comparison
from explorer.view_settings import OVERLAYS
from widgets import jobs

APP_NAME = "Gradient Descent Explorer"
MAP_MIN = (300, 230)        # the map keeps both axes readable down to 1024×768
SURFACE_MIN = (220, 230)
LOSS_MIN_HEIGHT = 130
SIDE_WIDTH = 0.28           # share of the window the right-hand docks start with
MAP_SHARE = 0.55            # the map gets a little more of the views' width than the 3-D view
PRESENTATION_FONT_SCALE = 1.5
PRESENTATION_AXIS_PT = 18
RESTORE_MS = 150            # leaving F11: the size back once the normal type is laid out and painted
HINT = "Space plays · ← → step · Home/End jump · click the map to move a start · Ctrl+G lessons · F1 keys"


class MainWindow(QMainWindow):
    """The whole app around one :class:`Comparison`.

    ``compute_in_background`` (default True) simulates long runs and the analysis on the job runner; the
    model is switched to asynchronous recomputation for the window's lifetime.
    """

    theme_requested = Signal(str)   # "light" | "dark"; widgets.app applies it

    def __init__(self, model: Comparison, parent: QWidget | None = None, *,
                 settings: QSettings | None = None, compute_in_background: bool = True,
                 recovery_dir=None) -> None:
        super().__init__(parent)
        self._tidy_tabs = QTimer(self, singleShot=True, interval=50)   # after the dock layout is applied
        self._tidy_tabs.timeout.connect(self._hide_stale_tab_bars)
        self.model = model
        self._settings = settings
        self._presentation: dict | None = None
        self._create_computation(compute_in_background)
        self._create_views()
        self._create_central()
        self._create_docks()
        for dock in self.findChildren(QDockWidget):   # a dock shown or hidden can leave a tab bar behind
            dock.visibilityChanged.connect(self._tidy_tabs.start)
        from widgets.document import Document

        self.document = Document(self, model, settings=settings if settings is not None else QSettings(),
                                 recovery_dir=recovery_dir)
        self.document.loaded.connect(self._on_loaded)
        self._parameter_names = set(model.parameters)
        model.surface_changed.connect(self._on_surface_changed)
        self._on_surface_changed()      # one variable: no 3-D view; three or more: the slice panel in front
        self._create_actions()
        self._create_menus()
        self._create_status_bar()
        self._create_keyboard()
        model.session.events.presentation.connect(self._apply_presentation)
        if model.parameters and model.dataspec is None:
            self.parameters_dock.raise_()      # a lesson taught with sliders opens on them
        self._read_settings()

    # ------------------------------------------------------------------ construction
    def _create_computation(self, background: bool) -> None:
        from widgets.trajectories import TrajectoryUpdater

        self.trajectories = TrajectoryUpdater(self.model, self) if background else None
        analysis = self.model.analysis
        if background:
            self._analysis_jobs = {}
            analysis.synchronous = False
            analysis.needs_compute.connect(self._analyse)
            analysis.refresh()

    def _analyse(self, job) -> None:
        """Run an analysis job on the job runner (one channel per kind and run: newest wins)."""
        key = (job.kind, job.index)
        channel = self._analysis_jobs.get(key)
        if channel is None:
            # nobody reads them while the mouse moves: they wait for it to stop, leaving the pool (and the GIL)
            # to the paths that follow it
            channel = jobs.channel(self, f"analysis-{job.kind}-{job.index}", settle_ms=jobs.SETTLE_MS)
            channel.finished.connect(lambda payload: self.model.analysis.deliver(*payload))
            self._analysis_jobs[key] = channel
        channel.submit(lambda progress, cancelled, job=job: (job, _safe(job)))

    def _create_views(self) -> None:
        from widgets.basin_view import BasinView
        from widgets.contour_view import ContourView
        from widgets.critical_list import CriticalPointList
        from widgets.expression_editor import ExpressionEditor
        from widgets.fans import NoiseFan
        from widgets.legend import MapLegend
        from widgets.lesson_card import LessonCard
        from widgets.loss_plot import LossPlot
        from widgets.math_view import MathView
        from widgets.overlays import ContourOverlays, SurfaceOverlays
        from widgets.parameter_sliders import ParameterSliders
        from widgets.playback import PlaybackBar
        from widgets.run_panel import RunPanel
        from widgets.run_table import RunTable
        from widgets.summary_table import SummaryTable
        from widgets.surface_view import SurfaceView
        from widgets.sweep_view import SweepView

        m = self.model
        self.contour_view = ContourView(m)
        self.surface_view = SurfaceView(m)
        self.math_view = MathView(m)
        self.expression_editor = ExpressionEditor(m)
        self.playback = PlaybackBar(m)
        self.run_panel = RunPanel(m)
        self.loss_plot = LossPlot(m)
        self.run_table = RunTable(m)
        self.summary_table = SummaryTable(m)
        self.lesson_card = LessonCard(m)
        self.map_legend = MapLegend(m, self.contour_view)
        self.contour_overlays = ContourOverlays(m, self.contour_view)
        self.surface_overlays = SurfaceOverlays(m, self.surface_view)
        self.noise_fan = NoiseFan(m, self.contour_view)
        self.basin_view = BasinView(m, self.contour_view)
        self.sweep_view = SweepView(m)
        self.parameter_sliders = ParameterSliders(m)
        self.critical_list = CriticalPointList(m)
        from widgets.data_pane import DataPane
        from widgets.map_data import MapData
        from widgets.minibatch_views import BatchGradientArrow, BatchLossCurves

        self.data_pane = DataPane(m)                     # data, fit, residuals, minibatch (issue 12)
        self.map_data = MapData(m, self.contour_view)    # data in the variables' plane, draggable on the map
        self.batch_arrow = BatchGradientArrow(m, self.contour_view)
        self.batch_loss = BatchLossCurves(m, self.loss_plot)
        from widgets.curve_view import CurveLayer
        from widgets.cut_plot import CutPlot
        from widgets.slice_caption import SliceCaption, SurfaceCaption
        from widgets.slice_panel import SlicePanel
        from widgets.trace_plot import TracePlot

        # any number of variables (issue 13): what the views show is model.projection
        self.curve_layer = CurveLayer(m, self.contour_view)       # one variable: the graph of f on the map
        self.slice_caption = SliceCaption(m, self.contour_view)   # three or more: what the slice is, on the map
        self.surface_caption = SurfaceCaption(m, self.surface_view)
        self.slice_panel = SlicePanel(m)
        self.trace_plot = TracePlot(m)
        self.cut_plot = CutPlot(m)

    def _create_central(self) -> None:
        self.views_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.views_splitter.addWidget(self.contour_view)
        self.views_splitter.addWidget(self.surface_view)
        self.views_splitter.setChildrenCollapsible(False)
        self.views_splitter.setStretchFactor(0, 1)
        self.views_splitter.setStretchFactor(1, 1)
        self.contour_view.setMinimumSize(*MAP_MIN)
        self.surface_view.setMinimumSize(*SURFACE_MIN)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(6, 4, 6, 0)
        column.setSpacing(4)
        column.addWidget(self.expression_editor)
        column.addWidget(self.views_splitter, 1)
        column.addWidget(self.playback)
        self.setCentralWidget(central)
        self.contour_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.expression_editor.done_editing.connect(self.focus_map)

    def _dock(self, title: str, name: str, widget: QWidget, *, scroll: bool = False) -> QDockWidget:
        """A dock holding ``widget``; with ``scroll`` a panel wider than the side column scrolls there instead
        of widening the window past the screen (1024 px must fit)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(widget)
            widget = area
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        return dock

    def _create_docks(self) -> None:
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.lesson_dock = self._dock("Lesson", "lesson", self.lesson_card)
        self.maths_dock = self._dock("Maths: f, ∇f, Hessian", "maths", self.math_view)
        self.runs_dock = self._dock("Runs", "runs", self.run_panel)
        self.parameters_dock = self._dock("Sliders", "parameters", self.parameter_sliders, scroll=True)
        self.basins_dock = self._dock("Basins", "basins", self.basin_view)
        self.loss_dock = self._dock("Loss", "loss", self.loss_plot)
        self.table_dock = self._dock("Numbers", "numbers", self.run_table)
        self.summary_dock = self._dock("Summary", "summary", self.summary_table)
        self.sweep_dock = self._dock("lr Sweep", "sweep", self.sweep_view)
        self.critical_dock = self._dock("Critical Points", "critical", self.critical_list)
        self.data_dock = self._dock("Data", "data", self.data_pane, scroll=True)
        self._data_shown: bool | None = None      # whether the data dock was last put up (see _show_data_dock)
        self.slice_dock = self._dock("Slice", "slice", self.slice_panel, scroll=True)
        self.trace_dock = self._dock("Trace", "trace", self.trace_plot)
        self.cut_dock = self._dock("1-D Cut", "cut", self.cut_plot)
        # right: the lesson (and the maths) above the runs (and parameters, basins)
        self.addDockWidget(right, self.lesson_dock, Qt.Orientation.Vertical)
        self.addDockWidget(right, self.runs_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.lesson_dock, self.maths_dock)
        self.tabifyDockWidget(self.runs_dock, self.parameters_dock)
        self.tabifyDockWidget(self.parameters_dock, self.basins_dock)
        self.tabifyDockWidget(self.basins_dock, self.data_dock)
        self.tabifyDockWidget(self.data_dock, self.slice_dock)
        # bottom: the loss plot beside the numbers (and summary, sweep, critical points)
        self.addDockWidget(bottom, self.loss_dock, Qt.Orientation.Horizontal)
        self.addDockWidget(bottom, self.table_dock, Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.table_dock, self.summary_dock)
        self.tabifyDockWidget(self.summary_dock, self.sweep_dock)
        self.tabifyDockWidget(self.sweep_dock, self.critical_dock)
        self.tabifyDockWidget(self.loss_dock, self.trace_dock)
        self.tabifyDockWidget(self.trace_dock, self.cut_dock)
        self.loss_dock.raise_()
        self.lesson_dock.raise_()
        self.runs_dock.raise_()
        self.table_dock.raise_()
        self.loss_plot.setMinimumHeight(LOSS_MIN_HEIGHT)
        self.lesson_card.setMinimumHeight(90)
        self.math_view.setMinimumHeight(90)
        self._laid_out = False

    def _initial_layout(self) -> None:
        """Share the space once the window has its size: equal views, readable side panels."""
        w, h = self.width(), self.height()
        side = max(250, int(SIDE_WIDTH * w))
        self.resizeDocks([self.lesson_dock], [side], Qt.Orientation.Horizontal)
        self.resizeDocks([self.lesson_dock, self.runs_dock], [int(0.42 * h), int(0.58 * h)],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.loss_dock], [max(LOSS_MIN_HEIGHT + 40, int(0.27 * h))], Qt.Orientation.Vertical)
        self.resizeDocks([self.loss_dock, self.table_dock], [w // 2, w // 2], Qt.Orientation.Horizontal)
        total = max(self.views_splitter.width(), 2)
        self.views_splitter.setSizes([int(MAP_SHARE * total), total - int(MAP_SHARE * total)])

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._tidy_tabs.start()
        if not self._laid_out:
            self._laid_out = True
            if self._settings_state is None:
                self._initial_layout()
                QTimer.singleShot(0, self._initial_layout)   # again once the docks have their real size
            self.focus_map()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._tidy_tabs.start()

    def restoreState(self, state, version: int = 0) -> bool:
        restored = super().restoreState(state, version)
        self._tidy_tabs.start()
        return restored

    def _hide_stale_tab_bars(self) -> None:
        """Hide the dock tab bars QMainWindow left behind. Tabifying the docks one by one, and restoreState,
        leave earlier tab bars of a group visible at the place the group had then ("Runs | Sliders" over the
        playback bar at 1280 x 720, measured with Qt 6.11), and hiding docks (presentation mode) leaves theirs.
        A live tab bar sits on the bottom edge of a visible dock whose title it lists, within the dock's width
        (a stale bar of the same group can sit on the same edge, shifted sideways); any other is hidden (Qt
        shows a bar again if it uses it again)."""
        docks = [d for d in self.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
        for bar in self.findChildren(QTabBar):
            if bar.parentWidget() is not self or not bar.isVisible():
                continue
            titles = {bar.tabText(i) for i in range(bar.count())}
            rect = bar.geometry()
            live = any(d.windowTitle() in titles and abs(rect.top() - d.geometry().bottom() - 1) <= 8
                       and rect.left() >= d.geometry().left() - 8 and rect.right() <= d.geometry().right() + 8
                       for d in docks)
            if not live:
                bar.hide()

    def _action(self, text: str, slot, shortcut=None, *, checkable: bool = False, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _create_actions(self) -> None:
        from widgets.export import Exporter

        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.add_run_action = self._action("&Add Run", self.run_panel.add_run, "Ctrl+Shift+N")
        self.duplicate_run_action = self._action("&Duplicate Run", self.run_panel.duplicate_run, "Ctrl+D")
        self.remove_run_action = self._action("&Remove Run", self.run_panel.remove_run, "Ctrl+Del")
        self.reset_camera_action = self._action("Reset &Camera", self.surface_view.reset_camera, "Ctrl+R")
        self.full_screen_action = self._action("&Full Screen", self._toggle_full_screen, "Ctrl+Shift+F",
                                               checkable=True)
        self.presentation_action = self._action("&Presentation Mode", lambda on: self.set_presentation(on),
                                                Qt.Key.Key_F11, checkable=True,
                                                tip="Full screen, large type, thick lines (F11)")
        self.presentation_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.addAction(self.presentation_action)     # works with the menu bar hidden
        self.map_action = self._action("Back to the &Map", self.focus_map, tip="Esc: the keyboard drives playback")
        self.map_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.map_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)   # Esc is routed by the keyboard
        self.theme_group = QActionGroup(self)
        self.light_action = self._action("&Light Theme", lambda: self.theme_requested.emit("light"), checkable=True)
        self.dark_action = self._action("&Dark Theme", lambda: self.theme_requested.emit("dark"), checkable=True)
        for a in (self.light_action, self.dark_action):
            self.theme_group.addAction(a)
        self.light_action.setChecked(True)
        self.shortcuts_action = self._action("&Keyboard Shortcuts", self.show_shortcuts,
                                             QKeySequence.StandardKey.HelpContents)
        self.guide_action = self._action("&First Five Minutes", self.show_guide)
        self.about_action = self._action("&About", self.show_about)
        view = self.model.view
        self.legend_action = self._action("&Legend", lambda on: view.update({"show_legend": bool(on)}),
                                          "Ctrl+L", checkable=True)
        self.minima_action = self._action("Known &Minima", lambda on: view.update({"show_minima": bool(on)}),
                                          checkable=True)
        self.exporter = Exporter(self, self.model, summary=self.summary_table)

    def _create_menus(self) -> None:
        from widgets.overlays import install_view_actions

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.document.install_menu(file_menu)
        entries = file_menu.actions()
        after_gallery = entries[entries.index(self.document.gallery_action) + 1]
        file_menu.insertAction(after_gallery, self.data_pane.actions.open_data_action)
        self.exporter.fill_menu(self.document.export_menu)
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.document.undo_action)
        edit_menu.addAction(self.document.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.document.reset_action)

        view_menu = bar.addMenu("&View")
        for dock in (self.lesson_dock, self.maths_dock, self.runs_dock, self.parameters_dock, self.basins_dock,
                     self.data_dock, self.slice_dock, self.loss_dock, self.trace_dock, self.cut_dock,
                     self.table_dock, self.summary_dock, self.sweep_dock, self.critical_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.legend_action)
        view_menu.addAction(self.minima_action)
        overlays_menu = view_menu.addMenu("&Overlays")
        self.overlay_actions = install_view_actions(overlays_menu, self.model.view, OVERLAYS)
        overlays_menu.addSeparator()
        self.overlay_actions |= install_view_actions(overlays_menu, self.model.view,
                                                     (("show_fan", "Fan of 12 Seeds (Noise or Shuffle)"),))
        self.overlay_actions |= install_view_actions(overlays_menu, self.model.session,
                                                     (("show_basins", "Basins of Attraction"),))
        from widgets.slice_panel import install_slice_menu

        self.slice_actions = install_slice_menu(view_menu.addMenu("&Slice (3 or More Variables)"), self.model)
        self._choice_menu(view_menu.addMenu("Contour &Levels"), "contour_levels",
                          (("auto", "&Automatic"), ("linear", "L&inear"), ("log", "L&ogarithmic")))
        self._choice_menu(view_menu.addMenu("3-D &Height Scale"), "surface_scale",
                          (("auto", "&Automatic"), ("linear", "L&inear"), ("log", "L&ogarithmic"),
                           ("clip", "&Clipped")))
        view_menu.addSeparator()
        view_menu.addAction(self.reset_camera_action)
        view_menu.addAction(self.map_action)
        view_menu.addSeparator()
        view_menu.addAction(self.light_action)
        view_menu.addAction(self.dark_action)
        view_menu.addAction(self.full_screen_action)
        view_menu.addAction(self.presentation_action)

        data_menu = bar.addMenu("&Data")
        self.data_pane.actions.fill_menu(data_menu)

        run_menu = bar.addMenu("&Run")
        p = self.playback
        for a in (p.play_action, p.back_action, p.forward_action, p.start_action, p.end_action):
            run_menu.addAction(a)
        run_menu.addSeparator()
        for a in (self.add_run_action, self.duplicate_run_action, self.remove_run_action):
            run_menu.addAction(a)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.guide_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        self.menus = {"File": file_menu, "Edit": edit_menu, "View": view_menu, "Data": data_menu, "Run": run_menu,
                      "Help": help_menu}
        self.model.view.changed.connect(self._sync_view_actions)
        self._sync_view_actions()

    def _choice_menu(self, menu, key: str, choices) -> None:
        """Radio actions for one choice of ``model.view``; they follow the model (undo, a lesson opened)."""
        group = QActionGroup(menu)
        actions = {}
        view = self.model.view
        for value, text in choices:
            action = QAction(text, menu, checkable=True)
            action.triggered.connect(lambda _=False, v=value: view.update({key: v}))
            group.addAction(action)
            menu.addAction(action)
            actions[value] = action

        def sync(changed=None) -> None:
            if changed in (None, key):
                actions[getattr(view, key)].setChecked(True)

        view.changed.connect(sync)
        sync()

    def _sync_view_actions(self, *_args) -> None:
        self.legend_action.setChecked(self.model.view.show_legend)
        self.minima_action.setChecked(self.model.view.show_minima)

    def _create_status_bar(self) -> None:
        self.statusBar().showMessage(HINT, 10_000)
        self.data_pane.actions.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.model.data_changed.connect(self._show_data_dock)
        self._show_data_dock()

    def _create_keyboard(self) -> None:
        from widgets.keyboard import KeyboardRouter

        p = self.playback
        self.keyboard = KeyboardRouter(self, {Qt.Key.Key_Space: p.play_action, Qt.Key.Key_Left: p.back_action,
                                              Qt.Key.Key_Right: p.forward_action, Qt.Key.Key_Home: p.start_action,
                                              Qt.Key.Key_End: p.end_action})
        self.keyboard.escape.connect(self._on_escape)

    # ------------------------------------------------------------------ behaviour
    def focus_map(self) -> None:
        """Hand the keyboard to the map (Esc, Enter in the formula field): playback keys drive the race."""
        if hasattr(self, "keyboard"):
            self.keyboard.stop_editing()
        self.contour_view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_escape(self, widget) -> None:
        if widget in (self.expression_editor.line_edit, self.expression_editor.variables_edit):
            self.expression_editor.revert()      # puts the formula in use back; done_editing focuses the map
        else:
            self.focus_map()

    def _on_loaded(self) -> None:
        """A lesson or file was opened: show its card; the formula field shows its formula (model.loaded)."""
        if self.model.description:
            self.lesson_dock.raise_()
        self._show_data_dock()
        if self.model.parameters and self.model.dataspec is None:
            self.parameters_dock.raise_()      # a lesson with sliders is taught with them
        self._parameter_names = set(self.model.parameters)
        if self.model.ndim >= 3:
            self.slice_dock.raise_()           # a lesson of many variables is taught through its slice
        self.focus_map()

    def _on_surface_changed(self) -> None:
        names = set(self.model.parameters)
        if names - self._parameter_names:
            self.parameters_dock.raise_()      # a typed formula with new letters: here are their sliders
        self._parameter_names = names
        # one variable: the map draws the graph of f and the 3-D view steps aside
        self.surface_view.setVisible(self.model.projection.kind != "curve")
        if self.model.ndim >= 3 and getattr(self, "_ndim_shown", 2) < 3:
            self.slice_dock.raise_()
        self._ndim_shown = self.model.ndim

    def _show_data_dock(self) -> None:
        """The data pane comes to the front (over the runs) when a comparison gets data, and goes away when
        it has none."""
        has = self.model.dataspec is not None
        if has == self._data_shown or self._presentation is not None:
            return
        self._data_shown = has
        self.data_dock.setVisible(has)
        if has:
            self.data_dock.raise_()

    def _toggle_full_screen(self, on: bool) -> None:
        if on:
            self.showFullScreen()
        elif self._presentation is None:
            self.showNormal()

    def set_presentation(self, on: bool) -> None:
        """Presentation mode on or off (F11); session state: never saved, never an edit."""
        self.model.session.presentation = bool(on)

    def _apply_presentation(self, on: bool) -> None:
        if bool(on) == (self._presentation is not None):
            return
        app = QApplication.instance()
        if on:
            keep = (self.loss_dock,)
            docks = [d for d in self.findChildren(QDockWidget) if d.isVisibleTo(self) and d not in keep]
            axes = []
            for plot in self._plots():
                for side in ("bottom", "left"):
                    axis = plot.getAxis(side)
                    axes.append((axis, QFont(axis.style.get("tickFont") or QFont())))
            self._presentation = {"docks": docks, "font": QFont(app.font()), "axes": axes,
                                  "palette": QPalette(self.palette()), "full": self.isFullScreen(),
                                  "state": self.saveState(), "geometry": self.saveGeometry()}
            for dock in docks:
                dock.hide()
            font = QFont(app.font())
            font.setPointSizeF(font.pointSizeF() * PRESENTATION_FONT_SCALE)
            app.setFont(font)
            big = QFont()
            big.setPointSize(PRESENTATION_AXIS_PT)
            for axis, _old in axes:
                axis.setStyle(tickFont=big)
            self.statusBar().hide()
            # only the formula, in large type: the ranges row comes back on a mistake
            self.expression_editor.set_compact(True, PRESENTATION_FONT_SCALE)
            palette = QPalette(self.palette())     # high contrast within the theme
            dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
            palette.setColor(QPalette.ColorRole.Window, Qt.GlobalColor.black if dark else Qt.GlobalColor.white)
            palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.white if dark else Qt.GlobalColor.black)
            self.setPalette(palette)
            self.showFullScreen()
        else:
            saved, self._presentation = self._presentation, None
            self.statusBar().show()
            self.expression_editor.set_compact(False)
            app.setFont(saved["font"])
            for axis, font in saved["axes"]:
                axis.setStyle(tickFont=font)
            self.setPalette(saved["palette"])
            for dock in saved["docks"]:
                dock.show()
            if not saved["full"]:
                self.showNormal()
            self.restoreState(saved["state"])
            if not saved["full"]:
                # the size it had, once the layout has its normal type again: the docks shown at the large
                # type's minimum size grew it (1024 x 768 came back as 1184 x 794, past such a screen's edge)
                QTimer.singleShot(RESTORE_MS, self, lambda geometry=saved["geometry"]: self.restoreGeometry(geometry))
        self.presentation_action.blockSignals(True)
        self.presentation_action.setChecked(bool(on))
        self.presentation_action.blockSignals(False)

    def _plots(self) -> list:
        plots = [w.getPlotItem() for w in self.findChildren(pg.PlotWidget)]
        for layout in self.findChildren(pg.GraphicsLayoutWidget):
            plots += [item for item in layout.ci.items if isinstance(item, pg.PlotItem)]
        return plots

    def show_shortcuts(self):
        from widgets.help import HelpDialog, shortcut_html

        dialog = HelpDialog("Keyboard shortcuts", shortcut_html(self.menus.values()), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_guide(self):
        from widgets.help import FIRST_FIVE_MINUTES, HelpDialog

        dialog = HelpDialog("Your first five minutes", FIRST_FIVE_MINUTES, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

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
        """Window geometry, dock layout and the last surface: session state, in QSettings (never a preset)."""
        if self._settings is None:
            return
        if self._presentation is not None:
            self.set_presentation(False)
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        if self.model.surface is not None and self.model.ndim == 2:
            self._settings.setValue("surface/expression", self.model.expression)
            self._settings.setValue("surface/x_range", list(self.model.x_range))
            self._settings.setValue("surface/y_range", list(self.model.y_range))

    def shutdown(self) -> None:
        """Stop playback and background work (called on close)."""
        self.playback.pause()
        if self.trajectories is not None:
            self.trajectories.detach()
        if self.model.analysis.synchronous is False:
            self.model.analysis.needs_compute.disconnect(self._analyse)
            self.model.analysis.synchronous = True
        for channel in self.findChildren(jobs.JobChannel):
            channel.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.write_settings()
        self.shutdown()
        super().closeEvent(event)


def _safe(job):
    """An analysis job's result; a surface that cannot be analysed gives an empty answer, never an error."""
    import numpy as np

    try:
        return job.compute()
    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
        return [] if job.kind == "critical" else None
