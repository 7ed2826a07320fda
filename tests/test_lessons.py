"""Every two-variable lesson says something about its race; each test checks that claim against the simulation
(no Qt). A lesson whose text and numbers disagree (the plateau once said "a fraction of the time" while its
summary showed 352 / 367 / 368 steps) fails here. Lessons in more or fewer variables have their own claims
in tests/test_slice_lessons.py, lessons over data (line fit, patient readmission, the depot, Black–Scholes,
batch size, feature scaling) in tests/test_lessons_data.py.

Also checked for every lesson: its runs' colours stay apart for colour-blind viewers
(:func:`explorer.view_settings.color_distance`), and the description's "What to notice" part exists.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from explorer.model import Comparison
from explorer.preset import builtin_presets, load_preset
from explorer.summary import steps_to_tolerance
from explorer.view_settings import DISTINCT, color_distance


@cache
def lesson(name: str) -> Comparison:
    return Comparison.from_preset(load_preset(builtin_presets()[name]))


def run(name: str, label: str):
    m = lesson(name)
    return next(t for t in m.trajectories if t.run.label == label)


def end(t) -> np.ndarray:
    return np.asarray(t.points[t.stop_step], dtype=float)


def dist(t, point) -> float:
    return float(np.linalg.norm(end(t) - np.asarray(point, dtype=float)))


def first_step(condition) -> int | None:
    hits = np.flatnonzero(condition)
    return int(hits[0]) if hits.size else None


TWO_D = sorted(n for n, p in builtin_presets().items() if load_preset(p).surface.ndim == 2)


@pytest.mark.parametrize("name", sorted(builtin_presets()))
def test_run_colours_stay_apart_for_colour_blind_eyes(name):
    m = Comparison.from_preset(load_preset(builtin_presets()[name]), simulate=lambda *a, **k: None)
    colors = [m.color_of(i) for i in range(len(m.runs))]
    for a, b in itertools.combinations(colors, 2):
        assert color_distance(a, b) >= DISTINCT, f"{name}: {a} and {b} are too alike"


@pytest.mark.parametrize("name", TWO_D)
def test_every_lesson_says_what_to_notice(name):
    description = load_preset(builtin_presets()[name]).description
    assert "What to notice:" in description


def test_beale_momentum_and_adam_reach_the_minimum_while_gradient_descent_is_still_on_its_way():
    assert dist(run("beale", "Momentum"), (3, 0.5)) < 1e-3
    assert dist(run("beale", "Adam"), (3, 0.5)) < 1e-3
    assert dist(run("beale", "Gradient descent"), (3, 0.5)) > 0.03


def test_himmelblau_four_nearby_starts_end_in_four_different_minima():
    m = lesson("himmelblau")
    minima = np.array(m.minima)
    reached = {int(np.argmin(np.linalg.norm(minima - end(t), axis=1))) for t in m.trajectories}
    assert reached == {0, 1, 2, 3}
    starts = np.array([t.points[0] for t in m.trajectories])
    assert np.max(np.linalg.norm(starts[:, None] - starts[None], axis=-1)) <= 1.5


def test_learning_rate_too_large_the_limit_is_two_over_eight():
    name = "learning-rate-too-large"
    assert run(name, "lr 0.1").status == "converged"
    below = run(name, "lr 0.24 (just below 2/λmax)")
    assert below.status == "converged"
    assert np.all(np.sign(below.points[1:10, 1]) != np.sign(below.points[:9, 1]))   # overshoots every step
    assert run(name, "lr 0.26 (just above 2/λmax)").status == "diverged"
    assert run(name, "lr 0.3").status == "diverged" and run(name, "lr 0.3").stop_step <= 25


def test_newton_reaches_the_minimum_in_a_handful_of_steps():
    newton = run("newton-vs-gradient-descent", "Newton")
    assert newton.status == "converged" and newton.stop_step <= 10 and dist(newton, (1, 1)) < 1e-6
    assert dist(run("newton-vs-gradient-descent", "Gradient descent"), (1, 1)) > 1.0


def test_noisy_gradients_jitter_and_a_decaying_learning_rate_settles():
    exact = run("noisy-gradients", "Exact gradients")
    noisy = run("noisy-gradients", "Noisy gradients")
    decaying = run("noisy-gradients", "Noisy gradients, decaying lr")
    assert exact.status == "converged"
    spread = {t.run.label: float(np.mean(np.linalg.norm(t.points[-100:], axis=1))) for t in (noisy, decaying)}
    assert spread["Noisy gradients"] > 2 * spread["Noisy gradients, decaying lr"]


def test_plateau_momentum_and_adam_need_under_half_the_steps():
    gd = run("plateau", "Gradient descent")
    for label in ("Momentum", "Adam"):
        other = run("plateau", label)
        assert other.status == "converged"
        assert other.stop_step < 0.5 * gd.stop_step, (label, other.stop_step, gd.stop_step)


def test_rastrigin_three_runs_stay_in_the_dimple_near_2_2_and_one_finds_the_centre():
    for label in ("Gradient descent", "Momentum", "Adam"):
        t = run("rastrigin", label)
        assert dist(t, (1.99, 1.99)) < 0.05 and 7 < t.loss[t.stop_step] < 9
    centre = run("rastrigin", "GD started near the centre")
    assert centre.loss[centre.stop_step] < 1e-6


def test_ravine_momentum_twice_as_fast_as_the_bouncing_run_which_bounces():
    large = run("ravine", "GD, large step (lr 0.038)")
    momentum = run("ravine", "Momentum 0.7 (lr 0.02)")
    ratio = steps_to_tolerance(large.grads, 1e-3) / steps_to_tolerance(momentum.grads, 1e-3)
    assert 1.6 <= ratio <= 2.8
    y = large.points[:20, 1]
    assert np.all(np.sign(y[1:]) != np.sign(y[:-1]))                  # wall to wall
    small = run("ravine", "GD, small step (lr 0.01)")
    assert np.all(np.diff(np.sign(small.points[:50, 1])) == 0)       # no bouncing, and it crawls
    assert small.status == "max_steps"


def test_ravine_slider_b_makes_a_round_bowl_where_the_zig_zag_stops():
    m = Comparison.from_preset(load_preset(builtin_presets()["ravine"]))
    assert m.parameters == {"a": 1.0, "b": 25.0} and m.view.parameter_ranges["b"] == (1.0, 50.0)
    m.set_parameters({"b": 1.0})
    large = next(t for t in m.trajectories if t.run.label.startswith("GD, large"))
    assert np.all(np.sign(large.points[:20, 1]) == np.sign(large.points[0, 1]))   # no more zig-zag


def test_rosenbrock_after_600_steps_adam_then_momentum_then_rmsprop_then_gd():
    order = sorted(lesson("rosenbrock-race").trajectories, key=lambda t: dist(t, (1, 1)))
    assert [t.run.label for t in order] == ["Adam", "Momentum", "RMSProp", "Gradient descent"]
    assert dist(order[-1], (1, 1)) > 1.0


def test_saddle_ridge_run_stays_nudged_gd_lingers_adam_escapes_noise_pushes_off():
    name = "saddle-point"
    ridge = run(name, "GD on the ridge line")
    assert dist(ridge, (0, 0)) < 1e-3                                  # slides into the saddle and stays

    def escape(t):
        return first_step(np.abs(t.points[:, 1]) > 0.1)

    nudged, adam = run(name, "GD nudged by 0.001"), run(name, "Adam nudged by 0.001")
    assert escape(nudged) > 100                                        # lingers well over a hundred steps
    assert escape(adam) is not None and escape(adam) < 60              # a few dozen steps
    noisy = run(name, "GD with noisy gradients")
    assert escape(noisy) is not None and abs(end(noisy)[1]) > 1.0


def test_a_plateau_tolerance_change_is_what_the_summary_shows():
    """The claim is visible: the race stops each run at the tolerance, so the Numbers tab shows it."""
    m = lesson("plateau")
    assert m.tolerance == 1e-3
    statuses = [t.status for t in m.trajectories]
    assert statuses == ["converged"] * 3
    slower = replace(m.runs[0], params={"lr": 0.05})
    m2 = Comparison(m.surface, [slower], ranges=m.ranges, tolerance=m.tolerance, default_steps=m.default_steps)
    assert m2.trajectories[0].status == "max_steps"                     # a smaller step never gets across
