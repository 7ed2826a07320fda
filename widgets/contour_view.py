"""The contour map: f as a colour image with iso-lines, every racer's path, start and current position.

Bound to a :class:`explorer.model.Comparison`. The surface grid (``surface.value`` on 200 x 200 points), the
colour image and the iso-lines are rebuilt only when the surface, ranges or level mode change; a step change
only re-slices the cached paths and moves one scatter of markers, so playback stays cheap.

Paths and racers are clipped to the surface's box (the coloured image): where the aspect ratio leaves a
margin around it, nothing is drawn in the margin. A racer that has left the box is marked by an arrow on the
box's edge where its path left, pointing the way it went. The known minima of the lesson are white stars
(``model.view.show_minima``). Axes are named after the variables and show plain numbers (no "x0.001").

What the map shows comes from ``model.projection`` (:class:`explorer.projection.Projection`), so the view
does not know how many variables f has: for two, the surface itself; for three or more, f on a slice plane
(the paths drawn as their projections onto it); for one, the graph of f (drawn by
:class:`widgets.curve_view.CurveLayer`), with the racers as balls (x, f(x)) on it.

Mouse: a click places the selected run's start, Shift+click adds a run starting there, dragging a start
marker moves that start (the run is recomputed as it moves), a click on a start marker selects its run.
Pan/zoom with the usual pyqtgraph gestures (drag on empty space, wheel).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import contourpy
import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from explorer.events import Bindings
from explorer.levels import contour_levels, value_scale
from explorer.runs import RunSpec
from widgets.colors import OUTLINE, line_contrast, lookup_table, qcolor, rgba_bytes
from widgets.progressive_grid import ProgressiveGrid

GRID_SHAPE = (200, 200)        # (rows = y samples, columns = x samples)
MINIMUM_SIZE = 18
EXIT_SIZE = 26
AXIS_FONT_PT = 13
LABEL_FONT_PT = 15
PATH_WIDTH = 3.0
RACER_SIZE = 17
START_SIZE = 18
MAX_ASPECT_LOCK = 4.0          # keep x and y to the same scale unless the ranges differ more than this
THIN_PX = 1.0                  # a drawn path keeps a vertex per this many pixels walked along it
SETTLE_MS = 200                # a moving slice is drawn in full once it has not moved for this long


class _quiet:
    """Change a view box's range without it counting as the user's pan/zoom."""

    def __init__(self, vb) -> None:
        self.vb = vb

    def __enter__(self):
        return self.vb

    def __exit__(self, *exc) -> None:
        return None


def clip_polyline(points: np.ndarray, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """The parts of a path (n, 2) inside the box [lo, hi] (each (2,)): (polyline (m, 2) with nan rows where it
    leaves the box, upto (n,)) so that ``polyline[:upto[k]]`` is the path up to point k. Each segment is cut to
    the box (Liang & Barsky, "A new concept and method for line clipping", ACM TOG 3(1), 1984).

    Qt strokes a segment that runs far outside the view (a diverged racer, a path projected onto a small
    slice) with its whole length, which can take tens of milliseconds a frame; cut first, only what shows
    is drawn. A path that stays in the box comes back as it is."""
    p = np.asarray(points, dtype=float)
    n = len(p)
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    with np.errstate(invalid="ignore"):
        inside = np.all((p >= lo) & (p <= hi), axis=1)
    if inside.all() or n < 2:
        return p, np.arange(1, n + 1)
    a, d = p[:-1], p[1:] - p[:-1]
    t0, t1 = np.zeros(n - 1), np.ones(n - 1)
    ok = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(d), axis=1)
    with np.errstate(all="ignore"):
        for axis in range(2):
            for q_lo, sign in ((a[:, axis] - lo[axis], -1.0), (hi[axis] - a[:, axis], 1.0)):
                step = sign * d[:, axis]
                ratio = q_lo / step
                t0 = np.where(step < 0, np.maximum(t0, ratio), t0)
                t1 = np.where(step > 0, np.minimum(t1, ratio), t1)
                ok &= ~((step == 0) & (q_lo < 0))
    ok &= t0 <= t1
    start, end = a + t0[:, None] * d, a + t1[:, None] * d
    # a segment that carries on from the previous one (it starts where that one ended, inside) adds one point;
    # any other adds a break (nan), its start and its end
    carry = ok & (t0 == 0)
    carry[1:] &= ok[:-1] & (t1[:-1] == 1)
    carry[0] = False
    count = np.where(ok, np.where(carry, 1, 3), 0)
    out = np.full((int(count.sum()), 2), np.nan)
    first = np.cumsum(count) - count
    fresh = ok & ~carry
    out[first[fresh] + 1] = start[fresh]
    out[first[fresh] + 2] = end[fresh]
    out[first[carry]] = end[carry]
    upto = np.concatenate([[0], np.cumsum(count)])
    return out, upto


def thin_polyline(line: np.ndarray, pixel, tolerance: float = THIN_PX) -> tuple[np.ndarray, np.ndarray]:
    """Drop the vertices a person cannot see: (kept (m, 2), count (n + 1,)), ``count[j]`` = how many of
    ``line[:j]`` were kept. Along the path, measured in pixels (``pixel`` = data units per pixel in x and y), a
    vertex is kept each time the length walked reaches another multiple of ``tolerance``; breaks (nan rows)
    and the points beside them are always kept, so the drawn line departs from the full one by well under a
    pixel. An optimizer crawling along a valley makes thousands of sub-pixel steps, and Qt strokes each one of
    them (antialiased, 3 px wide, with an outline): 8 paths of 2,000 steps cost ~100 ms a frame, thinned
    ~15 ms."""
    n = len(line)
    px = np.abs(np.asarray(pixel, dtype=float))
    if n < 3 or not np.all(np.isfinite(px)) or np.any(px <= 0):
        return line, np.arange(n + 1)
    with np.errstate(invalid="ignore"):
        step = np.diff(line, axis=0) / px
        walked = np.hypot(step[:, 0], step[:, 1])
    walked = np.where(np.isfinite(walked), walked, tolerance)
    cell = np.floor(np.concatenate([[0.0], np.cumsum(walked)]) / tolerance)
    keep = np.empty(n, dtype=bool)
    keep[0] = True
    keep[1:] = cell[1:] != cell[:-1]
    gap = np.isnan(line[:, 0])
    keep |= gap
    keep[:-1] |= gap[1:]
    keep[1:] |= gap[:-1]
    keep[-1] = True
    return line[keep], np.concatenate([[0], np.cumsum(keep)])


def _nice_round(value: float, span: float) -> float:
    """Round a clicked coordinate to ~1/200 of the visible span (starts read -1.25, not -1.2487)."""
    step = 10.0 ** math.floor(math.log10(span / 200.0))
    return round(round(value / step) * step, 10)


class _StartMarkers(pg.ScatterPlotItem):
    """Hollow rings at the runs' starts; a ring can be dragged (moves the start) or clicked (selects it)."""

    def __init__(self, on_drag, on_click):
        super().__init__(pxMode=True, symbol="o", size=START_SIZE, hoverable=False)
        self._on_drag = on_drag
        self._on_click = on_click
        self._dragging: int | None = None

    def _run_at(self, pos) -> int | None:
        points = self.pointsAt(pos)
        return int(points[0].data()) if len(points) else None

    def mouseClickEvent(self, ev):
        run = self._run_at(ev.pos()) if ev.button() == QtCore.Qt.MouseButton.LeftButton else None
        if run is None or ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier:
            ev.ignore()
            return
        ev.accept()
        self._on_click(run)

    def mouseDragEvent(self, ev):
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            self._dragging = self._run_at(ev.buttonDownPos())
        if self._dragging is None:
            ev.ignore()
            return
        ev.accept()
        run = self._dragging
        if ev.isFinish():
            self._dragging = None
        self._on_drag(run, ev.pos().x(), ev.pos().y())


class _IsoLines(pg.GraphicsObject):
    """All iso-lines as one item, cached as a device pixmap: they only change with the surface or the zoom,
    so playback repaints a bitmap instead of re-stroking thousands of segments every frame."""

    def __init__(self):
        super().__init__()
        self._paths: list[tuple[QtGui.QPainterPath, QtGui.QPen]] = []
        self._rect = QtCore.QRectF()
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_lines(self, lines: list[tuple[np.ndarray, QtGui.QPen]], *, draft: bool = False) -> None:
        """lines: (points (n, 2) with nan rows separating pieces, pen) per level. ``draft``: lines that will be
        replaced at the next frame (a slice moving with playback) are stroked without antialiasing and not
        cached as a pixmap, which would only be thrown away."""
        self.draft = draft
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache if draft
                          else QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.prepareGeometryChange()
        self._paths = [(pg.arrayToQPath(pts[:, 0], pts[:, 1], connect="finite"), pen) for pts, pen in lines]
        rect = QtCore.QRectF()
        for path, _ in self._paths:
            rect = rect.united(path.boundingRect())
        self._rect = rect
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return self._rect

    def paint(self, painter, *_args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, not getattr(self, "draft", False))
        for path, pen in self._paths:
            painter.setPen(pen)
            painter.drawPath(path)


class ContourView(pg.PlotWidget):
    """A pyqtgraph plot of the model's surface and runs (see the module docstring)."""

    def __init__(self, model, parent=None):
        super().__init__(parent)
        self._model = model
        self._points: list[np.ndarray | None] = []   # per run: (k + 1, 2) finite-or-nan path, or None
        self._drawn_paths: list[tuple | None] = []   # per run: the part of it in view (clip_polyline)
        self._thinned: list[tuple | None] = []       # per run: that part without sub-pixel vertices
        self._paths: list[pg.PlotCurveItem] = []
        self.levels = np.empty(0)          # iso-line levels in f units (ascending)
        self.level_kind = "linear"         # "linear" | "log", the spacing in use
        self.grid_values: np.ndarray | None = None   # (h, w) f on the grid
        # a loss over many data rows: a coarse grid at once, the full one a moment later (issue 12)
        self._grid = ProgressiveGrid(self, "contour-grid", GRID_SHAPE)
        self._grid.ready.connect(self._on_full_grid)

        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        font = QtGui.QFont()
        font.setPointSize(AXIS_FONT_PT)
        for side in ("bottom", "left"):
            axis = plot.getAxis(side)
            axis.setStyle(tickFont=font, tickTextOffset=6)
            axis.setTextPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
            axis.enableAutoSIPrefix(False)     # "0.25", never "250 (x0.001)"
            # drawn once per range, font or colour change, not at every repaint of the map (replaying an
            # axis cost ~6 ms, twice per frame, under Xvfb; the loss plot's axes are cached the same way)
            axis.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setBackground(None)

        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setZValue(-10)
        plot.addItem(self._image)
        self._iso = _IsoLines()
        self._iso.setZValue(-5)
        plot.addItem(self._iso)

        # paths and racers live in a box the size of the surface: what leaves it is clipped, not drawn in the
        # margin the locked aspect ratio leaves around the image
        self._clip = QtWidgets.QGraphicsRectItem()
        self._clip.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self._clip.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        self._clip.setZValue(2)
        plot.addItem(self._clip)
        self._minima = pg.ScatterPlotItem(pxMode=True, symbol="star", size=MINIMUM_SIZE,
                                          brush=pg.mkBrush("w"), pen=pg.mkPen(OUTLINE, width=1.5))
        self._minima.setZValue(4)
        self._start_outline = pg.ScatterPlotItem(pxMode=True, symbol="o", size=START_SIZE,
                                                 brush=pg.mkBrush(None), pen=pg.mkPen(OUTLINE, width=5.5))
        self._start_outline.setZValue(5)
        self._starts = _StartMarkers(self._drag_start, self._model.select)
        self._starts.setZValue(6)
        self._racers = pg.ScatterPlotItem(pxMode=True, symbol="o", size=RACER_SIZE)
        self._racers.setZValue(10)
        self._racers.setParentItem(self._clip)
        self._exits: list[pg.ArrowItem] = []
        self.note = pg.TextItem(anchor=(0.5, 0.5), color=self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        self.note.setParentItem(plot.getViewBox())
        self.note.setVisible(False)
        for item in (self._minima, self._start_outline, self._starts):
            plot.addItem(item)

        self.scene().sigMouseClicked.connect(self._scene_clicked)
        plot.getViewBox().sigResized.connect(self.frame_box)
        plot.getViewBox().sigRangeChangedManually.connect(self._unframe)
        self._rethin_soon = QtCore.QTimer(self, singleShot=True, interval=0)     # once per zoom, pan or resize
        self._rethin_soon.timeout.connect(self._rethin)
        plot.getViewBox().sigRangeChanged.connect(self._rethin_soon.start)
        plot.getViewBox().sigResized.connect(self._rethin_soon.start)
        self._drawn: tuple | None = None   # (kind, ranges, labels) of the frame drawn last
        # a slice moving with playback is drawn as a draft (iso-lines from every other grid point, not
        # antialiased) and again in full once it has stood still for SETTLE_MS
        self.draft = False
        self._framed_at = -1.0
        self._settle = QtCore.QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        # what to draw (the surface, a slice of it, the curve of one variable) comes from the model's projection
        self._bindings = Bindings(((model.projection.changed, self._on_projection),
                                   (model.runs_changed, self._rebuild_runs),
                                   (model.run_changed, self._on_run_changed),
                                   (model.trajectories_changed, self._on_trajectories_changed),
                                   (model.step_changed, self._on_step),
                                   (model.selection_changed, self._on_selection),
                                   (model.view.changed, self._on_view_changed),
                                   (model.session.changed, self._on_view_changed)))
        self._on_surface_changed()
        self._rebuild_runs()
        self._draw_minima()

    # ------------------------------------------------------------------ lifetime
    def disconnect_model(self) -> None:
        """Stop listening to the model (call before dropping the view while the model lives on)."""
        self._bindings.disconnect()

    def closeEvent(self, event):
        self.disconnect_model()
        super().closeEvent(event)

    # ------------------------------------------------------------------ surface
    def _on_projection(self, frame: bool = True, paths: bool = True) -> None:
        """What the map shows moved (:class:`explorer.projection.Projection`): ``frame`` — the surface on the
        plane, its ranges or labels; ``paths`` — where the paths fall on it."""
        proj = self._model.projection
        key = (proj.kind, proj.x_range, proj.y_range, proj.labels)
        moved = key != self._drawn
        if frame:
            self._on_surface_changed(reframe=moved)
        if paths or moved:
            for i in range(len(self._points)):
                self._cache_points(i)
            self._update_starts()
            self._on_step()
        if frame or paths:
            self._draw_minima()

    def _on_surface_changed(self, reframe: bool = True) -> None:
        model = self._model
        proj = model.projection
        plot = self.getPlotItem()
        key = (proj.kind, proj.x_range, proj.y_range, proj.labels)
        if self._drawn is None or key[3] != self._drawn[3]:
            plot.setLabel("bottom", proj.labels[0], **{"font-size": f"{LABEL_FONT_PT}pt"})
            plot.setLabel("left", proj.labels[1], **{"font-size": f"{LABEL_FONT_PT}pt"})
        self._drawn = key
        self.note.setVisible(False)
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        self._clip.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        if proj.surface is None:      # no surface, or the curve of one variable (widgets.curve_view draws it)
            self._iso.set_lines([])
            self._image.clear()
            self.grid_values = None
        else:
            xs, ys, values = self._grid.sample(proj.surface, proj.x_range, proj.y_range)
            self.grid_values = values
            self._xs, self._ys = xs, ys
            # a draft: the same frame, moved (the anchor goes along with playback), or a slice framed anew at
            # playback rate (random directions are scaled to the anchor's norm: the box follows it)
            now = time.monotonic()
            streaming = proj.kind == "slice" and now - self._framed_at < SETTLE_MS / 1000
            self._framed_at = now
            self.draft = not reframe or streaming
            self._draft_paths(self.draft)
            self._draw_levels()
            self._image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))   # after setImage: scales by its size
            if self.draft:
                self._settle.start()
        if proj.kind is None or not reframe:
            return
        span_ratio = (x1 - x0) / (y1 - y0)
        plot.setAspectLocked(proj.kind != "curve" and 1.0 / MAX_ASPECT_LOCK <= span_ratio <= MAX_ASPECT_LOCK,
                             ratio=1.0)
        plot.getViewBox().setLimits(xMin=x0 - 10 * (x1 - x0), xMax=x1 + 10 * (x1 - x0),
                                    yMin=y0 - 10 * (y1 - y0), yMax=y1 + 10 * (y1 - y0))
        self._framed = True
        self.frame_box()

    def frame_box(self, *_args) -> None:
        """Show the surface's box whole. When the locked aspect ratio leaves room beside it, the box goes to the
        left and all the room to the right, where the legend can sit without covering a path. Stops once the
        user pans or zooms (until the next surface)."""
        proj = self._model.projection
        if not getattr(self, "_framed", False) or proj.kind is None:
            return
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        vb = self.getPlotItem().getViewBox()
        w, h = vb.width(), vb.height()
        locked = vb.state["aspectLocked"]
        if locked and w > 50 and h > 50 and (x1 - x0) / (y1 - y0) < w / h:
            span = (y1 - y0) * w / h             # the x span the height allows at 1:1
            with _quiet(vb):
                vb.setRange(xRange=(x0, x0 + span), yRange=(y0, y1), padding=0.0, update=True)
        else:
            with _quiet(vb):
                vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)

    def _on_full_grid(self, surface, ranges, grid) -> None:
        """The full grid of a costly surface arrived (:mod:`widgets.progressive_grid`): draw it if still current."""
        proj = self._model.projection
        if surface is not proj.surface or ranges != (proj.x_range, proj.y_range):
            return
        self._xs, self._ys, self.grid_values = grid
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        self._draw_levels()
        self._image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    def _settled(self) -> None:
        if self.draft and self.grid_values is not None:
            self.draft = False
            self._draft_paths(False)
            self._draw_levels()

    def _draft_paths(self, draft: bool) -> None:
        """Paths on a slice moving with playback are drawn as drafts too: segment by segment, not antialiased.
        Projected onto a moving plane a path can zigzag across the whole box; Qt's antialiased stroke of such a
        self-crossing outline took 10-190 ms a frame (hidden-valley-10d), as separate plain segments a few."""
        for item in self._paths:
            if item.opts["antialias"] == draft:
                item.opts["antialias"] = not draft
                item.setSegmentedLineMode("on" if draft else "auto")
                item.update()

    def _unframe(self, *_args) -> None:
        self._framed = False

    def _draw_levels(self) -> None:
        """Colour image and iso-lines for the current grid and level mode."""
        values = self.grid_values
        mode = self._model.view.contour_levels
        self.levels, self.level_kind = contour_levels(values, mode)
        # colours follow the level spacing; in "auto" a linear map may still clip a lone spike
        scale = value_scale(values, "log" if self.level_kind == "log" else mode)
        self.color_scale = scale
        self._image.setImage(scale.normalise(values), levels=(0.0, 1.0), lut=lookup_table())
        z = np.ma.masked_invalid(values)
        xs, ys = self._xs, self._ys
        if self.draft and min(z.shape) >= 80:
            xs, ys, z = xs[::2], ys[::2], z[::2, ::2]
        generator = contourpy.contour_generator(xs, ys, z, line_type=contourpy.LineType.ChunkCombinedNan)
        lines = []
        for level in self.levels:
            points = generator.lines(level)[0][0]   # ChunkCombinedNan: ([one (n, 2) array or None],)
            if points is None or len(points) == 0:
                continue
            rgba = rgba_bytes(scale.normalise(np.array([level])))[0]
            pen = pg.mkPen(line_contrast(rgba), width=1.2)
            pen.setCosmetic(True)
            lines.append((points, pen))
        self._iso.set_lines(lines, draft=self.draft)

    def _on_view_changed(self, key: str) -> None:
        if key == "contour_levels" and self.grid_values is not None:
            self._draw_levels()
        elif key == "presentation":
            for i in range(len(self._paths)):
                self._style_run(i)
            self._draw_minima()
        elif key == "show_minima":
            self._draw_minima()

    def path_width(self) -> float:
        """Paths are twice as thick in presentation mode (``session.presentation``), for the back row."""
        return PATH_WIDTH * (2.0 if self._model.session.presentation else 1.0)

    def _draw_minima(self) -> None:
        """The lesson's known minima as white stars (``view.show_minima``, on by default); on a slice only
        those that lie on it (another's projection would mark a point where f is not minimal)."""
        model = self._model
        proj = model.projection
        minima = np.array([m for m in model.minima if len(m) == model.ndim], dtype=float).reshape(-1, model.ndim)
        if proj.kind == "slice" and len(minima):
            diagonal = float(np.linalg.norm(np.ptp(np.asarray(model.ranges, dtype=float), axis=1)))
            minima = minima[proj.plane.off_plane(minima) <= 1e-6 * diagonal]
        if not (model.view.show_minima and len(minima) and proj.kind is not None):
            if len(self._minima.data):
                self._minima.setData([])
            return
        xy = proj.to_view(minima)
        size = MINIMUM_SIZE * (1.4 if model.session.presentation else 1.0)
        self._minima.setData(x=xy[:, 0], y=xy[:, 1], size=size)

    def minima_positions(self) -> np.ndarray:
        """(n, 2) data coordinates of the drawn known-minimum stars."""
        x, y = self._minima.getData()
        return np.column_stack([x, y]) if x is not None and len(x) else np.empty((0, 2))

    # ------------------------------------------------------------------ runs
    def _rebuild_runs(self) -> None:
        plot = self.getPlotItem()
        for item in self._paths:
            item.setParentItem(None)
            self.scene().removeItem(item)
        for arrow in self._exits:
            plot.removeItem(arrow)
        self._paths, self._exits = [], []
        for _ in self._model.runs:
            item = pg.PlotCurveItem(connect="finite")
            item.setZValue(2)
            item.setParentItem(self._clip)
            self._paths.append(item)
            arrow = pg.ArrowItem(pxMode=True, headLen=EXIT_SIZE, tailLen=0, headWidth=EXIT_SIZE * 0.8)
            arrow.setZValue(12)
            arrow.setVisible(False)
            plot.addItem(arrow)
            self._exits.append(arrow)
        self._points = [None] * len(self._model.runs)
        self._drawn_paths: list[tuple | None] = [None] * len(self._model.runs)   # (polyline, upto) per run
        self._thinned: list[tuple | None] = [None] * len(self._model.runs)       # (kept, count) per run
        self._last_inside: list[np.ndarray | None] = [None] * len(self._model.runs)
        for i in range(len(self._model.runs)):
            self._style_run(i)
            self._cache_points(i)
        self._update_starts()
        self._on_step()

    def _style_run(self, i: int) -> None:
        color = self._model.color_of(i)
        width = self.path_width()
        self._paths[i].setPen(pg.mkPen(qcolor(color), width=width))
        self._paths[i].setShadowPen(pg.mkPen(OUTLINE + (200,), width=width + 2.5))
        self._paths[i].setVisible(self._model.runs[i].visible)
        self._exits[i].setStyle(brush=pg.mkBrush(qcolor(color)), pen=pg.mkPen(OUTLINE, width=2.0))

    def _cache_points(self, i: int) -> None:
        proj = self._model.projection
        pts = proj.path(i)      # the path on the map: (x, y), a slice's plane coordinates, or (x, f(x))
        if pts is None:
            self._points[i] = self._drawn_paths[i] = None
            return
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        # a diverged run can end at 1e300 or inf: keep it finite and near the view so Qt can draw it
        box = 100.0 * max(x1 - x0, y1 - y0)
        pts = np.where(np.isfinite(pts), np.clip(pts, -box, box), np.nan)
        self._points[i] = pts
        margin = 0.5 * np.array([x1 - x0, y1 - y0])     # beyond the box (clipped there anyway): lines stay whole
        self._drawn_paths[i] = clip_polyline(pts, np.array([x0, y0]) - margin, np.array([x1, y1]) + margin)
        self._thin(i)
        # for each point, the index of the last point at or before it inside the surface's box (-1: none)
        with np.errstate(invalid="ignore"):
            inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
        self._last_inside[i] = np.maximum.accumulate(np.where(inside, np.arange(len(pts)), -1))

    def _thin(self, i: int) -> None:
        """Run i's drawn path without the vertices closer than a pixel (:func:`thin_polyline`), at this zoom."""
        drawn = self._drawn_paths[i]
        if drawn is None:
            self._thinned[i] = None
            return
        vb = self.getPlotItem().getViewBox()
        pixel = vb.viewPixelSize() if vb.width() > 1 and vb.height() > 1 else (np.nan, np.nan)
        self._thinned[i] = thin_polyline(drawn[0], pixel)

    def _rethin(self, *_args) -> None:
        """The zoom or the map's size changed: thin every path again for the new pixel size."""
        if self.getPlotItem() is None:       # closed meanwhile
            return
        for i in range(len(self._thinned)):
            self._thin(i)
        self._on_step()

    def _on_run_changed(self, i: int) -> None:
        if i >= len(self._paths):
            self._rebuild_runs()
            return
        self._style_run(i)
        self._update_starts()
        self._on_step()

    def _on_trajectories_changed(self, index) -> None:
        if len(self._paths) != len(self._model.runs):
            self._rebuild_runs()
            return
        for i in range(len(self._model.runs)) if index is None else (index,):
            self._cache_points(i)
        self._on_step()

    def _on_selection(self, _index=None) -> None:
        self._update_starts()

    def _update_starts(self) -> None:
        model = self._model
        proj = model.projection
        shown = [i for i, r in enumerate(model.runs) if r.visible and len(r.start) == model.ndim]
        xy = np.array([proj.start(i) for i in shown] if proj.kind is not None else [], dtype=float).reshape(-1, 2)
        shown = shown if proj.kind is not None else []
        sizes = [START_SIZE + (6 if i == model.selected else 0) for i in shown]
        pens = [pg.mkPen(qcolor(model.color_of(i)), width=3.0) for i in shown]
        self._starts.setData(x=xy[:, 0], y=xy[:, 1], data=shown, size=sizes, pen=pens,
                             brush=pg.mkBrush(255, 255, 255, 40))
        self._start_outline.setData(x=xy[:, 0], y=xy[:, 1], size=sizes)

    # ------------------------------------------------------------------ step
    def _on_step(self, _step=None) -> None:
        """Cut every visible path at the current step and move the racers (cheap: runs at playback rate)."""
        model = self._model
        step = model.step
        racer_xy, brushes = [], []
        for i, run in enumerate(model.runs):
            pts = self._points[i]
            if not run.visible:
                continue
            if pts is None:
                self._paths[i].setData([], [])
                continue
            k = min(step, len(pts) - 1)
            line, upto = self._drawn_paths[i]
            kept, count = self._thinned[i]
            m = upto[k]
            c = count[m]
            if c < m:           # the last vertex was thinned away: end exactly at the racer's point all the same
                self._paths[i].setData(np.append(kept[:c, 0], line[m - 1, 0]), np.append(kept[:c, 1], line[m - 1, 1]))
            else:
                self._paths[i].setData(kept[:c, 0], kept[:c, 1])
            if np.all(np.isfinite(pts[k])):
                racer_xy.append(pts[k])
                brushes.append(pg.mkBrush(qcolor(model.color_of(i))))
            self._mark_exit(i, k)
        for i, run in enumerate(model.runs):
            if not run.visible:
                self._exits[i].setVisible(False)
        xy = np.array(racer_xy, dtype=float).reshape(-1, 2)
        self._racers.setData(x=xy[:, 0], y=xy[:, 1], brush=brushes, pen=pg.mkPen(OUTLINE, width=2.0))

    def _mark_exit(self, i: int, k: int) -> None:
        """When run i is outside the box at point k: an arrow where its path last crossed the box's edge."""
        last = self._last_inside[i]
        arrow = self._exits[i]
        if last is None or last[k] == k or last[k] < 0:
            arrow.setVisible(False)
            return
        a, b = self._points[i][last[k]], self._points[i][last[k] + 1]
        (x0, x1), (y0, y1) = self._model.projection.x_range, self._model.projection.y_range
        d = b - a
        if not np.all(np.isfinite(d)):      # left for infinity: point the way the path was heading
            d = np.where(np.isfinite(b), b - a, np.sign(np.nan_to_num(b, posinf=1.0, neginf=-1.0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            ts = [t for t in ((np.array([x0, x1]) - a[0]) / d[0]).tolist() + ((np.array([y0, y1]) - a[1])
                                                                              / d[1]).tolist()
                  if np.isfinite(t) and t > 0]
        t = min(ts) if ts else 0.0
        edge = np.clip(a + min(t, 1.0) * d, [x0, y0], [x1, y1])
        # ArrowItem: angle 0 points left, and turns clockwise on screen (y down): point along the path
        arrow.setStyle(angle=float(np.degrees(np.arctan2(d[1], -d[0]))))
        arrow.setPos(float(edge[0]), float(edge[1]))
        arrow.setVisible(True)

    def exit_markers(self) -> dict[int, tuple[float, float]]:
        """Run index -> (x, y) of the arrow marking where its path left the box (runs outside it now)."""
        return {i: (a.pos().x(), a.pos().y()) for i, a in enumerate(self._exits) if a.isVisible()}

    def racer_positions(self) -> np.ndarray:
        """(n, 2) data coordinates of the drawn racer markers (visible runs with a finite position)."""
        x, y = self._racers.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    def start_positions(self) -> np.ndarray:
        """(n, 2) data coordinates of the drawn start markers (visible runs)."""
        x, y = self._starts.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    def path_of(self, i: int) -> np.ndarray:
        """(m, 2) vertices of run i's drawn path (empty when hidden or not computed)."""
        if not self._paths[i].isVisible():
            return np.empty((0, 2))
        x, y = self._paths[i].getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    # ------------------------------------------------------------------ mouse
    def _scene_clicked(self, ev) -> None:
        if ev.isAccepted() or ev.button() != QtCore.Qt.MouseButton.LeftButton or ev.double():
            return
        vb = self.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        point = vb.mapSceneToView(ev.scenePos())
        self.place_start(point.x(), point.y(),
                         add=bool(ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier))
        ev.accept()

    def place_start(self, x: float, y: float, *, add: bool = False) -> None:
        """Move the selected run's start to the point shown at (x, y), or with ``add`` start a new run there.

        The point has every variable (:meth:`explorer.projection.Projection.to_space`: on a slice, the plane's
        point; on the curve of one variable, just x), each rounded to about 1/200 of its range."""
        model = self._model
        if model.projection.kind is None:
            return
        point = model.projection.to_space((x, y))
        start = tuple(_nice_round(float(v), hi - lo) for v, (lo, hi) in zip(point, model.ranges, strict=True))
        if add:
            if 0 <= model.selected < len(model.runs):
                base = model.runs[model.selected]
                run = replace(base, start=start, color=None, visible=True,
                              label=f"{base.optimizer} {len(model.runs) + 1}")
            else:
                run = RunSpec(label=f"sgd {len(model.runs) + 1}", optimizer="sgd", start=start,
                              params={"lr": 1e-3})
            model.add_run(run)
        elif 0 <= model.selected < len(model.runs):
            model.set_run(model.selected, replace(model.runs[model.selected], start=start))

    def _drag_start(self, i: int, x: float, y: float) -> None:
        model = self._model
        if model.selected != i:
            model.select(i)
        self.place_start(x, y)
