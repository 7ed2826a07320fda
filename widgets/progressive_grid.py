"""The grid of f a view draws, coarse at once and full a moment later, for losses over many data rows.

A formula costs microseconds per thousand grid points, so the map's 200 x 200 grid is drawn at once. A loss
averaged over n data rows costs n per-example evaluations per grid point: 40 million for 1,000 rows, about a
tenth of a second, and ten times that for 10,000 rows. Dragging a data point changes the surface at every
mouse move, so a view asks :class:`ProgressiveGrid` for its grid: it returns at once the finest grid that fits
a frame budget (:func:`explorer.slice_surface.frame_grid_shape` measures the cost; the full grid when that
has :data:`FULL_ENOUGH` of its points), and when that is coarser than the view's full grid it computes the
full one on the job runner — row by row, so the GUI thread gets the interpreter between rows even though the
compiled evaluator holds it while it runs — and hands it over with :attr:`ProgressiveGrid.ready`. A newer
request cancels an older one (the newest wins); a surface without data always gets the full grid at once.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from explorer.levels import sample_grid
from widgets import jobs

DRAFT_BUDGET = 0.012      # seconds for the grid drawn at once (a frame, with room for the rest of the redraw)
ROWS_PER_PIECE_BUDGET = 0.01
FULL_ENOUGH = 0.6         # a draft with this share of the full grid's points: the full grid at once instead


def costly(surface) -> bool:
    """True for a loss reduced over data rows (its cost grows with the rows), also seen through a slice."""
    inner = getattr(surface, "surface", surface)      # a SliceSurface: the surface it cuts
    return inner is not None and getattr(inner, "data", None) is not None and bool(getattr(inner, "columns", ()))


def _full_grid(surface, x_range, y_range, shape, cancelled, row_cost: float):
    """sample_grid in pieces of rows, checking ``cancelled()`` between them (None when cancelled)."""
    h, w = shape
    xs = np.linspace(float(x_range[0]), float(x_range[1]), w)
    ys = np.linspace(float(y_range[0]), float(y_range[1]), h)
    values = np.empty((h, w))
    step = max(1, int(ROWS_PER_PIECE_BUDGET / max(row_cost, 1e-9)))
    for i0 in range(0, h, step):
        if cancelled():
            return None
        i1 = min(h, i0 + step)
        xy = np.empty((i1 - i0, w, 2))
        xy[..., 0] = xs[None, :]
        xy[..., 1] = ys[i0:i1, None]
        with np.errstate(all="ignore"):
            values[i0:i1] = np.asarray(surface.value(xy), dtype=float)
    return xs, ys, values


class ProgressiveGrid(QObject):
    """Grids of f for one view (see the module docstring). ``ready(surface, ranges, (xs, ys, values))`` is
    emitted on the GUI thread when the full grid of the last request is there."""

    ready = Signal(object, object, object)

    def __init__(self, owner: QObject, name: str, full_shape: tuple[int, int], budget: float = DRAFT_BUDGET):
        super().__init__(owner)
        self.full_shape = tuple(full_shape)
        self.budget = budget
        self.shape = self.full_shape          # the shape of the grid handed out last
        self.channel = jobs.channel(self, name)
        self.channel.finished.connect(self._on_finished)

    def sample(self, surface, x_range, y_range):
        """(xs, ys, values) now: the full grid, or a coarser one and the full grid later through ``ready``."""
        if not costly(surface):
            self.channel.cancel()
            self.shape = self.full_shape
            return sample_grid(surface, x_range, y_range, self.full_shape)
        from explorer.slice_surface import frame_grid_shape

        n, _ = frame_grid_shape(surface, self.budget, largest=max(self.full_shape), smallest=24)
        shape = (min(n, self.full_shape[0]), min(n, self.full_shape[1]))
        if shape[0] * shape[1] >= FULL_ENOUGH * self.full_shape[0] * self.full_shape[1]:
            # the full grid costs at most 1 / FULL_ENOUGH of the budget: one pass, not a draft now and a
            # second sampling, drawing and repaint a moment later (the map at 1,000 rows: 193 x 193 then
            # 200 x 200 at every move of a dragged data point)
            shape = self.full_shape
        self.shape = shape
        grid = sample_grid(surface, x_range, y_range, shape)
        if shape == self.full_shape:
            self.channel.cancel()
            return grid
        per_point = self.budget / max(shape[0] * shape[1], 1)
        row_cost = per_point * self.full_shape[1]
        ranges = (tuple(x_range), tuple(y_range))
        full = self.full_shape
        self.channel.submit(lambda progress, cancelled: (surface, ranges, _full_grid(
            surface, x_range, y_range, full, cancelled, row_cost)))
        return grid

    def _on_finished(self, payload) -> None:
        surface, ranges, grid = payload
        if grid is not None:
            self.shape = self.full_shape
            self.ready.emit(surface, ranges, grid)

    @property
    def busy(self) -> bool:
        return self.channel.busy
