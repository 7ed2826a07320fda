"""Each variable of the selected racer against step: where a run of many variables goes, one line per variable.

A map shows two directions at a time; this plot shows all d coordinates of the selected run's path
x_k = (x_k,1, …, x_k,d) against the step k, each in its own colour and named in the legend, with the current
step as a dashed line. Which coordinates settle first, which creep, which oscillate (gradient descent
across a narrow valley flips a coordinate's sign every step) reads off at once. The known minimum's
coordinates, when the lesson gives one, are faint dotted lines in the same colours: where each line should
end up.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from explorer.events import Bindings
from widgets.throttle import Throttle, WhenShown

# Glasbey-style qualitative colours that stay apart for up to 20 variables (the first 10 are Tableau 10, Stone
# 2016; the rest Tableau 20's lighter partners), readable on light and dark backgrounds.
TRACE_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac", "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63",
                "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e")


class TracePlot(QWidget):
    """See the module docstring. ``curves`` holds one PlotDataItem per variable."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "value of each variable")
        for name in ("left", "bottom"):
            self.plot.getPlotItem().getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.plot.getPlotItem().getAxis(name).enableAutoSIPrefix(False)
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextSize="10pt", colCount=2)
        dashed = pg.mkPen((128, 128, 128), width=2, style=Qt.PenStyle.DashLine)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=dashed)
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.title = QLabel()
        self.title.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        self.curves: list[pg.PlotDataItem] = []
        self.targets: list[pg.InfiniteLine] = []
        self._cursor = Throttle(lambda: self.cursor.setValue(self._model.step), 33, self)
        refresh = WhenShown(self, self.refresh)     # behind another dock tab: redrawn when shown
        self._bindings = Bindings(((model.trajectories_changed, refresh), (model.selection_changed, refresh),
                                   (model.runs_changed, refresh), (model.run_changed, refresh),
                                   (model.surface_changed, refresh), (model.step_changed, self._cursor)))
        self.refresh()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def refresh(self, *_args) -> None:
        m = self._model
        for item in self.curves + self.targets:
            self.plot.removeItem(item)
        self.legend.clear()
        self.curves, self.targets = [], []
        i = m.selected
        traj = m.trajectories[i] if 0 <= i < len(m.trajectories) else None
        if m.surface is None or traj is None:
            self.title.setText("Select a run: its variables are drawn here against the step."
                               if m.surface is not None else "")
            return
        names = m.variables
        pts = np.asarray(traj.points, dtype=float)[: traj.stop_step + 1]
        if pts.shape[1] != len(names):
            return
        steps = np.arange(pts.shape[0], dtype=float)
        minimum = next((np.asarray(p, dtype=float) for p in m.minima if len(p) == len(names)), None)
        for j, name in enumerate(names):
            color = TRACE_COLORS[j % len(TRACE_COLORS)]
            y = np.where(np.isfinite(pts[:, j]), pts[:, j], np.nan)
            ok = np.isfinite(y)
            curve = self.plot.plot(steps[ok], y[ok], pen=pg.mkPen(color, width=2.2), name=name)
            curve.setDownsampling(auto=True, method="peak")
            self.curves.append(curve)
            if minimum is not None:
                line = pg.InfiniteLine(pos=float(minimum[j]), angle=0, movable=False,
                                       pen=pg.mkPen(color, width=1.2, style=Qt.PenStyle.DotLine))
                self.plot.addItem(line, ignoreBounds=True)
                self.targets.append(line)
        self.cursor.setValue(m.step)
        hint = " (dotted: the known minimum)" if minimum is not None else ""
        self.title.setText(f"<b>{html.escape(m.runs[i].label, quote=False)}</b>: each of its {len(names)} variable"
                           f"{'s' if len(names) != 1 else ''} against the step{hint}")

    def values_at(self, step: int) -> np.ndarray:
        """(d,) the drawn coordinates at ``step`` (nan where a curve has no point there)."""
        out = []
        for curve in self.curves:
            x, y = curve.getData()
            hit = np.flatnonzero(x == step) if x is not None else []
            out.append(float(y[hit[0]]) if len(hit) else np.nan)
        return np.array(out)
