"""The window's model: a comparison of runs over one surface (no Qt, no display needed)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from explorer.events import Signal
from explorer.model import Comparison
from explorer.runs import PALETTE, RunSpec
from explorer.surface import compile_surface

BOWL = "x^2 + 4 y^2"


def gradient_descent(surface, run, *, steps, tolerance, bounds):
    """A tiny stand-in for simulate_run: plain gradient descent, enough to test the model's bookkeeping."""
    lr = float(run.params.get("lr", 0.1))
    if lr <= 0:
        raise ValueError("lr must be positive")
    points = [np.asarray(run.start, dtype=float)]
    for _ in range(steps):
        g = surface.gradient(points[-1])
        if np.linalg.norm(g) <= tolerance:
            break
        points.append(points[-1] - lr * g)
    points = np.array(points)
    return SimpleNamespace(run=run, points=points, loss=surface.value(points), stop_step=len(points) - 1,
                           status="max_steps", message="")


def recorder(model: Comparison) -> list[tuple]:
    """Every event the model emits, in order, as (name, *args)."""
    log: list[tuple] = []
    for name in ("surface_changed", "runs_changed", "run_changed", "trajectories_changed", "step_changed",
                 "selection_changed", "needs_recompute"):
        getattr(model, name).connect(lambda *args, _n=name: log.append((_n, *args)))
    model.view.changed.connect(lambda name: log.append(("view_changed", name)))
    return log


@pytest.fixture
def model() -> Comparison:
    runs = [RunSpec("slow", "sgd", (1.0, 1.0), {"lr": 0.01}),
            RunSpec("fast", "sgd", (-1.0, 0.5), {"lr": 0.1})]
    return Comparison(compile_surface(BOWL), runs, x_range=(-2, 2), y_range=(-2, 2), default_steps=50,
                      tolerance=0.0, simulate=gradient_descent)


def test_signal_calls_each_callback_once_and_disconnects():
    sig, calls = Signal(), []
    cb = calls.append
    sig.connect(cb)
    sig.connect(cb)
    sig.emit(1)
    sig.disconnect(cb)
    sig.emit(2)
    with sig.blocked():
        sig.emit(3)
    assert calls == [1]


def test_trajectories_are_computed_for_every_run(model):
    assert [t.stop_step for t in model.trajectories] == [50, 50]
    assert model.max_step == 50
    np.testing.assert_array_equal(model.point_at(1, 0), [-1.0, 0.5])


def test_editing_a_hyperparameter_recomputes_only_that_run(model):
    log = recorder(model)
    kept = model.trajectories[0]
    model.set_run(1, replace(model.runs[1], params={"lr": 0.2}))
    assert log == [("run_changed", 1), ("trajectories_changed", 1)]
    assert model.trajectories[0] is kept
    assert model.trajectories[1].run.params == {"lr": 0.2}


def test_cosmetic_edits_do_not_recompute_and_equal_edits_emit_nothing(model):
    log = recorder(model)
    model.set_run(0, model.runs[0])
    assert log == []
    model.set_run(0, replace(model.runs[0], color="#000000", visible=False, label="renamed"))
    assert log == [("run_changed", 0)]


def test_a_new_surface_recomputes_all_runs_once(model):
    log = recorder(model)
    model.set_surface(compile_surface("x^2 + y^2"))
    assert log == [("surface_changed",), ("trajectories_changed", None)]
    assert model.expression == "x^2 + y^2"
    log.clear()
    model.set_surface(compile_surface("x^2 + y^2"))   # same text, same parameters: nothing changed
    model.set_ranges((-2, 2), (-2, 2))
    assert log == []


def test_step_is_clamped_and_held_at_the_last_point(model):
    log = recorder(model)
    model.set_step(10_000)
    assert model.step == 50 and log == [("step_changed", 50)]
    model.set_run(0, replace(model.runs[0], steps=5))
    np.testing.assert_array_equal(model.point_at(0), model.trajectories[0].points[5])
    model.set_step(-3)
    assert model.step == 0


def test_steps_back_are_exact(model):
    model.set_step(7)
    before = model.point_at(1).copy()
    model.set_step(8)
    model.set_step(7)
    np.testing.assert_array_equal(model.point_at(1), before)


def test_add_duplicate_remove_keep_colours_and_selection(model):
    log = recorder(model)
    i = model.duplicate_run(1)
    assert i == 2 and model.runs[2].label == "fast (copy)" and model.selected == 2
    assert len({model.color_of(j) for j in range(3)}) == 3
    colours_after = [model.color_of(1), model.color_of(2)]
    model.remove_run(0)
    assert [model.color_of(0), model.color_of(1)] == colours_after
    assert model.selected == 1
    assert ("runs_changed",) in log and len(model.trajectories) == 2
    assert model.color_of(0) in PALETTE


def test_a_bad_run_reports_an_error_instead_of_raising(model):
    model.set_run(0, replace(model.runs[0], params={"lr": -1.0}))
    assert model.trajectories[0] is None and "lr" in model.errors[0]
    np.testing.assert_array_equal(model.point_at(0, 3), model.runs[0].start)


def test_view_settings_emit_only_on_change(model):
    log = recorder(model)
    model.view.contour_levels = "log"
    model.view.contour_levels = "log"
    model.view.update({"show_field": True, "contour_levels": "log"})
    assert log == [("view_changed", "contour_levels"), ("view_changed", "show_field")]


def test_asynchronous_recompute_drops_stale_results():
    model = Comparison(compile_surface(BOWL), [RunSpec("a", "sgd", (1.0, 1.0), {"lr": 0.1})],
                       default_steps=20, tolerance=0.0, synchronous=False, simulate=gradient_descent)
    requests: list[list[int]] = []
    model.needs_recompute.connect(requests.append)
    model.set_run(0, replace(model.runs[0], params={"lr": 0.2}))
    first = model.recompute_job(0)
    model.set_run(0, replace(model.runs[0], params={"lr": 0.05}))
    newest = model.recompute_job(0)
    assert requests == [[0], [0]] and model.pending
    assert model.wants(newest.revision) and not model.wants(first.revision)
    assert model.set_trajectory(0, newest.compute(), revision=newest.revision)
    assert not model.wants(newest.revision)
    assert not model.set_trajectory(0, first.compute(), revision=first.revision)   # late, stale: dropped
    assert model.trajectories[0].run.params == {"lr": 0.05} and not model.pending


def test_asynchronous_result_finds_its_run_after_an_earlier_run_is_removed():
    runs = [RunSpec("a", "sgd", (1.0, 1.0)), RunSpec("b", "sgd", (0.5, 0.5))]
    model = Comparison(compile_surface(BOWL), runs, default_steps=5, synchronous=False,
                       simulate=gradient_descent)
    job = model.recompute_job(1)
    model.remove_run(0)
    assert model.set_trajectory(job.index, job.compute(), revision=job.revision)
    assert model.trajectories[0].run.label == "b"


def test_parameters_reshape_the_surface():
    model = Comparison(compile_surface("a*x^2 + y^2", {"a": 1.0}), [RunSpec("a", "sgd", (1.0, 1.0))],
                       default_steps=3, simulate=gradient_descent)
    log = recorder(model)
    model.set_parameters({"a": 3.0})
    assert model.parameters == {"a": 3.0} and model.surface.value(np.array([1.0, 0.0])) == 3.0
    assert log[0] == ("surface_changed",)


def test_real_engine_computes_trajectories():
    import explorer.simulation as simulation
    model = Comparison(compile_surface(BOWL), [RunSpec("gd", "sgd", (1.0, 1.0), {"lr": 0.1})],
                       default_steps=200, tolerance=1e-6)
    traj = model.trajectories[0]
    assert isinstance(traj, simulation.Trajectory)
    assert traj.status == "converged" and model.max_step == traj.stop_step < 200


PRESET = """
format = "gradient-descent-explorer/preset"
version = 1
title = "Bowl"
description = "A round bowl."
steps = 40

[surface]
expression = "x^2 + 4 y^2"
x_range = [-2.0, 2.0]
y_range = [-1.0, 3.0]

[[runs]]
label = "GD"
optimizer = "sgd"
start = [1.5, 2.0]
params = { lr = 0.1 }

[view]
log_levels = true
step = 12
"""


def test_preset_round_trip_keeps_the_document_not_the_session():
    from explorer.preset import loads_preset

    preset = loads_preset(PRESET)
    model = Comparison.from_preset(preset, simulate=gradient_descent)
    # an older file's [view] step is where the lesson opens; log_levels = true means logarithmic levels
    assert model.step == 12 and model.view.contour_levels == "log" and model.title == "Bowl"
    again = model.to_preset()
    assert again.view == {"contour_levels": "log"}            # the step is session state: never written
    assert dataclasses.replace(again, view=preset.view) == preset
    model.set_step(3)
    model.session.presentation = True
    assert model.to_preset() == again


def test_the_core_imports_no_qt():
    code = ("import sys, explorer.model, explorer.events; "
            "assert not {'PySide6', 'pyqtgraph', 'shiboken6'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_asynchronous_surface_change_drops_the_old_paths_at_once():
    model = Comparison(compile_surface(BOWL), [RunSpec("a", "sgd", (1.0, 1.0), {"lr": 0.1})],
                       default_steps=20, tolerance=0.0, simulate=gradient_descent)
    model.set_step(10)
    model.synchronous = False
    log = recorder(model)
    model.set_surface(compile_surface("x^2 + y^2"))
    assert log == [("surface_changed",), ("trajectories_changed", 0), ("needs_recompute", [0])]
    assert model.trajectories == [None] and model.step == 10
    job = model.recompute_job(0)
    model.set_trajectory(0, job.compute(), revision=job.revision)
    assert model.step == 10 and not model.pending
    log.clear()
    model.set_ranges((-3, 3), (-3, 3))            # same function, new box: the old path stays meanwhile
    assert model.trajectories[0] is not None and log[-1] == ("needs_recompute", [0])
