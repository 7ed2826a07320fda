"""Basin-of-attraction maps and learning-rate sweeps, each one vectorised batch (issue 6)."""

import numpy as np
import pytest

from explorer.basins import DIVERGED, OTHER, basin_map
from explorer.critical import critical_points
from explorer.surface import compile_surface
from explorer.sweep import lr_grid, lr_sweep

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
MINIMA = np.array([(3.0, 2.0), (-2.8051180870, 3.1313125183), (-3.7793102534, -3.2831859913),
                   (3.5844283403, -1.8481265270)])


@pytest.fixture(scope="module")
def himmelblau():
    return compile_surface(HIMMELBLAU)


@pytest.mark.parametrize(("optimizer", "params"), [("sgd", {"lr": 0.01}), ("adam", {"lr": 0.05})])
def test_himmelblau_basins_carry_the_four_minima(himmelblau, optimizer, params):
    bm = basin_map(himmelblau, optimizer, params, (-5, 5), (-5, 5), resolution=40, steps=500)
    assert bm.labels.shape == bm.steps.shape == bm.converged.shape == (40, 40)
    assert bm.final.shape == (40, 40, 2)
    np.testing.assert_allclose(np.sort(bm.minima, axis=0), np.sort(MINIMA, axis=0), atol=1e-6)
    for k, m in enumerate(bm.minima):
        # cells around each minimum belong to it
        near = (np.abs(bm.x[None, :] - m[0]) < 0.5) & (np.abs(bm.y[:, None] - m[1]) < 0.5)
        assert near.any()
        assert np.all(bm.labels[near] == k)
    # every basin is a sizeable region of the square and almost every cell found a minimum
    assert all(bm.fraction(k) > 0.1 for k in range(4))
    assert bm.fraction(OTHER) + bm.fraction(DIVERGED) < 0.02


def test_cells_are_ordered_rows_by_y_columns_by_x(himmelblau):
    bm = basin_map(himmelblau, "sgd", {"lr": 0.01}, (-5, 5), (-4, 6), resolution=20, steps=300,
                   minima=MINIMA)
    assert bm.x[0] == pytest.approx(-4.75) and bm.y[0] == pytest.approx(-3.75)
    # the cell containing (3, 2) converges to the minimum (3, 2), which is index 0 of the given minima
    j, i = np.searchsorted(bm.x, 3.0) - 1, np.searchsorted(bm.y, 2.0) - 1
    assert bm.labels[i, j] == 0
    assert bm.converged[i, j] and bm.steps[i, j] > 0


def test_too_large_a_learning_rate_shows_as_diverged(himmelblau):
    bm = basin_map(himmelblau, "sgd", {"lr": 0.2}, (-5, 5), (-5, 5), resolution=16, steps=200, minima=MINIMA)
    assert bm.diverged.mean() > 0.9
    assert np.all(bm.labels[bm.diverged] == DIVERGED)


def test_minima_default_to_the_critical_points(himmelblau):
    given = [c for c in critical_points(himmelblau, (0, 5), (0, 5)) if c.kind == "minimum"]
    bm = basin_map(himmelblau, "sgd", {"lr": 0.01}, (0, 5), (0, 5), resolution=10, steps=300, minima=given)
    np.testing.assert_allclose(bm.minima, [[3.0, 2.0]], atol=1e-9)
    assert bm.fraction(0) > 0.9


def test_lr_sweep_matches_closed_form_on_a_quadratic():
    # f = ½(a x² + b y²): gradient descent multiplies x by (1 - lr·a) and y by (1 - lr·b) each step.
    a, b, k = 1.0, 4.0, 50
    surface = compile_surface(f"0.5 ({a} x^2 + {b} y^2)")
    lrs = np.geomspace(1e-3, 0.45, 40)   # all below 2/b = 0.5
    x0, y0 = 1.0, -2.0
    r = lr_sweep(surface, "sgd", {}, (x0, y0), lrs, steps=k, tolerance=0.0)
    expected = 0.5 * (a * x0**2 * (1 - lrs * a) ** (2 * k) + b * y0**2 * (1 - lrs * b) ** (2 * k))
    np.testing.assert_allclose(r.final_loss, expected, rtol=1e-9, atol=1e-300)
    assert np.all(r.status == "max_steps") and np.all(r.steps_to_tol == -1)
    np.testing.assert_array_equal(r.lrs, lrs)


def test_lr_sweep_steps_to_tolerance_and_divergence():
    surface = compile_surface("0.5 (x^2 + 4 y^2)")
    lrs = np.array([0.01, 0.1, 0.25, 0.49, 0.51])
    r = lr_sweep(surface, "sgd", {}, (1.0, 1.0), lrs, steps=2000, tolerance=1e-6,
                 bounds=((-2.0, 2.0), (-2.0, 2.0)))
    assert list(r.status) == ["converged"] * 4 + ["diverged"]
    # slowest mode decays as |1 - lr·λ|^k: the predicted step count, within a couple of steps
    lam_rate = np.maximum(np.abs(1 - lrs[:4] * 1.0), np.abs(1 - lrs[:4] * 4.0))
    predicted = np.log(1e-6) / np.log(lam_rate)
    assert np.all(np.abs(r.steps_to_tol[:4] - predicted) < 0.1 * predicted + 3)
    assert r.steps_to_tol[4] == -1
    assert r.best() == pytest.approx(0.25)
    assert r.steps_to_tol[2] == r.steps_to_tol[:4].min()


def test_lr_grid_is_log_spaced_around_the_centre():
    g = lr_grid(0.01, decades=2, n=5)
    np.testing.assert_allclose(g, [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
