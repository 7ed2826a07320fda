"""What the two-dimensional views draw of a comparison of any number of variables — chosen in one place.

The map, the 3-D view, the overlays, the legend, the fans and the basin map draw a plane: two view
coordinates (u, v) per point. :class:`Projection` follows a :class:`~explorer.model.Comparison` and says what
that plane is, so none of the views knows how many variables f has (ARCHITECTURE.md, "Boundaries"):

``kind = "plane"``  two variables: the plane IS the surface; (u, v) = (x, y), exactly.
``kind = "slice"``  three or more: the :class:`~explorer.slicing.SlicePlane` that ``model.view.slice`` (a
    :class:`~explorer.slicing.SliceSpec`) chooses through its anchor — by default the selected racer's point
    at the current step, so playback moves the slice; (u, v) are plane coordinates and ``surface`` is f on
    the plane (:class:`~explorer.slice_surface.SliceSurface`).
``kind = "curve"``  one variable: the graph of f; (u, v) = (x, f(x)), and there is no surface to grid.

``changed(frame, paths)`` is emitted when what the views draw moved: ``frame`` — the surface on the plane,
its ranges or labels (grid again); ``paths`` — where the paths fall on it (project again). It is connected to
the model before any view (the model makes it), so a view reading it from a model event sees it current.

Playback keeps a slice steady where it can: a frame is recomputed only when the anchor really moved (a racer
that has stopped holds its last point), paths are projected again only when the plane's directions changed,
and a direction that comes out reversed from one frame to the next (an eigenvector's sign follows the
gradient, which flips as gradient descent zig-zags across a valley) is turned back, so the picture does not
mirror itself every step.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from explorer.events import Signal

__all__ = ["Projection", "RacerOnPlane", "curve_range"]


def curve_range(values) -> tuple[float, float]:
    """The height range for the graph of f from its samples (n,): min … max with an 8 % margin; a lone spike
    (max beyond 1,000 times the 95th percentile's span) is cut at that percentile so the curve stays readable."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (0.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    q = float(np.quantile(v, 0.95))
    if hi - lo > 1000.0 * max(q - lo, 1e-300):
        hi = q
    span = hi - lo
    if not span > 0:
        span = max(abs(lo), 1.0)
    return (lo - 0.08 * span, hi + 0.08 * span)


class RacerOnPlane:
    """Where a racer is with respect to the slice at the current step (see :meth:`Projection.racers`).

    index, label : the run.  off_plane : its distance from the plane (0 on it).  plane_loss : f at its
    projection (what the map shows under it).  loss : its own loss.  gap : their relative difference (nan when
    unknown).  warning : plain words when the gap is above :data:`~explorer.slice_surface.LOSS_GAP_WARNING`,
    else "".
    """

    __slots__ = ("gap", "index", "label", "loss", "off_plane", "plane_loss", "warning")

    def __init__(self, index: int, label: str, off_plane: float, gap: float, warning: str,
                 plane_loss: float = float("nan"), loss: float = float("nan")) -> None:
        self.index, self.label, self.off_plane, self.gap, self.warning = index, label, off_plane, gap, warning
        self.plane_loss, self.loss = plane_loss, loss

    def __repr__(self) -> str:
        return f"RacerOnPlane({self.label!r}, off_plane={self.off_plane:.3g}, gap={self.gap:.3g})"


class Projection:
    """See the module docstring. Read ``kind``, ``surface``, ``plane``, ``x_range``, ``y_range``, ``labels``,
    ``error``; map points with :meth:`to_view`, :meth:`vector`, :meth:`to_space`, :meth:`path`."""

    def __init__(self, model) -> None:
        self.model = model
        self.changed = Signal()      # (frame: bool, paths: bool)
        self.kind: str | None = None
        self.surface = None
        self.plane = None
        self.error = ""              # why the slice asked for could not be made (another one is shown)
        self.x_range: tuple[float, float] = (0.0, 1.0)
        self.y_range: tuple[float, float] = (0.0, 1.0)
        self.labels: tuple[str, str] = ("", "")
        self.curve: tuple[np.ndarray, np.ndarray] | None = None   # d = 1: xs, f(xs)
        self._paths: dict[int, tuple] = {}     # run -> (trajectory, version, (k + 1, 2) view points)
        self._version = 0            # bumps when paths must be projected again
        self._pairs = ((model.surface_changed, self._on_surface), (model.trajectories_changed, self._on_paths),
                       (model.runs_changed, self._on_paths), (model.run_changed, self._on_run),
                       (model.step_changed, self._on_step), (model.selection_changed, self._on_selection),
                       (model.view.events.slice, self._on_spec),
                       (model.analysis.critical_changed, self._on_critical))
        for signal, slot in self._pairs:
            signal.connect(slot)
        self._update(force=True)

    def disconnect(self) -> None:
        for signal, slot in self._pairs:
            signal.disconnect(slot)

    # ------------------------------------------------------------------ queries
    @property
    def ndim(self) -> int:
        return self.model.ndim

    @property
    def description(self) -> str:
        """One line saying what is shown: the slice's description; "" for two variables and the curve."""
        return self.plane.description if self.kind == "slice" else ""

    def summary(self) -> list[str]:
        """Lines for exports and the render command: the slice (method, directions, anchor, seed, explained
        variance), or nothing for two variables."""
        if self.kind == "slice":
            lines = self.plane.summary()
            if self.error:
                lines.append(f"(asked for: {self.error})")
            return lines
        if self.kind == "curve":
            name = self.model.variables[0]
            return [f"the graph of f({name}) for {name} from {self.x_range[0]:g} to {self.x_range[1]:g}"]
        return []

    def to_view(self, points) -> np.ndarray:
        """View coordinates (..., 2) of points (..., d) of the variables' space (for the curve, (x, f(x)):
        f is evaluated)."""
        p = np.asarray(points, dtype=float)
        if self.kind == "slice":
            return self.plane.to_plane(p)
        if self.kind == "curve":
            with np.errstate(all="ignore"):
                f = np.asarray(self.model.surface.value(p[..., :1]), dtype=float)
            return np.stack([p[..., 0], f], axis=-1)
        return p[..., :2]

    def vector(self, v) -> np.ndarray:
        """A vector (d,) at a point, seen in the view (2,): its projection onto the plane (for the curve, its
        x component along the x axis)."""
        v = np.asarray(v, dtype=float).reshape(-1)
        if self.kind == "slice":
            if self.plane.axes is not None:
                return v[list(self.plane.axes)]
            with np.errstate(all="ignore"):
                return v @ self.plane.basis
        if self.kind == "curve":
            return np.array([v[0], 0.0])
        return v[:2]

    def coordinates(self, v) -> np.ndarray | None:
        """The two components of ``v`` (d,) along the view's axes when those are variables (two variables, a
        coordinate slice), else None: per-coordinate quantities (Adam's step scale) only draw there."""
        v = np.asarray(v, dtype=float).reshape(-1)
        if self.kind == "plane":
            return v[:2]
        if self.kind == "slice" and self.plane.axes is not None:
            return v[list(self.plane.axes)]
        return None

    def to_space(self, uv) -> np.ndarray:
        """The point (d,) of the variables' space shown at view coordinates ``uv`` (2,) (for the curve, x)."""
        u = np.asarray(uv, dtype=float).reshape(2)
        if self.kind == "slice":
            return self.plane.to_space(u)
        if self.kind == "curve":
            return u[:1].copy()
        return u.copy()

    def path(self, i: int) -> np.ndarray | None:
        """Run ``i``'s computed path in view coordinates, (k + 1, 2) (None before it is computed). Cached."""
        m = self.model
        traj = m.trajectories[i] if 0 <= i < len(m.trajectories) else None
        if traj is None or self.kind is None:
            return None
        cached = self._paths.get(i)
        if cached is not None and cached[0] is traj and cached[1] == self._version:
            return cached[2]
        k = int(traj.stop_step)
        pts = np.asarray(traj.points, dtype=float)[: k + 1]
        if pts.shape[1] != self.ndim:
            return None
        if self.kind == "curve":
            out = np.column_stack([pts[:, 0], np.asarray(traj.loss, dtype=float)[: k + 1]])
        else:
            out = self.to_view(pts)
        self._paths[i] = (traj, self._version, out)
        return out

    def start(self, i: int) -> np.ndarray | None:
        """Run ``i``'s start in view coordinates (2,), or None when it has the wrong number of coordinates."""
        start = np.asarray(self.model.runs[i].start, dtype=float)
        if start.size != self.ndim or self.kind is None:
            return None
        return self.to_view(start)

    def racers(self) -> list[RacerOnPlane]:
        """For a slice: each visible run with a trajectory at the current step — how far it is off the plane
        and whether the map misreports its loss there (:func:`explorer.slice_surface.project_path` at that
        one point). Empty for two variables and the curve (everything is on the picture)."""
        if self.kind != "slice":
            return []
        from explorer.slice_surface import project_path

        m = self.model
        out = []
        for i, run in enumerate(m.runs):
            traj = m.trajectories[i] if i < len(m.trajectories) else None
            if traj is None or not run.visible:
                continue
            k = min(max(int(m.step), 0), int(traj.stop_step))
            pts = np.asarray(traj.points, dtype=float)[: traj.stop_step + 1]
            if pts.shape[1] != self.ndim or not np.all(np.isfinite(pts[k])):
                continue
            on = project_path(m.surface, self.plane, pts, np.asarray(traj.loss, dtype=float)[: traj.stop_step + 1],
                              at=k)
            out.append(RacerOnPlane(i, run.label, float(on.off_plane[k]), float(on.gap[k]), on.warning(k),
                                    float(on.plane_loss[k]), float(on.true_loss[k])))
        return out

    # ------------------------------------------------------------------ model events
    def _on_surface(self, *_args) -> None:
        self._update(force=True)

    def _on_paths(self, *_args) -> None:
        # PCA's plane is made of the paths; a start moved moves a racer's point (before its path is back)
        if self.kind == "slice":
            self._update()
        elif self.kind == "curve":
            self.changed.emit(False, True)

    def _on_run(self, _index=None) -> None:
        if self.kind == "slice":
            self._update()

    def _on_step(self, *_args) -> None:
        if self.kind == "slice":
            self._update()

    def _on_selection(self, *_args) -> None:
        if self.kind == "slice" and self.model.view.slice.anchor == "racer" and self.model.view.slice.racer is None:
            self._update()

    def _on_spec(self, *_args) -> None:
        if self.kind == "slice":
            self._update(force=True)

    def _on_critical(self, *_args) -> None:
        if self.kind == "slice" and self.model.view.slice.anchor == "critical":
            self._update()

    # ------------------------------------------------------------------ the frame
    def _update(self, *, force: bool = False) -> None:
        """Work out the frame again; emit ``changed`` with what moved (nothing when nothing did)."""
        m = self.model
        old = (self.kind, self.plane, self.x_range, self.y_range, self.labels, self.error)
        if m.surface is None:
            self.kind, self.surface, self.plane, self.curve = None, None, None, None
        elif m.ndim == 2:
            self.kind, self.surface, self.plane, self.curve = "plane", m.surface, None, None
            self.x_range, self.y_range = m.ranges[0], m.ranges[1]
            self.labels = tuple(m.variables[:2])
            self.error = ""
        elif m.ndim == 1:
            self._make_curve()
        else:
            self._make_slice()
        if force or old[0] != self.kind or self.kind != "slice":
            self._version += 1
            self._paths.clear()
            self.changed.emit(True, True)
            return
        frame, paths = _compare(old[1], self.plane)
        frame = frame or old[2:] != (self.x_range, self.y_range, self.labels, self.error)
        if paths:
            self._version += 1
            self._paths.clear()
        if frame or paths:
            self.changed.emit(frame, paths)

    def _make_curve(self) -> None:
        from explorer.curve import sample_curve

        m = self.model
        self.kind, self.plane, self.surface, self.error = "curve", None, None, ""
        self.x_range = m.ranges[0]
        xs, fs = sample_curve(m.surface, self.x_range)
        self.curve = (xs, fs)
        self.y_range = curve_range(fs)
        name = m.variables[0]
        self.labels = (name, f"f({name})")

    def _make_slice(self) -> None:
        from explorer.slice_surface import SliceSurface
        from explorer.slicing import SliceError, SliceSpec, find_anchor, resolve_slice

        m = self.model
        spec = m.view.slice
        previous = self.plane if self.kind == "slice" else None
        self.kind, self.curve = "slice", None
        d = m.ndim
        centre = np.array([(lo + hi) / 2 for lo, hi in m.ranges])
        points = []
        for i, run in enumerate(m.runs):    # a trajectory of the previous surface may still be there: its start
            p = np.asarray(m.point_at(i), dtype=float).reshape(-1)
            start = np.asarray(run.start, dtype=float).reshape(-1)
            points.append(p if p.size == d else start if start.size == d else centre)
        labels = [r.label for r in m.runs]
        paths = [np.asarray(t.points, dtype=float)[: t.stop_step + 1]
                 for t, r in zip(m.trajectories, m.runs, strict=True)
                 if t is not None and r.visible and np.shape(t.points)[-1] == d]
        self.error = ""
        plane = None
        for attempt in (spec, SliceSpec(anchor=spec.anchor, racer=spec.racer, critical=spec.critical,
                                        point=spec.point), SliceSpec()):
            try:
                critical = _tidy(m.analysis.critical or [], m.ranges) if attempt.anchor == "critical" else ()
                anchor = find_anchor(attempt, m.ranges, racer_points=points, racer_labels=labels,
                                     selected=m.selected, step=m.step, critical=critical)
                plane = resolve_slice(attempt, m.surface, m.ranges, anchor, paths=paths)
                break
            except SliceError as err:
                if not self.error:
                    self.error = str(err)
        if previous is not None and plane.spec == previous.spec:
            plane = _same_orientation(plane, previous)
            if (plane.axes is None and plane.basis.shape == previous.basis.shape
                    and np.allclose(plane.basis, previous.basis, rtol=0.0, atol=1e-12)
                    and np.allclose(plane.centre, previous.centre, rtol=0.0, atol=1e-12)):
                # the same directions but for rounding (an eigenvector recomputed at the next point of a
                # quadratic): keep the previous ones exactly, so the paths need not be projected again
                plane = replace(plane, basis=previous.basis, centre=previous.centre)
        self.plane = plane
        self.surface = SliceSurface(m.surface, plane)
        self.x_range, self.y_range = plane.ranges
        self.labels = plane.labels


def _tidy(points, ranges) -> list:
    """Critical points with rounding residues (|x_i| below 1e-12 of the view's size, as a root finder leaves
    them: 3e-33) set to 0, so "the minimum at (0, 0, …)" reads as it is."""
    size = max(hi - lo for lo, hi in ranges)
    out = []
    for c in points:
        xy = np.asarray(c.xy, dtype=float)
        out.append(replace(c, xy=np.where(np.abs(xy) < 1e-12 * size, 0.0, xy)))
    return out


def _compare(old, new) -> tuple[bool, bool]:
    """(frame moved, directions moved) between two slice planes."""
    if old is None or new is None:
        return True, True
    same_dirs = (old.axes == new.axes and np.array_equal(old.basis, new.basis)
                 and np.array_equal(old.centre, new.centre))
    frame = (not same_dirs or not np.array_equal(old.anchor, new.anchor) or old.ranges != new.ranges
             or old.labels != new.labels or old.description != new.description)
    return frame, not same_dirs


def _same_orientation(plane, previous):
    """``plane`` with each direction turned to agree in sign with ``previous``'s (a reversed eigenvector
    would mirror the picture between two frames); the ranges follow (u → −u)."""
    if plane.axes is not None or plane.basis.shape != previous.basis.shape:
        return plane
    flip = np.sign(np.sum(plane.basis * previous.basis, axis=0))
    if not np.any(flip < 0):
        return plane
    flip = np.where(flip < 0, -1.0, 1.0)
    ranges = tuple((lo, hi) if s > 0 else (-hi, -lo) for (lo, hi), s in zip(plane.ranges, flip, strict=True))
    return replace(plane, basis=plane.basis * flip, ranges=ranges)
