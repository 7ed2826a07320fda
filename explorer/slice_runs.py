"""Basin maps and learning-rate sweeps started from a slice plane, run in all d variables.

A start picked on the plane at u is the d-variable point p(u) = a + B(u − u_a) (:meth:`SlicePlane.to_space`);
from there the optimizer runs on the real surface with :func:`explorer.simulation.run_batch`, free to leave
the plane, exactly as a racer started there would. Results come back in plane coordinates for drawing (the
existing :class:`~explorer.basins.BasinMap`, so the basin view draws it unchanged) together with the
d-variable truth (end points, minima, how far the ends lie from the plane).

Running the optimizer on the 2-variable :class:`~explorer.slice_surface.SliceSurface` instead would be
gradient descent *constrained to the plane* — a different algorithm with different basins — so it is not
offered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.basins import DIVERGED, OTHER, BasinMap, grid_starts
from explorer.critical import CriticalPoint, critical_points
from explorer.simulation import run_batch
from explorer.slicing import SlicePlane
from explorer.sweep import SweepResult, lr_sweep

__all__ = ["SliceBasinMap", "slice_basin_map", "slice_lr_sweep", "MAX_RESOLUTION"]

MAX_RESOLUTION = 1_000


@dataclass(frozen=True, eq=False)
class SliceBasinMap:
    """A basin map whose starts are the cells of a slice plane.

    map : a :class:`~explorer.basins.BasinMap` in plane coordinates — ``x``/``y`` the cell centres along
        the plane's two axes, ``minima`` (k, 2) the minima's projections, ``final`` (r, r, 2) the ends'
        projections; labels/steps/converged/diverged as for any basin map.
    plane : the slice.  minima : (k, d) the minima in all variables (what ``labels`` index).
    final : (r, r, d) where each start ended.  off_plane : (r, r) how far each end lies from the plane.
    """

    map: BasinMap
    plane: SlicePlane
    minima: np.ndarray
    final: np.ndarray
    off_plane: np.ndarray


def slice_basin_map(surface, plane: SlicePlane, optimizer: str, params: Mapping[str, Any], bounds, *,
                    resolution: int = 100, steps: int = 500, tolerance: float = 1e-6,
                    minima: Sequence[CriticalPoint] | np.ndarray | None = None,
                    match_radius: float | None = None, progress: Callable[[float], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> SliceBasinMap:
    """Run ``optimizer`` (d variables) from every cell centre of the plane's view and label each cell by the
    minimum it reaches.

    bounds : one (min, max) per variable, the view box (its 100x enlargement counts as diverged).
    minima : d-variable points (k, d) or :class:`~explorer.critical.CriticalPoint` s; None = the minima
        :func:`~explorer.critical.critical_points` finds in ``bounds``.
    match_radius : an end within this distance of a minimum takes its label; None = 2 % of the box diagonal.
    progress, cancel : as for :func:`~explorer.simulation.run_batch` (cancel raises ``Cancelled``).
    """
    resolution = int(resolution)
    if not 1 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be from 1 to {MAX_RESOLUTION:,} cells per axis, not {resolution}")
    bounds = tuple(tuple(map(float, r)) for r in bounds)
    d = plane.ndim
    if minima is None:
        minima = [c for c in critical_points(surface, bounds) if c.kind == "minimum"]
    mins = np.asarray([m.xy if isinstance(m, CriticalPoint) else m for m in minima], dtype=float).reshape(-1, d)
    x, y, uv = grid_starts(plane.ranges[0], plane.ranges[1], resolution)
    starts = plane.to_space(uv)
    result = run_batch(surface, optimizer, dict(params), starts, steps, tolerance=tolerance, bounds=bounds,
                       progress=progress, cancel=cancel)
    lo, hi = np.asarray(bounds).T
    radius = 0.02 * float(np.linalg.norm(hi - lo)) if match_radius is None else float(match_radius)
    final = np.asarray(result.final, dtype=float)
    status = np.asarray(result.status)
    labels = np.full(starts.shape[0], OTHER, dtype=np.int64)
    if mins.shape[0]:
        with np.errstate(all="ignore"):
            dist = np.linalg.norm(final[:, None, :] - mins[None, :, :], axis=-1)
        nearest = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=1)
        close = np.take_along_axis(dist, nearest[:, None], axis=1)[:, 0] <= radius
        labels[close] = nearest[close]
    diverged = status == "diverged"
    labels[diverged] = DIVERGED
    shape = (len(y), len(x))
    flat = BasinMap(x, y, plane.to_plane(mins).reshape(-1, 2), labels.reshape(shape),
                    np.asarray(result.steps).reshape(shape), (status == "converged").reshape(shape),
                    diverged.reshape(shape), plane.to_plane(final).reshape(*shape, 2))
    return SliceBasinMap(flat, plane, mins, final.reshape(*shape, d), plane.off_plane(final).reshape(shape))


def slice_lr_sweep(surface, plane: SlicePlane, uv, optimizer: str, params: Mapping[str, Any], lrs, *, steps: int,
                   tolerance: float = 1e-8, bounds=None, schedule=None) -> SweepResult:
    """A learning-rate sweep (:func:`explorer.sweep.lr_sweep`) from the plane point ``uv`` (2,), i.e. from the
    d-variable start ``plane.to_space(uv)``; ``bounds`` one (min, max) per variable."""
    start = plane.to_space(np.asarray(uv, dtype=float).reshape(2))
    return lr_sweep(surface, optimizer, params, start, lrs, steps=steps, tolerance=tolerance, bounds=bounds,
                    schedule=schedule)
