"""1-D cuts: the loss along the straight segment between two points of any number of variables.

    f((1 − t) p₀ + t p₁),   t ∈ [−e, 1 + e]

is the linear-interpolation plot of Goodfellow, Vinyals & Saxe, "Qualitatively characterizing neural network
optimization problems", ICLR 2015 (§2): from a racer's start to its end it shows whether a straight walk would
have met a barrier; between two racers' ends whether their minima are one basin (a barrier-free line,
"mode connectivity" in the later literature) or two. The segment is *not* the path taken — the racer
went its own way, usually far from the line — and every cut says so in its label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LinearCut", "linear_cut", "cut_along_run", "cut_between_runs"]

MAX_CUT_POINTS = 100_000


@dataclass(frozen=True, eq=False)
class LinearCut:
    """The loss on a segment.

    t : (n,) the interpolation parameter (0 at ``start``, 1 at ``end``).  points : (n, d) the points.
    loss : (n,) f at them.  start, end : (d,).  length : ‖end − start‖.
    distance : (n,) t × length, the distance from ``start`` along the line (signed; negative before it).
    label : for the plot's title, e.g. "loss on the straight line from Adam's start to its end — not the
        path taken".  start_label, end_label : the two ends' names ("start", "end", "Adam's end").
    barrier : the largest rise of the loss above the straight line joining f(start) and f(end), for t in
        [0, 1] (0 when the cut is convex-like between the ends; Goodfellow et al.'s "no obstacle").
    """

    t: np.ndarray
    points: np.ndarray
    loss: np.ndarray
    start: np.ndarray
    end: np.ndarray
    length: float
    label: str
    start_label: str
    end_label: str

    @property
    def distance(self) -> np.ndarray:
        return self.t * self.length

    @property
    def barrier(self) -> float:
        inside = (self.t >= 0) & (self.t <= 1)
        t, f = self.t[inside], self.loss[inside]
        f0, f1 = f[0], f[-1]
        with np.errstate(all="ignore"):
            rise = f - (f0 + t * (f1 - f0))
        return float(max(np.nanmax(rise), 0.0)) if np.any(np.isfinite(rise)) else float("nan")


def linear_cut(surface, start, end, *, n: int = 201, extend: float = 0.0, start_label: str = "start",
               end_label: str = "end", label: str | None = None) -> LinearCut:
    """f on ``n`` evenly spaced points of the segment from ``start`` (d,) to ``end`` (d,), extended by
    ``extend`` (a fraction of its length, e.g. 0.25) beyond both ends."""
    a = np.asarray(start, dtype=float).reshape(-1)
    b = np.asarray(end, dtype=float).reshape(-1)
    if a.shape != b.shape or a.size != surface.ndim:
        raise ValueError(f"both ends need {surface.ndim} coordinates, got {a.size} and {b.size}")
    n = int(n)
    if not 2 <= n <= MAX_CUT_POINTS:
        raise ValueError(f"a cut needs 2 to {MAX_CUT_POINTS:,} points, not {n}")
    if not 0 <= extend <= 10:
        raise ValueError(f"extend must be from 0 to 10 times the segment, not {extend}")
    t = np.linspace(-extend, 1.0 + extend, n)
    with np.errstate(all="ignore"):
        points = a + t[:, None] * (b - a)
        loss = np.asarray(surface.value(points), dtype=float).reshape(n)
        length = float(np.linalg.norm(b - a))
    if label is None:
        label = f"loss on the straight line from {start_label} to {end_label} — not the path taken"
    return LinearCut(t, points, loss, a, b, length, label, start_label, end_label)


def _last_finite(traj) -> np.ndarray:
    """The racer's end: its last finite point (a diverged run's last point may be inf/nan)."""
    pts = np.asarray(traj.points, dtype=float)
    ok = np.flatnonzero(np.all(np.isfinite(pts), axis=1))
    return pts[ok[-1]] if ok.size else pts[0]


def cut_along_run(surface, trajectory, **kwargs) -> LinearCut:
    """The loss on the straight line from a racer's start to its end (its last finite point)."""
    name = trajectory.run.label
    return linear_cut(surface, trajectory.points[0], _last_finite(trajectory), start_label=f"{name}'s start",
                      end_label="its end", label=f"loss on the straight line from {name}'s start to its end — "
                                                 f"not the path {name} took", **kwargs)


def cut_between_runs(surface, first, second, **kwargs) -> LinearCut:
    """The loss on the straight line between two racers' end points."""
    a, b = first.run.label, second.run.label
    return linear_cut(surface, _last_finite(first), _last_finite(second), start_label=f"{a}'s end",
                      end_label=f"{b}'s end", label=f"loss on the straight line from {a}'s end to {b}'s end — "
                                                    f"neither racer's path", **kwargs)
