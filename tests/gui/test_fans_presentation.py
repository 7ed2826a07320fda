"""Stochastic fans of noise seeds, and presentation mode (F11) on the real window."""

from __future__ import annotations

import numpy as np
from pyqtgraph.Qt import QtCore, QtWidgets

from explorer.model import Comparison
from explorer.runs import Noise, RunSpec
from explorer.surface import compile_surface
from widgets.contour_view import ContourView
from widgets.fans import NoiseFan, fan_runs

QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def noisy_model():
    runs = [RunSpec("noisy", "sgd", (-2.5, 2.0), {"lr": 0.05}, noise=Noise(std=3.0, seed=7)),
            RunSpec("exact", "sgd", (-2.5, 2.0), {"lr": 0.05})]
    return Comparison(compile_surface("x^2 + 2*y^2"), runs, x_range=(-3, 3), y_range=(-3, 3), default_steps=80)


def test_fan_draws_other_seeds_cut_at_the_step(qtbot):
    model = noisy_model()
    view = ContourView(model)
    qtbot.addWidget(view)
    fan = NoiseFan(model, view, n=12)
    assert not fan.curve.isVisible()
    model.view.show_fan = True
    qtbot.waitUntil(lambda: len(fan.paths) == 12, timeout=20_000)
    assert [r.noise.seed for r in fan_runs(model.runs[0])] == list(range(8, 20))
    starts = np.array([p[0] for p in fan.paths])
    np.testing.assert_allclose(starts, [[-2.5, 2.0]] * 12)
    assert len({tuple(p[5]) for p in fan.paths}) == 12          # the seeds really differ
    model.set_step(10)
    x, _ = fan.curve.getData()
    assert fan.curve.isVisible() and len(x) == 12 * (11 + 1)     # 11 points per seed + a nan separator
    model.select(1)                                              # no noise: no fan
    assert not fan.curve.isVisible()


def test_presentation_mode_folds_panels_and_enlarges_type(qtbot):
    from widgets.main_window import MainWindow

    model = noisy_model()
    window = MainWindow(model, compute_in_background=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    set_presentation = _setter(window)
    action = window.presentation_action          # installed by the window itself (View menu, F11)
    app = QtWidgets.QApplication.instance()
    size = app.font().pointSizeF()
    docks = [d for d in window.findChildren(QtWidgets.QDockWidget) if d.isVisible()]
    assert docks
    try:
        set_presentation(window, True)
        assert model.session.presentation is True and action.isChecked()
        assert [d for d in docks if d.isVisible()] == [window.loss_dock]   # the loss plot stays
        assert app.font().pointSizeF() > size
        window.playback.forward_action.trigger()                 # playback still drives the model
        assert model.step == 1
    finally:
        set_presentation(window, False)
    assert model.session.presentation is False and not action.isChecked()
    window.activateWindow()                                      # shortcuts go to the active window
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window, timeout=5000)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_F11)               # F11 toggles it
    assert model.session.presentation is True
    assert not window.isWindowModified()                          # looking is not editing
    qtbot.keyClick(window, QtCore.Qt.Key.Key_F11)
    assert model.session.presentation is False
    assert all(d.isVisible() for d in docks)
    assert app.font().pointSizeF() == size


def test_presentation_mode_thickens_the_paths_in_both_views(qtbot):
    from widgets.main_window import MainWindow

    model = noisy_model()
    window = MainWindow(model, compute_in_background=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    set_presentation = _setter(window)
    contour_path = window.contour_view._paths[0]
    before = contour_path.opts["pen"].widthF()
    before_3d = window.surface_view._paths[0].width
    try:
        set_presentation(window, True)
        assert contour_path.opts["pen"].widthF() == 2 * before
        assert window.surface_view._paths[0].width == 2 * before_3d
    finally:
        set_presentation(window, False)
    assert contour_path.opts["pen"].widthF() == before


def _setter(window):
    return lambda _window, on: window.set_presentation(on)
