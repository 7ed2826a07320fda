"""The calculus made visible: vectors, the gradient field, critical points and the local quadratic model.

:class:`ContourOverlays` draws on a :class:`~widgets.contour_view.ContourView`, :class:`SurfaceOverlays` on a
:class:`~widgets.surface_view.SurfaceView`. Both follow the model only: the *selected* run at the current
step, switched by ``model.view`` settings (see :data:`TOGGLES`); :func:`install_view_actions` puts a
checkable action per setting into a menu. They only draw: the critical points and the Hessian's
eigen-decomposition along the trajectory come from the model's analysis layer
(:class:`explorer.analysis.Analysis`), computed once per change off the GUI thread.

Vectors are drawn at a fixed on-screen length (a fraction of the plot) so a tiny gradient is as legible as a
huge one; the true magnitude is written beside the arrow head. The per-coordinate step scale of adaptive
methods (the factor each gradient coordinate is multiplied by, e.g. lr/(√v̂ + ε) for Adam) is an axis-aligned
ellipse with those half-axes, scaled by one factor for the whole run, so AdaGrad's shrinking circle, RMSProp's
and Adam's stretching ellipses differ at a glance.

Local geometry: the second-order Taylor model's level curves at the current point
(:func:`explorer.geometry.taylor_contours`), the Hessian's eigen-directions, its condition number, and for
plain gradient descent the stability bound lr < 2(1 + β)/λmax (Goh, "Why Momentum Really Works", 2017) with a
warning when the run's learning rate exceeds it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QFont

from explorer.analysis import NON_ADAPTIVE
from explorer.events import Bindings
from explorer.geometry import taylor_contours, taylor_levels
from explorer.summary import for_people
from explorer.view_settings import OVERLAYS as TOGGLES
from widgets.surface_view import LIFT

VECTOR_COLORS = {"gradient": "#ff4f4f", "update": "#ffffff", "velocity": "#ff77ff", "step_scale": "#3ef0ff"}
KIND_STYLE = {  # kind -> (scatter symbol, colour, glyph for the 3-D view)
    "minimum": ("t", "#2fd24a", "▼"),
    "maximum": ("t1", "#ff3030", "▲"),
    "saddle": ("x", "#ff9f1c", "✕"),
    "degenerate": ("d", "#a0a0a0", "◆"),
}
EIGEN_COLORS = ("#8fd3ff", "#ffe14d")    # λ1 (smaller), λ2 (larger)
ARROW_FRACTION = 0.14      # arrow length as a fraction of the plot's shorter side
HEAD_PX = 20.0             # arrow-head barb length in pixels
FIELD_N = 20               # quiver arrows per side
DARK = (10, 10, 10, 215)


def install_view_actions(menu, settings, toggles=TOGGLES) -> dict[str, QAction]:
    """Add one checkable action per ``(setting, text)`` to ``menu``; each writes the boolean field of
    ``settings`` (a :class:`~explorer.view_settings.ViewSettings` or ``Session``) and follows it.
    Returns setting -> QAction."""
    actions: dict[str, QAction] = {}
    for key, text in toggles:
        action = QAction(text, menu)
        action.setCheckable(True)
        action.setChecked(bool(getattr(settings, key)))
        action.toggled.connect(lambda on, key=key: settings.update({key: bool(on)}))
        menu.addAction(action)
        actions[key] = action

    def follow(key: str) -> None:
        if key in actions:
            actions[key].setChecked(bool(getattr(settings, key)))

    settings.changed.connect(follow)
    menu.destroyed.connect(lambda *_: settings.changed.disconnect(follow))
    return actions


def selected_state(model):
    """(trajectory, k) for the selected run at the current step, or (None, 0)."""
    i = model.selected
    if model.surface is None or not 0 <= i < len(model.runs) or i >= len(model.trajectories):
        return None, 0
    traj = model.trajectories[i]
    if traj is None or not model.runs[i].visible:
        return None, 0
    return traj, min(max(int(model.step), 0), traj.stop_step)


def step_vectors(traj, k: int) -> dict[str, np.ndarray]:
    """The vectors drawn at point ``k`` of ``traj``: name -> (d,) (the views draw them through the model's
    projection, :meth:`explorer.projection.Projection.vector`). Missing or non-finite ones are left out.

    gradient : −∇f(x_k).  update : x_{k+1} − x_k (none at the last point).
    velocity : −(momentum buffer) or −(first moment), i.e. pointing the way it pushes.
    step_scale : the per-coordinate multiplier of adaptive methods (positive).
    """
    out = {"gradient": -np.asarray(traj.grads[k], dtype=float)}
    if k < len(traj.updates):
        out["update"] = np.asarray(traj.updates[k], dtype=float)
    for name in ("velocity", "first_moment"):
        if name in traj.internals:
            out["velocity"] = -np.asarray(traj.internals[name][k], dtype=float)
            break
    if "step_scale" in traj.internals and traj.run.optimizer not in NON_ADAPTIVE:
        out["step_scale"] = np.abs(np.asarray(traj.internals["step_scale"][k], dtype=float))
    return {name: v for name, v in out.items() if np.all(np.isfinite(v))}


def critical_in_view(model) -> list[tuple]:
    """(critical point, its view coordinates (2,)) for each point of ``model.analysis.critical`` the map can
    show: all of them for two variables and on the curve; on a slice only those lying on it (another's
    projection would mark a point where f is not stationary)."""
    proj = model.projection
    points = model.analysis.critical
    if not points or proj.kind is None:
        return []
    xy = np.array([c.xy for c in points], dtype=float).reshape(len(points), -1)
    if xy.shape[1] != model.ndim:
        return []
    keep = np.ones(len(points), dtype=bool)
    if proj.kind == "slice":
        diagonal = float(np.linalg.norm(np.ptp(np.asarray(model.ranges, dtype=float), axis=1)))
        keep = proj.plane.off_plane(xy) <= 1e-6 * diagonal
    if proj.kind == "curve":
        view = np.column_stack([xy[:, 0], [c.value for c in points]])
    else:
        view = proj.to_view(xy)
    return [(c, view[j]) for j, c in enumerate(points) if keep[j]]


def _fmt(v: float) -> str:
    return for_people(v, 3)


def _pen(color, width: float, alpha: int = 255):
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return pg.mkPen(c, width=width)



def _bind_model(overlay, model) -> Bindings:
    """The model events both overlay layers follow (the same slots on the contour and the 3-D side)."""
    return Bindings(((model.projection.changed, overlay._on_projection),
                     (model.trajectories_changed, overlay._on_trajectories),
                     (model.step_changed, overlay._redraw_step),
                     (model.selection_changed, overlay._on_trajectories),
                     (model.run_changed, overlay._on_trajectories),
                     (model.view.changed, overlay._on_view_changed),
                     (model.session.changed, overlay._on_view_changed),
                     (model.analysis.critical_changed, overlay._on_critical),
                     (model.analysis.geometry_changed, overlay._on_geometry)))

class _Arrow:
    """An arrow (shaft and head as line pairs) with a dark shadow and a magnitude label at its tip."""

    def __init__(self, plot, color: str, z: float = 20.0) -> None:
        self.curve = pg.PlotCurveItem(connect="pairs")
        self.curve.setZValue(z)
        self.label = pg.TextItem(color=color, fill=pg.mkBrush(0, 0, 0, 165))
        self.label.setZValue(z + 1)
        font = QFont()
        font.setPointSize(12)
        font.setBold(True)
        self.label.setFont(font)
        self.color = color
        plot.addItem(self.curve)
        plot.addItem(self.label)
        self.start = np.full(2, np.nan)

    def style(self, width: float) -> None:
        self.curve.setPen(_pen(self.color, width))
        self.curve.setShadowPen(pg.mkPen(DARK, width=width + 3.0))

    def set(self, start, segments: np.ndarray | None, text: str, label_at=None, view=None, pixel=None) -> None:
        """view : ((x0, x1), (y0, y1)) visible; a label that would run off it is put on the other side."""
        if segments is None:
            self.hide()
            return
        self.start = np.asarray(start, dtype=float)
        self.curve.setData(segments[:, 0], segments[:, 1])
        tip, back = segments[1], segments[0]
        self.label.setText(text)
        at = tip if label_at is None else label_at
        right, up = tip[0] >= back[0], tip[1] >= back[1]
        if view is not None and pixel is not None:
            rect = self.label.boundingRect()
            (vx0, vx1), (vy0, vy1) = view
            if right and at[0] + rect.width() * pixel[0] > vx1:
                right = False
            elif not right and at[0] - rect.width() * pixel[0] < vx0:
                right = True
            if up and at[1] + rect.height() * pixel[1] > vy1:
                up = False
            elif not up and at[1] - rect.height() * pixel[1] < vy0:
                up = True
        self.label.setAnchor((0.0 if right else 1.0, 1.0 if up else 0.0))
        self.label.setPos(float(at[0]), float(at[1]))
        self.curve.setVisible(True)
        self.label.setVisible(True)

    def hide(self) -> None:
        self.start = np.full(2, np.nan)
        self.curve.setVisible(False)
        self.label.setVisible(False)

    @property
    def visible(self) -> bool:
        return self.curve.isVisible()


def arrow_segments(start, vector, pixel, length_px: float, head_px: float = HEAD_PX) -> np.ndarray | None:
    """Line pairs (6, 2) in data units for an arrow from ``start`` along ``vector`` (2,), ``length_px`` long
    on screen; ``pixel`` (2,) is the data size of one screen pixel per axis. None for a zero vector."""
    v_px = np.asarray(vector, dtype=float) / pixel
    n = float(np.hypot(*v_px))
    if not (np.isfinite(n) and n > 0):
        return None
    u = v_px / n
    tip = u * length_px
    c, s = np.cos(np.radians(25.0)), np.sin(np.radians(25.0))
    back = -u * min(head_px, 0.45 * length_px)
    left = np.array([c * back[0] - s * back[1], s * back[0] + c * back[1]])
    right = np.array([c * back[0] + s * back[1], -s * back[0] + c * back[1]])
    px = np.array([[0, 0], tip, tip, tip + left, tip, tip + right])
    return np.asarray(start, dtype=float) + px * pixel


class ContourOverlays(QObject):
    """All of the module's 2-D overlays on one contour view (see the module docstring)."""

    def __init__(self, model, contour_view, parent: QObject | None = None) -> None:
        super().__init__(parent or contour_view)
        self._model = model
        self._view = contour_view
        self._plot = contour_view.getPlotItem()
        self._vb = self._plot.getViewBox()
        plot = self._plot
        self.arrows = {name: _Arrow(plot, color) for name, color in VECTOR_COLORS.items() if name != "step_scale"}
        self.step_scale = pg.PlotCurveItem()
        self.step_scale.setZValue(18)
        self.step_scale_label = pg.TextItem(color=VECTOR_COLORS["step_scale"], fill=pg.mkBrush(0, 0, 0, 165),
                                            anchor=(0.5, 0.0))
        self.step_scale_label.setZValue(21)
        label_font = QFont()
        label_font.setPointSize(12)
        label_font.setBold(True)
        self.step_scale_label.setFont(label_font)
        self.field = pg.PlotCurveItem(connect="pairs")
        self.field.setZValue(-4)
        self.critical_markers = pg.ScatterPlotItem(pxMode=True, size=18)
        self.critical_markers.setZValue(25)
        self.taylor = pg.PlotCurveItem(connect="finite")
        self.taylor.setZValue(15)
        self.eigen = [pg.PlotCurveItem(connect="pairs") for _ in range(2)]
        for item in self.eigen:
            item.setZValue(16)
        for item in (self.step_scale, self.step_scale_label, self.field, self.critical_markers, self.taylor,
                     *self.eigen):
            plot.addItem(item)
        self.critical_legend = pg.LegendItem(offset=(-10, 10), labelTextSize="13pt", labelTextColor="w",
                                             brush=pg.mkBrush(0, 0, 0, 165), pen=pg.mkPen(255, 255, 255, 90))
        self.critical_legend.setParentItem(self._vb)
        self.info = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 175), border=pg.mkPen(255, 255, 255, 90))
        self.info.setParentItem(self._vb)    # in view-box pixels: stays in the corner while panning
        self.info.setPos(10, 10)
        self.info.setZValue(40)

        self.stability_warning = False         # True while the lr-above-2/λmax warning is shown
        self.info_text = ""
        self._field_cache = None               # (points (m, 2), −∇f (m, 2)) on the quiver grid
        self._apply_style()

        self._bindings = _bind_model(self, model)
        self._vb.sigRangeChanged.connect(self._redraw_all)
        self._vb.sigResized.connect(self._redraw_all)
        self._on_surface_changed()

    # ------------------------------------------------------------------ lifetime
    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    @property
    def critical(self) -> list | None:
        """The critical points drawn (None while the analysis has none, or they are switched off)."""
        return self._model.analysis.critical if self._on("show_critical") else None

    # ------------------------------------------------------------------ helpers
    def _on(self, key: str) -> bool:
        return bool(getattr(self._model.view, key))

    def _big(self) -> bool:
        return self._model.session.presentation

    def _width(self, base: float) -> float:
        return base * (1.8 if self._big() else 1.0)

    def _pixel(self) -> np.ndarray:
        """Data size of one screen pixel (x, y); a sensible fallback before the widget has a size."""
        size = self._vb.viewPixelSize()
        px = np.abs(np.array([size[0], size[1]], dtype=float))
        if not np.all(np.isfinite(px) & (px > 0)):
            (x0, x1), (y0, y1) = self._model.projection.x_range, self._model.projection.y_range
            px = np.array([(x1 - x0) / 600.0, (y1 - y0) / 600.0])
        return px

    def _arrow_px(self) -> float:
        rect = self._vb.boundingRect()
        side = min(rect.width(), rect.height())
        return ARROW_FRACTION * (side if side > 50 else 500.0) * (1.25 if self._big() else 1.0)

    def _apply_style(self) -> None:
        for arrow in self.arrows.values():
            arrow.style(self._width(3.5))
        self.step_scale.setPen(_pen(VECTOR_COLORS["step_scale"], self._width(3.0)))
        self.step_scale.setShadowPen(pg.mkPen(DARK, width=self._width(3.0) + 3))
        self.field.setPen(_pen("#ffffff", self._width(1.3), 120))
        self.taylor.setPen(pg.mkPen((255, 255, 255, 235), width=self._width(2.2), style=pg.QtCore.Qt.PenStyle.DashLine))
        self.taylor.setShadowPen(pg.mkPen((0, 0, 0, 150), width=self._width(2.2) + 2.5))
        for item, color in zip(self.eigen, EIGEN_COLORS):
            item.setPen(_pen(color, self._width(3.0)))
            item.setShadowPen(pg.mkPen(DARK, width=self._width(3.0) + 3))
        self.critical_markers.setSize(24 if self._big() else 18)

    # ------------------------------------------------------------------ model events
    def _on_surface_changed(self) -> None:
        self._field_cache = None
        self._on_trajectories()

    def _on_projection(self, frame: bool = True, _paths: bool = True) -> None:
        """What the map shows moved (a new surface, or a slice that follows playback)."""
        if frame:
            self._field_cache = None
        self._redraw_all()

    def _on_trajectories(self, *_args) -> None:
        self._redraw_all()

    def _on_critical(self) -> None:
        self._draw_critical()

    def _on_geometry(self, index=None) -> None:
        if index is None or index == self._model.selected:
            self._redraw_step()

    def _on_view_changed(self, key: str) -> None:
        if key == "show_critical":
            self._draw_critical()
        elif key == "show_field":
            self._draw_field()
        elif key == "presentation":
            self._apply_style()
            self._redraw_all()
        elif key in dict(TOGGLES):
            self._redraw_step()

    def _redraw_all(self, *_args) -> None:
        self._draw_field()
        self._draw_critical()
        self._redraw_step()

    # ------------------------------------------------------------------ critical points
    def _draw_critical(self) -> None:
        found = self.critical
        shown = found is not None
        self.critical_markers.setVisible(shown)
        self.critical_legend.setVisible(shown)
        if not shown:
            if len(self.critical_markers.data):
                self.critical_markers.setData([])
            self.critical_legend.clear()
            return
        placed = critical_in_view(self._model)
        key = [(c.kind, float(uv[0]), float(uv[1])) for c, uv in placed]
        if key == getattr(self, "_critical_key", None) and len(found) == getattr(self, "_critical_found", -1):
            return                                  # unchanged (a slice moving along a plane that holds them)
        self._critical_key, self._critical_found = key, len(found)
        pts = [c for c, _uv in placed]
        spots = [{"pos": (float(uv[0]), float(uv[1])), "symbol": KIND_STYLE[c.kind][0],
                  "brush": pg.mkBrush(KIND_STYLE[c.kind][1]), "pen": pg.mkPen(DARK, width=2.0),
                  "data": c.kind} for c, uv in placed]
        self.critical_markers.setData(spots)
        self.critical_legend.clear()
        for kind, (symbol, color, _glyph) in KIND_STYLE.items():
            count = sum(c.kind == kind for c in pts)
            if count:
                sample = pg.ScatterPlotItem(symbol=symbol, size=16, brush=pg.mkBrush(color),
                                            pen=pg.mkPen(DARK, width=1.5))
                self.critical_legend.addItem(sample, f"{kind} ({count})")
        if not pts:
            text = ("no critical point on this slice (see the list)" if found and self._model.projection.kind ==
                    "slice" else "no critical points in view")
            self.critical_legend.addItem(pg.ScatterPlotItem(symbol="o", size=1), text)

    # ------------------------------------------------------------------ gradient field
    def _draw_field(self) -> None:
        m = self._model
        proj = m.projection
        if not self._on("show_field") or proj.surface is None:
            self.field.setVisible(False)
            return
        if self._field_cache is None:
            (x0, x1), (y0, y1) = proj.x_range, proj.y_range
            xs = x0 + (np.arange(FIELD_N) + 0.5) * (x1 - x0) / FIELD_N
            ys = y0 + (np.arange(FIELD_N) + 0.5) * (y1 - y0) / FIELD_N
            pts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
            with np.errstate(all="ignore"):
                g = -np.asarray(proj.surface.gradient(pts), dtype=float)
            self._field_cache = (pts, g)
        pts, g = self._field_cache
        pixel = self._pixel()
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        cell_px = min((x1 - x0) / FIELD_N / pixel[0], (y1 - y0) / FIELD_N / pixel[1])
        length = 0.75 * cell_px
        with np.errstate(all="ignore"):
            v = g / pixel
            n = np.hypot(v[:, 0], v[:, 1])
            u = v / n[:, None]
        ok = np.isfinite(n) & (n > 0)
        u, base = u[ok], pts[ok] - 0.5 * length * u[ok] * pixel    # centre each arrow on its grid point
        tip = u * length
        head = 0.35 * length
        c, s = np.cos(np.radians(28.0)), np.sin(np.radians(28.0))
        back = -u * head
        left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], -1)
        right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], -1)
        zero = np.zeros_like(tip)
        seg = np.stack([zero, tip, tip, tip + left, tip, tip + right], axis=1)   # (m, 6, 2) pixels
        xy = (base[:, None, :] + seg * pixel).reshape(-1, 2)
        self.field.setData(xy[:, 0], xy[:, 1])
        self.field.setVisible(True)

    # ------------------------------------------------------------------ step-dependent overlays
    def _redraw_step(self, *_args) -> None:
        m = self._model
        proj = m.projection
        traj, k = selected_state(m)
        pixel = self._pixel()
        length = self._arrow_px()
        vectors = step_vectors(traj, k) if traj is not None else {}
        path = proj.path(m.selected) if traj is not None else None
        p = np.asarray(path[k], dtype=float) if path is not None and k < len(path) else None
        if p is None or not np.all(np.isfinite(p)):
            vectors, p = {}, None
        # magnitudes are the vectors' own (all variables); directions are what the view shows of them
        norms = {name: float(np.linalg.norm(v)) for name, v in vectors.items()}
        scale = vectors.get("step_scale")
        vectors = {name: proj.vector(v) for name, v in vectors.items() if name != "step_scale"}
        if scale is not None and proj.coordinates(scale) is not None:
            vectors["step_scale"] = proj.coordinates(scale)
        labels = {"gradient": "−∇f  ‖∇f‖ = {}", "update": "update  ‖Δx‖ = {}", "velocity": "−v  ‖v‖ = {}"}
        if traj is not None and "first_moment" in traj.internals and "velocity" not in traj.internals:
            labels["velocity"] = "−m  ‖m‖ = {}"
        placed: list[np.ndarray] = []     # label positions in pixels, to keep labels from covering each other
        for name, arrow in self.arrows.items():
            key = f"show_{name}"
            segments = arrow_segments(p, vectors[name], pixel, length) if name in vectors else None
            if not (self._on(key) and segments is not None):
                arrow.hide()
                continue
            at = segments[1] / pixel
            down = 1.0 if segments[1][1] >= segments[0][1] else -1.0    # labels stack away from the arrow
            while any(abs(at[0] - q[0]) < 150 and abs(at[1] - q[1]) < 26 for q in placed):
                at = at + np.array([0.0, down * 26.0])
            placed.append(at)
            text = labels[name].format(_fmt(norms[name]))
            arrow.set(p, segments, text, label_at=at * pixel, view=self._vb.viewRange(), pixel=pixel)
        self._draw_step_scale(traj, k, p, vectors, pixel, length)
        self._draw_taylor(traj, k, p, pixel, length)

    def _draw_step_scale(self, traj, k, p, vectors, pixel, length) -> None:
        if not (self._on("show_step_scale") and "step_scale" in vectors):
            self.step_scale.setVisible(False)
            self.step_scale_label.setVisible(False)
            return
        scale = vectors["step_scale"]
        if not scale.max() > 0:
            self.step_scale.setVisible(False)
            self.step_scale_label.setVisible(False)
            return
        radii_px = scale / scale.max() * 0.8 * length   # the shape shows the ratio; the label the values
        t = np.linspace(0.0, 2 * np.pi, 97)
        ring = p + np.stack([radii_px[0] * np.cos(t), radii_px[1] * np.sin(t)], -1) * pixel
        self.step_scale.setData(ring[:, 0], ring[:, 1])
        names = self._model.projection.labels
        self.step_scale_label.setText(f"step scale  {names[0]} {_fmt(scale[0])}  {names[1]} {_fmt(scale[1])}")
        self.step_scale_label.setPos(float(p[0]), float(p[1] - max(radii_px[1], 8.0) * pixel[1]))
        self.step_scale.setVisible(True)
        self.step_scale_label.setVisible(True)

    def _draw_taylor(self, traj, k, p, pixel, length) -> None:
        m = self._model
        geo = m.analysis.geometry(m.selected) if traj is not None else None
        show = self._on("show_taylor") and p is not None and m.surface is not None and geo is not None
        self.stability_warning = False
        if not show:
            for item in (self.taylor, *self.eigen, self.info):
                item.setVisible(False)
            self.info_text = ""
            return
        proj = m.projection
        lam = geo.eigenvalues[k]
        plane = proj.surface      # f on the view's plane (None for the curve of one variable)
        if proj.kind == "plane":
            vec = geo.eigenvectors[k]
        elif plane is not None:   # a slice: the model and the curvature directions of f restricted to it
            with np.errstate(all="ignore"):
                h = np.asarray(plane.hessian(p), dtype=float).reshape(2, 2)
            vec = np.linalg.eigh(0.5 * (h + h.T))[1] if np.all(np.isfinite(h)) else None
        else:
            vec = None
        radius = 0.12 * min(proj.x_range[1] - proj.x_range[0], proj.y_range[1] - proj.y_range[0])
        curves = taylor_contours(plane, p, taylor_levels(plane, p, radius, n=3), radius=radius) \
            if plane is not None and np.all(np.isfinite(lam)) else []
        if curves:
            joined = np.concatenate([np.vstack([c, [[np.nan, np.nan]]]) for c in curves])
            self.taylor.setData(joined[:, 0], joined[:, 1])
            self.taylor.setVisible(True)
        else:
            self.taylor.setVisible(False)
        for i, item in enumerate(self.eigen):
            if vec is None:
                item.setVisible(False)
                continue
            a = arrow_segments(p, vec[:, i], pixel, 0.9 * length, head_px=0.0)
            b = arrow_segments(p, -vec[:, i], pixel, 0.9 * length, head_px=0.0)
            if a is None or b is None:
                item.setVisible(False)
                continue
            item.setData(np.array([b[1, 0], a[1, 0]]), np.array([b[1, 1], a[1, 1]]))
            item.setVisible(True)
        if lam.size == 1:
            lines = [f"curvature f″ = {_fmt(lam[0])}"]
        elif lam.size == 2:
            lines = [f'<span style="color:{EIGEN_COLORS[0]}">λ₁ = {_fmt(lam[0])}</span> &nbsp; '
                     f'<span style="color:{EIGEN_COLORS[1]}">λ₂ = {_fmt(lam[1])}</span>']
        else:
            lines = [f"Hessian (all {lam.size} variables): λmin = {_fmt(lam[0])}, λmax = {_fmt(lam[-1])}"]
            if vec is not None:
                on = np.linalg.eigvalsh(0.5 * (h + h.T))
                lines.append(f'on the slice: <span style="color:{EIGEN_COLORS[0]}">λ₁ = {_fmt(on[0])}</span> '
                             f'&nbsp; <span style="color:{EIGEN_COLORS[1]}">λ₂ = {_fmt(on[1])}</span>')
        if lam.size > 1:
            lines.append(f"condition number κ = {_fmt(geo.condition[k])}")
        if geo.bound is not None:
            lr, bound = float(geo.lrs[k]), float(geo.bound[k])
            limit = "2/f″" if lam.size == 1 else "2/λmax"
            if geo.unstable(k):
                self.stability_warning = True
                lines.append(f'<b style="color:#ff5050">⚠ lr = {_fmt(lr)} &gt; {limit} = {_fmt(bound)}: '
                             "gradient descent is unstable here</b>")
            else:
                lines.append(f'<span style="color:#7dff8a">lr = {_fmt(lr)} &lt; {limit} = {_fmt(bound)}: '
                             "stable</span>")
        size = 17 if self._big() else 13
        self.info_text = "\n".join(lines)
        self.info.setHtml(f'<div style="color:white; font-size:{size}pt">' + "<br>".join(lines) + "</div>")
        self.info.setVisible(True)


class SurfaceOverlays(QObject):
    """The 3-D counterparts: vectors on the tangent plane, the tangent plane itself, critical points."""

    def __init__(self, model, surface_view, parent: QObject | None = None) -> None:
        super().__init__(parent or surface_view)
        self._model = model
        self._view = surface_view
        self.vectors = {name: gl.GLLinePlotItem(mode="lines", width=4.0, antialias=True,
                                                color=pg.mkColor(color).getRgbF())
                        for name, color in VECTOR_COLORS.items()}
        self.plane = gl.GLSurfacePlotItem(color=(1.0, 1.0, 1.0, 0.35), glOptions="translucent")
        self.plane_edge = gl.GLLinePlotItem(mode="line_strip", width=2.0, antialias=True,
                                            color=(1.0, 1.0, 1.0, 0.9))
        self.critical_dots = gl.GLScatterPlotItem(pxMode=True, size=14.0)
        self.critical_dots.setGLOptions("translucent")
        self._glyphs: list[gl.GLTextItem] = []
        for item in (*self.vectors.values(), self.plane, self.plane_edge, self.critical_dots):
            item.setVisible(False)
            surface_view.addItem(item)
        self._bindings = _bind_model(self, model)
        self._on_surface_changed()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    @property
    def critical(self) -> list | None:
        return self._model.analysis.critical if self._on("show_critical") else None

    # ------------------------------------------------------------------ scene mapping (the view's own)
    def scene_xy(self, xy) -> np.ndarray:
        return self._view.mapping.xy(xy)

    def scene_z(self, values) -> np.ndarray:
        return self._view.mapping.z(values)

    def _units(self) -> float:
        return self._view.mapping.units

    def _on(self, key: str) -> bool:
        return bool(getattr(self._model.view, key))

    def _big(self) -> bool:
        return self._model.session.presentation

    # ------------------------------------------------------------------ events
    def _on_surface_changed(self) -> None:
        self._draw_critical()
        self._on_trajectories()

    def _on_projection(self, _frame: bool = True, _paths: bool = True) -> None:
        """The 3-D view shows another surface or slice (or its height scale moved with it)."""
        self._on_surface_changed()

    def _on_trajectories(self, *_args) -> None:
        self._redraw_step()

    def _on_critical(self) -> None:
        self._draw_critical()

    def _on_geometry(self, _index=None) -> None:
        pass   # the 3-D side draws the tangent plane, which needs no eigen-decomposition

    def _on_view_changed(self, key: str) -> None:
        if key == "show_critical":
            self._draw_critical()
        elif key in ("surface_scale", "contour_levels"):
            self._draw_critical()
            self._redraw_step()
        elif key in dict(TOGGLES) or key == "presentation":
            self._redraw_step()

    def _draw_critical(self) -> None:
        placed = critical_in_view(self._model) if self.critical and self._view.mapping is not None else []
        key = [(c.kind, float(uv[0]), float(uv[1])) for c, uv in placed]
        mapping = self._view.mapping
        scale = mapping.height_scale if mapping is not None else None
        if (key, scale) == getattr(self, "_critical_key", None):
            return                      # nothing moved (a slice moving along a plane that holds them)
        self._critical_key = (key, scale)
        for glyph in self._glyphs:
            self._view.removeItem(glyph)
        self._glyphs = []
        shown = bool(placed)
        self.critical_dots.setVisible(shown)
        if not shown:
            return
        points = [c for c, _uv in placed]
        xy = np.array([uv for _c, uv in placed], dtype=float)
        z = self.scene_z(np.array([c.value for c in points])) + 3 * LIFT
        pos = np.column_stack([self.scene_xy(xy), z])
        colors = np.array([pg.mkColor(KIND_STYLE[c.kind][1]).getRgbF() for c in points])
        self.critical_dots.setData(pos=pos, color=colors, size=16.0 if self._big() else 12.0)
        font = QFont("DejaVu Sans", 22 if self._big() else 16)
        font.setBold(True)
        for c, p in zip(points, pos):
            glyph = gl.GLTextItem(pos=(float(p[0]), float(p[1]), float(p[2]) + 0.35), text=KIND_STYLE[c.kind][2],
                                  color=pg.mkColor(KIND_STYLE[c.kind][1]), font=font)
            self._view.addItem(glyph)
            self._glyphs.append(glyph)

    # ------------------------------------------------------------------ step-dependent items
    def _redraw_step(self, *_args) -> None:
        m = self._model
        proj = m.projection
        traj, k = selected_state(m)
        ready = traj is not None and self._view.mapping is not None
        point = np.asarray(traj.points[k], dtype=float) if ready else None
        ok = point is not None and point.size == m.ndim and np.all(np.isfinite(point))
        p = proj.to_view(point) if ok else None
        vectors = step_vectors(traj, k) if p is not None else {}
        scale = vectors.pop("step_scale", None)
        vectors = {name: proj.vector(v) for name, v in vectors.items()}   # what the plane shows of them
        if scale is not None and proj.coordinates(scale) is not None:
            vectors["step_scale"] = proj.coordinates(scale)
        f0 = float(traj.loss[k]) if p is not None else np.nan
        # ∇ restricted to the plane (its directional derivatives there): the tangent plane of the slice
        grad = proj.vector(np.asarray(traj.grads[k], dtype=float)) if p is not None else None
        width = 6.0 if self._big() else 4.0
        length = 2.0 * (1.2 if self._big() else 1.0)    # scene units
        for name, item in self.vectors.items():
            if not (self._on(f"show_{name}") and name in vectors and np.isfinite(f0)):
                item.setVisible(False)
                continue
            if name == "step_scale":
                pos = self._ellipse(p, f0, vectors[name], traj, 0.8 * length)
            else:
                pos = self._arrow(p, f0, grad, vectors[name], length)
            if pos is None:
                item.setVisible(False)
                continue
            item.setData(pos=pos.astype(np.float32), width=width)
            item.setVisible(True)
        self._draw_plane(p, f0, grad)

    def _lift(self, p, f0, grad, d_data) -> np.ndarray:
        """Scene points over p + d_data (m, 2) on the tangent plane, raised a little off the surface."""
        with np.errstate(all="ignore"):
            f = f0 + d_data @ grad
        return np.column_stack([self.scene_xy(p + d_data), self.scene_z(f) + 2 * LIFT])

    def _arrow(self, p, f0, grad, v, length) -> np.ndarray | None:
        n = float(np.hypot(*v))
        if not (np.isfinite(n) and n > 0):
            return None
        u = v / n
        d = u * length * self._units()
        shaft = self._lift(p, f0, grad, np.array([[0.0, 0.0], d]))
        tip, base = shaft[1], shaft[0]
        direction = tip - base
        direction /= np.linalg.norm(direction)
        side = np.array([-direction[1], direction[0], 0.0])
        side /= max(np.linalg.norm(side), 1e-12)
        barb = 0.3 * length
        left = tip - barb * direction + 0.45 * barb * side
        right = tip - barb * direction - 0.45 * barb * side
        return np.array([base, tip, tip, left, tip, right])

    def _ellipse(self, p, f0, scale, traj, radius) -> np.ndarray | None:
        if not scale.max() > 0:
            return None
        r = scale / scale.max() * radius * self._units()
        t = np.linspace(0.0, 2 * np.pi, 65)
        ring = np.stack([r[0] * np.cos(t), r[1] * np.sin(t)], -1)
        pts = np.column_stack([self.scene_xy(p + ring), np.full(len(t), float(self.scene_z(f0)) + 2 * LIFT)])
        return np.repeat(pts, 2, axis=0)[1:-1]      # as line pairs

    def _draw_plane(self, p, f0, grad) -> None:
        if not (self._on("show_taylor") and p is not None and np.isfinite(f0) and np.all(np.isfinite(grad))):
            self.plane.setVisible(False)
            self.plane_edge.setVisible(False)
            return
        half = 1.6 * self._units()
        s = np.linspace(-half, half, 9)
        dx, dy = np.meshgrid(s, s, indexing="ij")
        with np.errstate(all="ignore"):
            f = f0 + grad[0] * dx + grad[1] * dy
        x = self.scene_xy(np.column_stack([p[0] + s, np.full(9, p[1])]))[:, 0]
        y = self.scene_xy(np.column_stack([np.full(9, p[0]), p[1] + s]))[:, 1]
        z = (self.scene_z(f) + LIFT).astype(np.float32)
        self.plane.setData(x=x, y=y, z=z)
        edge = np.array([[0, 0], [8, 0], [8, 8], [0, 8], [0, 0]])
        self.plane_edge.setData(pos=np.column_stack([x[edge[:, 0]], y[edge[:, 1]], z[edge[:, 0], edge[:, 1]]]))
        self.plane.setVisible(True)
        self.plane_edge.setVisible(True)
