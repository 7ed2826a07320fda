"""Plugs the document, export, summary and calculus components into a :class:`MainWindow`.

Each component is bound to the window's model and installs its own menu entries; this module only decides
where they go (menus, docks), so MainWindow stays about layout and playback.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup


def _menu(window, title: str):
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and menu.title().replace("&", "") == title:
            return menu
    return window.menuBar().addMenu(f"&{title}")


def _choice_menu(menu, model, key: str, choices) -> None:
    """Radio actions writing ``model.view[key]``; they follow the model when a preset changes it."""
    group = QActionGroup(menu)
    actions = {}
    for value, text in choices:
        action = QAction(text, menu, checkable=True)
        action.triggered.connect(lambda _=False, v=value: model.set_view(key, v))
        group.addAction(action)
        menu.addAction(action)
        actions[value] = action

    def sync(changed=None) -> None:
        if changed in (None, key):
            actions.get(model.view.get(key, "auto"), actions["auto"]).setChecked(True)

    model.view_changed.connect(sync)
    sync()


def install_extras(window, settings: QSettings | None = None) -> None:
    """Attach issue-5 (files, export, summary) and issue-6 (calculus overlays) features to ``window``."""
    from widgets.basin_view import BasinView
    from widgets.critical_list import CriticalPointList
    from widgets.document import Document
    from widgets.export import Exporter
    from widgets.fans import NoiseFan
    from widgets.overlays import ContourOverlays, SurfaceOverlays, install_view_actions
    from widgets.parameter_sliders import ParameterSliders
    from widgets.presentation import install_presentation_action
    from widgets.summary_table import SummaryTable
    from widgets.sweep_view import SweepView

    model = window.model
    right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
    file_menu, view_menu = _menu(window, "File"), _menu(window, "View")

    # --- issue 5: documents, export, summary -----------------------------------------------------------
    window.document = Document(window, model, settings=settings if settings is not None else QSettings(),
                               file_menu=file_menu)
    window.summary_table = SummaryTable(model)
    window.exporter = Exporter(window, model, window.document.export_menu, summary=window.summary_table)
    window.summary_dock = window._dock("Summary", "summary", window.summary_table, bottom)
    window.tabifyDockWidget(window.table_dock, window.summary_dock)

    # --- issue 6: the calculus made visible ------------------------------------------------------------
    window.contour_overlays = ContourOverlays(model, window.contour_view)
    window.surface_overlays = SurfaceOverlays(model, window.surface_view)
    window.noise_fan = NoiseFan(model, window.contour_view)
    window.basin_view = BasinView(model, window.contour_view)
    window.sweep_view = SweepView(model)
    window.parameter_sliders = ParameterSliders(model)
    window.critical_list = CriticalPointList(model)
    window.critical_dock = window._dock("Critical Points", "critical", window.critical_list, bottom)
    window.parameters_dock = window._dock("Parameters", "parameters", window.parameter_sliders, right)
    window.basins_dock = window._dock("Basins of Attraction", "basins", window.basin_view, right)
    window.sweep_dock = window._dock("Learning-Rate Sweep", "sweep", window.sweep_view, bottom)
    window.tabifyDockWidget(window.runs_dock, window.parameters_dock)
    window.tabifyDockWidget(window.runs_dock, window.basins_dock)
    window.tabifyDockWidget(window.table_dock, window.sweep_dock)
    window.tabifyDockWidget(window.table_dock, window.critical_dock)
    window.runs_dock.raise_()
    window.table_dock.raise_()

    view_menu.addSeparator()
    _choice_menu(view_menu.addMenu("Contour &Levels"), model, "contour_levels",
                 (("auto", "&Automatic"), ("linear", "L&inear"), ("log", "L&ogarithmic")))
    _choice_menu(view_menu.addMenu("3-D &Height Scale"), model, "surface_scale",
                 (("auto", "&Automatic"), ("linear", "L&inear"), ("log", "L&ogarithmic"), ("clip", "&Clipped")))
    view_menu.addSeparator()
    for dock in (window.summary_dock, window.parameters_dock, window.basins_dock, window.sweep_dock,
                 window.critical_dock):
        view_menu.addAction(dock.toggleViewAction())
    overlays_menu = view_menu.addMenu("&Overlays")
    window.overlay_actions = install_view_actions(overlays_menu, model)
    overlays_menu.addSeparator()
    window.overlay_actions |= install_view_actions(
        overlays_menu, model, (("show_fan", "Noise Fan (12 Seeds)"), ("show_basins", "Basins of Attraction")))
    window.presentation_action = install_presentation_action(window, view_menu)  # F11
