"""The 3-D view: f as a shaded surface, each racer's path draped on it and a ball at its current point.

Bound to a :class:`explorer.model.Comparison`. The scene lives in a fixed box (the longer of the x/y ranges
spans :data:`BOX` units, heights span :data:`HEIGHT`), so any surface fits the same camera. Heights go through
:class:`explorer.levels.ValueScale` chosen by ``model.view.surface_scale`` ("auto", "linear", "log",
"clip"), and the *same* scale lifts the paths, so they lie on the surface even when a steep wall is tamed
by log or clip. Colours use the contour view's colour scale, so a point has the same colour in both views.
The background follows the theme (the window palette), and a legend of the runs sits in the top-left corner.

:class:`SceneMapping` is the one place that turns data coordinates into scene coordinates; overlays drawing
in the 3-D view ask the view for it (``view.mapping``) instead of copying its arithmetic.

Paths are draped: each straight step (as drawn on the contour map) is subdivided and every sub-point put
on the surface, then lifted slightly. That happens when a trajectory changes; a step change only slices the
cached vertex arrays and moves the balls.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
from pyqtgraph.opengl import shaders
from pyqtgraph.Qt import QtCore, QtGui

from explorer.events import Bindings
from explorer.levels import contour_levels, value_scale
from widgets.colors import gl_color, rgba_floats
from widgets.gl_canvas import GLCanvas
from widgets.progressive_grid import ProgressiveGrid, costly

GRID_SHAPE = (121, 121)
BOX = 10.0          # scene units spanned by the longer of the x and y ranges
HEIGHT = 4.5        # scene units from the lowest to the highest shown value
LIFT = 0.04         # paths float this far above the surface (scene units)
BALL_RADIUS = 0.2
PATH_WIDTH = 3.0
MAX_PATH_VERTICES = 6000   # per run; longer runs are draped with fewer sub-points per step
MESH_MS = 100              # a slice moving with playback is meshed again at most this often

# Lighting kept gentle so the colour map still reads: ambient 0.55 plus a head-light diffuse term
# (pyqtgraph's "shaded" program, with less contrast).
_LIT_VERTEX = """
uniform mat4 u_mvp;
uniform mat3 u_normal;
attribute vec4 a_position;
attribute vec3 a_normal;
attribute vec4 a_color;
varying vec4 v_color;
varying vec3 v_normal;
void main() {
    v_normal = normalize(u_normal * a_normal);
    v_color = a_color;
    gl_Position = u_mvp * a_position;
}
"""
_LIT_FRAGMENT = """
#ifdef GL_ES
precision mediump float;
#endif
varying vec4 v_color;
varying vec3 v_normal;
void main() {
    float p = abs(dot(v_normal, normalize(vec3(0.3, -0.4, -1.0))));
    vec3 rgb = v_color.rgb * (0.55 + 0.5 * p);
    gl_FragColor = vec4(min(rgb, vec3(1.0)), v_color.a);
}
"""


class SceneMapping:
    """Data (x, y, f) -> scene coordinates of a :class:`SurfaceView`: centred, the longer range spanning
    :data:`BOX` units, heights through the view's current :class:`~explorer.levels.ValueScale`."""

    def __init__(self, x_range, y_range, height_scale) -> None:
        (x0, x1), (y0, y1) = x_range, y_range
        self.scale = BOX / max(x1 - x0, y1 - y0)
        self.centre = np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0])
        self.height_scale = height_scale

    def xy(self, points) -> np.ndarray:
        """(..., 2) data points -> (..., 2) scene x, y."""
        return (np.asarray(points, dtype=float) - self.centre) * self.scale

    def z(self, values) -> np.ndarray:
        """f values (...) -> scene heights (...) (nan -> the top of the box)."""
        z = self.height_scale.normalise(values) * HEIGHT
        return np.where(np.isnan(z), HEIGHT, z)

    @property
    def units(self) -> float:
        """Data units per scene unit."""
        return 1.0 / self.scale


class _MeshData(gl.MeshData):
    """pyqtgraph's MeshData with its smooth vertex normals summed by ``numpy.bincount`` instead of a Python loop
    over the vertices: the same normals (each vertex's adjacent face normals summed, then normalised), about
    a hundred times faster on the 121 x 121 grid — which matters when a slice moves with playback and the
    mesh changes every frame."""

    def vertexNormals(self, indexed=None):
        if self._vertexNormals is None:
            face = self.faceNormals().astype(np.float64)
            faces = self.faces()
            n = self._vertexes.shape[0]
            total = np.zeros((n, 3))
            for corner in range(3):
                for c in range(3):
                    total[:, c] += np.bincount(faces[:, corner], weights=face[:, c], minlength=n)
            length = np.sqrt(np.sum(total * total, axis=1, keepdims=True))
            with np.errstate(all="ignore"):
                normals = np.where(length > 0, total / length, 0.0)
            self._vertexNormals = normals.astype(np.float32)
        return super().vertexNormals(indexed)


def _surface_item(**kwds) -> gl.GLSurfacePlotItem:
    """A GLSurfacePlotItem that computes its normals with :class:`_MeshData`."""
    item = gl.GLSurfacePlotItem(**kwds)
    item._meshdata = _MeshData()
    item.setMeshData(meshdata=item._meshdata)
    return item


def _lit_shader() -> shaders.ShaderProgram:
    return shaders.ShaderProgram("gde_lit", [shaders.VertexShader(_LIT_VERTEX),
                                             shaders.FragmentShader(_LIT_FRAGMENT)])


class SurfaceView(GLCanvas):
    """A pyqtgraph.opengl view of the model's surface and runs (see the module docstring)."""

    def __init__(self, model, parent=None):
        super().__init__(parent)
        self._model = model
        self._shader = _lit_shader()
        self._paths: list[gl.GLLinePlotItem] = []
        self._balls: list[gl.GLMeshItem] = []
        self._vertices: list[np.ndarray | None] = []   # per run: (m, 3) draped path in scene units
        self._stride: list[int] = []                    # per run: vertices per step
        self.height_scale = None
        self._centre_z = HEIGHT * 0.5
        self.color_scale = None
        # a loss over many data rows: a coarse grid at once, the full one a moment later (issue 12)
        self._grid = ProgressiveGrid(self, "surface-grid", GRID_SHAPE, budget=0.006)
        self._grid.ready.connect(self._on_full_grid)
        window = self.palette().color(QtGui.QPalette.ColorRole.Window)
        self.setBackgroundColor(window)

        self._surface = _surface_item(shader=self._shader, smooth=True, glOptions="opaque")
        self.addItem(self._surface)
        self._starts = gl.GLScatterPlotItem(pxMode=True, size=14.0)
        self._starts.setGLOptions("opaque")
        self.addItem(self._starts)
        self._labels = [gl.GLTextItem(font=QtGui.QFont("Sans", 13)) for _ in range(2)]
        for label in self._labels:
            self.addItem(label)
        from widgets.legend import SurfaceLegend

        self.legend = SurfaceLegend(model, self)

        self._dense: list[tuple | None] = []            # per run: (trajectory, d-space sub-points, f, stride)
        from widgets.throttle import Throttle

        self._remesh = Throttle(lambda: self._on_surface_changed(redrape=False), MESH_MS, self)
        # what to draw (the surface, a slice of it; nothing for one variable) comes from the model's projection
        self._bindings = Bindings(((model.projection.changed, self._on_projection),
                                   (model.runs_changed, self._rebuild_runs),
                                   (model.run_changed, self._on_run_changed),
                                   (model.trajectories_changed, self._on_trajectories_changed),
                                   (model.step_changed, self._on_step),
                                   (model.view.changed, self._on_view_changed),
                                   (model.session.changed, self._on_view_changed)))
        self._on_surface_changed()
        self._rebuild_runs()
        self.reset_camera()

    def disconnect_model(self) -> None:
        """Stop listening to the model (call before dropping the view while the model lives on)."""
        self._bindings.disconnect()

    def closeEvent(self, event):
        self.disconnect_model()
        super().closeEvent(event)

    def reset_camera(self) -> None:
        """Look at the whole surface from the front, above (x to the right, y into the screen)."""
        self.setCameraPosition(pos=QtGui.QVector3D(0.0, 0.0, self._centre_z), distance=1.6 * BOX,
                               elevation=38.0, azimuth=-70.0)

    # ------------------------------------------------------------------ geometry
    @property
    def mapping(self) -> SceneMapping | None:
        """How data maps into this view's scene now (None before a surface is shown)."""
        if self.height_scale is None:
            return None
        proj = self._model.projection
        return SceneMapping(proj.x_range, proj.y_range, self.height_scale)

    def _scene_xy(self, xy: np.ndarray) -> np.ndarray:
        proj = self._model.projection
        return SceneMapping(proj.x_range, proj.y_range, None).xy(xy)

    def _scene_z(self, values: np.ndarray) -> np.ndarray:
        proj = self._model.projection
        return SceneMapping(proj.x_range, proj.y_range, self.height_scale).z(values)

    def changeEvent(self, event) -> None:
        if event.type() == QtCore.QEvent.Type.PaletteChange and hasattr(self, "_model"):   # the theme changed
            self.setBackgroundColor(self.palette().color(QtGui.QPalette.ColorRole.Window))
            if self._model.surface is not None and self.height_scale is not None:
                self._apply_scales()
            if getattr(self, "legend", None) is not None:
                self.legend.refresh()
        super().changeEvent(event)

    def _on_projection(self, frame: bool = True, paths: bool = True) -> None:
        """The surface drawn or where the paths fall on it changed (:class:`explorer.projection.Projection`).

        A slice that only moves with playback (same directions: the paths stay where they are) is meshed again
        at most every :data:`MESH_MS` — a new mesh costs a frame of the map's time — and once more when it stops.
        """
        if frame and not paths and self._model.projection.kind == "slice" and self.height_scale is not None:
            self._remesh()
        elif frame:
            self._on_surface_changed(redrape=paths)
        elif paths:
            self._on_trajectories_changed(None)

    def _on_surface_changed(self, redrape: bool = True) -> None:
        proj = self._model.projection
        if proj.surface is None:       # no surface, or one variable: the map draws its curve
            self._surface.setVisible(False)
            for label in self._labels:
                label.setData(text="")
            self.height_scale = None
            self._on_trajectories_changed(None)
            return
        self._surface.setVisible(True)
        xs, ys, values = self._grid.sample(proj.surface, proj.x_range, proj.y_range)
        self._grid_values = values
        self._apply_scales()
        if redrape:
            self._on_trajectories_changed(None)
        else:
            self._lift_paths()

    def _on_full_grid(self, surface, ranges, grid) -> None:
        """The full grid of a costly surface arrived (:mod:`widgets.progressive_grid`): show it if current."""
        proj = self._model.projection
        if surface is not proj.surface or ranges != (proj.x_range, proj.y_range):
            return
        self._grid_values = grid[2]
        self._apply_scales()
        self._on_trajectories_changed(None)

    def _apply_scales(self) -> None:
        """Heights and colours of the surface mesh from the current scales (values cached on the grid)."""
        model = self._model
        values = self._grid_values
        self.height_scale = value_scale(values, model.view.surface_scale, floor_quantile=0.01)
        levels_mode = model.view.contour_levels
        _, kind = contour_levels(values, levels_mode)
        self.color_scale = value_scale(values, "log" if kind == "log" else levels_mode)
        h, w = values.shape
        proj = model.projection
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        sx = self._scene_xy(np.stack([np.linspace(x0, x1, w), np.full(w, y0)], -1))[:, 0]
        sy = self._scene_xy(np.stack([np.full(h, x0), np.linspace(y0, y1, h)], -1))[:, 1]
        z = self._scene_z(values)
        self._centre_z = float(np.clip(np.nanmedian(z), 0.25 * HEIGHT, 0.75 * HEIGHT))
        # GLSurfacePlotItem wants z[ix, iy] and one colour per vertex in that order: (w * h, 4)
        colors = rgba_floats(self.color_scale.normalise(values)).transpose(1, 0, 2).reshape(-1, 4)
        self._surface.setData(x=sx, y=sy, z=np.ascontiguousarray(z.T, dtype=np.float32), colors=colors)
        text = self.palette().color(QtGui.QPalette.ColorRole.WindowText)
        ink = QtGui.QColor(text)
        # axis names where the axes leave the box: x along the front edge, y along the right edge
        names = proj.labels
        self._labels[0].setData(pos=(sx[-1] * 0.9, sy[0] - 0.5, float(z[0, -1])), text=f"{names[0]} → {x1:g}",
                                color=ink)
        self._labels[1].setData(pos=(sx[-1] + 0.3, sy[-1] * 0.9, float(z[-1, -1])), text=f"{names[1]} → {y1:g}",
                                color=ink)

    def _on_view_changed(self, key: str) -> None:
        if key in ("surface_scale", "contour_levels") and self.height_scale is not None:
            self._apply_scales()
            self._on_trajectories_changed(None)
        elif key == "presentation":
            for path in self._paths:
                path.setData(width=self.path_width())

    def path_width(self) -> float:
        """Paths are twice as thick in presentation mode (``session.presentation``), for the back row."""
        return PATH_WIDTH * (2.0 if self._model.session.presentation else 1.0)

    # ------------------------------------------------------------------ runs
    def _rebuild_runs(self) -> None:
        for item in self._paths + self._balls:
            self.removeItem(item)
        n = len(self._model.runs)
        self._paths = [gl.GLLinePlotItem(mode="line_strip", width=self.path_width(), antialias=True)
                       for _ in range(n)]
        sphere = gl.MeshData.sphere(rows=12, cols=20, radius=BALL_RADIUS)
        self._balls = [gl.GLMeshItem(meshdata=sphere, smooth=True, shader=self._shader, glOptions="opaque")
                       for _ in range(n)]
        for item in self._paths + self._balls:
            self.addItem(item)
        self._vertices = [None] * n
        self._stride = [1] * n
        self._dense = [None] * n
        for i in range(n):
            self._style_run(i)
        self._on_trajectories_changed(None)

    def _style_run(self, i: int) -> None:
        color = gl_color(self._model.color_of(i))
        visible = self._model.runs[i].visible
        self._paths[i].setData(color=color)
        self._paths[i].setVisible(visible)
        self._balls[i].setColor(color)
        self._balls[i].setVisible(visible)

    def _on_run_changed(self, i: int) -> None:
        if i >= len(self._paths):
            self._rebuild_runs()
            return
        self._style_run(i)
        self._update_starts()
        self._on_step()

    def _drape(self, i: int) -> None:
        """Cache run i's path as (k * stride + 1, 3) scene vertices following the surface.

        Each step is subdivided in the variables' space (a straight move there) and f evaluated at the
        sub-points — the racer's own loss, which for two variables is the surface under it and for a slice is
        the height above the plane's point it projects to (off the slice the path floats off the sheet)."""
        model = self._model
        traj = model.trajectories[i] if i < len(model.trajectories) else None
        proj = model.projection
        if traj is None or model.surface is None or self.height_scale is None:
            self._vertices[i] = self._dense[i] = None
            return
        cached = self._dense[i]
        if cached is None or cached[0] is not traj:
            cached = self._dense[i] = self._subdivide(traj)
        if cached is None:
            self._vertices[i] = None
            return
        _traj, dense, f, stride = cached
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        xy = np.clip(proj.to_view(dense), [x0, y0], [x1, y1])
        z = self._scene_z(f) + LIFT
        self._vertices[i] = np.column_stack([self._scene_xy(xy), z]).astype(np.float32)
        self._stride[i] = stride

    def _subdivide(self, traj):
        """(trajectory, sub-points (m, d), f there (m,), sub-points per step) for run i's path."""
        model = self._model
        proj = model.projection
        pts = np.asarray(traj.points, dtype=float)[: traj.stop_step + 1]
        if pts.shape[1] != model.ndim:
            return None
        recorded = pts
        if proj.kind == "plane":      # keep diverged points drawable: clamp into the box
            (x0, x1), (y0, y1) = proj.x_range, proj.y_range
            pts = np.clip(pts, [x0, y0], [x1, y1])
        bad = ~np.all(np.isfinite(pts), axis=1)     # non-finite points: the last good one
        if bad.any():
            good = np.maximum.accumulate(np.where(bad, 0, np.arange(len(pts))))
            pts = pts[good]
        k = len(pts) - 1
        stride = int(np.clip(MAX_PATH_VERTICES // max(k, 1), 1, 8))
        if costly(model.surface):    # a loss over many rows: the recorded losses at the points, no sub-points
            stride = 1
        if k > 0:
            t = np.arange(stride) / stride
            seg = pts[:-1, None, :] + (pts[1:] - pts[:-1])[:, None, :] * t[None, :, None]
            dense = np.concatenate([seg.reshape(-1, pts.shape[1]), pts[-1:]], axis=0)
        else:
            dense = pts
        with np.errstate(all="ignore"):
            if stride == 1 and costly(model.surface):   # the losses recorded at the points, where they are drawn
                f = np.array(traj.loss[: k + 1], dtype=float)
                moved = np.any(dense != recorded, axis=1)
                if moved.any():
                    f[moved] = model.surface.value(dense[moved])
            else:
                f = np.asarray(model.surface.value(dense), dtype=float)
        return traj, dense, f, stride

    def _lift_paths(self) -> None:
        """Heights again after the height scale changed (the paths' places on the plane did not)."""
        for i in range(len(self._vertices)):
            if self._vertices[i] is not None and self._dense[i] is not None:
                self._vertices[i][:, 2] = self._scene_z(self._dense[i][2]) + LIFT
        self._update_starts()
        self._on_step()

    def _on_trajectories_changed(self, index) -> None:
        if len(self._paths) != len(self._model.runs):
            self._rebuild_runs()
            return
        for i in range(len(self._paths)) if index is None else (index,):
            self._drape(i)
        self._update_starts()
        self._on_step()

    def _update_starts(self) -> None:
        model = self._model
        proj = model.projection
        shown = [i for i, r in enumerate(model.runs) if r.visible and len(r.start) == model.ndim]
        if not shown or model.surface is None or self.height_scale is None:
            self._starts.setData(pos=np.zeros((0, 3)))
            return
        starts = np.array([model.runs[i].start for i in shown], dtype=float)
        xy = proj.to_view(starts)
        with np.errstate(all="ignore"):
            z = self._scene_z(np.asarray(model.surface.value(starts), dtype=float)) + LIFT * 2
        pos = np.column_stack([self._scene_xy(xy), z])
        colors = np.array([gl_color(model.color_of(i)) for i in shown], dtype=np.float32)
        self._starts.setData(pos=pos, color=colors)

    def to_scene(self, xy) -> np.ndarray:
        """xy (n, 2) data points -> (n, 3) scene points on the drawn surface (same height scale)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        with np.errstate(all="ignore"):
            f = np.asarray(self._model.projection.surface.value(xy), dtype=float)
        return np.column_stack([self._scene_xy(xy), self._scene_z(f)])

    def ball_positions(self) -> np.ndarray:
        """(n, 3) scene centres of the visible balls (one per visible run with a trajectory)."""
        out = [ball.transform().map(QtGui.QVector3D(0.0, 0.0, 0.0)) for ball in self._balls if ball.visible()]
        return np.array([[p.x(), p.y(), p.z()] for p in out]).reshape(-1, 3)

    def project(self, points, size: tuple[int, int] | None = None) -> np.ndarray:
        """(n, 3) scene points -> (n, 2) pixel coordinates (x right, y down) in an image of ``size`` (w, h)
        rendered with the current camera (default: the widget's size)."""
        w, h = size or (self.width(), self.height())
        mvp = self.projectionMatrix((0, 0, w, h), (0, 0, w, h)) * self.viewMatrix()
        out = []
        for x, y, z in np.asarray(points, dtype=float).reshape(-1, 3):
            p = mvp.map(QtGui.QVector4D(float(x), float(y), float(z), 1.0))
            out.append(((p.x() / p.w() + 1.0) / 2.0 * w, (1.0 - p.y() / p.w()) / 2.0 * h))
        return np.array(out).reshape(-1, 2)

    # ------------------------------------------------------------------ step
    def _on_step(self, _step=None) -> None:
        """Cut every path at the current step and move the balls (cheap: runs at playback rate)."""
        step = self._model.step
        for i, verts in enumerate(self._vertices):
            if verts is None:
                self._paths[i].setData(pos=np.zeros((0, 3), dtype=np.float32))
                self._balls[i].setVisible(False)
                continue
            end = min(step * self._stride[i], len(verts) - 1)
            self._paths[i].setData(pos=verts[: end + 1])
            x, y, z = verts[end]
            ball = self._balls[i]
            ball.resetTransform()
            ball.translate(float(x), float(y), float(z) + BALL_RADIUS * 0.6)
            ball.setVisible(self._model.runs[i].visible)
