"""Basin maps and learning-rate sweeps started on a slice plane and run in all d variables."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.basins import DIVERGED, basin_map
from explorer.slice_runs import slice_basin_map, slice_lr_sweep
from explorer.slicing import SliceSpec, resolve_slice
from explorer.surface import compile_surface
from explorer.sweep import lr_sweep


def test_a_basin_map_on_a_slice_runs_in_all_variables_and_reports_where_the_ends_left_the_plane():
    s = compile_surface("(x^2 - 1)^2 + y^2 + z^2", variables=("x", "y", "z"))
    bounds = [(-2, 2), (-1, 1), (-1, 1)]
    plane = resolve_slice(SliceSpec(), s, bounds, [0.0, 0.0, 0.5])        # the (x, y) plane at z = 0.5
    result = slice_basin_map(s, plane, "sgd", {"lr": 0.05}, bounds, resolution=20, steps=2000)
    m = result.map
    np.testing.assert_allclose(result.minima, [[-1, 0, 0], [1, 0, 0]], atol=1e-6)
    np.testing.assert_allclose(m.minima, [[-1, 0], [1, 0]], atol=1e-6)     # projected for drawing
    assert m.labels.shape == (20, 20) and m.x.shape == (20,)
    # left half of the plane falls into x = -1, right half into x = +1 (no start sits on x = 0)
    assert np.all(m.labels[:, m.x < 0] == 0) and np.all(m.labels[:, m.x > 0] == 1)
    # every racer left the plane: it ended at z = 0, half a unit below the slice
    np.testing.assert_allclose(result.final[..., 2], 0.0, atol=1e-6)
    np.testing.assert_allclose(result.off_plane, 0.5, atol=1e-6)
    assert m.converged.all()


def test_on_two_variables_the_slice_basin_map_is_the_basin_map():
    s = compile_surface("(x^2 - 1)^2 + 2y^2 + 0.3x*y")
    ranges = [(-2.0, 2.0), (-1.5, 1.5)]
    plane = resolve_slice(SliceSpec(), s, ranges, [0.0, 0.0])
    ours = slice_basin_map(s, plane, "adam", {"lr": 0.3}, ranges, resolution=24, steps=300)
    theirs = basin_map(s, "adam", {"lr": 0.3}, *ranges, resolution=24, steps=300)
    np.testing.assert_array_equal(ours.map.labels, theirs.labels)
    np.testing.assert_array_equal(ours.map.steps, theirs.steps)
    np.testing.assert_array_equal(ours.map.final, theirs.final)
    np.testing.assert_array_equal(ours.map.x, theirs.x)


def test_diverging_starts_are_marked_and_resolution_is_bounded():
    s = compile_surface("x^2 + y^2 + 10z^2", variables=("x", "y", "z"))
    bounds = [(-1, 1)] * 3
    plane = resolve_slice(SliceSpec(method="random", seed=1), s, bounds, [0.5, 0.5, 0.5])
    result = slice_basin_map(s, plane, "sgd", {"lr": 0.25}, bounds, resolution=8, steps=400)
    assert np.all(result.map.labels == DIVERGED)             # lr 0.25 > 2/20: the steep z direction blows up
    with pytest.raises(ValueError, match="resolution must be from 1 to 1,000"):
        slice_basin_map(s, plane, "sgd", {"lr": 0.1}, bounds, resolution=5000)


def test_a_sweep_from_a_point_picked_on_the_plane_starts_from_that_point_in_all_variables():
    s = compile_surface("x^2 + 4y^2 + 9z^2", variables=("x", "y", "z"))
    bounds = [(-2, 2)] * 3
    plane = resolve_slice(SliceSpec(method="eigen"), s, bounds, [1.0, 1.0, 1.0])
    lrs = np.geomspace(0.01, 0.2, 9)
    ours = slice_lr_sweep(s, plane, [0.4, -0.3], "sgd", {}, lrs, steps=200, bounds=bounds)
    theirs = lr_sweep(s, "sgd", {}, plane.to_space([0.4, -0.3]), lrs, steps=200, bounds=bounds)
    np.testing.assert_array_equal(ours.final_loss, theirs.final_loss)
    assert ours.status[-1] == "diverged" and ours.status[0] != "diverged"     # 0.2 > 2/18, 0.01 < 2/18
