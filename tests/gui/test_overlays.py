"""Issue 6's overlays follow the model: vectors at the selected run's current step, critical points, the local
quadratic model with gradient descent's stability bound, and the View menu toggles."""

from __future__ import annotations

import numpy as np
import pytest
from pyqtgraph.Qt import QtCore, QtWidgets

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface
from widgets.contour_view import ContourView
from widgets.overlays import TOGGLES, ContourOverlays, SurfaceOverlays, install_view_actions
from widgets.surface_view import SurfaceView

QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def shown(qtbot, widget, size=(700, 600)):
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def himmelblau_model(optimizer="adam", params=None):
    runs = [RunSpec("racer", optimizer, (0.0, -1.0), params or {"lr": 0.1})]
    return Comparison(compile_surface(HIMMELBLAU), runs, x_range=(-5, 5), y_range=(-5, 5), default_steps=200)


def quadratic_model(lr):
    """f = x² + 10 y²: Hessian diag(2, 20), so gradient descent is stable iff lr < 2/20 = 0.1."""
    runs = [RunSpec("gd", "sgd", (-1.5, 0.8), {"lr": lr})]
    return Comparison(compile_surface("x^2 + 10*y^2"), runs, x_range=(-2, 2), y_range=(-2, 2), default_steps=60)


def test_vectors_appear_when_toggled_and_follow_the_step(qtbot):
    model = himmelblau_model()
    view = shown(qtbot, ContourView(model))
    overlays = ContourOverlays(model, view)
    assert not overlays.arrows["gradient"].visible
    for key in ("show_gradient", "show_update", "show_velocity", "show_step_scale"):
        model.view.update({key: True})
    for step in (3, 17):
        model.set_step(step)
        traj = model.trajectories[0]
        for name in ("gradient", "update", "velocity"):
            arrow = overlays.arrows[name]
            assert arrow.visible, name
            np.testing.assert_allclose(arrow.start, traj.points[step])
        # the gradient arrow points along −∇f, and its label carries the true magnitude
        x, y = overlays.arrows["gradient"].curve.getData()
        direction = np.array([x[1] - x[0], y[1] - y[0]])
        g = -traj.grads[step]
        assert np.dot(direction, g) / (np.linalg.norm(direction) * np.linalg.norm(g)) > 0.99
        assert f"{np.linalg.norm(g):.3g}" in overlays.arrows["gradient"].label.textItem.toPlainText()
        assert overlays.step_scale.isVisible()      # Adam is adaptive
    model.view.show_gradient = False
    assert not overlays.arrows["gradient"].visible


def test_step_scale_ellipse_shows_per_coordinate_scales(qtbot):
    model = quadratic_model(0.05)
    model.set_run(0, RunSpec("rms", "rmsprop", (-1.5, 0.8), {"lr": 0.05}))
    view = shown(qtbot, ContourView(model))
    overlays = ContourOverlays(model, view)
    model.view.show_step_scale = True
    model.set_step(3)
    x, y = overlays.step_scale.getData()
    scale = model.trajectories[0].internals["step_scale"][3]
    half_x, half_y = (x.max() - x.min()) / 2, (y.max() - y.min()) / 2
    # the ellipse's aspect is the ratio of the per-coordinate step scales (y has 10x the curvature)
    pixel = np.abs(np.array(view.getPlotItem().getViewBox().viewPixelSize()))
    assert (half_x / pixel[0]) / (half_y / pixel[1]) == pytest.approx(scale[0] / scale[1], rel=0.02)
    assert scale[0] > scale[1]
    # plain gradient descent has one step size for both coordinates: no ellipse
    model.set_run(0, RunSpec("gd", "sgd", (-1.5, 0.8), {"lr": 0.05}))
    assert not overlays.step_scale.isVisible()


def test_gradient_field_is_a_20_by_20_quiver(qtbot):
    model = himmelblau_model()
    view = shown(qtbot, ContourView(model))
    overlays = ContourOverlays(model, view)
    assert not overlays.field.isVisible()
    model.view.show_field = True
    x, _ = overlays.field.getData()
    assert overlays.field.isVisible() and len(x) == 20 * 20 * 6   # 3 line pairs per arrow


def test_critical_points_of_himmelblau_marked_by_kind(qtbot):
    model = himmelblau_model()
    view = shown(qtbot, ContourView(model))
    overlays = ContourOverlays(model, view)
    model.view.show_critical = True
    qtbot.waitUntil(lambda: overlays.critical is not None, timeout=20_000)
    kinds = [spot.data() for spot in overlays.critical_markers.points()]
    assert sorted(kinds) == sorted(["minimum"] * 4 + ["saddle"] * 4 + ["maximum"])
    symbols = {spot.data(): spot.symbol() for spot in overlays.critical_markers.points()}
    assert symbols == {"minimum": "t", "maximum": "t1", "saddle": "x"}
    xy = np.array([[s.pos().x(), s.pos().y()] for s in overlays.critical_markers.points()])
    assert np.min(np.linalg.norm(xy - [3.0, 2.0], axis=1)) < 1e-6
    legend = [label.text for _sample, label in overlays.critical_legend.items]
    assert legend == ["minimum (4)", "maximum (1)", "saddle (4)"]
    # a new surface throws the old points away and finds the new ones
    model.set_surface(compile_surface("x^2 - y^2"))
    qtbot.waitUntil(lambda: overlays.critical is not None, timeout=20_000)
    assert [spot.data() for spot in overlays.critical_markers.points()] == ["saddle"]


@pytest.mark.parametrize(("lr", "warned"), [(0.101, True), (0.099, False)])
def test_stability_warning_for_gradient_descent_above_two_over_lambda_max(qtbot, lr, warned):
    model = quadratic_model(lr)
    view = shown(qtbot, ContourView(model))
    overlays = ContourOverlays(model, view)
    model.view.show_taylor = True
    model.set_step(2)
    assert overlays.info.isVisible()
    assert "condition number κ = 10" in overlays.info_text
    assert overlays.stability_warning is warned
    assert ("unstable" in overlays.info_text) is warned
    assert "2/λmax = 0.1" in overlays.info_text
    assert overlays.taylor.isVisible()          # the model's level curves (here: ellipses)
    assert all(item.isVisible() for item in overlays.eigen)


def test_no_stability_bound_for_adam(qtbot):
    model = himmelblau_model()
    view = shown(qtbot, ContourView(model))
    overlays = ContourOverlays(model, view)
    model.view.show_taylor = True
    assert overlays.info.isVisible() and "2/λmax" not in overlays.info_text
    assert not overlays.stability_warning


def test_view_menu_actions_toggle_the_model_and_follow_it(qtbot):
    model = himmelblau_model()
    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    menu = window.menuBar().addMenu("&View")
    actions = install_view_actions(menu, model.view)
    assert list(actions) == [key for key, _ in TOGGLES]
    actions["show_field"].trigger()
    assert model.view.show_field is True
    model.view.show_field = False
    assert not actions["show_field"].isChecked()


@pytest.mark.gl
def test_surface_overlays_draw_vectors_plane_and_critical_points(qtbot):
    model = himmelblau_model()
    view = shown(qtbot, SurfaceView(model))
    overlays = SurfaceOverlays(model, view)
    for key in ("show_gradient", "show_taylor", "show_critical"):
        model.view.update({key: True})
    model.set_step(5)
    assert overlays.vectors["gradient"].visible() and overlays.plane.visible()
    start = overlays.vectors["gradient"].pos[0, :2]
    np.testing.assert_allclose(start, overlays.scene_xy(model.trajectories[0].points[5]), atol=1e-5)
    qtbot.waitUntil(lambda: overlays.critical is not None, timeout=20_000)
    assert overlays.critical_dots.visible() and len(overlays.critical_dots.pos) == 9
    image = view.renderToArray((300, 300))
    assert image[..., :3].max() > 0
