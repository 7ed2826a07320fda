"""A slice as a surface of two variables, and racers' paths seen on it.

:class:`SliceSurface` is f restricted to a :class:`~explorer.slicing.SlicePlane`,
g(u) = f(p(u)) with p(u) = a + B(u − u_a), in plane coordinates u (..., 2). By the chain rule
(B constant):

    ∇g(u) = Bᵀ ∇f(p(u)),        ∇²g(u) = Bᵀ ∇²f(p(u)) B,

so the 2-D views (contour map, 3-D surface, iso-lines, critical points, gradient field, Taylor model) draw it
without knowing d. For a coordinate slice B picks two coordinates and these are evaluated by indexing (exact:
for d = 2 and the variables in order, g *is* f, bit for bit).

:func:`project_path` puts a racer's path on the plane: its least-squares projection (the plane coordinates),
how far each point is from the plane, and how much the loss the map shows there differs from the racer's
true loss — the number behind the view's warning (:data:`LOSS_GAP_WARNING`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from explorer.slicing import SlicePlane

__all__ = ["SliceSurface", "PathOnPlane", "project_path", "frame_grid_shape", "LOSS_GAP_WARNING",
           "LOSS_GAP_FLOOR"]

#: The view warns when the loss on the plane at a path point's projection differs from the racer's true loss
#: by more than this fraction (see :func:`project_path` for the exact measure). Why 10 %: the map reports a
#: loss by its colour band, and its automatic iso-lines (:mod:`explorer.levels`) cut the value range into
#: about 10–20 bands; on the log scale it picks for steep surfaces one band spans a factor of about 1.2–1.6, on
#: a linear scale 5–10 % of the range. A 10 % disagreement is therefore about the smallest one a viewer could
#: misread from the colour under the dot — below it the slice is as good as the map's own resolution, above
#: it the dot sits on a colour that belongs to another loss, and the view must say so.
LOSS_GAP_WARNING = 0.10
#: Losses below this fraction of the path's loss span count as zero in the gap's denominator, so the last
#: steps into a minimum at f = 0 (true 1e-9, plane 3e-9) do not raise a warning no plot could show.
LOSS_GAP_FLOOR = 1e-3


class SliceSurface:
    """f on a slice plane, with the numeric interface of :class:`~explorer.surface.Surface` in 2 variables.

    value(U (..., 2)) -> (...), gradient(U) -> (..., 2), hessian(U) -> (..., 2, 2): f, Bᵀ∇f and Bᵀ∇²f B at
    the plane points p(U). ``variable_names`` are the plane's axis labels; ``ndim`` is 2. ``surface`` and
    ``plane`` are the d-variable surface and the plane. ``parameters`` and ``data`` are the surface's.

    For drawing and analysis only: an optimizer run on this object would be gradient descent constrained to
    the plane, which is not what the racers do — run them on ``surface`` (see :mod:`explorer.slice_runs`).
    On purpose it has no ``expr``/``symbolic``: nothing can mistake it for the d-variable formula.
    """

    ndim = 2

    def __init__(self, surface, plane: SlicePlane) -> None:
        if plane.ndim != surface.ndim:
            raise ValueError(f"the plane lives in {plane.ndim} variables, the surface has {surface.ndim}")
        self.surface = surface
        self.plane = plane

    @property
    def variable_names(self) -> tuple[str, str]:
        return self.plane.labels

    @property
    def parameters(self) -> dict[str, float]:
        return self.surface.parameters

    @property
    def data(self):
        return getattr(self.surface, "data", None)

    def value(self, U) -> np.ndarray:
        return self.surface.value(self.plane.to_space(_uv(U)))

    def gradient(self, U) -> np.ndarray:
        g = self.surface.gradient(self.plane.to_space(_uv(U)))
        if self.plane.axes is not None:
            return g[..., list(self.plane.axes)]
        with np.errstate(all="ignore"):
            return g @ self.plane.basis

    def hessian(self, U) -> np.ndarray:
        h = self.surface.hessian(self.plane.to_space(_uv(U)))
        if self.plane.axes is not None:
            ij = list(self.plane.axes)
            return h[..., ij, :][..., :, ij]
        b = self.plane.basis
        with np.errstate(all="ignore"):
            return np.einsum("ki,...kl,lj->...ij", b, h, b)

    def __repr__(self) -> str:
        return f"SliceSurface({self.surface.text!r}, {self.plane.description!r})"


def _uv(U) -> np.ndarray:
    U = np.asarray(U, dtype=float)
    if U.shape[-1:] != (2,):
        raise ValueError(f"plane points must have shape (..., 2), got {U.shape}")
    return U


@dataclass(frozen=True, eq=False)
class PathOnPlane:
    """A path of k + 1 points seen on a slice plane.

    uv : (k + 1, 2) plane coordinates of the least-squares projection (draw the path here).
    off_plane : (k + 1,) distance of each point from the plane (0 = the point lies on the slice).
    plane_loss : (k + 1,) f at the projected point — what the map shows under the drawn point.
    true_loss : (k + 1,) the racer's loss f(p).
    gap : (k + 1,) |plane_loss − true_loss| / max(|true_loss|, LOSS_GAP_FLOOR · span), span = the spread
        (max − min) of the true losses along the path; nan where a loss is not finite.
    warn : (k + 1,) bool, gap > LOSS_GAP_WARNING.
    """

    uv: np.ndarray
    off_plane: np.ndarray
    plane_loss: np.ndarray
    true_loss: np.ndarray
    gap: np.ndarray
    warn: np.ndarray

    def warning(self, k: int) -> str:
        """Plain words for point ``k`` when it warns, else "": "the map shows f = 3.2 here, the racer's loss
        is 1.1 (off the slice by 0.84)"."""
        k = min(max(int(k), 0), self.uv.shape[0] - 1)
        if not self.warn[k]:
            return ""
        return (f"off the slice by {self.off_plane[k]:.3g}: the map shows f = {self.plane_loss[k]:.4g} here, "
                f"the racer's loss is {self.true_loss[k]:.4g}")


def project_path(surface, plane: SlicePlane, points, loss=None, *, loss_span: float | None = None,
                 at=None) -> PathOnPlane:
    """Project a path (k + 1, d) onto ``plane`` and compare the losses (see :class:`PathOnPlane`).

    loss : (k + 1,) the racer's recorded loss (a Trajectory's ``loss``); None evaluates f at the points.
    loss_span : the loss scale for the gap's floor; None = the spread of this path's finite losses.
    at : None compares the losses at every point; an index or indices (e.g. the current step) compares them
        only there (``plane_loss``/``gap`` are nan and ``warn`` False elsewhere). The projection and the
        off-plane distance need no evaluation of f and are always computed for every point; the plane loss
        costs one evaluation of f per point, which with many data rows is worth sparing during playback.
    """
    p = np.asarray(points, dtype=float).reshape(-1, plane.ndim)
    uv = plane.to_plane(p)
    with np.errstate(all="ignore"):
        on_plane = plane.to_space(uv)
        off = np.linalg.norm(p - on_plane, axis=-1)
        true = np.asarray(surface.value(p) if loss is None else loss, dtype=float).reshape(-1)
        if at is None:
            shown = np.asarray(surface.value(on_plane), dtype=float).reshape(-1)
        else:
            where = np.unique(np.clip(np.atleast_1d(np.asarray(at, dtype=int)), 0, p.shape[0] - 1))
            shown = np.full(p.shape[0], np.nan)
            shown[where] = np.asarray(surface.value(on_plane[where]), dtype=float).reshape(-1)
        finite = true[np.isfinite(true)]
        span = float(finite.max() - finite.min()) if loss_span is None and finite.size else (loss_span or 0.0)
        denom = np.maximum(np.abs(true), LOSS_GAP_FLOOR * span)
        diff = np.abs(shown - true)
        gap = np.where(diff == 0, 0.0, diff / denom)
        gap = np.where(np.isfinite(true) & np.isfinite(shown), gap, np.nan)
    return PathOnPlane(uv, off, shown, true, gap, gap > LOSS_GAP_WARNING)


def frame_grid_shape(surface, budget: float = 0.012, *, largest: int = 200, smallest: int = 24) -> tuple[int, int]:
    """The square grid (n, n) whose evaluation of ``surface.value`` fits in ``budget`` seconds on this machine.

    Measured, not guessed: f is evaluated on 256 points (best of three) and n = √(budget / cost per point),
    clipped to [smallest, largest]. A formula costs microseconds per thousand points, so it gets ``largest``;
    a loss over 1,000 data rows costs one per-example evaluation per point and row, so while playback moves a
    slice of it the map uses a coarser grid and refines when it stops (issue 12: "larger data may refine
    progressively but never freeze the window"). Works for any surface with ``value`` on (m, ndim) points.
    """
    rng = np.random.default_rng(0)
    probe = rng.uniform(-1.0, 1.0, (256, surface.ndim))
    cost = math.inf
    with np.errstate(all="ignore"):
        surface.value(probe[:8])                     # first call: compile or load the interpreter
        for _ in range(3):
            t0 = time.perf_counter()
            surface.value(probe)
            cost = min(cost, (time.perf_counter() - t0) / probe.shape[0])
    n = int(math.sqrt(budget / max(cost, 1e-12)))
    n = min(max(n, smallest), largest)
    return n, n
