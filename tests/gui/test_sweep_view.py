"""Learning-rate sweep: one vectorised sweep around the selected run's lr; clicking a point sets that lr."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface
from widgets.sweep_view import N_RATES, SweepView


def make_model():
    runs = [RunSpec("gd", "sgd", (-1.5, 0.8), {"lr": 0.01}), RunSpec("adam", "adam", (1.0, 1.0), {"lr": 0.1})]
    return Comparison(compile_surface("x^2 + 10*y^2"), runs, x_range=(-2, 2), y_range=(-2, 2), default_steps=100)


def click_at(view, plot, x, y):
    """A real left click on the view at data point (x, y) of ``plot`` (x in log10 units)."""
    scene = plot.getViewBox().mapViewToScene(QtCore.QPointF(x, y))
    pos = view.graphics.mapFromScene(scene)
    vp = view.graphics.viewport()
    for kind, buttons in ((QtCore.QEvent.Type.MouseButtonPress, QtCore.Qt.MouseButton.LeftButton),
                          (QtCore.QEvent.Type.MouseButtonRelease, QtCore.Qt.MouseButton.NoButton)):
        event = QtGui.QMouseEvent(kind, QtCore.QPointF(pos), QtCore.QPointF(vp.mapToGlobal(pos)),
                                  QtCore.Qt.MouseButton.LeftButton, buttons, QtCore.Qt.KeyboardModifier.NoModifier)
        QtCore.QCoreApplication.sendEvent(vp, event)


def test_sweep_marks_current_lr_and_click_sets_lr(qtbot):
    model = make_model()
    view = SweepView(model)
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.result is not None, timeout=20_000)
    result = view.result
    assert len(result.lrs) == N_RATES and np.min(result.lrs) < 0.01 < np.max(result.lrs)
    # gradient descent on x² + 10y² diverges above lr = 2/20 = 0.1
    assert np.all(result.status[result.lrs > 0.1001] == "diverged")
    assert np.all(result.status[result.lrs < 0.0999] != "diverged")
    assert view.markers[0].value() == np.log10(0.01)
    # click the point for the 45th rate on the loss curve (once the plot has re-ranged to the new data)
    view.loss_plot.getViewBox().updateAutoRange()
    QtWidgets.QApplication.processEvents()
    target = result.lrs[44]
    x, y = view.loss_curve.scatter.getData()
    i = int(np.argmin(abs(x - np.log10(target))))
    click_at(view, view.loss_plot, x[i], y[i])
    assert model.runs[0].params["lr"] == target
    assert view.markers[0].value() == np.log10(target)
    assert view.result is result            # only the lr changed: the sweep stays


def test_selecting_another_run_sweeps_it(qtbot):
    model = make_model()
    view = SweepView(model)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.result is not None, timeout=20_000)
    model.select(1)
    qtbot.waitUntil(lambda: view.result is not None and np.isclose(np.median(view.result.lrs), 0.1),
                    timeout=20_000)
    view.choose_lr(np.log10(0.2))
    assert abs(model.runs[1].params["lr"] - 0.2) / 0.2 < 0.1


def test_a_hidden_sweep_waits_until_shown_and_a_drag_sweeps_once(qtbot):
    """61 runs nobody sees cost the paths that follow the mouse their GIL: no sweep until the panel is shown,
    and one sweep (not one per move) after a start is dragged through several positions."""
    model = make_model()
    view = SweepView(model)
    qtbot.addWidget(view)
    submitted = []
    view.runner.busy_changed.connect(lambda busy: busy and submitted.append(True))
    qtbot.wait(400)
    assert view.result is None and not submitted
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.result is not None, timeout=20_000)
    first = view.result
    starts = []
    view.runner.finished.connect(lambda payload: starts.append(payload))
    for k in range(6):                       # six moves of a dragged start, 30 ms apart
        run = model.runs[0]
        model.set_run(0, replace(run, start=(run.start[0] + 0.05 * (k + 1), run.start[1])))
        qtbot.wait(30)
    qtbot.waitUntil(lambda: view.result is not first, timeout=20_000)
    qtbot.wait(400)
    assert len(starts) == 1
