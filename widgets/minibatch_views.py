"""Minibatches made visible: the batch gradient beside the full gradient on the map, and the batch loss beside
the full loss in the loss plot, with a tick where each epoch starts.

:class:`BatchGradientArrow` draws, while View ▸ Overlays ▸ Gradient is on and the selected run uses
minibatches, the negative *batch* gradient the step actually used (dashed, the gradient's red) from the
current point, next to the overlay's full-data −∇f (solid). Its on-screen length is the full arrow's length
times ‖∇f_batch‖ / ‖∇f‖ (clamped to [¼, 3]), so a batch gradient that overshoots looks longer.

:class:`BatchLossCurves` adds to the loss plot, for the selected run when it uses minibatches, the loss of the
batch each step used (lighter and thinner than the run's full-data loss: one curve, as a single row's loss
jumps over decades) and a tick at the bottom of the plot where each epoch starts.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from explorer.events import Bindings
from explorer.summary import for_people
from widgets.colors import qcolor
from widgets.overlays import ARROW_FRACTION, DARK, VECTOR_COLORS, arrow_segments, selected_state

BATCH_ALPHA = 95
MIN_RATIO, MAX_RATIO = 0.25, 3.0
MAX_EPOCH_TICKS = 400


def batch_state(model):
    """(trajectory, k) when the selected run used a minibatch for the step from point k, else (None, 0)."""
    traj, k = selected_state(model)
    record = getattr(traj, "batch", None) if traj is not None else None
    if record is None or k >= len(record.loss):
        return None, 0
    return traj, k


class BatchGradientArrow(QObject):
    """The dashed −∇f of the current minibatch on ``contour_view`` (see the module docstring)."""

    def __init__(self, model, contour_view, parent: QObject | None = None) -> None:
        super().__init__(parent or contour_view)
        self._model = model
        self._plot = contour_view.getPlotItem()
        self._vb = self._plot.getViewBox()
        self.curve = pg.PlotCurveItem(connect="pairs")
        self.curve.setZValue(19.5)
        self.label = pg.TextItem(color=VECTOR_COLORS["gradient"], fill=pg.mkBrush(0, 0, 0, 165))
        self.label.setZValue(21)
        font = QFont()
        font.setPointSize(12)
        font.setBold(True)
        self.label.setFont(font)
        self._plot.addItem(self.curve)
        self._plot.addItem(self.label)
        self.text = ""
        self._bindings = Bindings(((model.step_changed, self.redraw), (model.selection_changed, self.redraw),
                                   (model.trajectories_changed, self.redraw), (model.run_changed, self.redraw),
                                   (model.view.changed, self.redraw), (model.session.changed, self.redraw)))
        self._vb.sigRangeChanged.connect(self.redraw)
        self._vb.sigResized.connect(self.redraw)
        self.redraw()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    @property
    def visible(self) -> bool:
        return self.curve.isVisible()

    def _hide(self) -> None:
        self.curve.setVisible(False)
        self.label.setVisible(False)
        self.text = ""

    def _pixel(self) -> np.ndarray:
        size = self._vb.viewPixelSize()
        px = np.abs(np.array([size[0], size[1]], dtype=float))
        if not np.all(np.isfinite(px) & (px > 0)):
            (x0, x1), (y0, y1) = self._model.x_range, self._model.y_range
            px = np.array([(x1 - x0) / 600.0, (y1 - y0) / 600.0])
        return px

    def redraw(self, *_args) -> None:
        m = self._model
        traj, k = batch_state(m)
        if traj is None or not m.view.show_gradient or m.ndim != 2:
            self._hide()
            return
        p = np.asarray(traj.points[k], dtype=float)
        full = np.asarray(traj.grads[k], dtype=float)
        g = np.asarray(traj.batch.grads[k], dtype=float)
        if not (np.all(np.isfinite(p)) and np.all(np.isfinite(g))):
            self._hide()
            return
        big = m.session.presentation
        rect = self._vb.boundingRect()
        side = min(rect.width(), rect.height())
        length = ARROW_FRACTION * (side if side > 50 else 500.0) * (1.25 if big else 1.0)
        full_norm, norm = float(np.hypot(*full)), float(np.hypot(*g))
        ratio = norm / full_norm if full_norm > 0 and np.isfinite(full_norm) else 1.0
        segments = arrow_segments(p, -g, self._pixel(), length * min(max(ratio, MIN_RATIO), MAX_RATIO))
        if segments is None:
            self._hide()
            return
        width = 3.5 * (1.8 if big else 1.0)
        pen = pg.mkPen(qcolor(VECTOR_COLORS["gradient"]), width=width, style=Qt.PenStyle.DashLine)
        self.curve.setPen(pen)
        self.curve.setShadowPen(pg.mkPen(DARK, width=width + 3.0))
        self.curve.setData(segments[:, 0], segments[:, 1])
        # the label sits beside the middle of the shaft, on the side away from the full gradient's arrow
        pixel = self._pixel()
        start, tip = segments[0] / pixel, segments[1] / pixel
        along = tip - start
        side = np.array([along[1], -along[0]]) / max(float(np.hypot(*along)), 1e-9)
        other = -full / pixel
        if float(np.dot(side, other)) > 0:
            side = -side
        at = (start + tip) / 2 + 12.0 * side
        self.text = f"−∇f batch  ‖∇f_B‖ = {for_people(norm, 3)}"
        self.label.setText(self.text)
        self.label.setAnchor((0.0 if side[0] >= 0 else 1.0, 0.0 if side[1] >= 0 else 1.0))
        self.label.setPos(float(at[0] * pixel[0]), float(at[1] * pixel[1]))
        self.curve.setVisible(True)
        self.label.setVisible(True)

    def tip(self) -> np.ndarray:
        """(2,) the arrow's tip in map coordinates (nan when hidden)."""
        x, y = self.curve.getData()
        return np.array([x[1], y[1]]) if self.visible and x is not None and len(x) > 1 else np.full(2, np.nan)


class BatchLossCurves(QObject):
    """The batch losses and epoch ticks on a :class:`~widgets.loss_plot.LossPlot` (see the module docstring)."""

    def __init__(self, model, loss_plot, parent: QObject | None = None) -> None:
        super().__init__(parent or loss_plot)
        self._model = model
        self._loss = loss_plot
        self._plot = loss_plot.plot.getPlotItem()
        self.curves: list[pg.PlotDataItem] = []
        self.ticks = pg.VTickGroup(xvals=[], yrange=[0.0, 0.07])
        self.ticks.setZValue(5)
        self._plot.addItem(self.ticks, ignoreBounds=True)
        self.key = pg.TextItem(anchor=(1, 0), color=(128, 128, 128))
        self.key.setParentItem(self._plot.getViewBox())
        self.key.setVisible(False)
        self._bindings = Bindings(((model.trajectories_changed, self.refresh), (model.runs_changed, self.refresh),
                                   (model.run_changed, self.refresh), (model.selection_changed, self.refresh)))
        self._plot.getViewBox().sigResized.connect(self._place_key)
        self.refresh()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def refresh(self, *_args) -> None:
        m = self._model
        while len(self.curves) < len(m.runs):
            curve = pg.PlotDataItem()
            curve.setZValue(-1)          # under the full-data losses
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self._plot.addItem(curve)
            self.curves.append(curve)
        while len(self.curves) > len(m.runs):
            self._plot.removeItem(self.curves.pop())
        log_y = self._loss.log_y
        any_batch = False
        for i, curve in enumerate(self.curves):
            traj = m.trajectories[i] if i < len(m.trajectories) else None
            record = getattr(traj, "batch", None) if traj is not None else None
            if record is None or not m.runs[i].visible or not len(record.loss) or i != m.selected:
                curve.setData([], [])
                curve.setVisible(False)
                continue
            loss = np.asarray(record.loss, dtype=float)
            keep = np.isfinite(loss) & ((loss > 0) if log_y else True)
            curve.setData(np.arange(loss.size, dtype=float)[keep], loss[keep])
            curve.setPen(pg.mkPen(qcolor(m.color_of(i), BATCH_ALPHA), width=1.3))
            curve.setVisible(True)
            any_batch = True
        self._draw_ticks()
        self.key.setText("light: the selected run's minibatch loss at each step · ticks: its epochs"
                         if any_batch else "")
        self.key.setVisible(any_batch)
        self._place_key()

    def _draw_ticks(self) -> None:
        m = self._model
        i = m.selected
        traj = m.trajectories[i] if 0 <= i < len(m.trajectories) else None
        record = getattr(traj, "batch", None) if traj is not None and m.runs[i].visible else None
        if record is None or not len(record.epoch):
            self.ticks.setXVals([])
            self.ticks.setVisible(False)
            return
        starts = np.flatnonzero(np.diff(np.asarray(record.epoch))) + 1
        if starts.size > MAX_EPOCH_TICKS:
            starts = starts[:: -(-starts.size // MAX_EPOCH_TICKS)]
        self.ticks.setXVals(starts.astype(float).tolist())
        self.ticks.setPen(pg.mkPen(qcolor(m.color_of(i)), width=2))
        self.ticks.setVisible(True)

    def epoch_ticks(self) -> np.ndarray:
        """The steps where the ticks are drawn (the selected run's epoch starts)."""
        return np.asarray(self.ticks.xvals if self.ticks.isVisible() else [], dtype=float)

    def _place_key(self, *_args) -> None:
        rect = self._plot.getViewBox().boundingRect()
        self.key.setPos(rect.width() - 6, 4)
