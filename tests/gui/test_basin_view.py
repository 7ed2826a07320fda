"""The basin map overlay: computed off the GUI thread, one colour and letter per minimum, with a legend."""

from __future__ import annotations

import numpy as np
from pyqtgraph.Qt import QtWidgets

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface
from widgets.basin_view import BASIN_COLORS, BasinView
from widgets.contour_view import ContourView

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def make_model():
    runs = [RunSpec("gd", "sgd", (0.0, 0.0), {"lr": 0.01})]
    return Comparison(compile_surface(HIMMELBLAU), runs, x_range=(-5, 5), y_range=(-5, 5), default_steps=100)


def test_himmelblau_basins_with_four_minima_labels(qtbot):
    model = make_model()
    view = ContourView(model)
    qtbot.addWidget(view)
    basins = BasinView(model, view)
    qtbot.addWidget(basins)
    basins.resolution.setValue(80)
    basins.steps.setValue(300)
    assert not basins.image.isVisible()
    model.session.show_basins = True
    qtbot.waitUntil(lambda: basins.result is not None, timeout=20_000)
    assert basins.image.isVisible()
    letters = [label for label in basins.legend_labels if label[0] in "ABCD" and "(" in label]
    assert len(letters) == 4
    found = {tuple(np.round(m, 1)) for m in basins.result.minima}
    assert (3.0, 2.0) in found and (-2.8, 3.1) in found and (-3.8, -3.3) in found and (3.6, -1.8) in found
    image = basins.image.image
    assert image.shape == (80, 80, 4)
    # the cell at the start (3.2, 2.1) is coloured like the basin of (3, 2)
    k = int(np.argmin(np.linalg.norm(basins.result.minima - [3.0, 2.0], axis=1)))
    row = int(np.argmin(abs(basins.result.y - 2.1)))
    col = int(np.argmin(abs(basins.result.x - 3.2)))
    assert tuple(image[row, col, :3]) == tuple(int(BASIN_COLORS[k][i:i + 2], 16) for i in (1, 3, 5))
    model.view.basin_mode = "steps"
    assert basins.mode.currentData() == "steps"
    assert any("steps" in label for label in basins.legend_labels)
    model.session.show_basins = False
    assert not basins.image.isVisible()


def test_newest_request_wins_and_cancel(qtbot):
    model = make_model()
    view = ContourView(model)
    qtbot.addWidget(view)
    basins = BasinView(model, view)
    qtbot.addWidget(basins)
    basins.resolution.setValue(40)
    shown = []
    basins.runner.finished.connect(lambda result: shown.append(basins.status.text()))
    model.session.show_basins = True
    model.set_run(0, RunSpec("gd lr 0.02", "sgd", (0.0, 0.0), {"lr": 0.02}))   # supersedes the first request
    qtbot.waitUntil(lambda: basins.result is not None and not basins.runner.busy, timeout=20_000)
    assert len(shown) == 1 and shown[0].startswith("gd lr 0.02:")         # only the newest was shown
    basins.runner.wait()
    basins.resolution.setValue(400)
    basins.steps.setValue(5000)
    basins.request()
    assert basins.cancel_button.isEnabled() and not basins.progress.isHidden()   # a large grid
    QtWidgets.QApplication.processEvents()
    basins.cancel()
    assert not basins.runner.busy and not basins.cancel_button.isEnabled()
    assert basins.runner.wait()
