"""Basins of attraction: which minimum an optimizer reaches from every cell of a grid over the domain.

One vectorised :func:`explorer.simulation.run_batch` moves all ``resolution²`` starts together; each cell is
then labelled by the nearest known minimum within ``match_radius`` of where its start ended. The minima
default to the ones :func:`explorer.critical.critical_points` finds in the domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.critical import CriticalPoint, critical_points
from explorer.simulation import run_batch

__all__ = ["BasinMap", "basin_map", "OTHER", "DIVERGED"]

OTHER = -1     # label: ended somewhere that is not one of the minima (a saddle, a plateau, still moving)
DIVERGED = -2  # label: left the view box far behind or overflowed


@dataclass(frozen=True, eq=False)
class BasinMap:
    """The outcome of one start per grid cell; arrays are (resolution, resolution), row i ↔ ``y[i]``,
    column j ↔ ``x[j]`` (image order with y increasing downwards in memory; flip for display if needed).

    x, y : (resolution,) cell-centre coordinates.
    minima : (k, 2) the minima cells are matched against; ``labels`` index into it.
    labels : int, 0..k-1 = the minimum reached, :data:`OTHER` (-1), or :data:`DIVERGED` (-2).
    steps : int, steps the start took (to converge, to diverge, or the full budget).
    converged, diverged : bool masks from the run's status (‖∇f‖ ≤ tolerance; left the box / overflowed).
    final : (resolution, resolution, 2) where each start ended.
    """

    x: np.ndarray
    y: np.ndarray
    minima: np.ndarray
    labels: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    diverged: np.ndarray
    final: np.ndarray

    def fraction(self, label: int) -> float:
        """Share of the cells carrying ``label``."""
        return float(np.mean(self.labels == label))


def _as_minima(minima) -> np.ndarray:
    if minima is None:
        return np.empty((0, 2))
    pts = [m.xy if isinstance(m, CriticalPoint) else m for m in minima]
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)


def grid_starts(x_range, y_range, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell centres of a resolution × resolution grid.

    Returns x (r,), y (r,) and starts (r·r, 2) in row-major order (row i ↔ y[i]).
    """
    (x0, x1), (y0, y1) = x_range, y_range
    x = x0 + (np.arange(resolution) + 0.5) * (x1 - x0) / resolution
    y = y0 + (np.arange(resolution) + 0.5) * (y1 - y0) / resolution
    return x, y, np.stack(np.meshgrid(x, y), axis=-1).reshape(-1, 2)


def basin_map(surface, optimizer: str, params: Mapping[str, Any], x_range, y_range, *, resolution: int = 200,
              steps: int = 500, tolerance: float = 1e-6,
              minima: Sequence[CriticalPoint] | np.ndarray | None = None, match_radius: float | None = None,
              progress: Callable[[float], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> BasinMap:
    """Run ``optimizer`` from every cell centre of the domain and label each cell by the minimum it reaches.

    Parameters
    ----------
    surface, optimizer, params : as for :func:`~explorer.simulation.run_batch` (a scalar ``lr``).
    x_range, y_range : (min, max) of the domain; also the ``bounds`` for divergence.
    resolution : cells per axis.  steps, tolerance : the run's budget and ‖∇f‖ stopping tolerance.
    minima : points (k, 2) or :class:`~explorer.critical.CriticalPoint` s; None = the minima that
        :func:`~explorer.critical.critical_points` finds in the domain.
    match_radius : a start that ended within this distance of a minimum gets its label (nearest wins);
        None = 2 % of the domain's diagonal.
    progress, cancel : passed to run_batch (cancel makes it raise ``Cancelled``).
    """
    x_range = tuple(map(float, x_range))
    y_range = tuple(map(float, y_range))
    if minima is None:
        minima = [c for c in critical_points(surface, x_range, y_range) if c.kind == "minimum"]
    mins = _as_minima(minima)
    x, y, starts = grid_starts(x_range, y_range, int(resolution))
    result = run_batch(surface, optimizer, dict(params), starts, steps, tolerance=tolerance,
                       bounds=(x_range, y_range), progress=progress, cancel=cancel)
    diag = float(np.hypot(x_range[1] - x_range[0], y_range[1] - y_range[0]))
    radius = 0.02 * diag if match_radius is None else float(match_radius)
    status = np.asarray(result.status)
    diverged = status == "diverged"
    labels = np.full(starts.shape[0], OTHER, dtype=np.int64)
    if mins.shape[0]:
        with np.errstate(all="ignore"):
            dist = np.linalg.norm(result.final[:, None, :] - mins[None, :, :], axis=-1)  # (n, k)
        nearest = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=1)
        close = np.take_along_axis(dist, nearest[:, None], axis=1)[:, 0] <= radius
        labels[close] = nearest[close]
    labels[diverged] = DIVERGED
    shape = (len(y), len(x))
    return BasinMap(x, y, mins, labels.reshape(shape), np.asarray(result.steps).reshape(shape),
                    (status == "converged").reshape(shape), diverged.reshape(shape),
                    np.asarray(result.final).reshape(*shape, 2))
