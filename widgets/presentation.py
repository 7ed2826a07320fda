"""Presentation mode (F11): full screen, large type, thick lines, high contrast, side panels folded away.

Works through the window's public surface only: ``window.model`` (``view["presentation"]`` tells views and
overlays to thicken their lines), its dock widgets (hidden, and restored as they were), the application font
(scaled up) and the plots' axis fonts. Playback keys are window shortcuts and keep working.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QDockWidget

FONT_SCALE = 1.5
AXIS_FONT_PT = 20
_STATE = "_presentation_state"    # attribute on the window holding what to restore


def set_presentation(window, on: bool) -> None:
    """Switch ``window`` (a QMainWindow with a ``model``) into or out of presentation mode."""
    saved = getattr(window, _STATE, None)
    if bool(on) == (saved is not None):
        return
    app = QApplication.instance()
    if on:
        docks = [d for d in window.findChildren(QDockWidget) if d.isVisibleTo(window)]
        plots = window.findChildren(pg.PlotWidget) + [p for g in window.findChildren(pg.GraphicsLayoutWidget)
                                                      for p in g.ci.items if isinstance(p, pg.PlotItem)]
        axes = []
        for plot in plots:
            item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
            for side in ("bottom", "left"):
                axis = item.getAxis(side)
                axes.append((axis, QFont(axis.style.get("tickFont") or QFont())))
        state = {"docks": docks, "font": QFont(app.font()), "axes": axes, "palette": QPalette(window.palette()),
                 "full": window.isFullScreen(), "menubar": window.menuBar().isVisible()}
        setattr(window, _STATE, state)
        for dock in docks:
            dock.hide()
        font = QFont(app.font())
        font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
        app.setFont(font)
        big = QFont()
        big.setPointSize(AXIS_FONT_PT)
        for axis, _old in axes:
            axis.setStyle(tickFont=big)
        palette = QPalette(window.palette())     # high contrast: pure black on white
        palette.setColor(QPalette.ColorRole.Window, Qt.GlobalColor.white)
        palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.black)
        window.setPalette(palette)
        window.showFullScreen()
    else:
        delattr(window, _STATE)
        app.setFont(saved["font"])
        for axis, font in saved["axes"]:
            axis.setStyle(tickFont=font)
        window.setPalette(saved["palette"])
        for dock in saved["docks"]:
            dock.show()
        if not saved["full"]:
            window.showNormal()
    window.model.set_view("presentation", bool(on))


def install_presentation_action(window, menu=None) -> QAction:
    """A checkable "Presentation Mode" action on F11, added to ``window`` (so it works with menus hidden)
    and to ``menu`` if given; it follows ``model.view["presentation"]``."""
    action = QAction("&Presentation Mode", window)
    action.setCheckable(True)
    action.setShortcut(QKeySequence(Qt.Key.Key_F11))
    action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    action.toggled.connect(lambda on: set_presentation(window, on))
    window.addAction(action)
    if menu is not None:
        menu.addAction(action)
    window.model.view_changed.connect(
        lambda key: action.setChecked(bool(window.model.view.get("presentation")))
        if key == "presentation" else None)
    return action
