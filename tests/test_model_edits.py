"""Edits of the document, undo by restoring snapshots, loading, and what is (not) an edit (no Qt)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from explorer.model import Comparison
from explorer.preset import loads_preset
from explorer.runs import RunSpec
from explorer.surface import compile_surface

LESSON = """
format = "gradient-descent-explorer/preset"
version = 1
title = "Bowl lesson"
description = "A round bowl."
steps = 30

[surface]
expression = "x^2 + 4 y^2"
x_range = [-2.0, 2.0]
y_range = [-2.0, 2.0]

[[runs]]
label = "GD"
optimizer = "sgd"
start = [1.5, 1.0]
params = { lr = 0.1 }

[[runs]]
label = "Momentum"
optimizer = "sgd"
start = [-1.5, 1.0]
params = { lr = 0.05, momentum = 0.9 }
"""


@pytest.fixture
def model() -> Comparison:
    return Comparison.from_preset(loads_preset(LESSON))


def edits(model):
    out = []
    model.edited.connect(out.append)
    return out


def test_each_change_is_one_edit_with_before_and_after(model):
    log = edits(model)
    model.set_run(0, replace(model.runs[0], start=(0.5, 0.5)))
    model.remove_run(1)
    model.set_surface(compile_surface("x^2 + y^2"))
    model.view.show_gradient = True
    assert [e.text for e in log] == ["Move the start of GD", "Remove Momentum", "Change the formula",
                                     "Change show gradient"]
    assert log[0].before.runs[0].start == (1.5, 1.0) and log[0].after.runs[0].start == (0.5, 0.5)
    assert log[3].before.view == {} and log[3].after.view == {"show_gradient": True}


def test_looking_is_not_editing(model):
    log = edits(model)
    model.set_step(7)
    model.select(1)
    model.session.presentation = True
    model.session.show_basins = True
    model.set_trajectory(0, model.trajectories[0])
    assert log == []


def test_undo_restores_exactly_and_keeps_untouched_trajectories(model):
    log = edits(model)
    before = model.to_preset()
    model.set_run(0, replace(model.runs[0], params={"lr": 0.2}))
    model.set_surface(compile_surface("x^2 + 9 y^2"))
    model.set_surface(compile_surface("x^2 + y^2"))
    model.set_surface(compile_surface("x^2 + y^2"), ranges=((-3, 3), (-3, 3)))
    for edit in reversed(log):
        model.restore(edit.before)
    assert model.to_preset() == before
    kept = model.trajectories[1]
    model.restore(log[0].after)           # redo of the first edit only: the second run does not change
    assert model.runs[0].params == {"lr": 0.2} and model.trajectories[1] is kept
    assert len(log) == 4                  # restoring is not an edit


def test_an_edit_group_is_one_undo_step(model):
    log = edits(model)
    with model.edit("Reset lesson"):
        model.remove_run(1)
        model.set_title("Changed")
        model.view.contour_levels = "log"
    assert len(log) == 1 and log[0].text == "Reset lesson"
    model.restore(log[0].before)
    assert model.title == "Bowl lesson" and len(model.runs) == 2 and model.view.contour_levels == "auto"


def test_a_slider_drag_has_one_merge_key(model):
    log = edits(model)
    for lr in (0.11, 0.12, 0.13):
        model.set_run(0, replace(model.runs[0], params={"lr": lr}))
    model.set_run(0, replace(model.runs[0], start=(1.0, 1.0)))
    keys = [e.key for e in log]
    assert keys[0] == keys[1] == keys[2] == ("run", 0, "params", ("lr",))
    assert keys[3] == ("run", 0, "start") and log[0].text == "Change lr of GD"


def test_load_is_not_an_edit_and_replaces_everything(model):
    log, loaded = edits(model), []
    model.loaded.connect(lambda: loaded.append(model.title))
    model.view.show_field = True
    model.session.show_basins = True
    other = loads_preset(LESSON.replace("Bowl lesson", "Other").replace('label = "GD"', 'label = "A"'))
    model.load(other)
    assert loaded == ["Other"] and len(log) == 1           # only the earlier toggle was an edit
    assert [r.label for r in model.runs] == ["A", "Momentum"]
    assert model.view.show_field is False and model.session.show_basins is False
    assert all(t is not None for t in model.trajectories)


def test_a_typed_formula_over_a_lesson_is_untitled_and_undo_brings_the_title_back(model):
    log = edits(model)
    model.retitle_new_formula = True       # the window sets this while the comparison has no file
    model.set_parameters({})               # nothing changes: no edit
    model.set_surface(compile_surface("x^2 + y^2"))
    assert model.title == "Untitled" and model.description == "" and len(log) == 1
    model.restore(log[0].before)
    assert model.title == "Bowl lesson" and model.expression == "x^2 + 4 y^2"


def test_restore_inside_an_edit_keeps_the_lesson_title(model):
    lesson = model.state()
    model.retitle_new_formula = True
    model.set_surface(compile_surface("x^2 + y^2"))
    log = edits(model)
    with model.edit("Reset lesson"):
        model.restore(lesson)
    assert model.title == "Bowl lesson" and model.expression == "x^2 + 4 y^2"
    assert [e.text for e in log] == ["Reset lesson"]


def test_new_runs_get_colours_that_stay_apart(model):
    from explorer.view_settings import DISTINCT, color_distance

    for k in range(3):
        model.add_run(RunSpec(f"r{k}", "sgd", (0.0, 1.0), {"lr": 0.1}))
    colors = [model.color_of(i) for i in range(5)]
    assert min(color_distance(a, b) for i, a in enumerate(colors) for b in colors[i + 1:]) >= DISTINCT


def test_view_settings_validate_and_explain(model):
    with pytest.raises(ValueError, match="contour_levels: must be one of"):
        model.view.contour_levels = "logarithmic"
    with pytest.raises(ValueError, match=r"show_gradent: unknown setting \(did you mean 'show_gradient'\?\)"):
        model.view.update({"show_gradent": True})
    with pytest.raises(ValueError, match=r"parameter_ranges\.a: low must be less than high"):
        model.view.parameter_ranges = {"a": [2.0, 1.0]}
    assert model.view.as_dict() == {}                          # nothing was set by the failed attempts
    model.view.parameter_ranges = {"a": [0, 5]}
    assert model.view.parameter_ranges == {"a": (0.0, 5.0)}
    assert np.isclose(model.to_preset().view["parameter_ranges"]["a"][1], 5.0)
