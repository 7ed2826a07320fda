"""Issue 13, one variable and many, driven through the real window as a person does: typing the variables
field, choosing the slice in its panel and menu, pressing playback keys with the focus on the map, clicking
the map, reading the caption, the curve's tangent and step, the critical points, the trace and the cut.

The window is opened as ``python main.py LESSON`` opens it (:func:`widgets.app.start_window`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication
from window_helpers import settle as shared_settle

pytestmark = pytest.mark.qt_log_level_fail("WARNING")

ROOT = Path(__file__).resolve().parents[2]
CTRL = Qt.KeyboardModifier.ControlModifier


# ------------------------------------------------------------------------------------------------ helpers
def settle(window, timeout: float = 60.0) -> None:
    shared_settle(window, timeout, caption=True)


def key(qtbot, window, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key where the keyboard focus is."""
    qtbot.keyClick(QApplication.focusWidget() or window, k, modifier)


def type_into(qtbot, field, text: str) -> None:
    """Click into a field, select what is there, type ``text`` and press Enter."""
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton, pos=QPoint(min(20, field.width() // 2), field.height() // 2))
    qtbot.waitUntil(field.hasFocus, timeout=3000)
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def pick(qtbot, combo, data) -> None:
    """Choose the entry carrying ``data`` in a combo box with the keyboard, as a person does."""
    index = combo.findData(data)
    index = index if index >= 0 or not isinstance(data, str) else combo.findText(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus, timeout=3000)
    while combo.currentIndex() != index:
        key(qtbot, combo, Qt.Key.Key_Down if combo.currentIndex() < index else Qt.Key.Key_Up)


def map_pos(view, x: float, y: float) -> QPoint:
    scene = view.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    return view.mapFromScene(scene)


def click_map(view, x: float, y: float) -> None:
    """A left click on the map at view point (x, y) (pyqtgraph wants press and release on the viewport)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtGui import QMouseEvent

    pos = map_pos(view, x, y)
    vp = view.viewport()
    for kind, buttons in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                          (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        QCoreApplication.sendEvent(vp, QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)),
                                                   Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier))


def focus_map(qtbot, window) -> None:
    window.focus_map()
    qtbot.waitUntil(window.contour_view.hasFocus, timeout=3000)


# --------------------------------------------------------------------------------------- the variables field
def test_typing_variables_makes_a_surface_of_three_then_one_variable(qtbot, open_window):
    window = open_window()
    model, editor = window.model, window.expression_editor
    assert editor.variables_edit.text() == "x, y" and model.ndim == 2
    type_into(qtbot, editor.line_edit, "x^2 + 3 y^2 + 2 z^2")
    qtbot.waitUntil(lambda: model.expression == "x^2 + 3 y^2 + 2 z^2", timeout=15_000)
    assert "z" in model.parameters                 # typed with variables x, y: z is a parameter (a slider)
    type_into(qtbot, editor.variables_edit, "x, y, z")
    qtbot.waitUntil(lambda: model.ndim == 3, timeout=15_000)
    settle(window)
    assert model.variables == ("x", "y", "z") and "z" not in model.parameters
    assert all(len(r.start) == 3 for r in model.runs) and all(t.points.shape[1] == 3 for t in model.trajectories)
    assert model.runs[0].start[:2] == pytest.approx((-1.5, 2.0)) and model.runs[0].start[2] == 0.0
    assert [label.text() for label in window.run_panel.start_editor.labels] == ["x", "y", "z"]
    assert window.slice_dock.isVisible() and not window.slice_dock.visibleRegion().isEmpty()
    assert window.slice_caption.text.startswith("Slice: x and y, the other one held · through the selected "
                                                "racer's point at step")
    # one Ctrl+Z puts the two variables back (ranges and starts too)
    focus_map(qtbot, window)
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: model.ndim == 2, timeout=10_000)
    assert editor.variables_edit.text() == "x, y" and all(len(r.start) == 2 for r in model.runs)
    # one variable: y becomes a parameter with a slider; the map is the graph of f, the 3-D view steps aside
    type_into(qtbot, editor.variables_edit, "x")
    qtbot.waitUntil(lambda: model.ndim == 1, timeout=15_000)
    settle(window)
    assert "y" in model.parameters and "y" in window.parameter_sliders.rows
    assert model.projection.kind == "curve" and not window.surface_view.isVisible()
    assert window.contour_view.getPlotItem().getAxis("left").labelText == "f(x)"


def test_bad_variables_keep_the_comparison_and_say_what_is_wrong(qtbot, open_window):
    window = open_window()
    model, editor = window.model, window.expression_editor
    surface = model.surface
    for typed, words in (("x, sin", "'sin' is a function or constant"), ("x, x", "the name 'x' is used twice"),
                         (", ".join(f"w{i}" for i in range(21)), "too many variables: 21 (at most 20)"),
                         ("x, 2y", "'2y' cannot be a variable name")):
        type_into(qtbot, editor.variables_edit, typed)
        qtbot.waitUntil(lambda words=words: words in editor.message.text(), timeout=5000)
        assert "variables:" in editor.message.text() and "keeps its variables" in editor.message.text()
        assert editor.variables_edit.property("invalid") is True
        assert model.surface is surface and model.variables == ("x", "y")
    key(qtbot, window, Qt.Key.Key_Escape)              # Esc puts the variables in use back
    assert editor.variables_edit.text() == "x, y" and not editor.variables_edit.property("invalid")


# ---------------------------------------------------------------------------------------------- one variable
def test_one_variable_the_curve_the_tangent_and_the_step(qtbot, open_window):
    window = open_window("one-variable")
    model, curve = window.model, window.curve_layer
    assert model.projection.kind == "curve" and not window.surface_view.isVisible()
    focus_map(qtbot, window)
    key(qtbot, window, Qt.Key.Key_Home)
    # at the start x = 4: the tangent's slope is f'(4) = 6 and the first step of lr 0.1 goes to 3.4
    assert model.runs[model.selected].label == "lr 0.1"
    assert curve.caption_text.splitlines() == ["slope f′(x = 4) = 6",
                                               "x: 4 → 3.4, Δx = −0.6 = −lr·f′(x) = −0.1 × 6"]
    xs, ys = curve.tangents[model.selected].getData()
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(6.0)
    assert np.interp(4.0, xs, ys) == pytest.approx(11.0)           # it touches the curve at (4, f(4))
    x, y = curve.steps[model.selected].getData()
    assert (x[0], x[1], y[0], y[1]) == pytest.approx((4.0, 3.4, 11.0, 11.0))   # a move along x at f(4)
    # each racer is a ball on the curve
    balls = window.contour_view.racer_positions()
    assert np.allclose(balls[:, 1], (balls[:, 0] - 1) ** 2 + 2)
    key(qtbot, window, Qt.Key.Key_Right)
    assert model.step == 1
    assert curve.caption_text.splitlines()[1].startswith("x: 3.4 → 2.92, Δx = −0.48")
    # the gradient overlay points along x, downhill, and says |f'|
    window.overlay_actions["show_gradient"].trigger()
    arrow = window.contour_overlays.arrows["gradient"]
    gx, gy = arrow.curve.getData()
    assert arrow.visible and gx[1] < gx[0] and gy[1] == pytest.approx(gy[0])
    assert "‖∇f‖ = 4.8" in arrow.label.toPlainText()
    # lr 1.05 is above 2/f'' = 1: the stability line says so
    window.overlay_actions["show_taylor"].trigger()
    window.run_panel.list.setCurrentRow(4)
    qtbot.waitUntil(lambda: "lr = 1.05 &gt; 2/f″ = 1" in window.contour_overlays.info_text, timeout=10_000)
    assert "curvature f″ = 2" in window.contour_overlays.info_text
    # the critical point of f is found and classified
    settle(window)
    rows = window.critical_list.table
    assert rows.rowCount() == 1 and rows.item(0, 0).text() == "▼ minimum"
    assert [rows.item(0, c).text() for c in (1, 2, 3)] == ["1", "2", "2"]


# -------------------------------------------------------------------------------------------- many variables
def test_ten_variables_the_slice_follows_playback_and_says_what_it_is(qtbot, open_window):
    window = open_window("hidden-valley-10d")
    model, view, caption = window.model, window.contour_view, window.slice_caption
    assert model.projection.kind == "slice" and window.slice_dock.isVisible()
    assert caption.text.splitlines()[0] == ("Slice: x1 and x2, the other 8 held · through the selected racer's "
                                            "point at step 0 (Gradient descent (lr 0.019))")
    focus_map(qtbot, window)
    key(qtbot, window, Qt.Key.Key_Home)
    before = view.grid_values.copy()
    for _ in range(3):
        key(qtbot, window, Qt.Key.Key_Right)
    assert model.step == 3
    qtbot.waitUntil(lambda: "at step 3 " in caption.text, timeout=3000)
    assert not np.allclose(view.grid_values, before)        # the other 8 variables moved: another slice
    point = model.point_at(model.selected)
    assert any(np.allclose(p, point[:2]) for p in view.racer_positions())
    assert "off the slice by:" in caption.text
    # Space plays; the slice keeps following
    key(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: model.step > 20, timeout=10_000)
    key(qtbot, window, Qt.Key.Key_Space)
    assert not window.playback.playing
    qtbot.waitUntil(lambda: f"at step {model.step} " in caption.text, timeout=3000)


def test_choosing_the_slice_in_its_panel_and_menu(qtbot, open_window):
    window = open_window("hidden-valley-10d")
    model, panel, caption = window.model, window.slice_panel, window.slice_caption
    view = window.contour_view
    pick(qtbot, panel.method, "eigen")
    settle(window)
    assert model.view.slice.method == "eigen" and window.isWindowModified()
    plot = view.getPlotItem()
    assert (plot.getAxis("bottom").labelText, plot.getAxis("left").labelText) == ("v_max (λ=100)", "v_min (λ=1)")
    assert "most and least curved directions (λ = 100, 1)" in caption.text
    assert "v_max (λ=100) = " in caption.text                     # the directions, in the variables
    # through the racer's start, the plane holds gradient descent's whole path (the lesson's claim)
    focus_map(qtbot, window)
    key(qtbot, window, Qt.Key.Key_Home)
    gd = model.projection.racers()[0]
    assert gd.label.startswith("Gradient descent") and gd.off_plane < 1e-9 and not gd.warning
    off = model.projection.plane.off_plane(model.trajectories[0].points)
    assert off.max() < 1e-9
    # PCA from the menu: explained variance on the axes
    window.slice_actions["pca"].trigger()
    settle(window)
    assert "% var.)" in plot.getAxis("bottom").labelText and "PCA plane of the paths (" in caption.text
    # random directions with a seed typed into the panel
    pick(qtbot, panel.method, "random")
    type_into(qtbot, panel.seed, "3")
    settle(window)
    assert model.view.slice.seed == 3 and "random directions (seed 3)" in caption.text
    assert plot.getAxis("bottom").labelText == "random 1 (seed 3)"
    # two chosen variables
    pick(qtbot, panel.method, "coordinates")
    pick(qtbot, panel.up, "x7")
    settle(window)
    assert model.view.slice.variables == ("x1", "x7") and plot.getAxis("left").labelText == "x7"
    # through the minimum the analysis found
    qtbot.waitUntil(lambda: panel.anchor.count() > 1 + len(model.runs), timeout=20_000)
    pick(qtbot, panel.anchor, "critical 0")
    settle(window)
    assert "through the minimum at (0, 0, 0, …, 0)" in caption.text
    # the choice is saved with the lesson and undone with Ctrl+Z
    assert model.to_preset().view["slice"] == {"method": "coordinates", "variables": ["x1", "x7"],
                                                "anchor": "critical", "seed": 3}
    focus_map(qtbot, window)
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert model.view.slice.anchor == "racer"


def test_a_warning_when_the_map_misreports_a_racers_loss(qtbot, open_window):
    window = open_window("hidden-valley-10d")
    model, caption = window.model, window.slice_caption
    focus_map(qtbot, window)
    key(qtbot, window, Qt.Key.Key_Home)
    for _ in range(20):
        key(qtbot, window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: "at step 20 " in caption.text, timeout=3000)
    # the momentum racer is 2.2 off the x1-x2 slice through gradient descent's point: its dot sits on a colour
    # that is not its loss, and the caption says so in red
    momentum = [r for r in model.projection.racers() if r.label.startswith("Momentum")][0]
    assert momentum.off_plane == pytest.approx(2.2, abs=0.05) and momentum.warning
    warning = [line for line in caption.lines if line[0][0].startswith("⚠")]
    assert warning and warning[0][-1][1] == "#e0302a"
    assert "Momentum 0.67 (lr 0.033): the map shows f = 33.6 under it, its loss is 87.8" in caption.text


def test_clicking_the_slice_starts_the_racer_at_that_point_of_all_ten_variables(qtbot, open_window):
    window = open_window("hidden-valley-10d")
    model = window.model
    focus_map(qtbot, window)
    key(qtbot, window, Qt.Key.Key_Home)
    anchor = model.projection.plane.anchor.copy()
    click_map(window.contour_view, -2.0, 1.5)
    settle(window)
    start = np.array(model.runs[model.selected].start)
    assert start.shape == (10,) and start[:2] == pytest.approx((-2.0, 1.5), abs=0.05)
    assert np.allclose(start[2:], np.round(anchor[2:], 2), atol=0.02)    # the others: the slice's point
    assert model.trajectories[model.selected].points[0] == pytest.approx(start)
    # on the eigenvector slice the click is a point of that plane
    window.slice_actions["eigen"].trigger()
    settle(window)
    plane = model.projection.plane
    click_map(window.contour_view, 1.0, -2.0)
    settle(window)
    start = np.array(model.runs[model.selected].start)
    assert np.linalg.norm(start - plane.to_space([1.0, -2.0])) < 0.05


def test_the_start_editor_has_one_box_per_variable(qtbot, open_window):
    window = open_window("hidden-valley-10d")
    model, editor = window.model, window.run_panel.start_editor
    assert [label.text() for label in editor.labels] == [f"x{i}" for i in range(1, 11)]
    box = editor.boxes[6]
    assert box.value() == pytest.approx(1.5)
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "-0.75")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.runs[model.selected].start[6] == -0.75, timeout=5000)
    assert model.runs[model.selected].start[:6] == (3.0, 1.0, 2.0, -1.0, 2.5, 0.0)


def test_critical_points_of_many_variables_with_eigenvalues_and_index(qtbot, open_window):
    window = open_window()
    model, editor, table = window.model, window.expression_editor, window.critical_list.table
    type_into(qtbot, editor.variables_edit, "x, y, z, w")
    qtbot.waitUntil(lambda: model.ndim == 4, timeout=15_000)
    type_into(qtbot, editor.line_edit, "x^2 - y^2 + 2 z^2 + w^4 - 2 w^2")
    qtbot.waitUntil(lambda: model.expression == "x^2 - y^2 + 2 z^2 + w^4 - 2 w^2", timeout=15_000)
    settle(window)
    qtbot.waitUntil(lambda: table.rowCount() == 3, timeout=30_000)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["kind", "point", "f(x, …)", "index", "eigenvalues of the Hessian"]
    rows = {table.item(r, 1).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}
    # w = ±1 are saddles of index 1 (y falls away), w = 0 one of index 2
    assert rows["(0, 0, 0, 1)"][0] == "✕ saddle" and rows["(0, 0, 0, 1)"][3] == "1"
    assert rows["(0, 0, 0, 1)"][4] == "(−2, 2, 4, 8)"
    assert rows["(0, 0, 0, 0)"][3] == "2" and rows["(0, 0, 0, 0)"][4] == "(−4, −2, 2, 4)"
    # slice through one of them from the list
    row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == "(0, 0, 0, 0)")
    table.selectRow(row)
    qtbot.mouseClick(window.critical_list.slice_button, Qt.MouseButton.LeftButton)
    settle(window)
    assert model.view.slice.anchor == "critical"
    assert "through the saddle (index 2) at (0, 0, 0, 0)" in window.slice_caption.text


def test_trace_and_cut_docks(qtbot, open_window):
    window = open_window("hidden-valley-10d")
    model, trace, cut = window.model, window.trace_plot, window.cut_plot
    window.trace_dock.raise_()
    assert len(trace.curves) == 10 and "each of its 10 variables against the step" in trace.title.text()
    np.testing.assert_allclose(trace.values_at(7), model.trajectories[model.selected].points[7])
    window.run_panel.list.setCurrentRow(2)                          # the trace follows the selection
    np.testing.assert_allclose(trace.values_at(7), model.trajectories[2].points[7])
    window.cut_dock.raise_()
    assert cut.cut is not None and "not the path Adam (lr 0.1) took" in cut.title.text()
    # f at the racer's start and end are the cut's ends
    traj = model.trajectories[2]
    assert cut.end_values[0] == pytest.approx(traj.loss[0]) and cut.end_values[1] == pytest.approx(traj.loss[-1])
    assert "No barrier" in cut.status.text()                       # a convex quadratic has none
    pick(qtbot, cut.choice, "pair 0 1")
    assert "neither racer's path" in cut.title.text() and cut.cut.length < 1e-3   # both end at the minimum


def test_basins_on_the_slice_run_in_all_variables(qtbot, open_window):
    window = open_window("hidden-valley-10d")
    model, basins = window.model, window.basin_view
    basins.resolution.setValue(20)
    basins.steps.setValue(300)
    window.slice_actions["eigen"].trigger()
    settle(window)
    window.basins_dock.raise_()
    qtbot.mouseClick(basins.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: basins.result is not None, timeout=120_000)
    result = basins.result
    assert result.labels.shape == (20, 20)
    (u0, u1), (v0, v1) = model.projection.x_range, model.projection.y_range
    assert result.x[0] > u0 and result.x[-1] < u1 and result.y[0] > v0 and result.y[-1] < v1
    assert "from every cell of the slice, in all the variables" in basins.status.text() or "%" in basins.status.text()


def test_the_render_command_prints_the_slice(tmp_path):
    out = tmp_path / "valley.png"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "render", "hidden-valley-10d", "--png", str(out),
                           "--size", "1280x720", "--step", "20"], capture_output=True, text=True, timeout=180,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"wrote {out}"
    assert lines[1] == ("the map shows, slice through the selected racer's point at step 20 (Gradient descent "
                        "(lr 0.019)) · plane of x1 and x2, the other 8 variables held at the anchor")
    assert lines[2].startswith("  anchor = (1.00849, 0.765334, ") and out.exists()
