"""Issue 12 in the window: the data pane, the data table, File ▸ Open Data…, the one-click models, the
formula field over data, standardising, minibatches in the run panel, the two gradient arrows, the batch loss,
the shuffle-seed fan and data drawn on the map — driven the way a person drives them (pytest-qt, Xvfb).
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication, QLineEdit
from window_helpers import settle

from explorer.model import Comparison
from explorer.preset import builtin_presets, load_preset
from explorer.runs import Batch

pytestmark = pytest.mark.qt_log_level_fail("WARNING")
CTRL = Qt.KeyboardModifier.ControlModifier
LEFT, RIGHT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.MouseButton.NoButton


# ------------------------------------------------------------------------------------------------ helpers
@pytest.fixture
def open_lesson(qtbot):
    from widgets.main_window import MainWindow

    made = []

    def open_(name: str, size=(1400, 900)):
        model = Comparison.from_preset(load_preset(builtin_presets()[name]))
        window = MainWindow(model)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        window.document.load(load_preset(builtin_presets()[name]), path=None)
        settle(window)
        made.append(window)
        return window

    yield open_
    for window in made:
        window.document.set_modified(False)
        window.close()


def plot_pos(plot_widget, x: float, y: float):
    scene = plot_widget.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    return plot_widget.mapFromScene(scene)


def mouse(plot_widget, kind, pos, button, buttons) -> None:
    vp = plot_widget.viewport()
    QCoreApplication.sendEvent(vp, QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def click(plot_widget, x, y, button=LEFT) -> None:
    pos = plot_pos(plot_widget, x, y)
    mouse(plot_widget, QEvent.Type.MouseButtonPress, pos, button, button)
    mouse(plot_widget, QEvent.Type.MouseButtonRelease, pos, button, NONE)


def drag(plot_widget, start, end, steps: int = 6, settle_each=None) -> None:
    a, b = plot_pos(plot_widget, *start), plot_pos(plot_widget, *end)
    mouse(plot_widget, QEvent.Type.MouseButtonPress, a, LEFT, LEFT)
    for t in np.linspace(0.15, 1.0, steps):
        mouse(plot_widget, QEvent.Type.MouseMove, a + (b - a) * t, LEFT, LEFT)
        if settle_each is not None:
            settle_each()
    mouse(plot_widget, QEvent.Type.MouseButtonRelease, b, LEFT, NONE)


def show_data_tab(window) -> None:
    window.data_dock.show()
    window.data_dock.raise_()
    QApplication.processEvents()


def trigger(window, menu: str, text: str) -> None:
    """Choose ``menu`` ▸ ``text`` (the menu's action with that text, mnemonics ignored)."""
    action = next(a for a in window.menus[menu].actions() if a.text().replace("&", "") == text)
    assert action.isEnabled(), f"{menu} ▸ {text} is disabled"
    action.trigger()


# ------------------------------------------------------------------------------------------------ the pane
def test_a_data_lesson_opens_with_the_data_pane_showing_points_line_and_residuals(open_lesson):
    window = open_lesson("line-fit")
    pane = window.data_pane
    assert window.data_dock.isVisible() and not window.data_dock.visibleRegion().isEmpty()
    assert pane.point_positions() == pytest.approx(window.model.dataspec.dataset.rows)
    window.model.set_step(500)
    slope, intercept = window.model.point_at(window.model.selected)
    x, y = pane.fit_curve.getData()
    assert y == pytest.approx(slope * x + intercept)
    rx, ry = pane.residuals.getData()
    assert len(rx) == 2 * 6                                 # one segment per point, point to its prediction
    assert ry[1::2] == pytest.approx(slope * rx[1::2] + intercept)
    assert "mean over 6 rows" in pane.caption.text()


def test_dragging_a_data_point_recomputes_the_surface_and_every_path_and_undoes_in_one_step(open_lesson, qtbot):
    window = open_lesson("line-fit")
    show_data_tab(window)
    model, pane = window.model, window.data_pane
    grid_before = window.contour_view.grid_values.copy()
    ends_before = [t.points[t.stop_step].copy() for t in model.trajectories]
    commands = window.document.undo_stack.count()
    drag(pane.plot, (6.0, 12.0), (6.0, 4.0))
    settle(window)
    assert model.dataspec.dataset.rows[5] == pytest.approx([6.0, 4.0], abs=0.15)   # the shown point moved
    assert not np.allclose(window.contour_view.grid_values, grid_before)           # the surface
    for before, t in zip(ends_before, model.trajectories, strict=True):            # and every path
        assert np.linalg.norm(t.points[t.stop_step] - before) > 0.1
    assert pane.point_positions()[5] == pytest.approx(model.dataspec.dataset.rows[5])
    assert window.document.undo_stack.count() == commands + 1
    window.document.undo_action.trigger()
    settle(window)
    assert model.dataspec.dataset.rows[5].tolist() == [6.0, 12.0]
    assert window.contour_view.grid_values == pytest.approx(grid_before)


def test_a_click_adds_a_point_and_a_right_click_deletes_one(open_lesson):
    window = open_lesson("line-fit")
    show_data_tab(window)
    model, pane = window.model, window.data_pane
    click(pane.plot, 3.5, 2.0)
    settle(window)
    assert len(model.dataspec.dataset) == 7
    assert model.dataspec.dataset.rows[-1] == pytest.approx([3.5, 2.0], abs=0.15)
    assert model.data.rows[-1] == pytest.approx(model.dataspec.dataset.rows[-1])   # the loss sees it
    click(pane.plot, 1.0, 2.1, RIGHT)
    settle(window)
    assert len(model.dataspec.dataset) == 6 and model.dataspec.dataset.rows[0].tolist() == [2.0, 3.9]


def test_a_label_column_stays_zero_or_one_and_the_sigmoid_follows_the_step(open_lesson):
    window = open_lesson("patient-readmission")
    show_data_tab(window)
    model, pane = window.model, window.data_pane
    assert pane.layout_info.kind == "curve"
    model.set_step(6)
    x, y = pane.fit_curve.getData()
    assert np.all(np.diff(y) > 0) and 0 < y.min() < 0.1 and 0.9 < y.max() < 1     # rising sigmoid over age
    drag(pane.plot, (25.0, 0.0), (27.0, 0.8))          # the youngest patient dragged up: readmitted = 1
    settle(window)
    row = model.dataspec.dataset.rows[0]
    assert row[1] == 1.0 and abs(row[0] - 27.0) < 1.0


# ------------------------------------------------------------------------------------------------ the table
def test_typing_into_the_table_pasting_rows_and_a_bad_cell_named_by_row_and_column(open_lesson, qtbot):
    window = open_lesson("line-fit")
    show_data_tab(window)
    pane, model = window.data_pane, window.model
    qtbot.mouseClick(pane.rows_button, LEFT)
    table = pane.table
    assert table.isVisible()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    def type_into_cell(row: int, column: int, text: str) -> None:
        """Click the cell and type over it (the first key opens the editor), then Enter."""
        rect = table.view.visualRect(table.rows.index(row, column))
        qtbot.mouseClick(table.view.viewport(), LEFT, pos=rect.center())
        qtbot.keyClick(table.view, text[0])
        qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
        editor = QApplication.focusWidget()
        qtbot.keyClicks(editor, text[1:])
        assert editor.text() == text
        qtbot.keyClick(editor, Qt.Key.Key_Return)

    type_into_cell(1, 1, "4.5")
    settle(window)
    assert model.dataspec.dataset.rows[1].tolist() == [2.0, 4.5]
    type_into_cell(2, 0, "three")
    qtbot.waitUntil(lambda: "row 3, column 't'" in table.message.text())
    assert model.dataspec.dataset.rows[2, 0] == 3.0 and "not a finite number" in table.message.text()
    QGuiApplication.clipboard().setText("7\t13.9\n8\t16.2\n")
    table.view.setFocus()
    qtbot.keyClick(table.view, Qt.Key.Key_V, CTRL)
    settle(window)
    assert len(model.dataspec.dataset) == 8 and model.dataspec.dataset.rows[-1].tolist() == [8.0, 16.2]
    QGuiApplication.clipboard().setText("9, 18\n10, twenty\n")
    qtbot.keyClick(table.view, Qt.Key.Key_V, CTRL)
    qtbot.waitUntil(lambda: "row 2, column 'y'" in table.message.text())
    assert len(model.dataspec.dataset) == 8


# ------------------------------------------------------------------------------------------------ opening data
def test_open_data_refuses_a_bad_csv_by_row_and_column_then_swaps_rows_or_starts_a_model(open_lesson, tmp_path):
    window = open_lesson("line-fit")
    actions = window.data_pane.actions
    said = []
    actions._inform = lambda title, text: said.append(text)
    bad = tmp_path / "bad.csv"
    bad.write_text("t,y\n1,2\n2,x3\n")
    actions._open_path_dialog = lambda: str(bad)
    before = window.model.state()
    trigger(window, "File", "Open Data…")
    assert said and "row 3" in said[0] and "column 'y'" in said[0]
    assert window.model.state().same_as(before)
    same = tmp_path / "same.csv"
    same.write_text("t,y\n0,1\n1,3\n2,5\n3,7\n")
    actions._open_path_dialog = lambda: str(same)
    trigger(window, "File", "Open Data…")
    settle(window)
    m = window.model
    assert m.expression == "(slope*t + intercept - y)^2" and len(m.data) == 4 and m.data_file == str(same)
    assert m.surface.value([2.0, 1.0]) == pytest.approx(0.0)
    labels = tmp_path / "labels.csv"
    labels.write_text("dose,cured\n" + "".join(f"{d},{int(d > 5)}\n" for d in range(11)))
    actions._open_path_dialog = lambda: str(labels)
    trigger(window, "File", "Open Data…")
    settle(window)
    assert m.variables == ("w", "b") and m.dataspec.prediction == "sigmoid(w*dose + b)"
    assert window.data_pane.layout_info.kind == "curve" and not said[1:]


def test_the_one_click_models_from_the_data_menu(open_lesson):
    window = open_lesson("ravine")
    trigger(window, "Data", "New Points to Fit")
    settle(window)
    m = window.model
    assert m.dataspec is not None and m.variables == ("w", "b") and m.expression == "(w*x + b - y)^2"
    assert window.data_dock.isVisible() and window.data_pane.layout_info.kind == "curve"
    trigger(window, "Data", "Distance to Points (the Depot)")
    settle(window)
    assert m.variables == ("u", "v") and m.dataspec.on_map == ("x", "y")
    assert window.map_data.positions() == pytest.approx(m.dataspec.dataset.rows)
    x0, x1 = m.x_range
    assert x0 < m.dataspec.dataset.rows[:, 0].min() and m.dataspec.dataset.rows[:, 0].max() < x1
    window.document.undo_action.trigger()
    settle(window)
    assert m.variables == ("w", "b") and window.map_data.positions().size == 0


def test_typing_a_per_example_loss_with_column_names_in_the_formula_field(open_lesson, qtbot):
    window = open_lesson("line-fit")
    editor, m = window.expression_editor, window.model
    assert editor.label.text().startswith("ℓ(slope, intercept)")
    editor.line_edit.selectAll()
    qtbot.keyClicks(editor.line_edit, "abs(slope*t + intercept - y)")
    qtbot.keyClick(editor.line_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: m.expression == "abs(slope*t + intercept - y)", timeout=10_000)
    rows = m.dataspec.dataset.rows
    assert m.surface.value([2.0, 0.0]) == pytest.approx(np.mean(np.abs(2 * rows[:, 0] - rows[:, 1])))
    assert m.dataspec.prediction == "slope*t + intercept"


def test_mean_or_sum_over_the_rows(open_lesson):
    window = open_lesson("line-fit")
    m = window.model
    mean = float(m.surface.value([1.0, 1.0]))
    trigger(window, "Data", "Loss Is the Sum over Rows")
    settle(window)
    assert m.surface.reduction == "sum" and m.surface.value([1.0, 1.0]) == pytest.approx(6 * mean)
    assert "sum over 6 rows" in window.data_pane.caption.text()
    window.document.undo_action.trigger()
    assert m.surface.reduction == "mean"


def test_standardise_features_rounds_the_contours(open_lesson, qtbot):
    window = open_lesson("feature-scaling")
    show_data_tab(window)
    m = window.model

    def condition() -> float:
        lam = np.linalg.eigvalsh(m.surface.hessian([1.0, 1.0]))
        return float(lam[-1] / lam[0])

    assert condition() > 100
    grid = window.contour_view.grid_values.copy()
    qtbot.mouseClick(window.data_pane.standardise, LEFT)
    settle(window)
    assert m.dataspec.standardise == ("hours",) and condition() == pytest.approx(1.0)
    assert not np.allclose(window.contour_view.grid_values, grid)
    big = next(t for t in m.trajectories if t.run.label == "GD, lr 0.5")
    assert big.status == "converged" and big.stop_step == 1
    assert window.data_pane.standardise.isChecked() and window.data_pane.actions.standardise_action.isChecked()
    window.document.undo_action.trigger()
    settle(window)
    assert condition() > 100 and not window.data_pane.standardise.isChecked()


# ------------------------------------------------------------------------------------------------ minibatches
def test_minibatch_settings_in_the_run_panel_show_the_batch_everywhere(open_lesson, qtbot):
    window = open_lesson("line-fit")
    show_data_tab(window)
    m = window.model
    window.runs_dock.raise_()
    editor = window.run_panel.batch_editor
    assert editor.isEnabled() and not editor.enabled.isChecked()
    qtbot.mouseClick(editor.enabled, LEFT)
    editor.size.setValue(2)
    settle(window)
    assert m.runs[0].batch == Batch(size=2, shuffle=True, drop_last=False, seed=0)
    traj = m.trajectories[0]
    assert traj.batch is not None and set(traj.batch.count.tolist()) == {2}
    m.view.show_gradient = True
    m.set_step(5)
    settle(window)
    assert len(window.data_pane.batch_rows()) == 2
    rings = window.data_pane.batch_rings.getData()
    assert len(rings[0]) == 2
    assert window.batch_arrow.visible and "batch" in window.batch_arrow.text
    assert window.contour_overlays.arrows["gradient"].visible
    g_full, g_batch = traj.grads[5], traj.batch.grads[5]
    tip = window.batch_arrow.tip() - traj.points[5]
    cos = np.dot(tip, -g_batch) / np.linalg.norm(tip) / np.linalg.norm(g_batch)
    assert cos == pytest.approx(1.0, abs=0.02) and not np.allclose(g_full, g_batch)
    assert window.batch_loss.curves[0].isVisible()
    assert window.batch_loss.epoch_ticks().tolist()[:2] == [3.0, 6.0]      # 6 rows / 2 = 3 steps an epoch
    assert "batch of 2 (◯), epoch 2" in window.data_pane.caption.text()    # step 5 of 3 per epoch
    window.document.undo_action.trigger()
    window.document.undo_action.trigger()
    settle(window)
    assert m.runs[0].batch is None and not editor.enabled.isChecked()


def test_the_fan_draws_other_shuffle_seeds_of_a_minibatch_run():
    from widgets.fans import fan_runs

    run = load_preset(builtin_presets()["batch-size"]).runs[0]
    seeds = [r.batch.seed for r in fan_runs(run, 4)]
    assert seeds == [8, 9, 10, 11] and all(r.noise is None for r in fan_runs(run, 4))


# ------------------------------------------------------------------------------------------------ on the map
def test_depot_customers_are_drawn_on_the_map_and_dragging_one_moves_the_surface(open_lesson):
    window = open_lesson("delivery-depot")
    m = window.model
    assert window.map_data.positions() == pytest.approx(m.dataspec.dataset.rows)
    grid = window.contour_view.grid_values.copy()
    start = m.runs[0].start
    drag(window.contour_view, (9.0, 8.0), (6.0, 6.0))
    settle(window)
    assert m.dataspec.dataset.rows[5] == pytest.approx([6.0, 6.0], abs=0.1)
    assert m.runs[0].start == start                       # the drag moved the customer, not a start
    assert not np.allclose(window.contour_view.grid_values, grid)
    assert window.map_data.positions()[5] == pytest.approx(m.dataspec.dataset.rows[5])


# ------------------------------------------------------------------------------------------------ many rows
def test_a_loss_over_many_rows_is_drawn_coarse_at_once_and_refined_off_the_gui_thread(qtbot):
    from explorer.data import Dataset
    from explorer.surface import compile_surface
    from widgets.contour_view import GRID_SHAPE, ContourView

    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 20_000)
    data = Dataset(("x", "y"), np.column_stack([x, 1.5 * x + rng.normal(0, 0.3, x.size)]))
    model = Comparison(compile_surface("(w*x + b - y)^2", variables=("w", "b"), data=data), [],
                       ranges=((-1, 4), (-2, 2)))
    view = ContourView(model)
    qtbot.addWidget(view)
    view.show()
    assert view.grid_values.shape[0] < GRID_SHAPE[0]                     # coarse at once
    qtbot.waitUntil(lambda: view.grid_values.shape == GRID_SHAPE, timeout=30_000)
    w, b = 1.0, 0.5
    j = int(round((w + 1) / 5 * (GRID_SHAPE[1] - 1)))
    i = int(round((b + 2) / 4 * (GRID_SHAPE[0] - 1)))
    assert view.grid_values[i, j] == pytest.approx(model.surface.value([view._xs[j], view._ys[i]]))
    moved = data.with_row(0, [0.0, 50.0])                                 # a stale refinement is dropped
    model.set_data(moved)
    assert view.grid_values.shape[0] < GRID_SHAPE[0]
    qtbot.waitUntil(lambda: view.grid_values.shape == GRID_SHAPE, timeout=30_000)
    assert view.grid_values[i, j] == pytest.approx(model.surface.value([view._xs[j], view._ys[i]]))


def test_a_comparison_without_data_has_no_data_tab_and_data_a_formula_does_not_use_can_be_removed(open_lesson,
                                                                                                   qtbot):
    window = open_lesson("line-fit")
    assert window.data_dock.isVisible()
    window.document.new()
    settle(window)
    assert window.model.dataspec is None and not window.data_dock.isVisible()
    assert not window.data_pane.actions.remove_data_action.isEnabled()
    trigger(window, "Data", "New Points to Fit")
    settle(window)
    assert window.data_dock.isVisible()
    editor = window.expression_editor
    editor.set_text("w^2 + b^2")
    qtbot.waitUntil(lambda: window.model.expression == "w^2 + b^2", timeout=10_000)
    assert editor.label.text().startswith("f(")                  # no column: a plain function again
    trigger(window, "Data", "Remove Data")
    settle(window)
    assert window.model.dataspec is None and window.model.data is None and not window.data_dock.isVisible()
    window.document.undo_action.trigger()
    assert window.model.dataspec is not None and window.data_dock.isVisible()


def test_file_export_trajectories_csv_writes_what_simulate_writes(open_lesson, tmp_path):
    """File ▸ Export ▸ Trajectories as CSV… on a data lesson: columns named after its variables (w, b) with
    batch_loss, and the same rows as ``main.py simulate LESSON --csv`` (it wrote x, y and no batch loss)."""
    import csv
    import subprocess
    import sys
    from pathlib import Path

    window = open_lesson("batch-size")
    out = tmp_path / "window.csv"
    window.exporter._save_path_dialog = lambda *a: str(out)
    action = window.exporter.actions["Trajectories as CSV"]
    assert action in window.document.export_menu.actions()
    action.trigger()
    settle(window)
    expected = tmp_path / "simulate.csv"
    done = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[2] / "main.py"), "simulate",
                           "batch-size", "--csv", str(expected)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with open(out, newline="") as fh:
        got = list(csv.reader(fh))
    with open(expected, newline="") as fh:
        want = list(csv.reader(fh))
    variables = window.model.variables
    assert got[0] == ["run", "label", "optimizer", "step", *variables, "loss",
                      *(f"grad_{v}" for v in variables), "batch_loss"]
    assert got[0] == want[0] and len(got) == len(want)
    assert [r[:4] for r in got] == [r[:4] for r in want]

    def numbers(rows):   # an empty cell: no batch at that step (the start)
        return np.array([[float(v) if v else np.nan for v in r[4:]] for r in rows[1:]])

    assert np.allclose(numbers(got), numbers(want), rtol=1e-9, atol=1e-12, equal_nan=True)


def test_large_data_is_drawn_as_an_even_sample_and_the_caption_says_so(open_lesson):
    """Thousands of rows: at most MAX_DRAWN points and residuals are drawn (each costs paint time at every move
    of a drag), an even sample across the rows, and the caption says how many of how many."""
    from explorer.data import Dataset
    from widgets.data_pane import MAX_DRAWN

    window = open_lesson("line-fit")
    pane, model = window.data_pane, window.model
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, 3 * MAX_DRAWN // 2)
    columns = model.dataspec.dataset.columns
    model.set_data(Dataset(columns, np.column_stack([x, 1.5 * x + 1 + rng.normal(0, 0.5, x.size)])))
    settle(window)
    xs, _ys = pane.points.getData()
    assert len(xs) == MAX_DRAWN
    assert xs[0] == x[0] and xs[-1] == x[-1]                       # first and last row, evenly between
    assert f"drawing {MAX_DRAWN:,} of {x.size:,} rows" in pane.caption.text()
    rx, _ry = pane.residuals.getData()
    assert len(rx) == 2 * MAX_DRAWN                                  # one residual per drawn point
