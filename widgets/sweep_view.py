"""Learning-rate sweep for the selected run: final loss and steps to tolerance against lr (log axis).

All rates run in one vectorised :func:`explorer.sweep.lr_sweep` call on the job runner (newest request wins);
the run's current lr is a vertical line; clicking a point gives the run that lr (``model.set_run`` with the
``lr`` hyperparameter replaced). Diverged rates are drawn as red crosses at the top of the loss plot.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.optimizers import OPTIMIZERS
from explorer.sweep import lr_grid, lr_sweep
from widgets import jobs
from widgets.throttle import WhenShown

N_RATES = 61
DECADES = 2.0
POINT_COLOR = "#56b4e9"
DIVERGED_COLOR = "#d55e00"


def run_lr(run) -> float | None:
    """The run's learning rate (its own or the optimizer's default), or None if it has none."""
    lr = run.params.get("lr")
    if lr is None:
        info = OPTIMIZERS.get(run.optimizer)
        lr = info.defaults.get("lr") if info is not None else None
    return float(lr) if lr is not None else None


class SweepView(QWidget):
    """Two stacked plots sharing a log-lr axis: final loss (log y) and steps to tolerance."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.result = None        # the SweepResult shown
        self._center = None       # the lr the shown sweep is centred on
        self._key = None          # what the shown sweep depends on besides lr (see _sweep_key)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.loss_plot = self.graphics.addPlot(row=0, col=0)
        # side by side: the dock is wide and short, and stacked plots left no room for their labels
        self.steps_plot = self.graphics.addPlot(row=0, col=1)
        self.steps_plot.setXLink(self.loss_plot)
        for plot, label in ((self.loss_plot, "final loss"), (self.steps_plot, "steps to tolerance")):
            plot.setLogMode(x=True, y=plot is self.loss_plot)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setTitle(label, size="13pt")
            plot.setLabel("bottom", "learning rate", **{"font-size": "12pt"})
            plot.setMenuEnabled(False)
            plot.hideButtons()
        self.loss_curve = pg.PlotDataItem(pen=pg.mkPen(POINT_COLOR, width=2), symbol="o", symbolSize=9,
                                          symbolBrush=POINT_COLOR, symbolPen=pg.mkPen("k", width=1))
        self.steps_curve = pg.PlotDataItem(pen=pg.mkPen(POINT_COLOR, width=2), symbol="o", symbolSize=9,
                                           symbolBrush=POINT_COLOR, symbolPen=pg.mkPen("k", width=1))
        self.diverged = pg.ScatterPlotItem(symbol="x", size=12, brush=pg.mkBrush(DIVERGED_COLOR), pen=None)
        self.loss_plot.addItem(self.loss_curve)
        self.loss_plot.addItem(self.diverged)
        self.steps_plot.addItem(self.steps_curve)
        self.markers = [pg.InfiniteLine(angle=90, pen=pg.mkPen("#e69f00", width=2.5)) for _ in range(2)]
        self.loss_plot.addItem(self.markers[0])
        self.steps_plot.addItem(self.markers[1])
        self.loss_curve.sigPointsClicked.connect(self._points_clicked)
        self.steps_curve.sigPointsClicked.connect(self._points_clicked)
        self.status = QLabel("Click a point to give the selected run that learning rate.")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.status)

        self.runner = jobs.channel(self, "sweep", settle_ms=jobs.SETTLE_MS)   # not at every mouse move
        self.runner.finished.connect(self._on_result)
        self.runner.failed.connect(lambda exc: self.status.setText(f"Could not sweep: {exc}"))
        # 61 runs of the selected optimizer: only while the panel is on screen (behind another dock tab it
        # sweeps when its tab is chosen), and not at every move of a dragged start or data point
        self._when_shown = WhenShown(self, self.request)
        model.surface_changed.connect(self._when_shown)
        model.selection_changed.connect(self._when_shown)
        model.run_changed.connect(self._on_run_changed)
        model.settings_changed.connect(self._when_shown)
        self._when_shown()

    # ------------------------------------------------------------------ requests
    def request(self, *_args) -> bool:
        """Sweep lr around the selected run's rate (on a worker thread); False if there is nothing to sweep."""
        m = self._model
        if m.surface is None or not 0 <= m.selected < len(m.runs):
            return False
        run = m.runs[m.selected]
        lr = run_lr(run)
        if lr is None or not lr > 0:
            self.status.setText(f"{run.optimizer} has no learning rate to sweep.")
            return False
        self._mark(lr)
        center = self._center if self.result is not None and self._same_sweep(run) else lr
        lrs = lr_grid(center, decades=DECADES, n=N_RATES)
        surface, params, start = m.surface, dict(run.params), np.asarray(run.start, dtype=float)
        steps, tolerance, bounds, schedule = m.steps_of(m.selected), m.tolerance, m.bounds, run.schedule

        def job(progress, cancelled):
            result = lr_sweep(surface, run.optimizer, params, start, lrs, steps=steps, tolerance=tolerance,
                              bounds=bounds, schedule=schedule)
            return result, center, _sweep_key(run)

        self.status.setText(f"Sweeping {N_RATES} learning rates for {run.label or run.optimizer}…")
        self.runner.submit(job)
        return True

    def _same_sweep(self, run) -> bool:
        """True when only the lr changed since the shown sweep (keep the axis: a click must not move it)."""
        return self._key == _sweep_key(run)

    def _on_run_changed(self, index: int) -> None:
        if index != self._model.selected:
            return
        run = self._model.runs[index]
        if self._same_sweep(run):
            self._mark(run_lr(run))       # only the lr moved: the sweep is still valid
        else:
            self._when_shown()

    # ------------------------------------------------------------------ drawing
    def _mark(self, lr: float | None) -> None:
        for line in self.markers:
            line.setVisible(lr is not None)
            if lr is not None:
                line.setValue(np.log10(lr))

    def _on_result(self, payload) -> None:
        result, self._center, self._key = payload
        self.result = result
        lrs = result.lrs
        ok = result.status != "diverged"
        loss = np.where(ok & np.isfinite(result.final_loss) & (result.final_loss > 0), result.final_loss, np.nan)
        floor = np.nanmin(loss) if np.any(np.isfinite(loss)) else 1.0
        loss = np.where(ok & (result.final_loss <= 0), floor, loss)   # exact zeros cannot sit on a log axis
        shown = np.isfinite(loss)     # only finite points: pyqtgraph's bounds warn on all-nan data
        self.loss_curve.setData(lrs[shown], loss[shown])
        top = np.nanmax(loss) if np.any(np.isfinite(loss)) else 1.0
        self.diverged.setData(np.log10(lrs[~ok]), np.full(int(np.sum(~ok)), np.log10(top)))
        steps = np.where(result.steps_to_tol >= 0, result.steps_to_tol, np.nan).astype(float)
        self.steps_curve.setData(lrs[np.isfinite(steps)], steps[np.isfinite(steps)])
        best = result.best()
        run = self._model.runs[self._model.selected] if 0 <= self._model.selected < len(self._model.runs) else None
        self._mark(run_lr(run) if run is not None else None)
        text = f"{int(np.sum(~ok))} of {len(lrs)} rates diverged. "
        if np.isfinite(best):
            text += f"Best: lr = {best:.3g}. "
        self.status.setText(text + "Click a point to use that learning rate.")

    def _points_clicked(self, _item, points, *_args) -> None:
        if len(points):
            self.choose_lr(float(points[0].pos().x()))

    def choose_lr(self, x: float) -> None:
        """Give the selected run the swept rate nearest to ``x`` (log10 of lr, as plotted)."""
        m = self._model
        if self.result is None or not 0 <= m.selected < len(m.runs):
            return
        lr = float(self.result.lrs[np.argmin(np.abs(np.log10(self.result.lrs) - x))])
        run = m.runs[m.selected]
        m.set_run(m.selected, replace(run, params={**run.params, "lr": lr}))


def _sweep_key(run):
    """What a sweep depends on besides the lr itself."""
    params = {k: v for k, v in run.params.items() if k != "lr"}
    return (run.optimizer, tuple(run.start), repr(sorted(params.items())), run.steps, repr(run.schedule))
