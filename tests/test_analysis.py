"""The analysis layer: critical points and the geometry along trajectories, computed once per change."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.surface import compile_surface


def quadratic(lr: float, momentum: float = 0.0) -> Comparison:
    """f = x² + 10 y²: Hessian diag(2, 20), so gradient descent is stable iff lr < 2(1 + β)/20."""
    params = {"lr": lr, **({"momentum": momentum} if momentum else {})}
    return Comparison(compile_surface("x^2 + 10*y^2"), [RunSpec("gd", "sgd", (-1.5, 0.8), params),
                                                         RunSpec("adam", "adam", (1.0, 1.0), {"lr": 0.1})],
                      x_range=(-2, 2), y_range=(-2, 2), default_steps=40)


def test_geometry_along_a_trajectory():
    model = quadratic(0.05)
    geo = model.analysis.geometry(0)
    k = model.trajectories[0].stop_step
    assert geo.eigenvalues.shape == (k + 1, 2)
    np.testing.assert_allclose(geo.eigenvalues, np.tile([2.0, 20.0], (k + 1, 1)))
    np.testing.assert_allclose(geo.condition, 10.0)
    np.testing.assert_allclose(geo.bound, 0.1)
    assert not geo.unstable(3)
    assert model.analysis.geometry(1).bound is None            # Adam: no such bound


@pytest.mark.parametrize(("lr", "momentum", "unstable"), [(0.101, 0.0, True), (0.099, 0.0, False),
                                                          (0.19, 0.9, False), (0.2, 0.9, True)])
def test_stability_bound_is_two_times_one_plus_beta_over_lambda_max(lr, momentum, unstable):
    model = quadratic(lr, momentum)
    assert model.analysis.geometry(0).unstable(1) is unstable


def test_critical_points_found_once_per_surface_and_dropped_when_stale():
    calls = []

    def find(surface, ranges):
        calls.append(surface.text)
        from explorer.critical import critical_points

        return critical_points(surface, *ranges)

    model = Comparison(compile_surface("(x^2 + y - 11)^2 + (x + y^2 - 7)^2"), [], x_range=(-5, 5),
                       y_range=(-5, 5))
    from explorer.analysis import Analysis

    analysis = Analysis(model, find_critical=find)
    assert calls == []                                        # nothing is computed until someone asks
    kinds = sorted(p.kind for p in analysis.critical)
    assert kinds == sorted(["minimum"] * 4 + ["saddle"] * 4 + ["maximum"])
    assert analysis.critical is analysis.critical and calls == [model.expression]   # once
    # asynchronous: a job for an old surface is dropped when its result arrives late
    jobs = []
    analysis.synchronous = False
    analysis.needs_compute.connect(jobs.append)
    model.set_surface(compile_surface("x^2 - y^2"))
    old = jobs[-1]
    model.set_surface(compile_surface("x^2 + y^2"))
    new = jobs[-1]
    assert not analysis.deliver(old, old.compute())
    assert analysis.critical is None and analysis.deliver(new, new.compute())
    assert [p.kind for p in analysis.critical] == ["minimum"]


def test_geometry_follows_an_edited_run():
    model = quadratic(0.05)
    first = model.analysis.geometry(0)
    model.set_run(0, replace(model.runs[0], params={"lr": 0.15}))
    second = model.analysis.geometry(0)
    assert second is not first and second.unstable(0)
