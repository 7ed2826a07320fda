"""Compiled surfaces: shapes for every expression, derivatives vs finite differences, non-finite values."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import ExpressionError, compile_surface

STANDARD = {
    "rosenbrock": ("(1-x)^2 + 100(y-x^2)^2", (-1.5, 1.5), (-0.5, 2)),
    "himmelblau": ("(x^2+y-11)^2 + (x+y^2-7)^2", (-4, 4), (-4, 4)),
    "beale": ("(1.5-x+x y)^2 + (2.25-x+x y^2)^2 + (2.625-x+x y^3)^2", (-2, 2), (-2, 2)),
    "rastrigin": ("20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)", (-2, 2), (-2, 2)),
    "ackley": ("-20exp(-0.2sqrt(0.5(x^2+y^2))) - exp(0.5(cos(2pi x)+cos(2pi y))) + e + 20", (0.3, 2), (0.3, 2)),
    "booth": ("(x + 2y - 7)^2 + (2x + y - 5)^2", (-5, 5), (-5, 5)),
    "matyas": ("0.26(x^2+y^2) - 0.48 x y", (-5, 5), (-5, 5)),
    "three-hump camel": ("2x^2 - 1.05x^4 + x^6/6 + x y + y^2", (-2, 2), (-2, 2)),
    "six-hump camel": ("(4 - 2.1x^2 + x^4/3)x^2 + x y + (-4 + 4y^2)y^2", (-2, 2), (-1, 1)),
    "goldstein-price": ("(1+(x+y+1)^2(19-14x+3x^2-14y+6x y+3y^2))(30+(2x-3y)^2(18-32x+12x^2+48y-36x y+27y^2))",
                        (-2, 2), (-2, 2)),
    "levi": ("sin(3pi x)^2 + (x-1)^2(1+sin(3pi y)^2) + (y-1)^2(1+sin(2pi y)^2)", (-3, 3), (-3, 3)),
    "styblinski-tang": ("(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)/2", (-4, 4), (-4, 4)),
    "logistic": ("log(1+exp(-(x+y))) + log(1+exp(2x-y)) + log(1+exp(-(0.5x+2y)))", (-3, 3), (-3, 3)),
}


@pytest.mark.parametrize("name", STANDARD)
def test_gradient_and_hessian_agree_with_central_differences(name):
    text, xr, yr = STANDARD[name]
    s = compile_surface(text)
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(*xr, 20), rng.uniform(*yr, 20)])
    h = 1e-5
    e = np.eye(2) * h
    fd_grad = np.stack([(s.value(pts + e[i]) - s.value(pts - e[i])) / (2 * h) for i in range(2)], axis=-1)
    fd_hess = np.stack([(s.gradient(pts + e[i]) - s.gradient(pts - e[i])) / (2 * h) for i in range(2)], axis=-2)
    g, H = s.gradient(pts), s.hessian(pts)
    scale_g = 1 + np.abs(g).max()
    scale_h = 1 + np.abs(H).max()
    assert np.abs(g - fd_grad).max() / scale_g < 1e-6
    assert np.abs(H - fd_hess).max() / scale_h < 1e-6
    assert np.allclose(H, np.swapaxes(H, -1, -2))


@pytest.mark.parametrize("text", ["(1-x)^2 + 100(y-x^2)^2", "x + 2y", "5", "abs(x) + y^2", "max(x, 0)", "x y"])
@pytest.mark.parametrize("shape", [(), (7,), (4, 5)])
def test_shapes_hold_for_scalar_batch_and_grid(text, shape):
    s = compile_surface(text)
    xy = np.random.default_rng(1).normal(size=(*shape, 2))
    assert s.value(xy).shape == shape
    assert s.gradient(xy).shape == (*shape, 2)
    assert s.hessian(xy).shape == (*shape, 2, 2)
    assert s.value(xy).dtype == np.float64


def test_constant_derivative_components_are_broadcast():
    s = compile_surface("3x + 2")
    g = s.gradient(np.zeros((3, 4, 2)))
    assert np.all(g[..., 0] == 3) and np.all(g[..., 1] == 0)
    assert np.all(s.hessian(np.ones((5, 2))) == 0)


def test_non_smooth_functions_have_sign_gradients_and_zero_hessians():
    s = compile_surface("abs(x) + abs(y)")
    assert s.gradient([[-2.0, 3.0]]).tolist() == [[-1.0, 1.0]]
    assert np.all(s.hessian([[-2.0, 3.0]]) == 0)


def test_non_finite_values_come_back_without_warnings():
    # pytest runs with warnings as errors: any numpy RuntimeWarning here would fail the test.
    s = compile_surface("exp(x^2) + log(y) + sqrt(y) + 1/x")
    v = s.value([[30.0, -1.0], [0.0, 1.0]])
    assert np.isnan(v[0]) or np.isinf(v[0])
    assert not np.isfinite(v[1])
    g = s.gradient([[40.0, -1.0]])
    assert not np.all(np.isfinite(g))


def test_complex_intermediate_becomes_nan_not_complex():
    s = compile_surface("(x - 5)^(1/3) + y")  # a cube root of a negative number is complex in sympy and numpy
    v = s.value([[0.0, 0.0], [13.0, 1.0]])
    assert v.dtype == np.float64 and np.isnan(v[0]) and v[1] == pytest.approx(3.0)
    with pytest.raises(ExpressionError, match="not a real number"):
        compile_surface("(-1)^(1/3) + x")  # a constant: refused where it was typed


def test_latex_is_available_for_f_gradient_and_hessian():
    s = compile_surface("(1-x)^2 + 100(y-x^2)^2")
    assert set(s.latex) >= {"f", "gradient", "hessian"}
    assert "x^{2}" in s.latex["f"]
    assert len(s.gradient_exprs) == 2 and len(s.hessian_exprs) == 2
