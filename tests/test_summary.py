"""The summary numbers of a comparison (explorer.summary, no Qt): steps to tolerance, distances, losses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.summary import distance_to_nearest, steps_to_tolerance, summarize_comparison
from explorer.surface import compile_surface


def _bowl(steps: int = 40) -> Comparison:
    """x² + 4y²: GD at lr 0.1 contracts x by 0.8 and y by 0.2 per step; momentum; one run that diverges."""
    runs = [RunSpec("GD", "sgd", (1.5, 1.0), {"lr": 0.1}),
            RunSpec("Momentum", "sgd", (-1.5, 1.0), {"lr": 0.05, "momentum": 0.9}),
            RunSpec("Too large", "sgd", (0.5, 0.5), {"lr": 0.3})]
    model = Comparison(compile_surface("x^2 + 4 y^2"), runs, x_range=(-2, 2), y_range=(-2, 2), title="Bowl",
                       tolerance=1e-3, default_steps=steps)
    model.minima = ((0.0, 0.0),)
    return model


def test_summary_numbers_for_the_bowl():
    model = _bowl(40)
    gd, momentum, too_large = summarize_comparison(model)
    # GD on x² + 4y² at lr 0.1: x_k = 1.5·0.8^k, y_k = 1.0·0.2^k, ∇f = (2x, 8y); ‖∇f‖ ≤ 1e-3 first when
    # 3·0.8^k ≤ 1e-3 (the y part is negligible by then): k = ceil(log(1/3000) / log 0.8) = 36.
    assert gd.steps_to_tolerance == math.ceil(math.log(1e-3 / 3) / math.log(0.8)) == 36
    assert gd.status == "converged" and gd.grad_evals == 37
    x36 = 1.5 * 0.8 ** 36
    assert gd.distance_to_minimum == pytest.approx(math.hypot(x36, 0.2 ** 36), rel=1e-9)
    assert gd.final_loss == pytest.approx(x36 ** 2, rel=1e-6)
    # lr 0.3: y is multiplied by 1 − 0.3·8 = −1.4 each step → diverges, never reaches the tolerance
    assert too_large.status == "diverged" and too_large.steps_to_tolerance is None
    assert momentum.distance_to_minimum is not None


def test_summary_helpers():
    grads = np.array([[1.0, 0.0], [0.1, 0.0], [1e-4, 0.0], [np.nan, 0.0]])
    assert steps_to_tolerance(grads, 1e-3) == 2
    assert steps_to_tolerance(grads, 0.0) is None
    assert distance_to_nearest((1.0, 1.0), []) is None
    assert distance_to_nearest((np.inf, 0.0), [(0, 0)]) == math.inf
    assert distance_to_nearest((3.0, 4.0), [(0, 0), (3, 3)]) == 1.0


