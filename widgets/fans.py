"""Stochastic fans: N seeds of the selected run drawn as faint paths on the contour, for a run with gradient
noise (its noise seed) or with shuffled minibatches over data (its shuffle seed).

One noisy path is one sample; a fan of them shows the spread a teacher wants to talk about. The seeds are the
run's own seed + 1 … + N, simulated with :func:`explorer.simulation.simulate_run` on a worker thread (newest
request wins, on the job runner) and cut at the current step like the racers. Shown while
``model.view.show_fan`` is True and the selected run has noise or shuffled minibatches.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject

from explorer.simulation import simulate_run
from widgets import jobs
from widgets.colors import qcolor

N_SEEDS = 12
FAN_ALPHA = 110


def fan_runs(run, n: int = N_SEEDS):
    """The run with seeds seed + 1 … seed + n: its shuffle seed when it draws shuffled minibatches (issue 12),
    else its noise seed (empty when it has neither)."""
    if run.batch is not None and run.batch.shuffle:
        return [replace(run, batch=replace(run.batch, seed=run.batch.seed + k)) for k in range(1, n + 1)]
    if run.noise is None or not run.noise.std > 0:
        return []
    return [replace(run, noise=replace(run.noise, seed=run.noise.seed + k)) for k in range(1, n + 1)]


class NoiseFan(QObject):
    """Faint paths of other noise seeds of the selected run on ``contour_view`` (see the module docstring)."""

    def __init__(self, model, contour_view, n: int = N_SEEDS, parent: QObject | None = None) -> None:
        super().__init__(parent or contour_view)
        self._model = model
        self._n = n
        self._plot = contour_view.getPlotItem()
        self.curve = pg.PlotCurveItem(connect="finite")   # all seeds in one item, separated by nan rows
        self.curve.setZValue(1)                            # under the racers' paths (2)
        self._plot.addItem(self.curve)
        self.paths: list[np.ndarray] = []                  # per seed: (k + 1, d) points
        self.losses: list[np.ndarray] = []                 # per seed: (k + 1,) their loss
        self._color = "#ffffff"
        self.runner = jobs.channel(self, "fan")
        self.runner.finished.connect(self._on_result)
        model.surface_changed.connect(self.request)
        model.selection_changed.connect(self.request)
        model.run_changed.connect(self._on_run_changed)
        model.step_changed.connect(self._draw)
        model.projection.changed.connect(self._draw)
        model.view.changed.connect(self._on_view_changed)
        model.session.changed.connect(self._on_view_changed)
        self.request()

    def _on(self) -> bool:
        return self._model.view.show_fan

    def request(self, *_args) -> None:
        m = self._model
        self.paths, self.losses = [], []
        self._draw()
        if not self._on() or m.surface is None or not 0 <= m.selected < len(m.runs):
            self.runner.cancel()
            return
        runs = fan_runs(m.runs[m.selected], self._n)
        if not runs:
            self.runner.cancel()
            return
        self._color = m.color_of(m.selected)
        surface, steps, tolerance, bounds = m.surface, m.steps_of(m.selected), m.tolerance, m.bounds

        def job(progress, cancelled):
            out = []
            for run in runs:
                if cancelled():
                    return None
                traj = simulate_run(surface, run, steps=steps, tolerance=tolerance, bounds=bounds)
                k = traj.stop_step     # all the variables (and the loss, for the curve of one variable)
                out.append((np.asarray(traj.points[: k + 1], dtype=float), np.asarray(traj.loss[: k + 1], dtype=float)))
            return out

        self.runner.submit(job)

    def _on_run_changed(self, index: int) -> None:
        if index == self._model.selected:
            self.request()

    def _on_view_changed(self, key: str) -> None:
        if key == "show_fan":
            self.request()
        elif key == "presentation":
            self._draw()

    def _on_result(self, paths) -> None:
        if paths is not None:
            self.paths = [p for p, _loss in paths]
            self.losses = [loss for _p, loss in paths]
            self._draw()

    def _draw(self, *_args) -> None:
        if not self.paths or not self._on():
            self.curve.setVisible(False)
            return
        proj = self._model.projection
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        box = 100.0 * max(x1 - x0, y1 - y0)
        k = self._model.step
        pieces = []
        for pts, loss in zip(self.paths, self.losses, strict=True):    # seen through the model's projection
            pts, loss = pts[: k + 1], loss[: k + 1]
            if pts.shape[1] != self._model.ndim or proj.kind is None:
                continue
            with np.errstate(all="ignore"):
                cut = np.column_stack([pts[:, 0], loss]) if proj.kind == "curve" else proj.to_view(pts)
            pieces.append(np.where(np.isfinite(cut), np.clip(cut, -box, box), np.nan))
            pieces.append(np.full((1, 2), np.nan))
        if not pieces:
            self.curve.setVisible(False)
            return
        xy = np.concatenate(pieces)
        width = 2.8 if self._model.session.presentation else 1.8
        self.curve.setPen(pg.mkPen(qcolor(self._color, FAN_ALPHA), width=width))
        self.curve.setData(xy[:, 0], xy[:, 1])
        self.curve.setVisible(True)
