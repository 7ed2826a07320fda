"""The comparison: one surface, several racing runs, the current step and the view settings.

:class:`Comparison` is the one object the window is bound to (no Qt here). Views subscribe to its
:class:`~explorer.events.Signal` attributes and write user edits back through its ``set_*`` methods; every
signal fires only when a value really changed.

What a preset file holds (title, description, tolerance, step budget, surface and ranges, known minima, runs,
and the typed :class:`~explorer.view_settings.ViewSettings` in ``model.view``) is the *document*. Every change
to it made through the public methods is an *edit*: the model emits ``edited(Edit)`` with the document state
before and after (:class:`DocumentState`), which the window's undo stack keeps, so undo is
``model.restore(edit.before)``. Several changes inside ``with model.edit("Reset lesson"):`` make one edit;
changes made by :meth:`load` and :meth:`restore` are not edits. Session state (``step``, ``selected``,
``model.session``: presentation mode, basin map) is never part of an edit and never saved.

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
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from explorer.events import Signal
from explorer.runs import PALETTE, RunSpec
from explorer.view_settings import Session, ViewSettings, distinct_color

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


@dataclass(frozen=True, eq=False)
class DocumentState:
    """Everything a preset file holds about a comparison, as one immutable snapshot (cheap: it shares the
    compiled surface and the frozen run specs)."""

    title: str
    description: str
    tolerance: float
    default_steps: int
    surface: Any
    ranges: tuple[tuple[float, float], ...]
    minima: tuple[tuple[float, ...], ...]
    runs: tuple[RunSpec, ...]
    view: dict[str, Any] = field(default_factory=dict)
    data: Any = None    # the DataSpec (raw rows, file, prediction, show, on_map, standardise) or None

    @property
    def data_file(self) -> str | None:
        return self.data.file if self.data is not None else None

    def same_as(self, other: DocumentState) -> bool:
        return (self.title, self.description, self.tolerance, self.default_steps, self.ranges, self.minima,
                self.runs) == (other.title, other.description, other.tolerance, other.default_steps,
                               other.ranges, other.minima, other.runs) \
            and _same_surface(self.surface, other.surface) and _same(self.view, other.view) \
            and _same(self.data, other.data)


@dataclass(frozen=True, eq=False)
class Edit:
    """One change a person made to the document.

    text : what it was, in the user's words ("Move the start of Adam"), for Edit ▸ Undo.
    key : edits with the same key made within :data:`MERGE_SECONDS` of each other fold into one undo step
        (a slider drag, a start dragged across the map); None never merges.
    time : when it was made (``time.monotonic()``).
    """

    text: str
    before: DocumentState
    after: DocumentState
    key: tuple | None = None
    time: float = 0.0


MERGE_SECONDS = 1.0


def _same_surface(a, b) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    return (a.symbolic == b.symbolic and _same(dict(a.parameters), dict(b.parameters))
            and getattr(a, "reduction", "mean") == getattr(b, "reduction", "mean")
            and _same(getattr(a, "data", None), getattr(b, "data", None)))


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
    :class:`~explorer.data.Dataset` the loss averages over, or None), ``dataspec`` (the
    :class:`~explorer.preset_schema.DataSpec`: the rows as given, the CSV they came from, the prediction and
    how the data pane shows them; its ``model_dataset`` is ``data``) and ``data_file``, ``runs``,
    ``trajectories`` (one :class:`Trajectory` or ``None`` per run), ``errors`` (one message or ``None`` per
    run, set when a run could not be simulated), ``selected`` (-1 = none), ``step``, ``view`` (the
    :class:`~explorer.view_settings.ViewSettings`), ``session`` (:class:`~explorer.view_settings.Session`),
    ``analysis`` (:class:`~explorer.analysis.Analysis`), ``projection`` (:class:`~explorer.projection.Projection`:
    what the 2-D views draw, for any number of variables).
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
        self.settings_changed = Signal()   # () title, description, tolerance or default_steps changed
        self.needs_recompute = Signal()    # (indices: list[int]) only emitted when synchronous is False
        self.edited = Signal()             # (Edit) a person changed the document
        self.loaded = Signal()             # () the whole document was replaced (a file, a lesson, File ▸ New)

        self.title = title
        self.description = description
        self.tolerance = float(tolerance)
        self.default_steps = int(default_steps)
        self.surface = surface
        self.expression: str = surface.text if surface is not None else ""
        self.parameters: dict[str, float] = dict(surface.parameters) if surface is not None else {}
        self.data_changed = Signal()       # () the data rows or their settings changed (surface_changed follows
        #                                    when the rows the loss sees changed)
        self.dataspec = _adopt_data(None, getattr(surface, "data", None), data_file)
        self.ranges = _as_ranges(ranges, surface, x_range, y_range)
        self.runs: list[RunSpec] = list(runs)
        self.trajectories: list[Any] = [None] * len(self.runs)
        self.errors: list[str | None] = [None] * len(self.runs)
        self.selected = 0 if self.runs else -1
        self.step = 0
        if isinstance(view, ViewSettings):
            self.view = view
        else:
            self.view, _session = ViewSettings.from_dict(view)
        self.session = Session()
        self.minima: tuple[tuple[float, ...], ...] = ()   # known minima, kept for the preset round trip
        #: a new typed formula makes the comparison "Untitled" (set by the window while it has no file:
        #: a lesson with another formula is no longer that lesson)
        self.retitle_new_formula = False
        self._edit_depth = 0
        self._edit_stack: list[tuple[DocumentState, str, tuple | None]] = []
        self._recording = True
        self.view.changing.connect(self._view_changing)
        self.view.changed.connect(self._view_changed)
        self.synchronous = synchronous
        self.simulate = simulate or _default_simulate
        self._revision_counter = itertools.count(1)
        self._revisions: list[int] = [0] * len(self.runs)        # wanted revision per run
        self._computed: list[int] = [-1] * len(self.runs)        # revision of the trajectory held
        if self.surface is not None and self.runs:
            self._invalidate(range(len(self.runs)))
        from explorer.analysis import Analysis

        #: critical points and the geometry along each trajectory, computed once per change (views draw it)
        self.analysis = Analysis(self)
        from explorer.projection import Projection

        #: what the 2-D views draw for any number of variables (the plane, a slice of it, or the curve)
        self.projection = Projection(self)

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
        """The rows the loss averages over (standardised columns rescaled), or None."""
        return getattr(self.surface, "data", None)

    @property
    def data_file(self) -> str | None:
        """The CSV file the data were read from (None: typed, pasted or edited since)."""
        return self.dataspec.file if self.dataspec is not None else None

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
        if not same_surface and (surface is None or self.surface is None or surface.text != self.surface.text):
            text, key = "Change the formula", None
        elif not same_surface:
            names = tuple(sorted(k for k in surface.parameters if surface.parameters[k] != self.parameters.get(k)))
            text, key = f"Change {', '.join(names) or 'the surface'}", ("parameters", names)
        else:
            text, key = "Change the ranges", ("ranges",)
        with self.edit(text, key):
            if key is None and self._recording:   # a typed formula, not a file being loaded:
                self.minima = ()    # the known minima were another formula's (x^2 + y^2 kept Rosenbrock's star)
            self._set_surface(surface, new_ranges, same_surface)
            if key is None and self.retitle_new_formula and self._recording and self._edit_depth == 1:
                self.set_title("Untitled", "")   # typed over a lesson: it is no longer that lesson

    def _set_surface(self, surface, new_ranges, same_surface: bool) -> None:
        data_changed = not _same(getattr(surface, "data", None), self.data)
        self.dataspec = _adopt_data(self.dataspec, getattr(surface, "data", None))
        self.surface = surface
        self.expression = surface.text if surface is not None else ""
        self.parameters = dict(surface.parameters) if surface is not None else {}
        self.ranges = new_ranges
        if data_changed:
            self.data_changed.emit()
        self.surface_changed.emit()
        # old paths belong to the old function: drop them rather than show them over the new one
        self._invalidate(range(len(self.runs)), clear=not same_surface)

    def set_variables(self, surface) -> None:
        """Show ``surface``, whose variables (names or number) differ from the current ones: one edit.

        A variable that keeps its name keeps its range, its coordinate in every run's start and in the known
        minima; a new one gets the range (−2, 2) and starts in its middle. Known minima that lose a
        coordinate are dropped (they were minima of another function); a slice through two variables that are
        gone goes back to the first two."""
        old_names = self.variables
        new_names = tuple(surface.variable_names)
        if new_names == tuple(old_names):
            self.set_surface(surface)
            return
        kept = dict(zip(old_names, self.ranges, strict=False))
        ranges = tuple(kept.get(n, DEFAULT_X_RANGE) for n in new_names)
        with self.edit(f"Change the variables to {', '.join(new_names)}"):
            for i, run in enumerate(self.runs):
                old = dict(zip(old_names, run.start, strict=False)) if len(run.start) == len(old_names) else {}
                start = tuple(float(old.get(n, (lo + hi) / 2)) for n, (lo, hi) in zip(new_names, ranges, strict=True))
                self.runs[i] = replace(run, start=start)
            self.minima = tuple(tuple(dict(zip(old_names, m, strict=True))[n] for n in new_names)
                                for m in self.minima if len(m) == len(old_names) and set(new_names) <= set(old_names))
            spec = self.view.slice
            if spec.variables is not None and not set(spec.variables) <= set(new_names):
                self.view.update({"slice": replace(spec, variables=None)})
            self.set_surface(surface, ranges=ranges)
            for i in range(len(self.runs)):
                self.run_changed.emit(i)

    def set_ranges(self, x_range: Sequence[float], y_range: Sequence[float] | None = None, *,
                   ranges: Sequence[Sequence[float]] | None = None) -> None:
        self.set_surface(self.surface, x_range, y_range, ranges=ranges)

    def set_data(self, dataset, *, data_file: str | None = None) -> None:
        """Replace the data rows as given (same columns; no symbolic work); recomputes every trajectory.

        The loss sees them with the ``standardise`` columns rescaled. The paths are kept on screen until the
        new ones arrive: dragging a data point moves them smoothly (one undo step per drag).
        """
        if self.surface is None or self.dataspec is None:
            return
        spec = replace(self.dataspec, dataset=dataset, file=data_file)
        if spec == self.dataspec:
            return
        with self.edit("Change the data", ("data",)):
            self._set_data(spec)

    def set_data_spec(self, spec) -> None:
        """Replace the data and how they are shown (a :class:`~explorer.preset_schema.DataSpec` whose columns
        include the surface's); recomputes every trajectory when the rows the loss sees changed."""
        if self.surface is None or _same(spec, self.dataspec):
            return
        with self.edit("Change the data"):
            self._set_data(spec)

    def _set_data(self, spec) -> None:
        old_rows = self.data
        self.dataspec = spec
        rows = spec.model_dataset if spec is not None else None
        if _same(rows, old_rows):
            self.data_changed.emit()
            return
        self.surface = self.surface.with_data(rows)
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
            with self.edit("Change the tolerance", ("tolerance",)):
                self.tolerance = float(tolerance)
                self.settings_changed.emit()
                self._invalidate(range(len(self.runs)))

    def set_default_steps(self, steps: int) -> None:
        if int(steps) != self.default_steps:
            with self.edit("Change the number of steps", ("default_steps",)):
                self.default_steps = int(steps)
                self.settings_changed.emit()
                self._invalidate([i for i, r in enumerate(self.runs) if r.steps is None])

    def set_title(self, title: str, description: str | None = None) -> None:
        description = self.description if description is None else description
        if (title, description) != (self.title, self.description):
            with self.edit("Change the title", ("title",)):
                self.title, self.description = title, description
                self.settings_changed.emit()

    # ------------------------------------------------------------------ runs
    def set_run(self, i: int, run: RunSpec) -> None:
        """Replace run ``i``; recomputes its trajectory unless only label/colour/visibility changed."""
        old = self.runs[i]
        if run == old:
            return
        text, key = _describe_run_change(old, run, i)
        with self.edit(text, key):
            self.runs[i] = run
            self.run_changed.emit(i)
            cosmetic = {f: getattr(old, f) for f in _COSMETIC_FIELDS}
            if replace(run, **cosmetic) != old:
                self._invalidate([i])

    def add_run(self, run: RunSpec, *, select: bool = True) -> int:
        """Append ``run`` (given a free palette colour when it has none); returns its index."""
        if not run.color:
            run = replace(run, color=self._free_color())
        with self.edit(f"Add {run.label}"):
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
        with self.edit(f"Remove {self.runs[i].label}"):
            self._remove_run(i)

    def _remove_run(self, i: int) -> None:
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
        """The palette colour most distinct from those in use (also for colour-blind eyes)."""
        return distinct_color([self.color_of(j) for j in range(len(self.runs))], PALETTE)

    # ------------------------------------------------------------------ playback and view
    def set_step(self, k: int) -> None:
        """Show step ``k`` (clamped to 0 … max_step)."""
        k = min(max(int(k), 0), self.max_step)
        if k != self.step:
            self.step = k
            self.step_changed.emit(k)

    def _view_changing(self, name: str, _old, _new) -> None:
        what = "the parameter ranges" if name == "parameter_ranges" else name.replace("_", " ")
        self._begin_edit(f"Change {what}", ("view", name) if name == "parameter_ranges" else None)

    def _view_changed(self, _name: str) -> None:
        self._end_edit()

    def display_copy(self) -> Comparison:
        """A detached copy showing the same race (surface, runs, computed trajectories, view settings, step,
        selection) without recomputing anything: exports play it off screen while the window stays put."""
        copy = Comparison(None, (), title=self.title, description=self.description, tolerance=self.tolerance,
                          default_steps=self.default_steps, simulate=self.simulate)
        copy.surface, copy.expression, copy.parameters = self.surface, self.expression, dict(self.parameters)
        copy.ranges, copy.minima, copy.dataspec = self.ranges, self.minima, self.dataspec
        copy.runs, copy.trajectories, copy.errors = list(self.runs), list(self.trajectories), list(self.errors)
        copy._revisions, copy._computed = list(self._revisions), list(self._computed)
        copy.selected, copy.step = self.selected, self.step
        with copy.view.blocked(), copy.session.blocked():
            copy.view.update(self.view.as_dict(all_fields=True))
            copy.session.update(self.session.as_dict(all_fields=True))
        from explorer.analysis import Analysis

        copy.analysis.disconnect()
        copy.analysis = Analysis(copy)
        from explorer.projection import Projection

        copy.projection.disconnect()
        copy.projection = Projection(copy)
        return copy

    # ------------------------------------------------------------------ edits, undo and loading
    def state(self) -> DocumentState:
        """The document as it is now (what a preset file of it would hold)."""
        return DocumentState(self.title, self.description, self.tolerance, self.default_steps, self.surface,
                             self.ranges, self.minima, tuple(self.runs), self.view.as_dict(), self.dataspec)

    @contextmanager
    def edit(self, text: str, key: tuple | None = None) -> Iterator[None]:
        """Group the changes made inside into one :class:`Edit` named ``text`` (emitted at the end, if
        anything changed). Nested groups belong to the outermost one."""
        self._begin_edit(text, key)
        try:
            yield
        finally:
            self._end_edit()

    def _begin_edit(self, text: str, key: tuple | None) -> None:
        self._edit_depth += 1
        if self._edit_depth == 1:
            self._edit_stack = [(self.state(), text, key)]

    def _end_edit(self) -> None:
        self._edit_depth -= 1
        if self._edit_depth > 0:
            return
        before, text, key = self._edit_stack.pop()
        if not self._recording:
            return
        after = self.state()
        if not after.same_as(before):
            self.edited.emit(Edit(text, before, after, key, time.monotonic()))

    @contextmanager
    def _not_recorded(self) -> Iterator[None]:
        recording, self._recording = self._recording, False
        try:
            yield
        finally:
            self._recording = recording

    def restore(self, state: DocumentState) -> None:
        """Make the document equal to ``state`` (undo, redo, Reset lesson), touching only what differs: runs
        that did not change keep their trajectories. Not an edit by itself (inside :meth:`edit` it is part of
        that edit)."""
        with self._not_recorded() if self._edit_depth == 0 else _nothing():
            with self.edit("Restore"):
                self.minima = state.minima
                data_changed = not _same(state.data, self.dataspec)
                self.dataspec = state.data
                if not _same_surface(state.surface, self.surface) or state.ranges != self.ranges:
                    self.set_surface(state.surface, ranges=state.ranges)
                elif data_changed:
                    self.data_changed.emit()
                if (state.title, state.description) != (self.title, self.description):
                    self.set_title(state.title, state.description)
                self.set_tolerance(state.tolerance)
                self.set_default_steps(state.default_steps)
                self._restore_runs(state.runs)
                view = ViewSettings().as_dict(all_fields=True)
                view.update(state.view)
                self.view.update(view)

    def _restore_runs(self, runs: tuple[RunSpec, ...]) -> None:
        while len(self.runs) > len(runs):
            self.remove_run(len(self.runs) - 1)
        for i, run in enumerate(runs):
            if i < len(self.runs):
                self.set_run(i, run)
            else:
                self.add_run(run, select=False)
                if self.runs[i] != run:   # add_run filled in a palette colour; keep the state's None
                    self.set_run(i, run)
        if self.selected < 0 and self.runs:
            self.select(0)

    def load(self, preset, surface=None) -> None:
        """Replace the whole document with ``preset`` (a file, a lesson, File ▸ New): views stay bound, the
        runs keep exactly the file's colours, the view settings are the file's; not an edit. Emits ``loaded``
        last. The file's ``[view] step`` is shown once the trajectories are there."""
        if surface is None:
            surface = preset.build_surface()
        view, session = ViewSettings.from_dict(getattr(preset, "view", None))
        data = getattr(preset, "data", None)
        with self._not_recorded(), self.edit("Load"):
            while self.runs:
                self._remove_run(len(self.runs) - 1)
            self.set_title(preset.title, preset.description)
            self.set_tolerance(preset.tolerance)
            self.set_default_steps(preset.steps)
            self.minima = tuple(tuple(float(v) for v in m) for m in preset.surface.minima)
            self.dataspec = data
            self.set_surface(surface, ranges=preset.surface.ranges)
            self.view.update(view.as_dict(all_fields=True))
            self.session.update({"show_basins": False})
            for run in preset.runs:
                i = self.add_run(run, select=False)
                if self.runs[i] != run:
                    self.set_run(i, run)
            self.select(0 if self.runs else -1)
            self.set_step(0)
        step = session.get("step")
        if step is not None:
            self._show_step_when_ready(int(step))
        self.loaded.emit()

    def _show_step_when_ready(self, step: int) -> None:
        if not self.pending:
            self.set_step(step)
            return

        def done(_index=None) -> None:
            if not self.pending:
                self.trajectories_changed.disconnect(done)
                self.set_step(step)

        self.trajectories_changed.connect(done)

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
        model = cls(synchronous=synchronous, simulate=simulate)
        model.load(preset, surface)
        return model

    def to_preset(self):
        """The comparison as a :class:`explorer.preset.Preset` (the document only: no step, no session)."""
        from explorer.preset_schema import Preset, SurfaceSpec

        surface = SurfaceSpec(expression=self.expression, ranges=self.ranges, parameters=dict(self.parameters),
                              minima=self.minima, variables=self.variables,
                              reduction=getattr(self.surface, "reduction", "mean"))
        data = self.dataspec if self.data is not None else None
        if data is not None and data.prediction is not None:
            from explorer.data_models import prediction_fits

            if not prediction_fits(data.prediction, self.variables, tuple(self.parameters), data.columns):
                data = replace(data, prediction=None)   # written for other variables: not saved
        return Preset(title=self.title, description=self.description, tolerance=self.tolerance,
                      steps=self.default_steps, surface=surface, runs=tuple(self.runs), view=self.view.as_dict(),
                      data=data)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _adopt_data(spec, rows, data_file: str | None = None):
    """The DataSpec for a surface over ``rows``: ``spec`` when the loss already sees exactly those rows,
    else the rows as given with the settings of ``spec`` that still name their columns (None without rows)."""
    if rows is None:
        return None
    if spec is not None and _same(spec.model_dataset, rows):
        return spec
    from explorer.preset_schema import DataSpec

    if spec is None:
        return DataSpec(rows, data_file)
    cols = set(rows.columns)
    keep = {key: getattr(spec, key) for key in ("show", "on_map")
            if getattr(spec, key) is not None and set(getattr(spec, key)) <= cols}
    prediction = spec.prediction if rows.columns == spec.columns else None
    return DataSpec(rows, None, prediction, **keep)


def _describe_run_change(old: RunSpec, new: RunSpec, i: int) -> tuple[str, tuple | None]:
    """(undo text, merge key) for replacing run ``old`` by ``new`` (run index ``i``)."""
    changed = [f for f in ("label", "optimizer", "start", "params", "steps", "color", "noise", "schedule",
                           "visible", "batch") if getattr(old, f) != getattr(new, f)]
    name = old.label
    if changed == ["start"]:
        return f"Move the start of {name}", ("run", i, "start")
    if changed == ["params"]:
        keys = tuple(sorted(k for k in {*old.params, *new.params} if old.params.get(k) != new.params.get(k)))
        return f"Change {', '.join(keys)} of {name}", ("run", i, "params", keys)
    if changed == ["visible"]:
        return (f"Show {name}" if new.visible else f"Hide {name}"), None
    if changed == ["label"]:
        return f"Rename {name} to {new.label}", ("run", i, "label")
    if changed == ["color"]:
        return f"Change the colour of {name}", ("run", i, "color")
    return f"Change {', '.join(changed)} of {name}", ("run", i, tuple(changed))
