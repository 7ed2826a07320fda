"""Local geometry: Hessian eigen-structure, Taylor model contours, tangent plane, GD stability (issue 6)."""

import numpy as np
import pytest

from explorer.geometry import (
    local_geometry,
    lr_exceeds_bound,
    stability_bound,
    tangent_plane,
    taylor_contours,
    taylor_levels,
    taylor_model,
)
from explorer.simulation import run_batch
from explorer.surface import compile_surface

# H = [[6, 2], [2, 4]]: eigenvalues 5 ∓ √5, so λmax = 5 + √5 and the bound is 2 / (5 + √5).
QUADRATIC = "3 x^2 + 2 x y + 2 y^2"
LAM_MAX = 5 + np.sqrt(5)
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def test_eigen_decomposition_and_condition_number():
    geo = local_geometry(compile_surface(QUADRATIC), (0.3, -0.2))
    np.testing.assert_allclose(geo.eigenvalues, [5 - np.sqrt(5), 5 + np.sqrt(5)])
    np.testing.assert_allclose(geo.hessian @ geo.eigenvectors, geo.eigenvectors * geo.eigenvalues, atol=1e-12)
    assert geo.condition_number == pytest.approx((5 + np.sqrt(5)) / (5 - np.sqrt(5)))
    np.testing.assert_allclose(geo.gradient, [6 * 0.3 + 2 * -0.2, 2 * 0.3 + 4 * -0.2])


def test_condition_number_is_infinite_when_flat():
    assert local_geometry(compile_surface("x^2"), (1.0, 1.0)).condition_number == np.inf


def test_stability_bound_is_two_over_lambda_max():
    surface = compile_surface(QUADRATIC)
    assert stability_bound(surface, (1.0, 1.0)) == pytest.approx(2 / LAM_MAX, rel=1e-12)
    assert stability_bound(surface, (1.0, 1.0), momentum=0.9) == pytest.approx(2 * 1.9 / LAM_MAX, rel=1e-12)
    assert stability_bound(compile_surface("-(x^2) - y^2"), (0.0, 0.0)) == np.inf
    assert stability_bound(compile_surface("x + y"), (0.0, 0.0)) == np.inf


def test_gradient_descent_diverges_just_above_the_bound_and_converges_just_below():
    surface = compile_surface(QUADRATIC)
    bound = stability_bound(surface, (1.0, 1.0))
    lrs = np.array([0.97 * bound, 1.03 * bound])
    assert list(lr_exceeds_bound(lrs, bound)) == [False, True]
    starts = np.array([[1.0, 1.0], [1.0, 1.0]])
    result = run_batch(surface, "sgd", {"lr": lrs}, starts, 3000, tolerance=1e-8,
                       bounds=((-2.0, 2.0), (-2.0, 2.0)))
    assert list(result.status) == ["converged", "diverged"]


def test_taylor_model_is_exact_on_a_quadratic():
    surface = compile_surface(QUADRATIC)
    q = taylor_model(surface, (0.7, -1.1))
    pts = np.random.default_rng(0).uniform(-3, 3, size=(50, 2))
    np.testing.assert_allclose(q(pts), surface.value(pts), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("xy", [(2.0, 1.0), (-0.27, -0.9), (0.1, 2.8), (3.0, 0.0)])
def test_taylor_contours_lie_on_their_levels(xy):
    # minimum basin (ellipses), near the maximum (ellipses), near a saddle (hyperbolae), mixed.
    surface = compile_surface(HIMMELBLAU)
    q = taylor_model(surface, xy)
    levels = taylor_levels(surface, xy, radius=0.5, n=5)
    assert len(levels) == 5
    curves = taylor_contours(surface, xy, levels, radius=0.5)
    assert curves
    for c in curves:
        assert c.ndim == 2 and c.shape[1] == 2
        vals = q(c)
        assert np.ptp(vals) <= 1e-9 * max(1.0, np.max(np.abs(vals)))
        assert np.any(np.isclose(vals[0], levels, rtol=1e-9))


def test_ellipses_close_and_the_level_through_the_point_passes_through_it():
    surface = compile_surface(QUADRATIC)
    xy = np.array([0.4, 0.3])
    (ellipse,) = taylor_contours(surface, xy, [surface.value(xy)], radius=1.0)
    np.testing.assert_allclose(ellipse[0], ellipse[-1])
    assert np.min(np.linalg.norm(ellipse - xy, axis=1)) < 0.05
    assert taylor_contours(surface, xy, [-1.0], radius=1.0) == []   # below the minimum: no contour


def test_degenerate_models_give_parabolae_and_lines():
    parabola = taylor_contours(compile_surface("x^2 + y"), (0.0, 0.0), [0.5], radius=1.0)
    (c,) = parabola
    np.testing.assert_allclose(c[:, 0] ** 2 + c[:, 1], 0.5)
    lines = taylor_contours(compile_surface("x + 2 y"), (0.0, 0.0), [1.0], radius=1.0)
    (c,) = lines
    np.testing.assert_allclose(c[:, 0] + 2 * c[:, 1], 1.0)


def test_tangent_plane_touches_the_surface():
    surface = compile_surface(HIMMELBLAU)
    xg, yg, zg = tangent_plane(surface, (1.0, 1.0), 0.5, n=3)
    assert xg.shape == yg.shape == zg.shape == (3, 3)
    assert zg[1, 1] == pytest.approx(surface.value(np.array([1.0, 1.0])))
    g = surface.gradient(np.array([1.0, 1.0]))
    assert zg[1, 2] - zg[1, 1] == pytest.approx(0.5 * g[0])
    assert zg[2, 1] - zg[1, 1] == pytest.approx(0.5 * g[1])
