"""What the data pane draws, computed without Qt (explorer/fit.py): the kind of picture, the prediction over raw
columns when the loss sees them standardised, the inputs "standardise features" may rescale, the ranges of
the one-click models, and the rows a click or a drag makes."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.data import Dataset
from explorer.fit import (
    binary,
    boundary_grid,
    curve,
    describe,
    moved_row,
    new_row,
    predictions,
    scalable_inputs,
    template_setup,
)
from explorer.preset_schema import DataSpec
from explorer.surface import compile_surface

XY = Dataset(("x", "y"), np.array([[0.0, 1.0], [1.0, 3.2], [2.0, 4.9], [3.0, 7.1]]))


def spec_and_surface(loss, prediction, data=XY, variables=("w", "b"), **extra):
    spec = DataSpec(data, prediction=prediction, **extra)
    return spec, compile_surface(loss, variables=variables, data=spec.model_dataset)


def test_a_line_is_a_curve_over_the_input_with_residuals_to_each_point():
    spec, surface = spec_and_surface("(w*x + b - y)^2", "w*x + b")
    layout = describe(spec, surface)
    assert (layout.kind, layout.shown, layout.targets) == ("curve", ("x", "y"), ("y",))
    assert curve(layout, spec, (2.0, 1.0), {}, np.array([0.0, 5.0])) == pytest.approx([1.0, 11.0])
    assert predictions(layout, spec, (2.0, 1.0), {}) == pytest.approx([1.0, 3.0, 5.0, 7.0])


def test_standardised_inputs_are_drawn_as_given():
    spec, surface = spec_and_surface("(w*x + b - y)^2", "w*x + b", standardise=("x",))
    layout = describe(spec, surface)
    x = XY.column("x")
    z = (x - x.mean()) / x.std()
    assert predictions(layout, spec, (2.0, 1.0), {}) == pytest.approx(2 * z + 1)
    assert curve(layout, spec, (2.0, 1.0), {}, x) == pytest.approx(2 * z + 1)     # at raw x, the same line


def test_two_inputs_and_a_label_make_a_decision_boundary_else_no_boundary():
    rows = np.array([[0.0, 0.0, 0.0], [1.0, 0.2, 0.0], [0.1, 1.0, 1.0], [1.0, 1.2, 1.0]])
    data = Dataset(("a", "c", "label"), rows)
    spec, surface = spec_and_surface("softplus(-(2*label - 1)*(w*a + v*c + b))", "sigmoid(w*a + v*c + b)", data,
                                     ("w", "v", "b"), show=("a", "c"))
    layout = describe(spec, surface)
    assert layout.kind == "boundary" and layout.colour_by == "label"
    grid = boundary_grid(layout, spec, (0.0, 2.0, -1.0), {}, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert grid == pytest.approx(1 / (1 + np.exp(-np.array([[-1.0, -1.0], [1.0, 1.0]]))))
    regression = Dataset(("a", "c", "t"), rows + [[0, 0, 0.5]] * 4)
    spec, surface = spec_and_surface("(w*a + v*c + b - t)^2", "w*a + v*c + b", regression, ("w", "v", "b"),
                                     show=("a", "c"))
    assert describe(spec, surface).kind == "points" and "vertical column" in describe(spec, surface).note


def test_default_columns_are_the_first_input_against_the_target_and_on_map_data_are_a_map():
    data = Dataset(("study", "sleep", "score"), np.array([[1.0, 7.0, 5.0], [3.0, 6.0, 8.0]]))
    spec, surface = spec_and_surface("(w1*study + w2*sleep + b - score)^2", "w1*study + w2*sleep + b", data,
                                     ("w1", "w2", "b"))
    layout = describe(spec, surface)
    assert layout.kind == "curve" and layout.shown == ("study", "score")
    depot = DataSpec(XY, on_map=("x", "y"))
    assert describe(depot, compile_surface("sqrt((u - x)^2 + (v - y)^2)", variables=("u", "v"), data=XY)).kind \
        == "map"
    broken = DataSpec(XY, prediction="w*x + q")
    assert "cannot be drawn" in describe(broken, compile_surface("(w*x + b - y)^2", variables=("w", "b"),
                                                                 data=XY)).note


@pytest.mark.parametrize("prediction,inputs", [
    ("w*x + b", ("x",)),
    ("sigmoid(w*x + b)", ("x",)),
    ("b + w1*x + w2*y", ("x", "y")),
    ("w*x^2 + b", ()),
    ("w*ln(x) + b", ()),
    ("100*(1 + erf(ln(100/x)/w))/2", ()),
])
def test_only_inputs_that_enter_linearly_may_be_standardised(prediction, inputs):
    assert scalable_inputs(prediction, ("w", "b", "w1", "w2"), (), ("x", "y")) == inputs


def test_one_click_models_frame_the_best_fit():
    rng = np.random.default_rng(0)
    x = rng.uniform(20, 80, 60)
    y = 0.5 * x + 3 + rng.normal(0, 1, 60)
    data = Dataset(("x", "y"), np.column_stack([x, y]))
    setup = template_setup("linear", data, "x", "y")
    w, b = np.polyfit(x, y, 1)
    (w0, w1), (b0, b1) = setup.ranges
    assert w0 < w < w1 and b0 < b < b1 and w0 <= setup.start[0] <= w1 and b0 <= setup.start[1] <= b1
    assert abs(np.array(setup.start) - (w, b)).max() > 0.1                    # the runs have a way to go
    labels = Dataset(("x", "y"), np.column_stack([x, (x > 50).astype(float)]))
    setup = template_setup("logistic", labels, "x", "y", standardise=("x",))
    assert setup.prediction == "sigmoid(w*x + b)" and setup.ranges[0][1] > 0
    setup = template_setup("distance", data, "x", "y")
    assert setup.on_map == ("x", "y") and setup.ranges[0][0] < x.min() and x.max() < setup.ranges[0][1]


def test_points_added_or_dragged_keep_labels_and_copy_the_nearest_row():
    data = Dataset(("x", "label", "weight"), np.array([[0.0, 0.0, 5.0], [4.0, 1.0, 7.0]]))
    assert binary(data.column("label")) and not binary(data.column("x"))
    assert moved_row(data, 0, ("x", "label"), 1.5, 0.7).tolist() == [1.5, 1.0, 5.0]
    assert new_row(data, ("x", "label"), 3.6, 0.2, (4.0, 1.0)).tolist() == [3.6, 0.0, 7.0]
