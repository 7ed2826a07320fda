"""Parameters in the formula get sliders that re-shape the surface live and travel in the preset."""

from __future__ import annotations

import pytest

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface
from widgets.parameter_sliders import SLIDER_STEPS, ParameterSliders


def make_model():
    surface = compile_surface("a*x^2 + b*y^2", {"a": 1.0, "b": 3.0})
    runs = [RunSpec("gd", "sgd", (1.0, 1.0), {"lr": 0.05})]
    return Comparison(surface, runs, x_range=(-2, 2), y_range=(-2, 2), default_steps=50)


def test_one_slider_per_parameter(qtbot):
    model = make_model()
    sliders = ParameterSliders(model)
    qtbot.addWidget(sliders)
    assert list(sliders.rows) == ["a", "b"]
    assert sliders.rows["a"].value.value() == 1.0
    model.set_surface(compile_surface("x^2 + c*y^2", {"c": 2.0}))
    assert list(sliders.rows) == ["c"]


def test_slider_move_recomputes_surface_and_race(qtbot):
    model = make_model()
    sliders = ParameterSliders(model)
    qtbot.addWidget(sliders)
    old_traj = model.trajectories[0]
    lo, hi = sliders.ranges()["a"]
    slider = sliders.rows["a"].slider
    for target in (1.5, 2.0, 2.5):        # a burst of moves is condensed into one recomputation
        slider.setValue(round((target - lo) / (hi - lo) * SLIDER_STEPS))
    assert model.parameters["a"] == 1.0   # not yet: the moves are condensed
    qtbot.waitUntil(lambda: model.parameters["a"] != 1.0, timeout=2000)
    a = model.parameters["a"]
    assert a == pytest.approx(2.5, abs=(hi - lo) / SLIDER_STEPS)
    assert float(model.surface.value([1.0, 0.5])) == pytest.approx(a * 1.0 + 3.0 * 0.25)
    assert model.trajectories[0] is not old_traj
    assert model.to_preset().surface.parameters["a"] == a
    assert model.view.parameter_ranges["a"] == (lo, hi)   # the range was pinned so it does not follow the value


def test_typed_value_and_range_are_stored(qtbot):
    model = make_model()
    sliders = ParameterSliders(model)
    qtbot.addWidget(sliders)
    row = sliders.rows["b"]
    row.high.setValue(20.0)
    assert model.view.parameter_ranges["b"][1] == 20.0
    row.value.setValue(12.0)
    assert model.parameters["b"] == 12.0
    assert row.slider.value() == round((12.0 - row.low.value()) / (20.0 - row.low.value()) * SLIDER_STEPS)
    row.value.setValue(50.0)              # outside the range: the range widens
    assert model.parameters["b"] == 50.0 and model.view.parameter_ranges["b"][1] == 50.0
