"""Loss against step, one curve per run in its colour, with a cursor line at the current step.

The y axis is logarithmic when every plotted loss is positive (the usual case for a loss), and linear
otherwise (a surface with negative values), with the axis label saying which.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from explorer.model import Comparison
from widgets.throttle import Throttle


class LossPlot(QWidget):
    def __init__(self, model: Comparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "step")
        self.plot.getPlotItem().hideButtons()
        self.plot.setMinimumHeight(160)
        dashed = pg.mkPen((128, 128, 128), width=2, style=Qt.PenStyle.DashLine)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=dashed)
        self.plot.addItem(self.cursor, ignoreBounds=True)
        for name in ("left", "bottom"):   # the grid lines are drawn by the axes: cache them too
            self.plot.getPlotItem().getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.curves: list[pg.PlotDataItem] = []
        self.log_y = True
        self._scale_set = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

        model.trajectories_changed.connect(self._on_trajectories)
        model.runs_changed.connect(self._rebuild)
        model.run_changed.connect(self._on_run_changed)
        model.selection_changed.connect(self._restyle)
        self._throttled_cursor = Throttle(lambda: self._move_cursor(model.step), 33, self)
        model.step_changed.connect(self._throttled_cursor)
        self._rebuild()

    def shown_curves(self) -> list[pg.PlotDataItem]:
        """The curves that currently show data (visible runs with a trajectory)."""
        return [c for c in self.curves if c.isVisible() and c.xData is not None and len(c.xData)]

    # ------------------------------------------------------------------ model -> plot
    def _rebuild(self, *_args) -> None:
        """One curve item per run (kept across trajectory updates: setData is cheaper than new items)."""
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        for _ in self._model.runs:
            curve = self.plot.plot()
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            # as separate segments: Qt's antialiased stroke of a zigzag (a minibatch run's loss) as one
            # self-crossing path took ~6 ms a curve, 24 ms a repaint; the pens are opaque, so the overlapping
            # segment ends do not show
            curve.curve.setSegmentedLineMode("on")
            # the cursor moves every frame; cached curves are blitted, not re-stroked
            curve.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.curves.append(curve)
        self._on_trajectories(None)

    def _on_trajectories(self, index) -> None:
        if len(self.curves) != len(self._model.runs):
            self._rebuild()
            return
        if self._choose_scale() or index is None:
            for i in range(len(self.curves)):
                self._set_curve(i)
        else:
            self._set_curve(index)
        self._restyle()
        self._move_cursor(self._model.step)

    def _on_run_changed(self, i: int) -> None:
        self._on_trajectories(i)   # visibility or colour may have changed

    def _choose_scale(self) -> bool:
        """Log y when every shown loss is positive; returns True when the scale changed."""
        m = self._model
        losses = [np.asarray(t.loss) for i, t in enumerate(m.trajectories)
                  if t is not None and m.runs[i].visible]
        finite = [loss[np.isfinite(loss)] for loss in losses]
        log_y = all(f.size == 0 or f.min() > 0 for f in finite)
        changed = log_y != self.log_y or not self._scale_set
        if changed:
            self.log_y, self._scale_set = log_y, True
            self.plot.setLogMode(y=log_y)
            self.plot.setLabel("left", "loss (log scale)" if log_y else "loss")
        return changed

    def _set_curve(self, i: int) -> None:
        m = self._model
        traj, curve = m.trajectories[i], self.curves[i]
        if traj is None or not m.runs[i].visible:
            curve.setData([], [])
            curve.setVisible(False)
            return
        loss = np.asarray(traj.loss)
        keep = np.isfinite(loss) & ((loss > 0) if self.log_y else True)
        curve.setData(np.arange(loss.size, dtype=float)[keep], loss[keep], name=m.runs[i].label)
        curve.setVisible(True)

    def _restyle(self, *_args) -> None:
        m = self._model
        for i, curve in enumerate(self.curves):
            curve.setPen(pg.mkPen(m.color_of(i), width=3.5 if i == m.selected else 2))
            curve.setZValue(1 if i == m.selected else 0)

    def _move_cursor(self, step: int) -> None:
        self.cursor.setValue(step)
