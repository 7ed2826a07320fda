"""One variable: the curve, the tangent's slope, a step as a move along x, and the 2/f'' limit."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.curve import sample_curve, step_move, tangent_line
from explorer.runs import RunSpec
from explorer.simulation import simulate_run
from explorer.surface import compile_surface


def test_the_curve_is_f_over_the_range():
    s = compile_surface("x^3 - 2x", variables=("x",))
    xs, fs = sample_curve(s, (-2.0, 3.0), n=11)
    np.testing.assert_allclose(xs, np.linspace(-2, 3, 11))
    np.testing.assert_allclose(fs, xs**3 - 2 * xs)
    with pytest.raises(ValueError, match="2 to 100,000 points"):
        sample_curve(s, (-2.0, 3.0), n=10**7)
    with pytest.raises(ValueError, match="one variable, this one has 2"):
        sample_curve(compile_surface("x^2 + y^2"), (0, 1))


@pytest.mark.parametrize("x", [-1.7, 0.0, 0.4, 1.5, 2.9])
def test_the_tangent_slope_is_the_derivative(x):
    s = compile_surface("x^3 - 2x + sin(3x)", variables=("x",))
    t = tangent_line(s, x, half_width=0.5)
    exact = 3 * x**2 - 2 + 3 * np.cos(3 * x)
    assert t.slope == pytest.approx(exact, rel=1e-12, abs=1e-12)
    assert t.curvature == pytest.approx(6 * x - 9 * np.sin(3 * x), rel=1e-12, abs=1e-12)
    # and the slope a reader would measure off the drawn curve: the central difference
    h = 1e-5
    _, f = sample_curve(s, (x - h, x + h), n=3)
    assert t.slope == pytest.approx((f[2] - f[0]) / (2 * h), rel=1e-6, abs=1e-6)
    # the drawn segment lies on the line through (x, f(x)) with that slope, and touches the curve there
    np.testing.assert_allclose(t.xs, [x - 0.5, x + 0.5])
    np.testing.assert_allclose(t.ys, t.value + exact * (t.xs - x), rtol=1e-12, atol=1e-12)
    assert t.value == pytest.approx(x**3 - 2 * x + np.sin(3 * x))


def test_the_tangent_says_its_slope_in_the_variables_name():
    s = compile_surface("(w - 1)^2 + 2", variables=("w",))
    assert tangent_line(s, 4.0, 1.0).text == "slope f′(w = 4) = 6"


@pytest.mark.parametrize(("expression", "curvature"), [("(x - 1)^2 + 2", 2.0), ("4x^2 - 3x", 8.0),
                                                        ("0.1(x + 2)^2", 0.2)])
def test_gradient_descent_diverges_just_above_two_over_f2_and_converges_just_below(expression, curvature):
    s = compile_surface(expression, variables=("x",))
    bound = 2.0 / tangent_line(s, 0.3, 1.0).curvature      # the limit the 1-D view reads off f''
    assert bound == pytest.approx(2.0 / curvature, rel=1e-14)
    start = (3.0,)
    below = simulate_run(s, RunSpec("below", "sgd", start, {"lr": bound * (1 - 1e-3)}), steps=30_000,
                         tolerance=1e-8, bounds=((-5.0, 5.0),))
    above = simulate_run(s, RunSpec("above", "sgd", start, {"lr": bound * (1 + 1e-3)}), steps=30_000,
                         tolerance=1e-8, bounds=((-5.0, 5.0),))
    assert below.status == "converged"
    assert above.status == "diverged"
    # the slope (∝ the distance to the minimum) is multiplied by 1 - lr·f'' = -0.998 / -1.002 every step
    grads = below.grads[:, 0]
    np.testing.assert_allclose(grads[1:50] / grads[:49], 1 - bound * (1 - 1e-3) * curvature, rtol=1e-9)
    grads = above.grads[:, 0]
    np.testing.assert_allclose(grads[1:50] / grads[:49], 1 - bound * (1 + 1e-3) * curvature, rtol=1e-9)


def test_a_step_is_a_move_along_x_of_minus_lr_times_the_slope():
    s = compile_surface("(x - 1)^2 + 2", variables=("x",))
    gd = simulate_run(s, RunSpec("GD", "sgd", (4.0,), {"lr": 0.1}), steps=10)
    move = step_move(gd, 0)
    assert (move.x0, move.slope, move.f0) == (4.0, 6.0, 11.0)
    assert move.x1 == pytest.approx(3.4) and move.dx == pytest.approx(-0.6) and move.f1 == pytest.approx(7.76)
    assert move.gradient_step and move.lr == 0.1
    assert move.text == "x: 4 → 3.4, Δx = −0.6 = −lr·f′(x) = −0.1 × 6"
    heavy = simulate_run(s, RunSpec("HB", "sgd", (4.0,), {"lr": 0.1, "momentum": 0.9}), steps=10)
    later = step_move(heavy, 1)      # momentum carries the previous step along: not −lr·f'
    assert not later.gradient_step and "f′(x) = " in later.text and "lr·" not in later.text
    assert step_move(heavy, 0).gradient_step       # the first momentum step is a plain gradient step
    with pytest.raises(ValueError, match="step must be from 0 to 9"):
        step_move(gd, 10)


def test_tangent_and_step_texts_are_numbers_for_people():
    s = compile_surface("(x - 1)^2 + 2", variables=("x",))
    assert tangent_line(s, 1.0 + 1e-12, 1.0).text == "slope f′(x = 1) ≈ 0"          # not 2e-12
    assert tangent_line(s, 1.0 + 4.553e-9, 1.0).text == "slope f′(x = 1) = 9.106 × 10⁻⁹"   # not 9.106e-09
