"""1-D cuts along straight segments (Goodfellow et al. 2015): the numbers, the barrier and the honest label."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.cut import cut_along_run, cut_between_runs, linear_cut
from explorer.runs import RunSpec
from explorer.simulation import simulate_run
from explorer.surface import compile_surface


def test_a_cut_samples_f_on_the_segment_and_can_extend_past_its_ends():
    s = compile_surface("x^2 + 3y^2 + z", variables=("x", "y", "z"))
    cut = linear_cut(s, [-1, 0, 0], [1, 1, 2], n=5, extend=0.25)
    np.testing.assert_allclose(cut.t, [-0.25, 0.125, 0.5, 0.875, 1.25])
    expected = [(-1 + 2 * t) ** 2 + 3 * t**2 + 2 * t for t in cut.t]
    np.testing.assert_allclose(cut.loss, expected)
    assert cut.length == pytest.approx(3.0)
    np.testing.assert_allclose(cut.distance, cut.t * 3.0)
    assert cut.label == "loss on the straight line from start to end — not the path taken"
    with pytest.raises(ValueError, match="both ends need 3 coordinates"):
        linear_cut(s, [0, 0], [1, 1])
    with pytest.raises(ValueError, match="2 to 100,000 points"):
        linear_cut(s, [0, 0, 0], [1, 1, 1], n=1)


def test_the_barrier_between_two_wells_and_none_in_a_bowl():
    wells = compile_surface("(x^2 - 1)^2 + y^2")
    assert linear_cut(wells, [-1, 0], [1, 0], n=201).barrier == pytest.approx(1.0)
    bowl = compile_surface("x^2 + y^2")
    assert linear_cut(bowl, [-1, 0], [1, 0.5], n=201).barrier == 0.0


def test_cuts_from_a_racers_start_to_its_end_and_between_two_racers_ends_say_they_are_not_the_path():
    s = compile_surface("(x^2 - 1)^2 + y^2 + 0.5z^2", variables=("x", "y", "z"))
    left = simulate_run(s, RunSpec("Left", "sgd", (-0.3, 1.0, 1.0), {"lr": 0.1}), steps=400)
    right = simulate_run(s, RunSpec("Right", "sgd", (0.4, -1.0, 0.5), {"lr": 0.1}), steps=400)
    along = cut_along_run(s, left)
    np.testing.assert_array_equal(along.start, left.points[0])
    np.testing.assert_array_equal(along.end, left.points[-1])
    assert along.label == "loss on the straight line from Left's start to its end — not the path Left took"
    between = cut_between_runs(s, left, right, n=101)
    np.testing.assert_allclose(between.start, [-1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(between.end, [1, 0, 0], atol=1e-6)
    assert between.barrier == pytest.approx(1.0, abs=1e-6)   # two basins: the line climbs over x = 0
    assert between.label.endswith("— neither racer's path")
    assert (between.start_label, between.end_label) == ("Left's end", "Right's end")


def test_a_diverged_racer_is_cut_at_its_last_finite_point():
    s = compile_surface("-x^4 + y^2")
    run = simulate_run(s, RunSpec("Away", "sgd", (1.0, 0.0), {"lr": 0.5}), steps=100)
    assert run.status == "diverged"
    cut = cut_along_run(s, run)
    assert np.all(np.isfinite(cut.end))
