"""The calculus several views draw, computed once per change of the comparison (no Qt here).

:class:`Analysis` follows a :class:`~explorer.model.Comparison` and keeps

- ``critical``: the stationary points in the view box (:func:`explorer.critical.critical_points`), found
  again when the surface or the ranges change (``None`` while unknown);
- per run, a :class:`RunGeometry`: the Hessian's eigen-decomposition at every point of the run's trajectory,
  the condition number, and for plain gradient descent (torch SGD, heavy-ball β, no Nesterov, no dampening)
  the stability bound 2(1 + β)/λmax and the learning rate used at each step (Goh, "Why Momentum Really
  Works", Distill 2017; see :mod:`explorer.geometry`), found again when that run's trajectory changes.

Views draw these; they never compute them. Playback only indexes the arrays.

The work is pluggable. With ``synchronous = True`` (the default: tests, scripts) nothing is computed until
asked for: reading ``critical`` or calling :meth:`Analysis.geometry` computes what is stale, on the caller's
thread. The window sets ``synchronous = False`` and calls :meth:`Analysis.refresh`: from then on every change
emits ``needs_compute(job)`` at once; the listener runs the pure ``job.compute()`` on a worker thread and
hands the result back with :meth:`Analysis.deliver` on the model's thread. A result for a surface, ranges or
trajectory that has changed meanwhile is dropped (the newest request wins).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.events import Signal

NON_ADAPTIVE = ("sgd", "qhm", "lion", "newton", "lbfgs")   # one step size for every coordinate


@dataclass(frozen=True, eq=False)
class RunGeometry:
    """The local geometry along one trajectory (k + 1 points, d variables).

    eigenvalues : (k + 1, d) the Hessian's eigenvalues at each point, ascending (nan where not finite).
    eigenvectors : (k + 1, d, d), column j belongs to eigenvalue j.
    condition : (k + 1,) |λ|max / |λ|min (inf when some λ = 0, nan when the Hessian is not finite).
    bound : (k + 1,) 2(1 + β)/λmax for plain gradient descent (inf where λmax ≤ 0), or None for other
        optimizers, where no such bound applies.
    lrs : (k + 1,) the learning rate the step *from* each point uses (the last one repeated at the end).
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    condition: np.ndarray
    bound: np.ndarray | None
    lrs: np.ndarray

    def unstable(self, k: int) -> bool:
        """True when plain gradient descent's learning rate exceeds the stability bound at point ``k``."""
        if self.bound is None:
            return False
        k = min(max(int(k), 0), len(self.lrs) - 1)
        return bool(np.isfinite(self.lrs[k]) and self.lrs[k] > self.bound[k])


def heavy_ball(run) -> float | None:
    """β of a run that is plain (heavy-ball) gradient descent, else None (the bound only holds there)."""
    p = run.params
    if run.optimizer != "sgd" or p.get("nesterov", False) or float(p.get("dampening", 0.0)) != 0.0:
        return None
    return float(p.get("momentum", 0.0))


def run_geometry(surface, trajectory) -> RunGeometry:
    """:class:`RunGeometry` of ``trajectory`` on ``surface`` (one vectorised Hessian evaluation)."""
    k = int(trajectory.stop_step)
    points = np.asarray(trajectory.points, dtype=float)[: k + 1]
    d = points.shape[1]
    with np.errstate(all="ignore"):
        hess = np.asarray(surface.hessian(points), dtype=float).reshape(k + 1, d, d)
    ok = np.all(np.isfinite(hess), axis=(1, 2))
    lam = np.full((k + 1, d), np.nan)
    vec = np.full((k + 1, d, d), np.nan)
    if ok.any():
        sym = 0.5 * (hess[ok] + np.swapaxes(hess[ok], 1, 2))
        lam[ok], vec[ok] = np.linalg.eigh(sym)
    mags = np.abs(lam)
    with np.errstate(all="ignore"):
        condition = np.where(mags.min(axis=1) > 0, mags.max(axis=1) / mags.min(axis=1), np.inf)
    condition[~ok] = np.nan
    lrs = np.asarray(trajectory.lrs, dtype=float)[:k]
    lrs = np.concatenate([lrs, lrs[-1:] if lrs.size else [trajectory.run.params.get("lr", np.nan)]]).astype(float)
    beta = heavy_ball(trajectory.run)
    bound = None
    if beta is not None:
        top = lam[:, -1]
        with np.errstate(all="ignore"):
            bound = np.where(top > 0, 2.0 * (1.0 + beta) / top, np.inf)
        bound[~np.isfinite(top)] = np.nan
    return RunGeometry(lam, vec, condition, bound, lrs)


@dataclass(frozen=True)
class AnalysisJob:
    """A detached piece of analysis (safe to run on a worker): ``kind`` is "critical" or "geometry"."""

    kind: str
    revision: int
    index: int
    compute: Callable[[], Any]


class Analysis:
    """See the module docstring. ``critical_changed()`` and ``geometry_changed(index or None)`` announce new
    results; ``needs_compute(job)`` asks for work when not synchronous."""

    def __init__(self, model, *, synchronous: bool = True, find_critical: Callable | None = None) -> None:
        self.model = model
        self.synchronous = synchronous
        self.critical_changed = Signal()
        self.geometry_changed = Signal()
        self.needs_compute = Signal()
        self._critical: list | None = None
        self._geometry: dict[int, RunGeometry] = {}
        self._find_critical = find_critical or _critical_points
        self._counter = itertools.count(1)
        self._stale: dict[Any, AnalysisJob] = {}     # "critical" or a run index -> the job that is wanted
        model.surface_changed.connect(self._on_surface)
        model.trajectories_changed.connect(self._on_trajectories)
        model.runs_changed.connect(self._on_runs)
        self._on_surface()
        self._on_runs()

    def disconnect(self) -> None:
        self.model.surface_changed.disconnect(self._on_surface)
        self.model.trajectories_changed.disconnect(self._on_trajectories)
        self.model.runs_changed.disconnect(self._on_runs)

    # ------------------------------------------------------------------ queries
    @property
    def critical(self) -> list | None:
        """The stationary points in view (computed now when synchronous), or None while being computed."""
        if self.synchronous and "critical" in self._stale:
            self._run(self._stale["critical"])
        return self._critical

    def geometry(self, i: int) -> RunGeometry | None:
        """Run ``i``'s geometry along its current trajectory (computed now when synchronous), or None."""
        if self.synchronous and i in self._stale:
            self._run(self._stale[i])
        return self._geometry.get(i)

    @property
    def pending(self) -> bool:
        """True while some result is still to come."""
        return bool(self._stale)

    def refresh(self) -> None:
        """Ask (again) for everything stale: emits ``needs_compute`` per job when not synchronous."""
        for job in list(self._stale.values()):
            self._request(job)

    # ------------------------------------------------------------------ requests
    def _on_surface(self, *_args) -> None:
        m = self.model
        self._critical = None
        self._stale.pop("critical", None)
        if m.surface is not None:
            surface, ranges, find = m.surface, tuple(m.ranges), self._find_critical
            job = AnalysisJob("critical", next(self._counter), -1, lambda: find(surface, ranges))
            self._stale["critical"] = job
            self._request(job)
        self.critical_changed.emit()

    def _on_runs(self, *_args) -> None:
        self._geometry.clear()
        for key in [k for k in self._stale if k != "critical"]:
            del self._stale[key]
        self._on_trajectories(None)

    def _on_trajectories(self, index) -> None:
        m = self.model
        indices = range(len(m.runs)) if index is None else [index]
        for i in indices:
            traj = m.trajectories[i] if i < len(m.trajectories) else None
            self._geometry.pop(i, None)
            self._stale.pop(i, None)
            if traj is None or m.surface is None:
                continue
            surface = m.surface
            job = AnalysisJob("geometry", next(self._counter), i, lambda s=surface, t=traj: run_geometry(s, t))
            self._stale[i] = job
            self._request(job)
        self.geometry_changed.emit(index)

    def _request(self, job: AnalysisJob) -> None:
        if not self.synchronous:
            self.needs_compute.emit(job)

    def _run(self, job: AnalysisJob) -> None:
        try:
            result = job.compute()
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            result = [] if job.kind == "critical" else None
        self.deliver(job, result, quiet=True)

    def deliver(self, job: AnalysisJob, result, *, quiet: bool = False) -> bool:
        """Take a job's result (on the model's thread); False when it is no longer wanted."""
        key = "critical" if job.kind == "critical" else job.index
        if self._stale.get(key) is not job:
            return False
        del self._stale[key]
        if job.kind == "critical":
            self._critical = list(result or [])
            if not quiet:
                self.critical_changed.emit()
            return True
        if result is not None:
            self._geometry[job.index] = result
        if not quiet:
            self.geometry_changed.emit(job.index)
        return True


def _critical_points(surface, ranges):
    from explorer.critical import critical_points

    return critical_points(surface, *ranges)


__all__ = ["NON_ADAPTIVE", "Analysis", "AnalysisJob", "RunGeometry", "heavy_ball", "run_geometry"]
