"""The explorer window, driven the way a user drives it (pytest-qt, under Xvfb).

Every widget is registered with ``qtbot.addWidget``; waits use ``waitUntil``/``waitSignal``, never sleeps.
Qt warnings fail a test (``qt_log_level_fail``) and Python warnings are errors (``-W error``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLineEdit

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface

pytestmark = pytest.mark.qt_log_level_fail("WARNING")

if QCoreApplication.instance() is None:   # before pytest-qt makes the app; see widgets.app.share_gl_contexts
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

ROSENBROCK = "(1 - x)^2 + 100 (y - x^2)^2"


def make_model(steps: int = 200) -> Comparison:
    runs = [RunSpec("GD", "sgd", (-1.5, 2.0), {"lr": 1e-3}),
            RunSpec("Adam", "adam", (-1.0, 2.5), {"lr": 0.05})]
    return Comparison(compile_surface(ROSENBROCK), runs, x_range=(-2, 2), y_range=(-1, 3),
                      default_steps=steps, tolerance=1e-8, title="Rosenbrock race")


@pytest.fixture
def model() -> Comparison:
    return make_model()


@pytest.fixture
def window(qtbot, model):
    from widgets.main_window import MainWindow

    w = MainWindow(model)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def press(qtbot, window, key) -> None:
    """A key press as the user makes it: into the window, on whatever has focus (not a text field)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    focus = window.focusWidget()
    assert not isinstance(focus, QLineEdit), "playback keys need the focus outside text fields"
    qtbot.keyClick(focus or window, key)


# ---------------------------------------------------------------------------------------------- formula
def test_typing_a_valid_formula_shows_the_new_surface(qtbot, window, model):
    editor = window.expression_editor
    editor.line_edit.clear()
    qtbot.keyClicks(editor.line_edit, "x^2 + 3 y^2")
    qtbot.waitUntil(lambda: model.expression == "x^2 + 3 y^2", timeout=10_000)
    assert model.surface.value(np.array([1.0, 1.0])) == pytest.approx(4.0)
    assert editor.error is None and "in use" in editor.message.text()
    qtbot.waitUntil(lambda: not model.pending)
    assert all(t is not None for t in model.trajectories)


def test_typing_an_invalid_formula_marks_the_span_and_keeps_the_old_surface(qtbot, window, model):
    editor = window.expression_editor
    old_surface = model.surface
    with qtbot.waitSignal(editor.error_shown, timeout=10_000) as blocker:
        editor.line_edit.selectAll()
        qtbot.keyClicks(editor.line_edit, "x^2 + foo(y)")
    error = blocker.args[0]
    assert error.start < error.end and "x^2 + foo(y)"[error.start:error.end].startswith("foo")
    assert editor.marked.isVisible()
    marked = editor.marked.text()
    assert "#d62728" in marked and "foo" in marked.split("#d62728", 1)[1]
    assert error.message in editor.message.text()
    assert model.surface is old_surface and model.expression == ROSENBROCK


def test_a_stale_compile_result_never_replaces_a_newer_one(qtbot, window, model):
    editor = window.expression_editor
    editor.set_text("x^2 + y^2")
    editor.set_text("x^4 + y^2")
    qtbot.waitUntil(lambda: model.expression == "x^4 + y^2" and not editor.channel.busy, timeout=10_000)
    assert model.expression == "x^4 + y^2"


def test_range_editors_change_the_view(qtbot, window, model):
    editor = window.expression_editor
    editor.x_max.setValue(3.0)
    assert model.x_range == (-2.0, 3.0)
    model.set_ranges((-1.0, 1.0), (-1.0, 1.0))
    assert editor.x_min.value() == -1.0 and editor.y_max.value() == 1.0


# ---------------------------------------------------------------------------------------------- runs
def test_editing_the_learning_rate_recomputes_that_run(qtbot, window, model):
    panel = window.run_panel
    model.select(0)
    before = model.trajectories[0]
    kept = model.trajectories[1]
    panel.lr_edit.setFocus()
    panel.lr_edit.selectAll()
    qtbot.keyClicks(panel.lr_edit, "0.0005")
    qtbot.keyClick(panel.lr_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.is_current(0))
    assert model.runs[0].params["lr"] == 0.0005
    assert model.trajectories[0] is not before and model.trajectories[0].run.params["lr"] == 0.0005
    assert model.trajectories[1] is kept
    assert panel.lr_slider.value() == pytest.approx(100 * np.log10(0.0005 / 1e-5), abs=1)


def test_a_hyperparameter_field_and_the_optimizer_combo_edit_the_run(qtbot, window, model):
    panel = window.run_panel
    model.select(0)
    momentum = panel._param_editors["momentum"]
    momentum.setText("0.9")
    momentum.editingFinished.emit()
    qtbot.waitUntil(lambda: model.is_current(0))
    assert model.trajectories[0].run.params["momentum"] == 0.9
    panel.optimizer.setCurrentText("rmsprop")
    qtbot.waitUntil(lambda: model.is_current(0))
    assert model.runs[0].optimizer == "rmsprop" and "alpha" in panel._param_editors


def test_add_duplicate_remove_and_hide_runs(qtbot, window, model):
    panel = window.run_panel
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert len(model.runs) == 3 and panel.list.count() == 3 and model.selected == 2
    qtbot.mouseClick(panel.duplicate_button, Qt.MouseButton.LeftButton)
    assert len(model.runs) == 4 and len({model.color_of(i) for i in range(4)}) == 4
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert len(model.runs) == 3 and window.run_table.table.rowCount() == 3
    panel.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert model.runs[1].visible is False


def test_a_bad_hyperparameter_is_reported_not_raised(qtbot, window, model):
    panel = window.run_panel
    model.select(1)
    eps = panel._param_editors["eps"]
    eps.setText("-1")
    eps.editingFinished.emit()
    qtbot.waitUntil(lambda: model.is_current(1))
    assert model.trajectories[1] is None and "eps" in model.errors[1]
    assert "eps" in panel.status.text()


# ---------------------------------------------------------------------------------------------- playback
def test_space_plays_and_the_step_advances(qtbot, window, model):
    bar = window.playback
    bar.set_speed(500)
    model.set_step(0)
    press(qtbot, window, Qt.Key.Key_Space)
    assert bar.playing
    qtbot.waitUntil(lambda: model.step > 5)
    press(qtbot, window, Qt.Key.Key_Space)
    assert not bar.playing
    paused_at = model.step
    assert window.playback.scrub.value() == paused_at
    assert bar.step_label.text().startswith(f"{paused_at} /")


def test_left_steps_back_to_the_exact_previous_point(qtbot, window, model):
    model.set_step(10)
    before = [model.point_at(i).copy() for i in range(2)]
    press(qtbot, window, Qt.Key.Key_Right)
    assert model.step == 11
    press(qtbot, window, Qt.Key.Key_Left)
    assert model.step == 10
    for i in range(2):
        np.testing.assert_array_equal(model.point_at(i), before[i])
    press(qtbot, window, Qt.Key.Key_End)
    assert model.step == model.max_step
    press(qtbot, window, Qt.Key.Key_Home)
    assert model.step == 0


def test_playback_stops_at_the_end_and_runs_report_their_status(qtbot, window, model):
    bar = window.playback
    bar.set_speed(500)
    model.set_step(model.max_step - 20)
    bar.play()
    qtbot.waitUntil(lambda: not bar.playing, timeout=5_000)
    assert model.step == model.max_step
    table = window.run_table
    last_of_first = str(model.trajectories[0].stop_step)
    qtbot.waitUntil(lambda: table.cell(0, "Step") == last_of_first)
    for i, traj in enumerate(model.trajectories):
        status = table.cell(i, "Status")
        assert status != "running"
        if traj.status in ("converged", "diverged"):
            assert f"at step {traj.stop_step}" in status


def test_loop_wraps_around(qtbot, window, model):
    bar = window.playback
    bar.loop.setChecked(True)
    bar.set_speed(500)
    model.set_step(model.max_step - 3)
    seen = []
    model.step_changed.connect(seen.append)
    bar.play()
    qtbot.waitUntil(lambda: any(s < 100 for s in seen))
    bar.pause()


def test_loss_plot_and_table_follow_the_step(qtbot, window, model):
    model.set_step(41)
    model.set_step(42)   # during playback the numbers follow at ~15 Hz; the last step is always shown
    table = window.run_table
    qtbot.waitUntil(lambda: window.loss_plot.cursor.value() == 42 and table.cell(0, "Step") == "42")
    traj = model.trajectories[0]
    assert float(table.cell(0, "Loss")) == pytest.approx(traj.loss[42], rel=1e-3)
    assert len(window.loss_plot.shown_curves()) == 2 and window.loss_plot.log_y
    model.set_run(1, replace(model.runs[1], visible=False))
    assert len(window.loss_plot.shown_curves()) == 1


# ---------------------------------------------------------------------------------------------- pixels
def not_black(image: QImage, x: int, y: int, width: int, height: int) -> bool:
    """True when the rectangle shows a picture: mostly not dark, and not one flat colour."""
    part = image.copy(x, y, width, height).convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(part.constBits(), np.uint8, count=part.sizeInBytes())
    arr = arr.reshape(part.height(), part.bytesPerLine())[:, : part.width() * 3]
    return float((arr > 40).mean()) > 0.3 and float(arr.std()) > 10


def widget_not_black(image: QImage, widget, window) -> bool:
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return not_black(image, top_left.x(), top_left.y(), widget.width(), widget.height())


@pytest.mark.gl
def test_the_3d_view_renders_in_a_window_grab(qtbot, window):
    image = window.grab().toImage()
    assert widget_not_black(image, window.surface_view, window)
    assert widget_not_black(image, window.contour_view, window)


@pytest.mark.gl
def test_render_window_png_writes_the_whole_window_with_the_3d_view(qtbot, tmp_path):
    from widgets.render import render_window_png

    out = render_window_png(make_model(), tmp_path / "window.png", step=50, size=(1280, 800))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    # the 3-D view sits right of the contour view, in the upper half, left of the runs dock
    assert not_black(image, int(image.width() * 0.4), int(image.height() * 0.2), image.width() // 4,
                     image.height() // 4)


# ---------------------------------------------------------------------------------------------- Qt itself
class _Emitter(QObject):
    ping = Signal(int)


class _EmitMany(QRunnable):
    def __init__(self, emitter: _Emitter, n: int) -> None:
        super().__init__()
        self.emitter, self.n = emitter, n

    def run(self) -> None:
        for i in range(self.n):
            self.emitter.ping.emit(i)


def test_ten_thousand_qt_signals_do_not_crash(qtbot, model):
    """Regression: PySide6 6.12.0 crashed after ~2,000 emissions (same-thread and queued cross-thread)."""
    from widgets.playback import PlaybackBar

    received: list[int] = []
    emitter = _Emitter()
    emitter.ping.connect(received.append)
    for i in range(10_000):
        emitter.ping.emit(i)
    assert len(received) == 10_000
    received.clear()
    pool = QThreadPool()
    pool.start(_EmitMany(emitter, 10_000))
    assert pool.waitForDone(30_000)
    qtbot.waitUntil(lambda: len(received) == 10_000, timeout=30_000)
    assert received == list(range(10_000))
    bar = PlaybackBar(model)   # and through a real widget: 10,000 slider moves drive the model
    qtbot.addWidget(bar)
    for k in range(10_000):
        bar.scrub.setValue(k % (model.max_step + 1))
    assert model.step == 9_999 % (model.max_step + 1)


def test_runs_that_fit_a_frame_come_with_the_typed_surface(qtbot):
    from widgets.main_window import MainWindow

    model = make_model(steps=3000)      # the compiled engine: a few milliseconds, no detour through a thread
    window = MainWindow(model)
    qtbot.addWidget(window)
    window.expression_editor.set_text("x^2 + 3 y^2")
    qtbot.waitUntil(lambda: model.expression == "x^2 + 3 y^2", timeout=10_000)
    assert not model.pending
    assert all(t is not None and t.points[0].tolist() == list(r.start)
               for t, r in zip(model.trajectories, model.runs, strict=True))
    window.close()


def test_long_runs_are_simulated_off_the_gui_thread(qtbot):
    from widgets.main_window import MainWindow

    model = make_model(steps=100_000)   # more than a frame's work even compiled: the window stays responsive
    window = MainWindow(model)
    qtbot.addWidget(window)
    editor = window.expression_editor
    editor.set_text("x^2 + 3 y^2")
    qtbot.waitUntil(lambda: model.expression == "x^2 + 3 y^2", timeout=10_000)
    # the new surface is on screen at once; the paths of the old one are gone, the new ones follow
    assert model.pending and all(t is None for t in model.trajectories)
    qtbot.waitUntil(lambda: not model.pending, timeout=30_000)
    assert all(t is not None and t.points[0].tolist() == list(r.start)
               for t, r in zip(model.trajectories, model.runs, strict=True))
    window.close()


@pytest.mark.gl
def test_the_3d_view_follows_playback_at_its_own_rate_and_shows_the_last_step(qtbot, window):
    model, view = window.model, window.surface_view
    frames = view.frames
    for k in range(1, 61):                         # faster than the 3-D view renders
        model.set_step(k)
        QCoreApplication.processEvents()
        assert window.contour_view.racer_positions()[0] == pytest.approx(model.point_at(0))   # the map: at once
    qtbot.wait(500)                                # then the 3-D view catches up with the last step
    assert 0 < view.frames - frames
    assert view.shown_image() == view.grabFramebuffer()
