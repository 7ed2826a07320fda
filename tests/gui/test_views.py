"""The contour, 3-D and maths views follow the model, and mouse gestures on the contour edit the model."""

from __future__ import annotations

import numpy as np
import pytest
from pyqtgraph.Qt import QtCore, QtGui

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface
from widgets.contour_view import ContourView
from widgets.math_view import MathView, typeset
from widgets.surface_view import SurfaceView

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"

# pyqtgraph.opengl caches compiled shader programs per class; views created one after another only work
# when their GL contexts share objects. Must be set before the QApplication exists (collection time).
QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def make_model(expression=ROSENBROCK, *, runs=None, x_range=(-2.0, 2.0), y_range=(-1.0, 3.0)):
    runs = runs if runs is not None else [
        RunSpec("sgd", "sgd", (-1.5, 2.0), {"lr": 1e-3}),
        RunSpec("momentum", "sgd", (-1.0, -0.5), {"lr": 1e-3, "momentum": 0.9}),
        RunSpec("adam", "adam", (0.5, 2.5), {"lr": 0.05}),
    ]
    return Comparison(compile_surface(expression), runs, x_range=x_range, y_range=y_range, default_steps=200)


def shown(qtbot, widget, size=(700, 600)):
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def widget_pos(view: ContourView, x: float, y: float) -> QtCore.QPoint:
    scene = view.getPlotItem().getViewBox().mapViewToScene(QtCore.QPointF(x, y))
    return view.mapFromScene(scene)


def send_mouse(view, kind, pos, buttons, modifiers=QtCore.Qt.KeyboardModifier.NoModifier):
    """Deliver a mouse event to the plot's viewport (QTest warns when pyqtgraph leaves a press unaccepted)."""
    vp = view.viewport()
    event = QtGui.QMouseEvent(kind, QtCore.QPointF(pos), QtCore.QPointF(vp.mapToGlobal(pos)),
                              QtCore.Qt.MouseButton.LeftButton, buttons, modifiers)
    QtCore.QCoreApplication.sendEvent(vp, event)


def click(view, pos, modifiers=QtCore.Qt.KeyboardModifier.NoModifier):
    send_mouse(view, QtCore.QEvent.Type.MouseButtonPress, pos, QtCore.Qt.MouseButton.LeftButton, modifiers)
    send_mouse(view, QtCore.QEvent.Type.MouseButtonRelease, pos, QtCore.Qt.MouseButton.NoButton, modifiers)


# ---------------------------------------------------------------- contour view
def test_click_places_the_selected_runs_start(qtbot):
    model = make_model()
    view = shown(qtbot, ContourView(model))
    model.select(1)
    click(view, widget_pos(view, 0.5, 1.25))
    assert model.runs[1].start == pytest.approx((0.5, 1.25), abs=0.03)
    assert model.runs[0].start == (-1.5, 2.0)            # the others stay put
    assert model.trajectories[1].points[0] == pytest.approx(model.runs[1].start)


def test_shift_click_adds_a_run_there(qtbot):
    model = make_model()
    view = shown(qtbot, ContourView(model))
    click(view, widget_pos(view, -0.5, 0.75), QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert len(model.runs) == 4
    assert model.runs[3].start == pytest.approx((-0.5, 0.75), abs=0.03)
    assert model.selected == 3
    assert len(view.start_positions()) == 4


def test_dragging_a_start_marker_moves_that_start(qtbot):
    model = make_model()
    view = shown(qtbot, ContourView(model))
    start, end = widget_pos(view, 0.5, 2.5), widget_pos(view, 1.0, 2.0)
    left = QtCore.Qt.MouseButton.LeftButton
    send_mouse(view, QtCore.QEvent.Type.MouseButtonPress, start, left)
    for t in np.linspace(0.1, 1.0, 6):
        send_mouse(view, QtCore.QEvent.Type.MouseMove, start + (end - start) * t, left)
    send_mouse(view, QtCore.QEvent.Type.MouseButtonRelease, end, QtCore.Qt.MouseButton.NoButton)
    assert model.selected == 2
    assert model.runs[2].start == pytest.approx((1.0, 2.0), abs=0.03)


def test_racer_markers_sit_on_the_trajectories_and_follow_the_step(qtbot):
    model = make_model()
    view = shown(qtbot, ContourView(model))
    for step in (0, 17, 120, 10_000):
        model.set_step(step)
        expected = np.array([model.point_at(i) for i in range(len(model.runs))])
        assert view.racer_positions() == pytest.approx(expected)
        path = view.path_of(0)
        upto = model.trajectories[0].points[: min(model.step, model.trajectories[0].stop_step) + 1]
        assert path[0] == pytest.approx(upto[0]) and path[-1] == pytest.approx(model.point_at(0))
        # vertices closer than a pixel are left out, every one drawn is a point of the path so far
        assert len(path) <= len(upto)
        assert all(np.min(np.abs(upto - p).sum(axis=1)) < 1e-12 for p in path)


def test_hidden_runs_are_not_drawn(qtbot):
    model = make_model()
    view = shown(qtbot, ContourView(model))
    model.set_step(30)
    from dataclasses import replace
    model.set_run(1, replace(model.runs[1], visible=False))
    assert len(view.racer_positions()) == 2
    assert len(view.start_positions()) == 2
    assert len(view.path_of(1)) == 0


def test_levels_are_logarithmic_for_rosenbrock_and_linear_for_a_parabola(qtbot):
    model = make_model()
    view = shown(qtbot, ContourView(model))
    assert view.level_kind == "log"
    ratios = view.levels[1:] / view.levels[:-1]
    assert np.all(ratios > 1.3)                               # geometric spacing, decades apart overall
    assert view.levels[-1] / view.levels[0] > 1e3

    model.set_surface(compile_surface("x^2 + y^2"), (-2.0, 2.0), (-2.0, 2.0))
    assert view.level_kind == "linear"
    assert np.allclose(np.diff(view.levels), view.levels[1] - view.levels[0])

    model.view.contour_levels = "log"
    assert view.level_kind == "log"
    model.view.contour_levels = "linear"
    model.set_surface(compile_surface(ROSENBROCK), (-2.0, 2.0), (-1.0, 3.0))
    assert view.level_kind == "linear"


def test_contour_image_shows_the_valley_darker_than_the_walls(qtbot):
    model = make_model()
    view = shown(qtbot, ContourView(model))
    image = view.grab().toImage()
    valley = widget_pos(view, -0.5, 0.3)        # f = 2.5, between two iso-lines
    wall = widget_pos(view, -1.9, -0.9)         # f = 2000
    assert QtGui.qGray(image.pixel(valley)) < QtGui.qGray(image.pixel(wall)) - 80


# ---------------------------------------------------------------- 3-D view
@pytest.mark.gl
def test_surface_view_renders_the_surface_and_a_ball_in_the_run_colour(qtbot):
    runs = [RunSpec("red", "sgd", (-1.5, 2.0), {"lr": 1e-3}, color="#ff2020")]
    model = make_model(runs=runs)
    view = shown(qtbot, SurfaceView(model))
    model.set_step(40)
    w, h = 600, 450
    rgba = view.renderToArray((w, h))[..., [2, 1, 0, 3]]      # BGRA -> RGBA
    assert rgba.shape == (h, w, 4)
    assert rgba[..., :3].max(axis=2).mean() > 40                 # not black
    background = np.array(view.palette().color(QtGui.QPalette.ColorRole.Window).getRgb()[:3])
    differs = np.abs(rgba[..., :3].astype(int) - background).sum(axis=2) > 30
    assert differs.mean() > 0.15                                 # a surface fills a good part of the view
    (bx, by), = view.project(view.ball_positions(), (w, h))
    x0, x1 = int(max(bx - 15, 0)), int(min(bx + 15, w))
    y0, y1 = int(max(by - 15, 0)), int(min(by + 15, h))
    patch = rgba[y0:y1, x0:x1, :3].astype(int).reshape(-1, 3)
    reddish = (patch[:, 0] > 120) & (patch[:, 0] > 2 * patch[:, 1]) & (patch[:, 0] > 2 * patch[:, 2])
    assert reddish.sum() >= 10


@pytest.mark.gl
def test_balls_and_paths_lie_on_the_surface_under_every_height_scale(qtbot):
    model = make_model()
    view = shown(qtbot, SurfaceView(model))
    model.set_step(60)
    for scale in ("auto", "linear", "log", "clip"):
        model.view.surface_scale = scale
        on_surface = view.to_scene([model.point_at(i) for i in range(len(model.runs))])
        balls = view.ball_positions()
        assert balls[:, :2] == pytest.approx(on_surface[:, :2], abs=1e-4)
        lift = balls[:, 2] - on_surface[:, 2]
        assert np.all((lift > 0) & (lift < 0.5))
    assert view.height_scale.kind == "clip"
    view.reset_camera()


# ---------------------------------------------------------------- maths
def test_math_view_typesets_rosenbrock(qtbot):
    model = make_model()
    view = shown(qtbot, MathView(model), (500, 500))
    qtbot.waitUntil(lambda: not view.busy)
    assert view.ok
    image = view.image()
    assert not image.isNull()
    ink = np.array([[QtGui.QColor(image.pixel(x, y)).lightness() for x in range(0, image.width(), 3)]
                    for y in range(0, image.height(), 3)])
    assert (ink < 100).sum() > 200                  # plenty of dark glyph pixels


def test_math_view_handles_a_long_expression(qtbot):
    text = ("(1+(x+y+1)^2*(19-14*x+3*x^2-14*y+6*x*y+3*y^2))"
            "*(30+(2*x-3*y)^2*(18-32*x+12*x^2+48*y-36*x*y+27*y^2))")
    model = make_model(text, runs=[])
    view = shown(qtbot, MathView(model), (400, 400))
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert view.ok
    assert view.image().width() > 0
    from widgets.math_view import _Formula

    qtbot.wait(50)
    f_line = view.widget().findChildren(_Formula)[0]
    assert len({piece.y() for piece in f_line.pieces}) >= 2   # too long for one row: it wraps …
    assert view.horizontalScrollBar().maximum() == 0          # … instead of running off to the right


def test_unparsable_latex_falls_back_to_plain_text(qapp):
    image, ok = typeset(r"\begin{cases} x & x > 0 \\ y & \text{otherwise} \end{cases}", QtGui.QColor("black"),
                        fallback="Piecewise((x, x > 0), (y, True))")
    assert not ok
    assert image.width() > 50 and image.height() > 5


def test_paths_are_cut_to_the_view_where_they_leave_it_and_come_back():
    from widgets.contour_view import clip_polyline

    inside = np.array([[0.0, 0.0], [0.5, 0.2], [-0.3, 0.9]])
    line, upto = clip_polyline(inside, np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
    assert np.array_equal(line, inside) and list(upto) == [1, 2, 3]
    # out through x = 1 at (1, 0), back in through y = 1 ... the segment (2, 0) -> (0.5, 0.5) enters at x = 1
    path = np.array([[0.0, 0.0], [2.0, 0.0], [0.5, 0.5], [0.5, -0.5]])
    line, upto = clip_polyline(path, np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
    assert np.allclose(line[: upto[1]], [[np.nan, np.nan], [0.0, 0.0], [1.0, 0.0]], equal_nan=True)
    entered = line[upto[1]: upto[2]]
    assert np.isnan(entered[0]).all() and np.allclose(entered[1:], [[1.0, 1 / 3], [0.5, 0.5]])
    assert np.allclose(line[upto[2]: upto[3]], [[0.5, -0.5]])     # carries on inside: one more point
    finite = line[np.isfinite(line).all(axis=1)]
    assert np.all(np.abs(finite) <= 1.0 + 1e-12)


def test_paths_leave_out_vertices_closer_than_a_pixel_and_keep_their_breaks():
    from widgets.contour_view import thin_polyline

    # 1,000 steps of 0.01 px along x, then a 50 px jump: about one vertex per pixel walked, the jump whole
    crawl = np.column_stack([np.arange(1000) * 0.01, np.zeros(1000)])
    line = np.vstack([crawl, [[60.0, 0.0], [60.0, 5.0]]])
    kept, count = thin_polyline(line, (1.0, 1.0))
    assert 10 <= len(kept) <= 14 and np.array_equal(kept[0], line[0]) and np.array_equal(kept[-1], line[-1])
    assert [60.0, 0.0] in kept.tolist()
    gaps = np.diff(kept[:-2, 0])
    assert gaps.max() <= 1.0 + 1e-9              # nothing between kept vertices is farther than a pixel
    assert count[0] == 0 and count[-1] == len(kept) and np.all(np.diff(count) >= 0)
    # the same in data units 100 times smaller: the pixel size says what a pixel is
    kept_small, _ = thin_polyline(line / 100, (0.01, 0.01))
    assert abs(len(kept_small) - len(kept)) <= 1 and np.array_equal(kept_small[-1], line[-1] / 100)
    # a break (nan) and the points on both sides of it stay
    broken = np.vstack([crawl[:500], [[np.nan, np.nan]], crawl[500:]])
    kept, _ = thin_polyline(broken, (1.0, 1.0))
    at = int(np.flatnonzero(np.isnan(kept[:, 0]))[0])
    assert np.array_equal(kept[at - 1], crawl[499]) and np.array_equal(kept[at + 1], crawl[500])
