"""Data that live in the plane of the two variables (``DataSpec.on_map``, the depot's customers), drawn on the
contour map itself: square markers that can be dragged there, the current minibatch's rows ringed in the
selected run's colour.

Dragging a customer moves that data row (its two on-map columns) and recomputes the surface and every path
while the mouse moves; the drag is one undoable edit. A right-click on a marker deletes the row. Clicks on
the map away from the markers keep their meaning (place the selected run's start).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject

from explorer.events import Bindings
from widgets.colors import OUTLINE, qcolor
from widgets.data_pane import DataPoints

MARKER_SIZE = 15
RING_SIZE = 25
FILL = (255, 255, 255, 235)


class MapData(QObject):
    """The on-map data of a comparison on ``contour_view`` (see the module docstring)."""

    def __init__(self, model, contour_view, parent: QObject | None = None) -> None:
        super().__init__(parent or contour_view)
        self._model = model
        self._view = contour_view
        plot = contour_view.getPlotItem()
        self.markers = DataPoints(self._drag, self.delete_point)
        self.markers.setZValue(7)          # above the start rings (6): a customer under a start stays reachable
        self.rings = pg.ScatterPlotItem(pxMode=True, symbol="s", size=RING_SIZE, brush=pg.mkBrush(None))
        self.rings.setZValue(6.5)
        plot.addItem(self.rings)
        plot.addItem(self.markers)
        self._bindings = Bindings(((model.data_changed, self._draw), (model.surface_changed, self._draw),
                                   (model.loaded, self._draw), (model.step_changed, self._draw_batch),
                                   (model.selection_changed, self._draw_batch),
                                   (model.trajectories_changed, self._draw_batch),
                                   (model.session.changed, self._draw)))
        self._draw()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def columns(self) -> tuple[str, str] | None:
        """The two columns drawn on the map (None when the data are not in the variables' plane)."""
        m = self._model
        spec = m.dataspec
        if spec is None or spec.on_map is None or m.surface is None or m.ndim != 2:
            return None
        return spec.on_map

    def _draw(self, *_args) -> None:
        cols = self.columns()
        if cols is None:
            self._clear(self.markers)
            self._clear(self.rings)
            return
        data = self._model.dataspec.dataset
        size = MARKER_SIZE * (1.4 if self._model.session.presentation else 1.0)
        self.markers.setData(x=data.column(cols[0]), y=data.column(cols[1]), data=np.arange(len(data)),
                             symbol="s", size=size, brush=pg.mkBrush(*FILL), pen=pg.mkPen(OUTLINE, width=2.0))
        self._draw_batch()

    def _draw_batch(self, *_args) -> None:
        cols = self.columns()
        m = self._model
        i = m.selected
        traj = m.trajectories[i] if cols is not None and 0 <= i < len(m.trajectories) else None
        record = getattr(traj, "batch", None) if traj is not None and m.runs[i].visible else None
        k = min(int(m.step), traj.stop_step) if traj is not None else 0
        if record is None or k >= len(record.loss):
            self._clear(self.rings)
            return
        rows = np.asarray(record.rows(k), dtype=int)
        data = m.dataspec.dataset
        size = RING_SIZE * (1.4 if m.session.presentation else 1.0)
        self.rings.setData(x=data.column(cols[0])[rows], y=data.column(cols[1])[rows], size=size,
                           pen=pg.mkPen(qcolor(m.color_of(i)), width=3.5))

    @staticmethod
    def _clear(item) -> None:
        if len(item.data):         # setData([]) costs a few milliseconds even when there is nothing to clear
            item.setData([])

    def positions(self) -> np.ndarray:
        """(n, 2) map coordinates of the drawn data markers."""
        x, y = self.markers.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    # ------------------------------------------------------------------ edits
    def _drag(self, row: int, x: float, y: float, finished: bool) -> None:
        self.move_point(row, x, y)

    def move_point(self, row: int, x: float, y: float) -> None:
        m = self._model
        cols = self.columns()
        if cols is None or not (np.isfinite(x) and np.isfinite(y)):
            return
        data = m.dataspec.dataset
        values = data.rows[row].copy()
        values[data.columns.index(cols[0])] = float(x)
        values[data.columns.index(cols[1])] = float(y)
        if np.array_equal(values, data.rows[row]):
            return
        with m.edit(f"Move data point {row + 1}", ("data", "move", row)):
            m.set_data(data.with_row(row, values))

    def delete_point(self, row: int) -> None:
        m = self._model
        if self.columns() is None or len(m.dataspec.dataset) <= 1:
            return
        with m.edit(f"Delete data point {row + 1}"):
            m.set_data(m.dataspec.dataset.without(row))
