"""Run optimizers over a surface: one racer's whole trajectory, or the end points of many starts at once.

:func:`simulate_run` records everything a teacher wants to draw for one :class:`~explorer.runs.RunSpec`
(points, loss, true gradient, update, the optimizer's internal vectors, learning rate, and for data the
minibatches) as a :class:`Trajectory`. :func:`run_batch` moves many starts (a basin map, a learning-rate sweep)
and keeps only what it needs: the running starts' state and, for the starts that have stopped, their final
point, loss, status and step. Both run the same compiled loop (:func:`explorer.engine.drive`): the surface's
expression tape, the stopping rules and the optimizer's kernel, for one start or 65,536 alike.

Stopping rules, checked at every point including the start (point ``k`` is reached after ``k`` steps):

- ``"diverged"``: the point, the loss or the gradient is not finite (overflow, nan), or the point left the
  view box enlarged 100x about its centre (``bounds``). Checked first.
- ``"converged"``: ‖∇f(x_k)‖₂ ≤ ``tolerance``; ``tolerance = 0`` disables early stopping.
- ``"max_steps"``: the step budget ran out.

The diverged point itself is kept as the last point of a trajectory (it may be inf or nan). Overflow never
raises and never warns.

Stochastic gradients: the optimizer sees ``∇f + noise``; :attr:`Trajectory.grads` stores the true gradient.
Schedules: the learning rate for step ``k`` (0-based, taking point ``k`` to ``k + 1``) is
``lr_at(k, base_lr)`` with torch.optim.lr_scheduler semantics (:mod:`explorer.schedules`).

Minibatches (a surface with data and ``run.batch``; issue 12's semantics): one
``numpy.random.default_rng(seed)`` per run; each epoch's row order is ``rng.permutation(n)`` (``arange(n)``
without shuffle); step k uses the next consecutive ``size`` rows of the order (a shorter last slice unless
``drop_last``, which ends the epoch early). The optimizer sees the batch mean of the per-example gradients
(times n for a "sum" loss) plus noise; L-BFGS's line search and Newton's Hessian use the same rows. The
trajectory's loss and gradients stay the full-data values (they decide the stopping rules);
:attr:`Trajectory.batch` holds the batch values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer import engine
from explorer.evaluate import Evaluator
from explorer.noise import GradientNoise
from explorer.optimizers import Optimizer, make_optimizer
from explorer.optimizers._base import LBFGS
from explorer.optimizers.lbfgs import CAPACITY
from explorer.optimizers.lbfgs import rows as lbfgs_rows
from explorer.runs import Batch, Noise, RunSpec, Schedule
from explorer.schedules import make_schedule
from explorer.tape import block_size

BOX_SCALE = 100.0  # a point farther than 100 half-widths of the view from its centre has "diverged"
CONVERGED, DIVERGED, MAX_STEPS = "converged", "diverged", "max_steps"
_STATUS_NAMES = np.array([MAX_STEPS, CONVERGED, DIVERGED])  # indexed by engine's status codes
_CHUNK_INDICES = 1 << 22  # minibatch row indices handed to the engine at once (32 MB)


class Cancelled(Exception):
    """Raised by :func:`run_batch` when its ``cancel()`` callback returned True; nothing is returned."""


@dataclass(frozen=True, eq=False)
class BatchRecord:
    """The minibatches of one run over data.

    loss : (k,) batch loss of step i: the batch mean of the per-example loss (n times it for a "sum" loss).
    grads : (k, d) the batch gradient step i used (the same scaling; before any noise).
    epoch : (k,) int, the epoch (0-based) step i belongs to.
    offset, count : (k,) int; step i used rows ``order(epoch[i])[offset[i] : offset[i] + count[i]]``,
        see :meth:`rows`. The orders themselves are not stored: :meth:`order` regenerates an epoch's from
        ``seed`` (exactly, as the run drew it), so a long run costs O(steps) memory, not O(steps x size).
    size, shuffle, drop_last, seed : the :class:`~explorer.runs.Batch` settings. n_rows : rows in the data.
    """

    loss: np.ndarray
    grads: np.ndarray
    epoch: np.ndarray
    offset: np.ndarray
    count: np.ndarray
    size: int
    shuffle: bool
    drop_last: bool
    seed: int
    n_rows: int
    _cache: dict = field(default_factory=dict, repr=False)

    def order(self, epoch: int) -> np.ndarray:
        """(n_rows,) the row order of ``epoch``."""
        if not self.shuffle:
            return np.arange(self.n_rows)
        cache = self._cache
        if cache.get("epoch", math.inf) > epoch:
            cache.update(epoch=-1, rng=np.random.default_rng(self.seed), order=None)
        while cache["epoch"] < epoch:
            cache["order"] = cache["rng"].permutation(self.n_rows)
            cache["epoch"] += 1
        return cache["order"]

    def rows(self, step: int) -> np.ndarray:
        """The data rows (indices) of step ``step``'s minibatch."""
        start = int(self.offset[step])
        return self.order(int(self.epoch[step]))[start:start + int(self.count[step])].copy()


@dataclass(frozen=True)
class Trajectory:
    """One run, step by step.

    run : the :class:`~explorer.runs.RunSpec` that produced it.
    points : (k + 1, d) ndarray, points[0] is the start, points[i] the point after i steps.
    loss : (k + 1,) ndarray, f(points[i]) (over all the data, for a surface with data).
    grads : (k + 1, d) ndarray, the true gradient ∇f(points[i]) (without noise; over all the data).
    updates : (k, d) ndarray, points[i + 1] - points[i].
    internals : name -> (k + 1, d) ndarray; row i = the optimizer's vectors after i steps (row 0 = init),
        e.g. "velocity", "second_moment", "step_scale" (see the optimizer's ``internals``).
    lrs : (k,) ndarray, the learning rate used for each step.
    status : "converged" | "diverged" | "max_steps".
    stop_step : k, the index of the last point.
    grad_evals : gradient evaluations, one per point plus any extra taken by a line search.
    message : the outcome in plain words, e.g. "converged at step 37".
    batch : :class:`BatchRecord` for a minibatch run over data, else None.
    """

    run: RunSpec
    points: np.ndarray
    loss: np.ndarray
    grads: np.ndarray
    updates: np.ndarray
    internals: dict[str, np.ndarray]
    lrs: np.ndarray
    status: str
    stop_step: int
    grad_evals: int
    message: str
    batch: BatchRecord | None = None


@dataclass(frozen=True)
class BatchResult:
    """Where each of n starts ended.

    final : (n, d) ndarray, the last point (the first bad one for a diverged start).
    final_loss : (n,) ndarray, f(final).
    status : (n,) ndarray of str, "converged" | "diverged" | "max_steps".
    steps : (n,) int ndarray, steps taken (index of the last point).
    """

    final: np.ndarray
    final_loss: np.ndarray
    status: np.ndarray
    steps: np.ndarray


# ---------------------------------------------------------------------------------------------------------
# What the compiled loop is handed.


def _evaluator(surface) -> Evaluator:
    ev = getattr(surface, "evaluator", surface)
    if not isinstance(ev, Evaluator):
        raise TypeError("the engine needs a compiled surface (explorer.surface.compile_surface) or an "
                        f"explorer.evaluate.Evaluator, got {type(surface).__name__}")
    return ev


def _rules(d: int, tolerance: float, bounds) -> tuple[float, np.ndarray, np.ndarray, bool]:
    """(tol2, centre, reach, box): tolerance 0 disables convergence (-1 is below every squared norm)."""
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    tol2 = float(tolerance) ** 2 if tolerance > 0 else -1.0
    if bounds is None:
        return tol2, np.zeros(d), np.full(d, np.finfo(float).max), False
    box = np.asarray(bounds, dtype=float)
    if box.shape != (d, 2):
        raise ValueError(f"bounds must be one (low, high) pair per variable ({d}), got shape {box.shape}")
    lo, hi = box.T
    return tol2, (lo + hi) / 2, BOX_SCALE * np.abs(hi - lo) / 2, True


def _reason(p: np.ndarray, loss: float, g: np.ndarray, centre: np.ndarray, reach: np.ndarray) -> str:
    """Plain words for why a point (d,) counts as diverged."""
    if not np.all(np.isfinite(p)):
        return "the point overflowed"
    if not math.isfinite(loss):
        return "the loss overflowed" if math.isinf(loss) else "the loss became undefined (nan)"
    if not np.all(np.isfinite(g)):
        return "the gradient became undefined (nan)" if np.isnan(g).any() else "the gradient overflowed"
    with np.errstate(all="ignore"):
        if np.all(np.abs(p - centre) <= reach):
            return "the loss or gradient overflowed"
    return "left the view far behind"


def _message(status: str, k: int, reason: str = "") -> str:
    if status == CONVERGED:
        return f"converged at step {k}"
    if status == DIVERGED:
        return f"diverged at step {k}: {reason}"
    return f"ran {k} steps"


def _lr_function(schedule) -> Callable[[int, Any], Any]:
    """``lr_at(k, base_lr)`` for a :class:`Schedule`, a ready callable, or None (constant lr)."""
    if schedule is None:
        return lambda k, base: base
    if isinstance(schedule, Schedule):
        return make_schedule(schedule)
    return schedule


def _lr_table(lr_at, schedule, base, k0: int, k1: int, n: int) -> np.ndarray:
    """(k1 - k0, 1) or (k1 - k0, n) learning rates of steps k0 .. k1 - 1."""
    rows = max(k1 - k0, 1)
    per_start = isinstance(base, np.ndarray) and base.ndim == 1
    if per_start and base.shape != (n,):
        raise ValueError(f"lr array must have one entry per start ({n}), got shape {base.shape}")
    if schedule is None:
        return np.array(np.broadcast_to(base, (rows, n) if per_start else (rows, 1)), dtype=np.float64)
    table = np.empty((rows, n if per_start else 1))
    with np.errstate(all="ignore"):
        for k in range(k0, k1):
            table[k - k0] = lr_at(k, base)
    if not np.all(table[: k1 - k0] >= 0):
        raise ValueError("the schedule gave a negative learning rate")
    return table


def _noise(noise, n: int) -> GradientNoise | None:
    if noise is None:
        return None
    if not isinstance(noise, Noise):
        raise TypeError(f"noise must be an explorer.runs.Noise, got {type(noise).__name__}")
    source = GradientNoise(noise.std, noise.seed, n)  # validates std and seed
    return source if noise.std > 0 else None


_NO_NOISE = np.zeros((0, 0, 0))
_NO_ROWS = np.zeros((0, 0), dtype=np.int64)
_NO_STEPS = np.zeros(0, dtype=np.int64)


class _Minibatches:
    """Issue 12's minibatch plan, handed to the engine a chunk of steps at a time (bounded memory)."""

    def __init__(self, batch: Batch, n_rows: int, reduction: str):
        size = batch.size
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"batch size must be an integer >= 1, got {size!r}")
        if n_rows == 0:
            raise ValueError("minibatches need data rows; the data is empty")
        if batch.drop_last and size > n_rows:
            raise ValueError(f"batch size {size} is larger than the {n_rows} data rows and drop_last is on: "
                             "no step would have a batch")
        self.batch, self.n, self.size = batch, n_rows, int(size)
        self.per_epoch = n_rows // size if batch.drop_last else -(-n_rows // size)
        self.sum = reduction == "sum"
        self.rng = np.random.default_rng(batch.seed)
        self.epoch, self.order = -1, None  # the last epoch drawn

    def chunk_steps(self) -> int:
        """Steps per engine call so that the orders handed over stay under _CHUNK_INDICES indices."""
        epochs = max(1, _CHUNK_INDICES // self.n - 1) if self.batch.shuffle else 1 << 30
        return epochs * self.per_epoch

    def plan(self, k0: int, k1: int):
        """(orders, row, offset, count, scale) for steps k0 .. k1 - 1 (k0 must follow the previous k1)."""
        k = np.arange(k0, max(k1, k0 + 1))
        epoch = k // self.per_epoch
        offset = (k % self.per_epoch) * self.size
        count = np.minimum(self.size, self.n - offset)
        scale = (self.n / count) if self.sum else (1.0 / count)
        if not self.batch.shuffle:
            return np.arange(self.n, dtype=np.int64)[None, :], np.zeros_like(k), offset, count, scale, epoch
        first, last = int(epoch[0]), int(epoch[-1])
        orders = np.empty((last - first + 1, self.n), dtype=np.int64)
        if self.epoch == first:  # a chunk that starts inside the epoch drawn last
            orders[0] = self.order
        while self.epoch < last:  # draw each epoch's order once, in order: the same stream as one run
            self.order = self.rng.permutation(self.n)
            self.epoch += 1
            if self.epoch >= first:
                orders[self.epoch - first] = self.order
        return orders, epoch - first, offset, count, scale, epoch


def _tick(cancel, progress, fraction: float, message: str) -> None:
    if cancel is not None and cancel():
        raise Cancelled(message)
    if progress is not None:
        progress(fraction)


def _optimizer_setup(opt: Optimizer, d: int, steps: int) -> tuple[np.ndarray, int]:
    """(h, state rows) for the engine; L-BFGS keeps no more history than the run can fill."""
    h = opt.h.copy()
    if opt.kind == LBFGS:
        capacity = max(1, min(int(h[CAPACITY]), steps))
        h[CAPACITY] = capacity
        return h, lbfgs_rows(d, capacity)
    return h, opt.rows(d)


def _initial_state(opt: Optimizer, h: np.ndarray, rows: int, n: int, d: int, base_lr) -> np.ndarray:
    S = np.zeros((rows, n))
    S[0] = base_lr
    if opt.init_rows is not None:
        opt.init_rows(h, S, d)
    return S


# ---------------------------------------------------------------------------------------------------------
# One run, every step recorded.


def simulate_run(surface, run: RunSpec, *, steps: int, tolerance: float = 1e-8, bounds=None) -> Trajectory:
    """Run one racer for at most ``steps`` steps on ``surface`` and record everything.

    surface : a compiled :class:`~explorer.surface.Surface` (or its :class:`~explorer.evaluate.Evaluator`).
    run : the racer. steps : step budget (``run.steps`` is *not* consulted here; see :func:`simulate`).
    tolerance : gradient-norm stop, 0 disables it.
    bounds : one (low, high) pair per variable (the view), or None for "only non-finite values diverge".
    Raises ValueError for an unknown optimizer or bad hyperparameters (from ``make_optimizer``), bad
    bounds, or minibatch settings the data cannot satisfy.
    """
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    ev = _evaluator(surface)
    opt = make_optimizer(run.optimizer, **run.params)
    start = np.asarray(run.start, dtype=np.float64).reshape(-1)
    d = start.size
    if d != ev.ndim:
        raise ValueError(f"the start has {d} coordinates but the surface has {ev.ndim} variables")
    tol2, centre, reach, box = _rules(d, tolerance, bounds)
    h, rows = _optimizer_setup(opt, d, steps)
    base = opt.hyperparams["lr"]
    if isinstance(base, np.ndarray):
        base = base.reshape(-1)[:1].copy()
    lr_at = _lr_function(run.schedule)
    noise = _noise(run.noise, 1)
    batches = _Minibatches(run.batch, ev.n_rows, ev.reduction) if run.batch is not None and ev.uses_data else None
    prog = ev.program("hessian" if opt.needs_hessian else "gradient")
    params, cols = ev.parameter_vector(), ev.data_columns()

    P = start.reshape(d, 1).copy()
    S = _initial_state(opt, h, rows, 1, d, base)
    who = np.zeros(1, dtype=np.int64)
    status, stop_k = np.zeros(1, dtype=np.int8), np.zeros(1, dtype=np.int64)
    final, final_loss = np.zeros((1, d)), np.zeros(1)
    rec_p, rec_f, rec_g = np.empty((steps + 1, d)), np.empty(steps + 1), np.empty((steps + 1, d))
    rec_state = np.zeros((steps + 1, opt.display_rows(d)))
    rec_bf, rec_bg = np.full(steps, np.nan), np.full((steps, d), np.nan)
    rec_evals = np.zeros(1, dtype=np.int64)
    lr_table = _lr_table(lr_at, run.schedule, base, 0, steps, 1)
    noise_tab = noise.draw((steps, 1, d)) if noise is not None and steps else _NO_NOISE
    plans = []
    chunk = batches.chunk_steps() if batches is not None else steps + 1
    n_live, k0 = 1, 0
    while n_live and k0 <= steps:
        k1 = min(steps + 1, k0 + chunk)
        if batches is not None:
            plan = batches.plan(k0, min(k1, steps))
            plans.append(plan)
            orders, b_row, b_offset, b_count, b_scale = plan[:5]
        else:
            orders, b_row, b_offset, b_count, b_scale = _NO_ROWS, _NO_STEPS, _NO_STEPS, _NO_STEPS, np.zeros(0)
        n_live = engine.drive(*prog, params, cols, ev.uses_data, ev.full_scale(),
                              orders, b_row, b_offset, b_count, np.asarray(b_scale, dtype=np.float64),
                              opt.kind, h, P, S, who, 0, n_live, k0, k1, steps,
                              lr_table[k0:] if k0 else lr_table, noise_tab[k0:] if noise_tab.size else noise_tab,
                              tol2, centre, reach, box, status, stop_k, final, final_loss,
                              True, rec_p, rec_f, rec_g, rec_state, rec_bf, rec_bg, rec_evals)
        k0 = k1
    k = int(stop_k[0])
    name = _STATUS_NAMES[status[0]]
    points = rec_p[: k + 1].copy()
    grads = rec_g[: k + 1].copy()
    loss = rec_f[: k + 1].copy()
    reason = _reason(points[k], float(loss[k]), grads[k], centre, reach) if name == DIVERGED else ""
    record = None
    if batches is not None:
        epoch = np.concatenate([p[5] for p in plans])[:k] if plans else np.zeros(0, dtype=np.int64)
        offset = np.concatenate([p[2] for p in plans])[:k] if plans else np.zeros(0, dtype=np.int64)
        count = np.concatenate([p[3] for p in plans])[:k] if plans else np.zeros(0, dtype=np.int64)
        b = run.batch
        record = BatchRecord(rec_bf[:k].copy(), rec_bg[:k].copy(), epoch, offset, count, int(b.size),
                             bool(b.shuffle), bool(b.drop_last), int(b.seed), ev.n_rows)
    return Trajectory(
        run=run, points=points, loss=loss, grads=grads, updates=np.diff(points, axis=0),
        internals={key: np.array(v, dtype=np.float64) for key, v in
                   opt.internals_from_rows(h, np.arange(k + 1), rec_state[: k + 1], d).items()},
        lrs=lr_table[:k, 0].copy(), status=str(name), stop_step=k, grad_evals=k + 1 + int(rec_evals[0]),
        message=_message(str(name), k, reason), batch=record)


def simulate(preset) -> list[Trajectory]:
    """Every run of a :class:`~explorer.preset_schema.Preset`, in order.

    Each run takes ``run.steps`` or else ``preset.steps`` steps, stops at ``preset.tolerance``, and diverges
    when it leaves the preset's view (``surface.x_range`` × ``surface.y_range``) enlarged 100x.
    """
    surface = preset.build_surface()
    bounds = tuple(tuple(r) for r in preset.surface.ranges)
    return [simulate_run(surface, run, steps=preset.steps if run.steps is None else run.steps,
                         tolerance=preset.tolerance, bounds=bounds) for run in preset.runs]


# ---------------------------------------------------------------------------------------------------------
# Many starts, end points only.


def run_batch(surface, optimizer: str, params: Mapping[str, Any], starts, steps: int, *,
              tolerance: float = 1e-8, bounds=None, noise: Noise | None = None, schedule=None,
              batch: Batch | None = None, progress: Callable[[float], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> BatchResult:
    """Move n starts at once for at most ``steps`` steps; return where each stopped and why.

    optimizer, params : registry name and torch.optim keyword arguments; ``params["lr"]`` may be an (n,)
        array, one learning rate per start (a learning-rate sweep). starts : (n, d) array.
    noise : :class:`~explorer.runs.Noise` or None; step k adds row i of the k-th (n, d) draw of one
        ``default_rng(seed)`` stream to start i's gradient (for n = 1, exactly :func:`simulate_run`'s noise).
    schedule : :class:`~explorer.runs.Schedule`, a callable ``lr_at(k, base_lr)``, or None.
    batch : :class:`~explorer.runs.Batch` for a surface with data (every start sees the same minibatches).
    progress : called with the fraction done (0..1) about every 1% of the steps and at the end.
    cancel : polled as often as ``progress``; when it returns True, :class:`Cancelled` is raised.

    Each start stops exactly where :func:`simulate_run` would stop it. Memory is O(n) (the starts' points and
    optimizer state, nothing per step). The engine returns to Python about every 1% of the work: after each
    group of about 1% of the starts run through every step (many starts: each group's state stays in cache),
    or after each 1% of the steps of every start (few starts, noise or minibatches).
    """
    starts = np.array(starts, dtype=np.float64, ndmin=2)
    n, d = starts.shape
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    ev = _evaluator(surface)
    if d != ev.ndim:
        raise ValueError(f"starts have {d} coordinates but the surface has {ev.ndim} variables")
    opt = make_optimizer(optimizer, **params)
    tol2, centre, reach, box = _rules(d, tolerance, bounds)
    h, rows = _optimizer_setup(opt, d, steps)
    base = opt.hyperparams["lr"]
    lr_at = _lr_function(schedule)
    source = _noise(noise, n)
    batches = _Minibatches(batch, ev.n_rows, ev.reduction) if batch is not None and ev.uses_data else None
    prog = ev.program("hessian" if opt.needs_hessian else "gradient")
    params_vec, cols = ev.parameter_vector(), ev.data_columns()

    P = np.ascontiguousarray(starts.T)
    S = _initial_state(opt, h, rows, n, d, base)
    who = np.arange(n, dtype=np.int64)
    status, stop_k = np.zeros(n, dtype=np.int8), np.full(n, steps, dtype=np.int64)
    final, final_loss = starts.copy(), np.full(n, np.nan)
    args = (*prog, params_vec, cols, ev.uses_data, ev.full_scale())
    rules = (tol2, centre, reach, box)
    out = (status, stop_k, final, final_loss, False, np.zeros((0, d)), np.zeros(0), np.zeros((0, d)),
           np.zeros((0, 0)), np.zeros(0), np.zeros((0, d)), np.zeros(1, dtype=np.int64))
    lanes = block_size(prog.meta[2])
    per_start_lr = isinstance(base, np.ndarray) and base.ndim == 1
    if source is None and batches is None and not per_start_lr and n >= 50 * lanes:
        # Many starts: run each group of blocks through every step while its state is in cache; a group
        # is about 1% of the starts.
        group = lanes * max(1, n // (100 * lanes))
        lr_table = _lr_table(lr_at, schedule, base, 0, steps, n)
        for a in range(0, n, group):
            b = min(n, a + group)
            engine.drive(*args, _NO_ROWS, _NO_STEPS, _NO_STEPS, _NO_STEPS, np.zeros(0), opt.kind, h, P, S, who,
                         a, b, 0, steps + 1, steps, lr_table, _NO_NOISE, *rules, *out)
            if b < n:
                _tick(cancel, progress, b / n, f"cancelled after {b:,} of {n:,} starts")
    else:
        # Few starts (or noise or minibatches, which draw per step): every start, 1% of the steps at a time.
        chunk = max(1, -(-(steps + 1) // 100))
        if batches is not None:
            chunk = min(chunk, batches.chunk_steps())
        n_live, k0 = n, 0
        while n_live and k0 <= steps:
            k1 = min(steps + 1, k0 + chunk)
            lr_table = _lr_table(lr_at, schedule, base, k0, min(k1, steps), n)
            noise_tab = (source.draw((min(k1, steps) - k0, n, d)) if source is not None and k0 < steps
                         else _NO_NOISE)
            if batches is not None and k0 < steps:
                orders, b_row, b_offset, b_count, b_scale = batches.plan(k0, min(k1, steps))[:5]
            else:
                orders, b_row, b_offset, b_count, b_scale = _NO_ROWS, _NO_STEPS, _NO_STEPS, _NO_STEPS, np.zeros(0)
            n_live = engine.drive(*args, orders, b_row, b_offset, b_count, np.asarray(b_scale, dtype=np.float64),
                                  opt.kind, h, P, S, who, 0, n_live, k0, k1, steps, lr_table, noise_tab, *rules,
                                  *out)
            k0 = k1
            if k0 <= steps and n_live:
                _tick(cancel, progress, k0 / (steps + 1), f"cancelled at step {k0} of {steps}")
    if progress is not None:
        progress(1.0)
    return BatchResult(final=final, final_loss=final_loss, status=_STATUS_NAMES[status], steps=stop_k)
