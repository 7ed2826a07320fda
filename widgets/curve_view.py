"""The map of a function of one variable: the graph of f, each racer a ball on it, the tangent at each ball
and the step each racer takes next, drawn as a move along x.

:class:`CurveLayer` draws on a :class:`~widgets.contour_view.ContourView` while the model's projection is a
curve (``model.projection.kind == "curve"``); the contour view itself puts the racers (x_k, f(x_k)), their
paths and starts on it as for any map. What the layer adds (:mod:`explorer.curve` computes it):

- the graph of f, with the area under it coloured by f through the map's colour scale (the colours of a
  contour map, in one dimension: low is dark, high is bright);
- the tangent line t(x) = f(x₀) + f′(x₀)(x − x₀) at every racer's ball, in its colour;
- the step from x_k to x_{k+1} of every racer as an arrow along x at the height f(x_k), and for the
  selected racer a dotted drop to where it lands on the curve;
- a caption for the selected racer: "slope f′(x = 4) = 6" and "x: 4 → 3.4, Δx = −0.6 = −lr·f′(x) = −0.1 × 6".
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QFont

from explorer.curve import step_move, tangent_line
from explorer.events import Bindings
from explorer.levels import contour_levels, value_scale
from widgets.colors import OUTLINE, lookup_table, qcolor, rgba_bytes

FILL_ALPHA = 150
FILL_ROWS = 240           # vertical resolution of the coloured area under the curve
TANGENT_HALF = 0.16       # the tangent segment spans ± this share of the x range
CURVE_WIDTH = 3.5
CAPTION_PT = 13


class CurveLayer(QObject):
    """The one-variable picture on a contour view (see the module docstring)."""

    def __init__(self, model, contour_view, parent: QObject | None = None) -> None:
        super().__init__(parent or contour_view)
        self._model = model
        self._view = contour_view
        plot = contour_view.getPlotItem()
        self._plot = plot
        self._vb = plot.getViewBox()
        self.fill = pg.ImageItem(axisOrder="row-major")
        self.fill.setZValue(-10)
        self.curve = pg.PlotCurveItem(connect="finite")
        self.curve.setZValue(1)
        self.tangents: list[pg.PlotCurveItem] = []
        self.steps: list[pg.PlotCurveItem] = []
        self.drop = pg.PlotCurveItem()
        self.drop.setZValue(3)
        for item in (self.fill, self.curve, self.drop):
            plot.addItem(item)
        self.caption = pg.TextItem(anchor=(0.5, 0.0), fill=pg.mkBrush(0, 0, 0, 175),
                                   border=pg.mkPen(255, 255, 255, 90))
        self.caption.setParentItem(self._vb)
        self.caption.setZValue(45)
        self.caption_text = ""
        self.tangent: object | None = None      # the selected racer's Tangent
        self.move: object | None = None         # the selected racer's StepMove
        self._bindings = Bindings(((model.projection.changed, self._on_projection),
                                   (model.runs_changed, self._rebuild), (model.run_changed, self._on_runs),
                                   (model.trajectories_changed, self._on_runs), (model.step_changed, self.redraw),
                                   (model.selection_changed, self.redraw), (model.view.changed, self._on_view),
                                   (model.session.changed, self._on_view)))
        self._vb.sigResized.connect(self._place_caption)
        self._rebuild()
        self._on_projection()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    @property
    def active(self) -> bool:
        return self._model.projection.kind == "curve"

    # ------------------------------------------------------------------ the graph
    def _on_projection(self, frame: bool = True, _paths: bool = True) -> None:
        if frame:
            self._draw_curve()
        self.redraw()

    def _on_view(self, key: str) -> None:
        if key in ("contour_levels", "presentation"):
            self._draw_curve()
            self.redraw()

    def _draw_curve(self) -> None:
        proj = self._model.projection
        if not self.active or proj.curve is None:
            if self.curve.isVisible() or self.fill.isVisible():
                self.curve.setVisible(False)
                self.fill.setVisible(False)
                self.fill.clear()
            return
        xs, fs = proj.curve
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        big = self._model.session.presentation
        self.curve.setData(xs, np.where(np.isfinite(fs), fs, np.nan))
        self.curve.setPen(pg.mkPen((250, 250, 250), width=CURVE_WIDTH * (1.6 if big else 1.0)))
        self.curve.setShadowPen(pg.mkPen(OUTLINE, width=CURVE_WIDTH * (1.6 if big else 1.0) + 3))
        self.curve.setVisible(True)
        # the area under the graph, each column coloured by f there (the map's colour scale)
        _, kind = contour_levels(fs, self._model.view.contour_levels)
        scale = value_scale(fs, "log" if kind == "log" else self._model.view.contour_levels)
        colors = rgba_bytes(scale.normalise(fs))
        rows = np.linspace(y0, y1, FILL_ROWS)
        below = rows[:, None] <= np.where(np.isfinite(fs), fs, -np.inf)[None, :]
        image = np.zeros((FILL_ROWS, xs.size, 4), dtype=np.uint8)
        image[...] = colors[None, :, :]
        image[..., 3] = np.where(below, FILL_ALPHA, 0)
        self.fill.setImage(image, levels=(0, 255))
        self.fill.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.fill.setVisible(True)
        self.color_scale = scale
        self.lookup = lookup_table()

    # ------------------------------------------------------------------ racers
    def _rebuild(self, *_args) -> None:
        for item in self.tangents + self.steps:
            self._plot.removeItem(item)
        self.tangents, self.steps = [], []
        for _ in self._model.runs:
            tangent = pg.PlotCurveItem()
            tangent.setZValue(8)
            step = pg.PlotCurveItem(connect="pairs")
            step.setZValue(9)
            self._plot.addItem(tangent)
            self._plot.addItem(step)
            self.tangents.append(tangent)
            self.steps.append(step)
        self.redraw()

    def _on_runs(self, *_args) -> None:
        if len(self.tangents) != len(self._model.runs):
            self._rebuild()
        else:
            self.redraw()

    def redraw(self, *_args) -> None:
        """Tangents, step arrows and the caption at the current step."""
        m = self._model
        proj = m.projection
        self.tangent = self.move = None
        if not self.active:
            for item in (*self.tangents, *self.steps, self.drop, self.caption):
                if item.isVisible():
                    item.setVisible(False)
            self.caption_text = ""
            return
        x0, x1 = proj.x_range
        half = TANGENT_HALF * (x1 - x0)
        big = m.session.presentation
        order = sorted(range(len(m.runs)), key=lambda i: i == m.selected)   # the selected one on top
        for i in order:
            tangent_item, step_item = self.tangents[i], self.steps[i]
            traj = m.trajectories[i] if i < len(m.trajectories) else None
            if traj is None or not m.runs[i].visible or np.shape(traj.points)[-1] != 1:
                tangent_item.setVisible(False)
                step_item.setVisible(False)
                continue
            k = min(max(int(m.step), 0), int(traj.stop_step))
            x = float(traj.points[k, 0])
            if not (np.isfinite(x) and x0 <= x <= x1):
                tangent_item.setVisible(False)
                step_item.setVisible(False)
                continue
            selected = i == m.selected
            color = qcolor(m.color_of(i))
            width = (3.0 if selected else 2.0) * (1.6 if big else 1.0)
            t = tangent_line(m.surface, x, half)
            tangent_item.setData(t.xs, t.ys)
            tangent_item.setPen(pg.mkPen(color, width=width))
            tangent_item.setShadowPen(pg.mkPen(OUTLINE, width=width + 2.5))
            tangent_item.setVisible(True)
            move = step_move(traj, k, m.variables[0]) if k < traj.stop_step else None
            if move is not None and np.isfinite(move.x1):
                self._draw_step(step_item, move, color, width, (x0, x1))
            else:
                step_item.setVisible(False)
            if selected:
                self.tangent, self.move = t, move
        self._draw_drop()
        self._draw_caption()

    def _draw_step(self, item, move, color, width, x_range) -> None:
        """An arrow from (x_k, f_k) along x to (x_{k+1}, f_k), its head a few pixels long."""
        x0, x1 = x_range
        end = min(max(move.x1, x0), x1)
        start, y = move.x0, move.f0
        if end == start:
            item.setVisible(False)
            return
        px = self._pixel()
        head = 14.0 * px[0]
        direction = 1.0 if end > start else -1.0
        back = end - direction * min(head, abs(end - start) * 0.5)
        rise = 7.0 * px[1]
        xs = [start, end, end, back, end, back]
        ys = [y, y, y, y + rise, y, y - rise]
        item.setData(np.array(xs), np.array(ys))
        item.setPen(pg.mkPen(color, width=width))
        item.setShadowPen(pg.mkPen(OUTLINE, width=width + 2.5))
        item.setVisible(True)

    def _draw_drop(self) -> None:
        move = self.move
        m = self._model
        if move is None or not np.isfinite(move.f1) or not np.isfinite(move.x1):
            self.drop.setVisible(False)
            return
        pen = pg.mkPen(qcolor(m.color_of(m.selected), 230), width=2.0, style=Qt.PenStyle.DotLine)
        self.drop.setPen(pen)
        self.drop.setData(np.array([move.x1, move.x1]), np.array([move.f0, move.f1]))
        self.drop.setVisible(True)

    def _draw_caption(self) -> None:
        lines = []
        if self.tangent is not None:
            lines.append(self.tangent.text.replace("-", "−"))
        if self.move is not None:
            lines.append(self.move.text)
        self.caption_text = "\n".join(lines)
        if not lines:
            self.caption.setVisible(False)
            return
        size = CAPTION_PT + (4 if self._model.session.presentation else 0)
        color = self._model.color_of(self._model.selected)
        body = "<br>".join(lines)
        self.caption.setHtml(f'<div style="color:white; font-size:{size}pt">'
                             f'<span style="color:{color}">●</span> {body}</div>')
        font = QFont()
        font.setPointSize(size)
        self.caption.setFont(font)
        self.caption.setVisible(True)
        self._place_caption()

    def _place_caption(self, *_args) -> None:
        """Top centre; on a narrow map, in the top corner away from the legend (it covered the legend at 1024)."""
        from widgets.legend import MapLegend

        rect = self._vb.boundingRect()
        legend = next((c for c in self._view.findChildren(MapLegend)), None)
        room = (rect.width() - self.caption.boundingRect().width()) / 2
        if legend is None or not legend.item.isVisible() or legend.corner[0] == "outside" \
                or room >= legend.item.boundingRect().width() + 16:
            self.caption.setAnchor((0.5, 0.0))
            self.caption.setPos(rect.width() / 2, 8)
        elif legend.corner[0] == 0:
            self.caption.setAnchor((1.0, 0.0))
            self.caption.setPos(rect.width() - 8, 8)
        else:
            self.caption.setAnchor((0.0, 0.0))
            self.caption.setPos(8, 8)

    def _pixel(self) -> np.ndarray:
        size = self._vb.viewPixelSize()
        px = np.abs(np.array([size[0], size[1]], dtype=float))
        if not np.all(np.isfinite(px) & (px > 0)):
            proj = self._model.projection
            px = np.array([(proj.x_range[1] - proj.x_range[0]) / 600, (proj.y_range[1] - proj.y_range[0]) / 400])
        return px
