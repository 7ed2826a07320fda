"""A 1-D cut: the loss along a straight line between two points of all the variables — not the path taken.

:func:`explorer.cut.linear_cut` (Goodfellow, Vinyals & Saxe 2015's linear interpolation): from the selected
racer's start to its end (would a straight walk have met a barrier?), or between two racers' end points (one
basin or two?). The line is extended by a quarter of its length on both sides; the two ends are marked and
named, and the title says, every time, that this is not the path the racer took. Under the plot: the highest
rise of the loss above the straight chord joining the two ends (a barrier), or that there is none.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from explorer.cut import cut_along_run, cut_between_runs
from explorer.events import Bindings
from explorer.summary import for_people
from widgets.colors import OUTLINE, qcolor
from widgets.throttle import WhenShown

EXTEND = 0.25
POINTS = 241      # with EXTEND = 1/4 the grid t = -1/4 + k/160 holds t = 0 and t = 1 exactly (k = 40, 200), which
#                   LinearCut.barrier takes for the two ends of the chord


class CutPlot(QWidget):
    """See the module docstring. ``cut`` is the :class:`~explorer.cut.LinearCut` shown (None when none)."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.cut = None
        self.end_values = [float("nan"), float("nan")]     # f at the two ends
        self.choice = QComboBox()
        self.choice.setAccessibleName("which straight line")
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(20)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "distance along the straight line")
        self.plot.setLabel("left", "loss f")
        for side in ("left", "bottom"):
            self.plot.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
        self.curve = pg.PlotCurveItem(pen=pg.mkPen("#56b4e9", width=3))
        self.plot.addItem(self.curve)
        self.ends = pg.ScatterPlotItem(size=14, pen=pg.mkPen(OUTLINE, width=1.5))
        self.plot.addItem(self.ends)
        self.labels = [pg.TextItem(anchor=(0.5, 1.3)) for _ in range(2)]
        for label in self.labels:
            self.plot.addItem(label)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.choice)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.status)
        self.choice.currentIndexChanged.connect(lambda _i: self.refresh())
        rebuild = WhenShown(self, self._rebuild)     # behind another dock tab: rebuilt when shown
        self._bindings = Bindings(((model.trajectories_changed, rebuild), (model.runs_changed, rebuild),
                                   (model.run_changed, rebuild), (model.selection_changed, rebuild),
                                   (model.surface_changed, rebuild)))
        self._rebuild()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def _rebuild(self, *_args) -> None:
        """The choices: the selected racer's start → end, then every pair of racers' ends."""
        m = self._model
        keep = self.choice.currentData()
        self.choice.blockSignals(True)
        self.choice.clear()
        if 0 <= m.selected < len(m.runs):
            self.choice.addItem(f"{m.runs[m.selected].label}: start → end", f"run {m.selected}")
        for i in range(len(m.runs)):
            for j in range(i + 1, len(m.runs)):
                self.choice.addItem(f"end of {m.runs[i].label} → end of {m.runs[j].label}", f"pair {i} {j}")
        index = self.choice.findData(keep) if keep is not None and keep.startswith("pair") else 0
        self.choice.setCurrentIndex(max(index, 0))
        self.choice.blockSignals(False)
        self.refresh()

    def choose(self, data: str) -> None:
        """Show the cut ``"run i"`` or ``"pair i j"`` (as picking it in the list does)."""
        index = self.choice.findData(data)
        if index < 0:
            raise ValueError(f"no such cut: {data!r}")
        self.choice.setCurrentIndex(index)

    def refresh(self) -> None:
        m = self._model
        key = self.choice.currentData()
        data = [key.split()[0], *map(int, key.split()[1:])] if key else None
        self.cut = None
        trajs = m.trajectories
        # (a trajectory of the previous surface, of other variables, may still be there for a moment)
        if m.surface is None or data is None or any(k >= len(trajs) or trajs[k] is None
                                                     or np.shape(trajs[k].points)[-1] != m.ndim for k in data[1:]):
            self._clear("Pick a straight line: a racer's start to its end, or between two racers' ends."
                        if m.surface is not None else "")
            return
        if data[0] == "run":
            cut = cut_along_run(m.surface, trajs[data[1]], n=POINTS, extend=EXTEND)
            colors = (m.color_of(data[1]), m.color_of(data[1]))
        else:
            cut = cut_between_runs(m.surface, trajs[data[1]], trajs[data[2]], n=POINTS, extend=EXTEND)
            colors = (m.color_of(data[1]), m.color_of(data[2]))
        self.cut = cut
        d = cut.distance
        loss = np.where(np.isfinite(cut.loss), cut.loss, np.nan)
        self.curve.setData(d, loss, connect="finite")
        with np.errstate(all="ignore"):
            ends = [float(v) for v in np.asarray(m.surface.value(np.stack([cut.start, cut.end])), dtype=float)]
        self.end_values = ends
        self.ends.setData(x=[0.0, cut.length], y=ends, brush=[pg.mkBrush(qcolor(c)) for c in colors])
        for label, x, y, text in zip(self.labels, (0.0, cut.length), ends, (cut.start_label, cut.end_label),
                                     strict=True):
            label.setText(text)
            label.setPos(x, y if np.isfinite(y) else 0.0)
        self.title.setText(f"<b>{html.escape(cut.label, quote=False)}</b>")
        barrier = cut.barrier
        if not np.isfinite(barrier):
            words = "f is not finite along the line."
        elif barrier > 1e-9 * max(abs(ends[0]), abs(ends[1]), 1e-300):
            words = (f"A barrier: the loss rises up to {for_people(barrier, 3)} above the straight chord between "
                     "the two ends.")
        else:
            words = "No barrier: the loss stays on or below the straight chord between the two ends."
        self.status.setText(f"{words} Length of the line: {for_people(cut.length, 3)}.")
        self.plot.getPlotItem().enableAutoRange()

    def _clear(self, text: str) -> None:
        self.curve.setData([], [])
        self.ends.setData([])
        for label in self.labels:
            label.setText("")
        self.title.setText("")
        self.status.setText(text)


__all__ = ["CutPlot"]
