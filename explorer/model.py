"""The comparison: one surface, several racing runs, the current step and the view settings.

:class:`Comparison` is the one object the window is bound to (no Qt here). Views subscribe to its
:class:`~explorer.events.Signal` attributes and write user edits back through its ``set_*`` methods; every
signal fires only when a value really changed.

Recomputation is pluggable. Whenever a run's trajectory goes stale (its spec, the surface, the ranges, the
tolerance or the default step budget changed) the model bumps that run's *revision* and then either

* ``synchronous = True`` (the default, used by tests and the headless CLI): computes the new trajectories
  at once with :func:`explorer.simulation.simulate_run` and emits ``trajectories_changed``; or
* ``synchronous = False`` (the window): emits ``needs_recompute(indices)`` and keeps showing the old
  trajectories. The listener takes ``job = model.recompute_job(i)`` on the GUI thread, calls the pure,
  thread-safe ``job.compute()`` on a worker, and hands the result back on the GUI thread with
  ``model.set_trajectory(job.index, traj, revision=job.revision)``. A result whose revision is no longer
  current (the run was edited again or removed meanwhile) is dropped, so the newest request wins.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from explorer.events import Signal
from explorer.runs import PALETTE, RunSpec

DEFAULT_X_RANGE = (-2.0, 2.0)
DEFAULT_Y_RANGE = (-2.0, 2.0)
_COSMETIC_FIELDS = ("label", "color", "visible")  # RunSpec fields that do not change the trajectory


def _default_simulate(surface, run, *, steps, tolerance, bounds):
    from explorer.simulation import simulate_run  # imported late: the engine is optional for model tests

    return simulate_run(surface, run, steps=steps, tolerance=tolerance, bounds=bounds)


def _same(a: Any, b: Any) -> bool:
    """Value equality that also copes with numpy arrays (``a == b`` would be ambiguous)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _as_range(value: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in value)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi and math.isfinite(hi - lo)):
        raise ValueError(f"a range needs finite bounds with min < max, got ({lo}, {hi})")
    return (lo, hi)


def _as_ranges(ranges, surface, x_range=DEFAULT_X_RANGE, y_range=DEFAULT_Y_RANGE) -> tuple[tuple[float, float], ...]:
    """One range per variable of ``surface`` (x_range, y_range for the first two when ``ranges`` is None)."""
    d = surface.ndim if surface is not None else 2
    if ranges is None:
        ranges = [x_range, y_range, *([DEFAULT_X_RANGE] * (d - 2))][:d]
    ranges = tuple(_as_range(r) for r in ranges)
    if len(ranges) != d:
        raise ValueError(f"{d} ranges are needed, one per variable, got {len(ranges)}")
    return ranges


@dataclass(frozen=True)
class RecomputeJob:
    """Everything needed to compute one trajectory, detached from the model (safe to run on a worker)."""

    index: int
    revision: int
    surface: Any
    run: RunSpec
    steps: int
    tolerance: float
    bounds: tuple[tuple[float, float], ...]
    simulate: Callable[..., Any]

    def compute(self):
        """Return the :class:`~explorer.simulation.Trajectory` (may raise ``ValueError`` for bad settings)."""
        return self.simulate(self.surface, self.run, steps=self.steps, tolerance=self.tolerance,
                             bounds=self.bounds)


class Comparison:
    """A surface and the runs racing over it.

    State (read freely, change through the methods): ``title``, ``description``, ``tolerance``,
    ``default_steps``, ``expression``, ``surface``, ``variables`` (names), ``ranges`` (one (min, max) per
    variable; ``x_range``/``y_range`` are the first two), ``parameters``, ``data`` (the surface's
    :class:`~explorer.data.Dataset` or None) and ``data_file`` (the CSV it was read from), ``runs``,
    ``trajectories`` (one :class:`Trajectory` or ``None`` per run), ``errors`` (one message or ``None`` per
    run, set when a run could not be simulated), ``selected`` (-1 = none), ``step``, ``view``.
    """

    def __init__(self, surface=None, runs: Iterable[RunSpec] = (), *,
                 x_range: Sequence[float] = DEFAULT_X_RANGE, y_range: Sequence[float] = DEFAULT_Y_RANGE,
                 ranges: Sequence[Sequence[float]] | None = None,
                 title: str = "", description: str = "", tolerance: float = 1e-8, default_steps: int = 500,
                 view: Mapping[str, Any] | None = None, synchronous: bool = True,
                 simulate: Callable[..., Any] | None = None, data_file: str | None = None) -> None:
        self.surface_changed = Signal()
        self.runs_changed = Signal()
        self.run_changed = Signal()
        self.trajectories_changed = Signal()
        self.step_changed = Signal()
        self.selection_changed = Signal()
        self.view_changed = Signal()
        self.settings_changed = Signal()   # () title, description, tolerance or default_steps changed
        self.needs_recompute = Signal()    # (indices: list[int]) only emitted when synchronous is False

        self.title = title
        self.description = description
        self.tolerance = float(tolerance)
        self.default_steps = int(default_steps)
        self.surface = surface
        self.expression: str = surface.text if surface is not None else ""
        self.parameters: dict[str, float] = dict(surface.parameters) if surface is not None else {}
        self.data_changed = Signal()       # () the data rows changed (the surface_changed signal follows)
        self.data_file = data_file
        self.ranges = _as_ranges(ranges, surface, x_range, y_range)
        self.runs: list[RunSpec] = list(runs)
        self.trajectories: list[Any] = [None] * len(self.runs)
        self.errors: list[str | None] = [None] * len(self.runs)
        self.selected = 0 if self.runs else -1
        self.step = 0
        self.view: dict[str, Any] = dict(view or {})
        self.minima: tuple[tuple[float, ...], ...] = ()   # known minima, kept for the preset round trip
        self.synchronous = synchronous
        self.simulate = simulate or _default_simulate
        self._revision_counter = itertools.count(1)
        self._revisions: list[int] = [0] * len(self.runs)        # wanted revision per run
        self._computed: list[int] = [-1] * len(self.runs)        # revision of the trajectory held
        if self.surface is not None and self.runs:
            self._invalidate(range(len(self.runs)))

    # ------------------------------------------------------------------ queries
    @property
    def max_step(self) -> int:
        """The longest trajectory's last index (0 when nothing is computed yet)."""
        return max((t.stop_step for t in self.trajectories if t is not None), default=0)

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """One (min, max) per variable: the view box (100x enlarged, the "diverged" limit)."""
        return self.ranges

    @property
    def x_range(self) -> tuple[float, float]:
        return self.ranges[0]

    @property
    def y_range(self) -> tuple[float, float]:
        """The second variable's range; for one variable, (0, 1) (a 1-D view chooses its own height)."""
        return self.ranges[1] if len(self.ranges) > 1 else (0.0, 1.0)

    @property
    def variables(self) -> tuple[str, ...]:
        return self.surface.variable_names if self.surface is not None else ("x", "y")

    @property
    def ndim(self) -> int:
        return len(self.ranges)

    @property
    def data(self):
        return getattr(self.surface, "data", None)

    def steps_of(self, i: int) -> int:
        """Run ``i``'s step budget (its own or the comparison's default)."""
        steps = self.runs[i].steps
        return int(steps) if steps is not None else self.default_steps

    def color_of(self, i: int) -> str:
        """Run ``i``'s colour: its own, or the palette colour for its index."""
        color = self.runs[i].color
        return color if color else PALETTE[i % len(PALETTE)]

    def point_at(self, i: int, step: int | None = None) -> np.ndarray:
        """Run ``i``'s position (d,) at ``step`` (default: the current step), held at its last point."""
        step = self.step if step is None else step
        traj = self.trajectories[i]
        if traj is None:
            return np.asarray(self.runs[i].start, dtype=float)
        return traj.points[min(max(int(step), 0), traj.stop_step)]

    def is_current(self, i: int) -> bool:
        """True when run ``i``'s trajectory matches its current spec and surface (no recompute pending)."""
        return self._computed[i] == self._revisions[i]

    def wants(self, revision: int) -> bool:
        """True while a :class:`RecomputeJob` with this revision is still the newest for its run."""
        return revision in self._revisions and revision not in self._computed

    @property
    def pending(self) -> bool:
        """True while any run waits for a recomputed trajectory."""
        return any(c != r for c, r in zip(self._computed, self._revisions, strict=True))

    # ------------------------------------------------------------------ surface
    def set_surface(self, surface, x_range: Sequence[float] | None = None,
                    y_range: Sequence[float] | None = None, *,
                    ranges: Sequence[Sequence[float]] | None = None) -> None:
        """Show ``surface``; recomputes every trajectory.

        The ranges stay unless given (``ranges``: one per variable; ``x_range``/``y_range``: the first two).
        A surface with a different number of variables needs ``ranges`` (else each variable gets -2..2).
        """
        old_d = len(self.ranges)
        new_d = surface.ndim if surface is not None else old_d
        if ranges is not None:
            new_ranges = _as_ranges(ranges, surface)
        elif new_d != old_d:
            new_ranges = _as_ranges(None, surface)
        else:
            new_ranges = list(self.ranges)
            if x_range is not None:
                new_ranges[0] = _as_range(x_range)
            if y_range is not None and new_d > 1:
                new_ranges[1] = _as_range(y_range)
            new_ranges = tuple(new_ranges)
        same_surface = surface is self.surface or (
            surface is not None and self.surface is not None and surface.symbolic == self.surface.symbolic
            and _same(dict(surface.parameters), dict(self.surface.parameters))
            and getattr(surface, "reduction", "mean") == getattr(self.surface, "reduction", "mean")
            and _same(getattr(surface, "data", None), getattr(self.surface, "data", None)))
        if same_surface and new_ranges == self.ranges:
            return
        data_changed = not _same(getattr(surface, "data", None), self.data)
        self.surface = surface
        self.expression = surface.text if surface is not None else ""
        self.parameters = dict(surface.parameters) if surface is not None else {}
        self.ranges = new_ranges
        if data_changed:
            self.data_changed.emit()
        self.surface_changed.emit()
        # old paths belong to the old function: drop them rather than show them over the new one
        self._invalidate(range(len(self.runs)), clear=not same_surface)

    def set_ranges(self, x_range: Sequence[float], y_range: Sequence[float] | None = None, *,
                   ranges: Sequence[Sequence[float]] | None = None) -> None:
        self.set_surface(self.surface, x_range, y_range, ranges=ranges)

    def set_data(self, dataset, *, data_file: str | None = None) -> None:
        """Replace the data rows (same columns; no symbolic work); recomputes every trajectory.

        The paths are kept on screen until the new ones arrive: dragging a data point moves them smoothly.
        """
        if self.surface is None or _same(dataset, self.data):
            return
        self.data_file = data_file
        surface = self.surface.with_data(dataset)
        self.surface = surface
        self.data_changed.emit()
        self.surface_changed.emit()
        self._invalidate(range(len(self.runs)))

    def set_parameters(self, values: Mapping[str, float]) -> None:
        """Change parameter values (names other than x, y) without recompiling the surface."""
        merged = {**self.parameters, **{k: float(v) for k, v in values.items()}}
        if merged == self.parameters or self.surface is None:
            return
        self.set_surface(self.surface.with_parameters(merged))

    def set_tolerance(self, tolerance: float) -> None:
        if float(tolerance) != self.tolerance:
            self.tolerance = float(tolerance)
            self.settings_changed.emit()
            self._invalidate(range(len(self.runs)))

    def set_default_steps(self, steps: int) -> None:
        if int(steps) != self.default_steps:
            self.default_steps = int(steps)
            self.settings_changed.emit()
            self._invalidate([i for i, r in enumerate(self.runs) if r.steps is None])

    def set_title(self, title: str, description: str | None = None) -> None:
        description = self.description if description is None else description
        if (title, description) != (self.title, self.description):
            self.title, self.description = title, description
            self.settings_changed.emit()

    # ------------------------------------------------------------------ runs
    def set_run(self, i: int, run: RunSpec) -> None:
        """Replace run ``i``; recomputes its trajectory unless only label/colour/visibility changed."""
        old = self.runs[i]
        if run == old:
            return
        self.runs[i] = run
        self.run_changed.emit(i)
        cosmetic = {f: getattr(old, f) for f in _COSMETIC_FIELDS}
        if replace(run, **cosmetic) != old:
            self._invalidate([i])

    def add_run(self, run: RunSpec, *, select: bool = True) -> int:
        """Append ``run`` (given a free palette colour when it has none); returns its index."""
        if not run.color:
            run = replace(run, color=self._free_color())
        self.runs.append(run)
        self.trajectories.append(None)
        self.errors.append(None)
        self._revisions.append(0)
        self._computed.append(-1)
        index = len(self.runs) - 1
        self.runs_changed.emit()
        if select:
            self.select(index)
        self._invalidate([index])
        return index

    def duplicate_run(self, i: int) -> int:
        """Append a copy of run ``i`` with a new colour and a "(copy)" label; returns its index."""
        run = self.runs[i]
        return self.add_run(replace(run, label=f"{run.label} (copy)", color=None))

    def remove_run(self, i: int) -> None:
        """Remove run ``i``; the others keep their colours."""
        if not 0 <= i < len(self.runs):
            raise IndexError(f"no run {i}")
        for j in range(i + 1, len(self.runs)):   # pin palette colours so they do not shift down
            if not self.runs[j].color:
                self.runs[j] = replace(self.runs[j], color=self.color_of(j))
        for seq in (self.runs, self.trajectories, self.errors, self._revisions, self._computed):
            del seq[i]
        old_selected = self.selected
        if self.selected > i or self.selected >= len(self.runs):
            self.selected -= 1
        self.runs_changed.emit()
        if self.selected != old_selected or old_selected == i:   # moved, or now points at another run
            self.selection_changed.emit(self.selected)
        self.trajectories_changed.emit(None)
        self._clamp_step()

    def select(self, i: int) -> None:
        i = int(i)
        if not -1 <= i < len(self.runs):
            raise IndexError(f"no run {i}")
        if i != self.selected:
            self.selected = i
            self.selection_changed.emit(i)

    def _free_color(self) -> str:
        used = {self.color_of(j).lower() for j in range(len(self.runs))}
        for color in PALETTE:
            if color not in used:
                return color
        return PALETTE[len(self.runs) % len(PALETTE)]

    # ------------------------------------------------------------------ playback and view
    def set_step(self, k: int) -> None:
        """Show step ``k`` (clamped to 0 … max_step)."""
        k = min(max(int(k), 0), self.max_step)
        if k != self.step:
            self.step = k
            self.step_changed.emit(k)

    def set_view(self, key: str, value: Any) -> None:
        if key in self.view and _same(self.view[key], value):
            return
        self.view[key] = value
        self.view_changed.emit(key)

    def _clamp_step(self) -> None:
        if self.step > self.max_step:
            self.set_step(self.max_step)

    # ------------------------------------------------------------------ recomputation
    def recompute_job(self, i: int) -> RecomputeJob:
        """A detached description of run ``i``'s pending computation (call on the GUI thread)."""
        return RecomputeJob(i, self._revisions[i], self.surface, self.runs[i], self.steps_of(i),
                            self.tolerance, self.bounds, self.simulate)

    def set_trajectory(self, i: int, trajectory, *, revision: int | None = None,
                       error: str | None = None) -> bool:
        """Store a computed trajectory (or the ``error`` that prevented one) for run ``i``.

        With ``revision`` (from :meth:`recompute_job`) the run is found by revision, so results survive
        runs being removed in between; a stale revision is dropped and ``False`` returned.
        """
        if revision is not None:
            try:
                i = self._revisions.index(revision)
            except ValueError:
                return False
        self._store(i, trajectory, error)
        self.trajectories_changed.emit(i)
        self._clamp_step()
        return True

    def set_trajectories(self, results: Iterable[tuple[int, Any, str | None]]) -> list[int]:
        """Store several ``(revision, trajectory, error)`` results with one ``trajectories_changed``.

        Stale revisions are dropped; returns the indices of the runs updated.
        """
        updated = []
        for revision, trajectory, error in results:
            if revision in self._revisions:
                i = self._revisions.index(revision)
                self._store(i, trajectory, error)
                updated.append(i)
        if updated:
            self.trajectories_changed.emit(updated[0] if len(updated) == 1 else None)
            self._clamp_step()
        return updated

    def _store(self, i: int, trajectory, error: str | None) -> None:
        self.trajectories[i] = trajectory
        self.errors[i] = error
        self._computed[i] = self._revisions[i]

    def recompute(self, i: int) -> None:
        """Compute run ``i``'s trajectory now, on this thread."""
        traj, error = self._compute(self.recompute_job(i))
        self.set_trajectory(i, traj, error=error)

    def recompute_all(self) -> None:
        """Recompute every run now (one ``trajectories_changed(None)``)."""
        self._invalidate(range(len(self.runs)))

    @staticmethod
    def _compute(job: RecomputeJob):
        if job.surface is None:
            return None, None
        try:
            return job.compute(), None
        except (ValueError, ArithmeticError) as exc:
            return None, str(exc)

    def _invalidate(self, indices: Iterable[int], *, clear: bool = False) -> None:
        """Mark runs stale and get them recomputed (now, or by the ``needs_recompute`` listener).

        clear : when recomputing asynchronously, also drop the stale trajectories at once (the current step
            is kept and clamped when the new ones arrive).
        """
        indices = list(indices)
        if not indices:
            return
        for i in indices:
            self._revisions[i] = next(self._revision_counter)
        if not self.synchronous:
            if clear:
                for i in indices:
                    self.trajectories[i] = self.errors[i] = None
                self.trajectories_changed.emit(indices[0] if len(indices) == 1 else None)
            self.needs_recompute.emit(indices)
            return
        for i in indices:
            self._store(i, *self._compute(self.recompute_job(i)))
        self.trajectories_changed.emit(indices[0] if len(indices) == 1 else None)
        self._clamp_step()

    # ------------------------------------------------------------------ presets
    @classmethod
    def from_preset(cls, preset, *, surface=None, synchronous: bool = True,
                    simulate: Callable[..., Any] | None = None) -> Comparison:
        """Build a comparison from a :class:`explorer.preset.Preset` (compiling its surface unless given)."""
        spec = preset.surface
        if surface is None:
            surface = preset.build_surface()
        view = dict(getattr(preset, "view", None) or {})
        step = view.pop("step", None)
        data = getattr(preset, "data", None)
        model = cls(surface, list(preset.runs), ranges=spec.ranges,
                    title=preset.title, description=preset.description, tolerance=preset.tolerance,
                    default_steps=preset.steps, view=view, synchronous=synchronous, simulate=simulate,
                    data_file=data.file if data is not None else None)
        model.minima = tuple(getattr(spec, "minima", ()) or ())
        if step is not None:
            model.step = min(max(int(step), 0), model.max_step) if synchronous else int(step)
        return model

    def to_preset(self):
        """The comparison as a :class:`explorer.preset.Preset` (the current step is kept under view)."""
        from explorer.preset_schema import DataSpec, Preset, SurfaceSpec

        surface = SurfaceSpec(expression=self.expression, ranges=self.ranges, parameters=dict(self.parameters),
                              minima=self.minima, variables=self.variables,
                              reduction=getattr(self.surface, "reduction", "mean"))
        view = dict(self.view)
        view["step"] = self.step
        data = DataSpec(self.data, self.data_file) if self.data is not None else None
        return Preset(title=self.title, description=self.description, tolerance=self.tolerance,
                      steps=self.default_steps, surface=surface, runs=tuple(self.runs), view=view, data=data)
