"""Every claim the descriptions of the one-variable and many-variable lessons make, checked against simulate().

Each test quotes the sentence it checks, so a description and its test are edited together.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from explorer.curve import sample_curve, step_move, tangent_line
from explorer.preset import builtin_presets, load_preset
from explorer.simulation import simulate
from explorer.slice_surface import SliceSurface
from explorer.slicing import SliceSpec, find_anchor, resolve_slice


def _lesson(name):
    preset = load_preset(builtin_presets()[name])
    trajectories = simulate(preset)
    return preset, preset.build_surface(), {t.run.label: t for t in trajectories}


def _says(preset, *phrases):
    for phrase in phrases:
        assert phrase in preset.description, phrase


@pytest.mark.parametrize("name", ["one-variable", "hidden-valley-10d", "four-weights-least-squares"])
def test_each_lesson_says_what_to_notice(name):
    about, _, notice = load_preset(builtin_presets()[name]).description.partition("\n\nWhat to notice: ")
    assert about and len(notice) > 80


def test_one_variable_lesson():
    preset, s, runs = _lesson("one-variable")
    _says(preset, "f(x) = (x - 1)^2 + 2 is a parabola with its lowest point at x = 1")
    assert preset.surface.variables == ("x",) and preset.surface.expression == "(x - 1)^2 + 2"
    xs, fs = sample_curve(s, preset.surface.ranges[0], n=8001)
    assert xs[np.argmin(fs)] == pytest.approx(1.0)

    _says(preset, "At the start x = 4 the tangent has slope f′(4) = 6")
    assert {t.run.start for t in runs.values()} == {(4.0,)}
    assert tangent_line(s, 4.0, 1.0).slope == 6.0
    assert all(t.grads[0, 0] == 6.0 for t in runs.values())

    _says(preset, "with lr 0.1 the first step goes from 4 to 3.4")
    gd = runs["lr 0.1"]
    assert gd.run.params == {"lr": 0.1}
    assert step_move(gd, 0).gradient_step and gd.points[1, 0] == pytest.approx(3.4, abs=1e-15)

    _says(preset, "Every step multiplies the distance to x = 1 by (1 - lr·f″), and f″ = 2 everywhere")
    assert {tangent_line(s, x, 1.0).curvature for x in np.linspace(-3, 5, 17)} == {2.0}
    for t in runs.values():
        lr = t.run.params["lr"]
        dist = t.points[: min(t.stop_step, 40) + 1, 0] - 1.0
        nonzero = dist[:-1] != 0
        np.testing.assert_allclose(dist[1:][nonzero] / dist[:-1][nonzero], 1 - 2 * lr, rtol=1e-9, atol=1e-12)

    _says(preset, "With lr 0.1 the distance shrinks by a fifth per step and the slope is below 1e-8 after 91 steps")
    assert 1 - 2 * 0.1 == pytest.approx(0.8)
    assert (gd.status, gd.stop_step, preset.tolerance) == ("converged", 91, 1e-8)

    _says(preset, "With lr 0.5 = 1/f″ the first step lands exactly on the minimum")
    one = runs["lr 0.5 = 1/f″ (one step)"]
    assert one.run.params["lr"] == 1 / 2.0 and one.points[1, 0] == 1.0 and one.stop_step == 1

    _says(preset, "With lr 0.95 every step overshoots to the other side, but each swing is 0.9 times the last, "
                  "so it settles, after 192 steps")
    below = runs["lr 0.95 (just below 2/f″)"]
    assert below.run.params["lr"] == 0.95 < 2 / 2.0 and 1 - 2 * 0.95 == pytest.approx(-0.9)
    assert np.all(np.sign(below.points[1:20, 0] - 1) == -np.sign(below.points[:19, 0] - 1))
    assert (below.status, below.stop_step) == ("converged", 192)

    _says(preset, "With lr exactly 2/f″ = 1 it bounces between 4 and -2 for ever")
    edge = runs["lr 1 = 2/f″ (bounces)"]
    assert edge.run.params["lr"] == 2 / 2.0 and edge.status == "max_steps" and edge.stop_step == preset.steps
    assert set(edge.points[0::2, 0]) == {4.0} and set(edge.points[1::2, 0]) == {-2.0}

    _says(preset, "With lr 1.05, just above 2/f″, each swing is 1.1 times the last and the run flies off the view "
                  "after 52 steps")
    above = runs["lr 1.05 (just above 2/f″)"]
    assert above.run.params["lr"] == 1.05 > 2 / 2.0 and 1 - 2 * 1.05 == pytest.approx(-1.1)
    assert (above.status, above.stop_step) == ("diverged", 52) and "left the view" in above.message


def test_ten_variable_lesson():
    preset, s, runs = _lesson("hidden-valley-10d")
    names = preset.surface.variables
    ranges = preset.surface.ranges
    _says(preset, "f = 50(x1^2 + ... + x10^2) - 4.95(x1 + ... + x10)^2 has ten variables")
    assert names == tuple(f"x{i}" for i in range(1, 11))
    rng = np.random.default_rng(0)
    for p in rng.uniform(-4, 4, (5, 10)):
        assert s.value(p) == pytest.approx(50 * np.sum(p**2) - 4.95 * np.sum(p) ** 2)

    _says(preset, "Its Hessian has one small eigenvalue, 1, along the diagonal x1 = x2 = ... = x10, and nine large "
                  "ones, 100, across it: a valley ten times longer than it is wide")
    lam, vec = np.linalg.eigh(s.hessian(np.zeros(10)))
    np.testing.assert_allclose(lam, [1] + [100] * 9, rtol=1e-12)
    np.testing.assert_allclose(np.abs(vec[:, 0]), np.full(10, 1 / np.sqrt(10)), rtol=1e-12)
    assert np.sqrt(lam[-1] / lam[0]) == pytest.approx(10)

    _says(preset, "The map first shows the slice through x1 and x2, with the other eight variables held at the "
                  "selected racer's point")
    gd = runs["Gradient descent (lr 0.019)"]
    starts = [t.points[0] for t in runs.values()]
    default = SliceSpec.from_dict(preset.view.get("slice", {}))
    anchor = find_anchor(default, ranges, racer_points=starts, racer_labels=list(runs), selected=0, step=0)
    plane = resolve_slice(default, s, ranges, anchor)
    assert plane.labels == ("x1", "x2") and "the other 8 variables held at the anchor" in plane.description
    assert np.array_equal(plane.anchor, gd.points[0])

    _says(preset, "Every slice through two coordinates looks like an almost round bowl, curving by 80.2 one way and "
          "100 the other")
    for i, j in itertools.combinations(names, 2):
        pair = resolve_slice(SliceSpec(variables=(i, j)), s, ranges, anchor)
        curv = np.linalg.eigvalsh(SliceSurface(s, pair).hessian(pair.anchor_uv))
        np.testing.assert_allclose(curv, [80.2, 100.0], rtol=1e-12)

    _says(preset, "gradient descent, at lr 0.019 just under the limit 2/100 = 0.02, needs 788 steps")
    assert gd.run.params == {"lr": 0.019} and 0.019 < 2 / 100
    assert (gd.status, gd.stop_step) == ("converged", 788)

    _says(preset, "Switch the slice to the Hessian eigenvectors: the plane of the most and least curved directions "
                  "curves by 100 and 1, shows the long valley, and, through the racer's start, holds its whole "
                  "zig-zag path (every point within 1e-9 of the plane)")
    eigen = resolve_slice(SliceSpec(method="eigen"), s, ranges, anchor)
    np.testing.assert_allclose(np.linalg.eigvalsh(SliceSurface(s, eigen).hessian(eigen.anchor_uv)), [1, 100],
                               rtol=1e-12)
    assert eigen.labels == ("v_max (λ=100)", "v_min (λ=1)")
    np.testing.assert_allclose(np.abs(eigen.basis[:, 1]), np.full(10, 1 / np.sqrt(10)), rtol=1e-12)  # the valley
    assert np.max(eigen.off_plane(gd.points)) < 1e-9
    assert gd.stop_step + 1 == 789

    _says(preset, "Across the valley each step flips the error's sign and keeps 90 % of it; along the valley each "
                  "step removes only 1.9 %")
    u = eigen.to_plane(gd.points) - eigen.to_plane(np.zeros(10))       # the error, in the eigen plane
    np.testing.assert_allclose(u[1:60, 0] / u[:59, 0], 1 - 100 * 0.019, rtol=1e-6)   # -0.9
    np.testing.assert_allclose(u[1:, 1] / u[:-1, 1], 1 - 1 * 0.019, rtol=1e-6)       # 0.981

    _says(preset, "Heavy-ball momentum tuned for this valley (lr 0.033, momentum 0.67) reaches the bottom in 101 "
                  "steps")
    hb = runs["Momentum 0.67 (lr 0.033)"]
    assert hb.run.optimizer == "sgd" and hb.run.params == {"lr": 0.033, "momentum": 0.67}
    # Polyak's tuning for curvatures 1..100: lr = 4/(√100 + √1)², momentum = ((√100 − 1)/(√100 + 1))²
    assert 4 / 11**2 == pytest.approx(0.033, abs=5e-4) and (9 / 11) ** 2 == pytest.approx(0.67, abs=5e-3)
    assert (hb.status, hb.stop_step) == ("converged", 101)

    _says(preset, "Adam rescales each coordinate on its own, which cannot straighten a diagonal valley, and needs "
                  "1205")
    adam = runs["Adam (lr 0.1)"]
    assert adam.run.optimizer == "adam" and (adam.status, adam.stop_step) == ("converged", 1205)
    assert all(t.run.start == gd.run.start for t in runs.values())


def test_four_weights_lesson():
    preset, s, runs = _lesson("four-weights-least-squares")
    data = preset.data.dataset
    _says(preset, "Twelve students wrote down their hours of study, hours of sleep and cups of coffee before an "
                  "exam, and their score out of 12")
    assert data.columns == ("study", "sleep", "coffee", "score") and len(data) == 12
    assert data.column("score").max() <= 12

    _says(preset, "The model predicts score = b + w_sleep·sleep + w_study·study + w_coffee·coffee, and the loss is "
                  "the mean squared error over the twelve rows")
    X = np.column_stack([np.ones(12), data.column("sleep"), data.column("study"), data.column("coffee")])
    y = data.column("score")
    for w in np.random.default_rng(1).uniform(-1, 2, (5, 4)):
        assert s.value(w) == pytest.approx(np.mean((X @ w - y) ** 2))
    assert preset.surface.variables == ("b", "w_sleep", "w_study", "w_coffee")

    _says(preset, "Its bottom is the least-squares fit b = 0.239, w_sleep = 0.578, w_study = 1.18, "
                  "w_coffee = -0.277 (the normal equations)")
    fit = np.linalg.solve(X.T @ X, X.T @ y)
    assert [round(v, 3) for v in fit] == [0.239, 0.578, 1.18, -0.277]

    _says(preset, "Newton's method uses the exact curvature and lands there in one step")
    newton = runs["Newton"]
    assert newton.run.optimizer == "newton" and newton.stop_step == 1 and newton.status == "converged"
    np.testing.assert_allclose(newton.points[1], fit, rtol=1e-9)

    _says(preset, "The bowl is about 1,600 times more curved in its steepest direction than in its flattest "
                  "(Hessian eigenvalues from 120 down to 0.075), because everyone slept between 4 and 9 hours")
    lam = np.linalg.eigvalsh(s.hessian(fit))
    assert round(lam[-1]) == 120 and round(lam[0], 3) == 0.075 and 1550 < lam[-1] / lam[0] < 1650
    assert 4 <= data.column("sleep").min() and data.column("sleep").max() <= 9

    _says(preset, "the map shows the slice through b and w_sleep with the other two weights held at the selected "
                  "racer's values, and there the flat floor is plain: a long valley, curving by 93 across and only "
                  "0.096 along")
    default = SliceSpec.from_dict(preset.view.get("slice", {}))
    gd = runs["Gradient descent (lr 0.016)"]
    anchor = find_anchor(default, preset.surface.ranges, racer_points=[gd.points[0]], selected=0)
    plane = resolve_slice(default, s, preset.surface.ranges, anchor)
    assert plane.labels == ("b", "w_sleep") and "the other 2 variables held at the anchor" in plane.description
    curv = np.linalg.eigvalsh(SliceSurface(s, plane).hessian(plane.anchor_uv))
    assert round(curv[1]) == 93 and round(curv[0], 3) == 0.096

    _says(preset, "Gradient descent at lr 0.016, just under the limit 2/120, is still sliding down that valley after "
                  "1,500 steps, its intercept at 0.218 instead of 0.239")
    assert gd.run.params == {"lr": 0.016} and 0.016 < 2 / lam[-1]
    assert gd.status == "max_steps" and gd.stop_step == 1500 == preset.steps and round(gd.points[-1, 0], 3) == 0.218
    assert np.all(np.diff(gd.points[-100:, 0]) > 0)         # still moving the same way along the valley

    _says(preset, "Momentum 0.9 (lr 0.008) reaches the fit in 1,449 steps and Adam (lr 0.1) in 1,293")
    hb, adam = runs["Momentum 0.9 (lr 0.008)"], runs["Adam (lr 0.1)"]
    assert hb.run.params == {"lr": 0.008, "momentum": 0.9} and adam.run.params == {"lr": 0.1}
    assert (hb.status, hb.stop_step, adam.status, adam.stop_step) == ("converged", 1449, "converged", 1293)
    for t in (hb, adam):
        np.testing.assert_allclose(t.points[-1], fit, atol=1e-4)
    assert all(t.run.batch is None for t in runs.values())   # full batch: the mean over all twelve rows
