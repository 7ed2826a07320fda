"""Stationary points found numerically and classified by the Hessian (issue 6)."""

import numpy as np
import pytest

from explorer.critical import critical_points
from explorer.surface import compile_surface

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
CAMEL = "(4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2"

# Solved to 30 digits with sympy.nsolve on the exact gradient, printed to 10 decimals.
HIMMELBLAU_POINTS = {
    "minimum": [(3.0, 2.0), (-2.8051180870, 3.1313125183), (-3.7793102534, -3.2831859913),
                (3.5844283403, -1.8481265270)],
    "saddle": [(-3.0730257508, -0.0813530443), (-0.1279613467, -1.9537149802), (0.0866775046, 2.8842547012),
               (3.3851541836, 0.0738518798)],
    "maximum": [(-0.2708445907, -0.9230385565)],
}
CAMEL_MINIMA = [(-1.7036067150, 0.7960835687), (-1.6071047529, -0.5686514549), (-0.0898420131, 0.7126564030),
                (0.0898420131, -0.7126564030), (1.6071047529, 0.5686514549), (1.7036067150, -0.7960835687)]


def _by_kind(points, kind):
    return np.array(sorted(tuple(p.xy) for p in points if p.kind == kind))


def test_himmelblau_has_nine_classified_stationary_points():
    points = critical_points(compile_surface(HIMMELBLAU), (-5, 5), (-5, 5))
    assert len(points) == 9
    for kind, known in HIMMELBLAU_POINTS.items():
        found = _by_kind(points, kind)
        np.testing.assert_allclose(found, np.array(sorted(known)), atol=1e-6)
    for p in points:
        if p.kind == "minimum":
            assert p.value == pytest.approx(0.0, abs=1e-12)
            assert np.all(p.eigenvalues > 0)


def test_six_hump_camel_has_six_local_minima():
    points = critical_points(compile_surface(CAMEL), (-3, 3), (-2, 2))
    np.testing.assert_allclose(_by_kind(points, "minimum"), np.array(sorted(CAMEL_MINIMA)), atol=1e-6)
    assert len(_by_kind(points, "maximum")) == 2
    assert len(_by_kind(points, "saddle")) == 7


def test_points_are_stationary_inside_the_domain_and_sorted():
    surface = compile_surface(CAMEL)
    points = critical_points(surface, (-3, 3), (-2, 2))
    xy = np.array([p.xy for p in points])
    assert np.all(np.abs(surface.gradient(xy)) < 1e-8)
    assert np.all((xy[:, 0] >= -3) & (xy[:, 0] <= 3) & (xy[:, 1] >= -2) & (xy[:, 1] <= 2))
    order = {"minimum": 0, "saddle": 1, "maximum": 2, "degenerate": 3}
    keys = [(order[p.kind], p.xy[0], p.xy[1]) for p in points]
    assert keys == sorted(keys)
    assert critical_points(surface, (-3, 3), (-2, 2)) == points  # deterministic


@pytest.mark.parametrize(("text", "kind"), [
    ("x^2 + 3 y^2", "minimum"),
    ("-(x^2) - y^2 / 10", "maximum"),
    ("x^2 - y^2", "saddle"),
    ("x y", "saddle"),
    ("x^4 + y^2", "degenerate"),   # second-derivative test cannot decide
    ("x^3 + y^2", "degenerate"),
])
def test_single_point_at_origin_is_classified(text, kind):
    points = critical_points(compile_surface(text), (-1, 1.5), (-1, 1.5))
    assert [p.kind for p in points] == [kind]
    np.testing.assert_allclose(points[0].xy, [0.0, 0.0], atol=1e-6)


def test_scaling_the_function_changes_nothing_but_values():
    a = critical_points(compile_surface(HIMMELBLAU), (-5, 5), (-5, 5))
    b = critical_points(compile_surface(f"1e-6 ({HIMMELBLAU})"), (-5, 5), (-5, 5))
    assert [p.kind for p in a] == [p.kind for p in b]
    np.testing.assert_allclose([p.xy for p in a], [p.xy for p in b], atol=1e-6)


def test_points_outside_the_domain_are_left_out():
    assert critical_points(compile_surface("x^2 + y^2"), (1, 2), (1, 2)) == []
    inner = critical_points(compile_surface(HIMMELBLAU), (0, 5), (0, 5))
    assert sorted(p.kind for p in inner) == ["minimum", "saddle", "saddle"]


@pytest.mark.parametrize("text", ["x + y", "log(x) + y^2", "sqrt(x^2 + y^2)", "1/(x^2 + y^2)"])
def test_no_stationary_points_and_no_warnings(text):
    assert critical_points(compile_surface(text), (-1, 1), (-1, 1)) == []


def test_a_circle_of_minima_is_shown_by_a_few_degenerate_points():
    points = critical_points(compile_surface("(x^2 + y^2 - 1)^2"), (-2, 2), (-2, 2))
    kinds = [p.kind for p in points]
    assert kinds.count("maximum") == 1
    ring = np.array([p.xy for p in points if p.kind == "degenerate"])
    assert 3 <= len(ring) <= 20
    np.testing.assert_allclose(np.hypot(ring[:, 0], ring[:, 1]), 1.0, atol=1e-6)


def test_parameters_move_the_points():
    surface = compile_surface("(x - a)^2 + (y - b)^2", {"a": 0.5, "b": -0.25})
    (p,) = critical_points(surface, (-1, 1), (-1, 1))
    np.testing.assert_allclose(p.xy, [0.5, -0.25], atol=1e-9)
    (q,) = critical_points(surface.with_parameters({"a": -0.5}), (-1, 1), (-1, 1))
    np.testing.assert_allclose(q.xy, [-0.5, -0.25], atol=1e-9)
