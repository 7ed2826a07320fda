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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

        model.trajectories_changed.connect(self._rebuild)
        model.runs_changed.connect(self._rebuild)
        model.run_changed.connect(self._rebuild)
        model.selection_changed.connect(self._rebuild)
        model.step_changed.connect(self._move_cursor)
        self._rebuild()

    def _rebuild(self, *_args) -> None:
        m = self._model
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        losses = [(i, np.asarray(t.loss)) for i, t in enumerate(m.trajectories)
                  if t is not None and m.runs[i].visible]
        finite = [loss[np.isfinite(loss)] for _, loss in losses]
        self.log_y = all(f.size == 0 or f.min() > 0 for f in finite)
        self.plot.setLogMode(y=self.log_y)
        self.plot.setLabel("left", "loss (log scale)" if self.log_y else "loss")
        for i, loss in losses:
            steps = np.arange(loss.size, dtype=float)
            keep = np.isfinite(loss) & ((loss > 0) if self.log_y else True)
            pen = pg.mkPen(m.color_of(i), width=3 if i == m.selected else 2)
            curve = self.plot.plot(steps[keep], loss[keep], pen=pen, name=m.runs[i].label)
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            # the cursor moves every frame; cached curves are blitted, not re-stroked
            curve.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.curves.append(curve)
        self._move_cursor(m.step)

    def _move_cursor(self, step: int) -> None:
        self.cursor.setValue(step)
