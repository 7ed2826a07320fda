"""Run optimizers over a surface: one racer's whole trajectory, or the end points of many starts at once.

:func:`simulate_run` records everything a teacher wants to draw for one :class:`~explorer.runs.RunSpec`
(points, loss, true gradient, update, the optimizer's internal vectors, learning rate) as a
:class:`Trajectory`. :func:`run_batch` moves many starts (a basin map, a learning-rate sweep) with one
vectorised update per step and keeps only what it needs: the moving starts' state and, for the starts that
have stopped, their final point, loss, status and step.

Stopping rules, checked at every point including the start (point ``k`` is reached after ``k`` steps):

- ``"diverged"``: the point, the loss or the gradient is not finite (overflow, nan), or the point left the
  view box enlarged 100x about its centre (``bounds``). Checked first.
- ``"converged"``: ‖∇f(x_k)‖₂ ≤ ``tolerance``; ``tolerance = 0`` disables early stopping.
- ``"max_steps"``: the step budget ran out.

The diverged point itself is kept as the last point of a trajectory (it may be inf or nan). Overflow never
raises and never warns: all arithmetic runs under ``np.errstate(all="ignore")``.

Stochastic gradients: the optimizer sees ``∇f + noise``; :attr:`Trajectory.grads` stores the true gradient.
Schedules: the learning rate for step ``k`` (0-based, taking point ``k`` to ``k + 1``) is
``lr_at(k, base_lr)`` with torch.optim.lr_scheduler semantics (:mod:`explorer.schedules`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.noise import GradientNoise
from explorer.optimizers import make_optimizer
from explorer.runs import Noise, RunSpec, Schedule
from explorer.schedules import make_schedule

BOX_SCALE = 100.0  # a point farther than 100 half-widths of the view from its centre has "diverged"
CONVERGED, DIVERGED, MAX_STEPS = "converged", "diverged", "max_steps"
_STATUS_NAMES = np.array([MAX_STEPS, CONVERGED, DIVERGED])  # indexed by the codes below
_RUNNING, _CODE_CONVERGED, _CODE_DIVERGED = 0, 1, 2


class Cancelled(Exception):
    """Raised by :func:`run_batch` when its ``cancel()`` callback returned True; nothing is returned."""


@dataclass(frozen=True)
class Trajectory:
    """One run, step by step.

    run : the :class:`~explorer.runs.RunSpec` that produced it.
    points : (k + 1, d) ndarray, points[0] is the start, points[i] the point after i steps.
    loss : (k + 1,) ndarray, f(points[i]).
    grads : (k + 1, d) ndarray, the true gradient ∇f(points[i]) (without noise).
    updates : (k, d) ndarray, points[i + 1] - points[i].
    internals : name -> (k + 1, d) ndarray; row i = the optimizer's vectors after i steps (row 0 = init),
        e.g. "velocity", "second_moment", "step_scale" (see the optimizer's ``internals``).
    lrs : (k,) ndarray, the learning rate used for each step (nan for an optimizer without one).
    status : "converged" | "diverged" | "max_steps".
    stop_step : k, the index of the last point.
    grad_evals : gradient evaluations, one per point plus any extra taken by a line search.
    message : the outcome in plain words, e.g. "converged at step 37".
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
# Stopping rules shared by both engines, so a start stops at the same step in run_batch and simulate_run.


class _Rules:
    """Vectorised stopping test on m points at once: returns (diverged (m,), converged (m,)) bool arrays."""

    def __init__(self, d: int, tolerance: float, bounds) -> None:
        if not tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
        # tolerance 0 disables convergence; -1 is below every squared norm, nan included (comparison False).
        self.tol2 = float(tolerance) ** 2 if tolerance > 0 else -1.0
        self.box = bounds is not None
        if bounds is None:
            self.centre, self.reach = [0.0] * d, [np.finfo(float).max] * d  # only inf, nan fail
        else:
            lo, hi = np.asarray(bounds, dtype=float).T
            self.centre, self.reach = list((lo + hi) / 2), list(BOX_SCALE * np.abs(hi - lo) / 2)
        # For quick(): one interval inside every coordinate's box, shrunk so rounding in |p - c| can't matter.
        shrink = 1 - 1e-9
        self.inner = (max(c - r * shrink for c, r in zip(self.centre, self.reach)),
                      min(c + r * shrink for c, r in zip(self.centre, self.reach)))

    def quick(self, p: np.ndarray, loss: np.ndarray, gcols, gn2: np.ndarray) -> bool:
        """True when no point can stop here: a few reductions instead of :meth:`__call__`'s masks.

        Conservative: False also when a start might stop (nan, overflow, the norm near the tolerance, a
        coordinate outside the inner interval); the caller then applies the exact rules.
        """
        if not gn2.min() > self.tol2:  # also False for nan
            return False
        total = loss + gcols[0]  # the same sum as __call__'s: a finite total of totals means each is finite
        for gj in gcols[1:]:
            total += gj
        if not math.isfinite(total.sum()):
            return False
        if self.box:
            return self.inner[0] <= p.min() and p.max() <= self.inner[1]
        return math.isfinite(p.sum())

    @staticmethod
    def norm2(gcols) -> np.ndarray:
        """‖g‖₂² per point from the gradient's columns, (m,)."""
        gn2 = gcols[0] * gcols[0]
        for gj in gcols[1:]:
            gn2 += gj * gj
        return gn2

    def __call__(self, pcols, loss: np.ndarray, gcols, gn2=None) -> tuple[np.ndarray, np.ndarray]:
        """pcols, gcols : d arrays (m,), the point's and the gradient's coordinates; gn2 : :meth:`norm2`.

        Returns (diverged, converged), two (m,) bool arrays.
        """
        if gn2 is None:
            gn2 = self.norm2(gcols)
        # A sum is non-finite when any term is (inf, nan) — or, harmlessly, when terms near 1e308 overflow.
        total = loss + gcols[0]
        for gj in gcols[1:]:
            total += gj
        if not self.box:
            for pj in pcols:
                total += pj
        ok = np.isfinite(total)
        if self.box:
            # inside the enlarged box; False for inf and nan coordinates
            for pj, c, r in zip(pcols, self.centre, self.reach):
                dist = np.subtract(pj, c) if c else pj
                ok &= np.abs(dist) <= r
        return ~ok, gn2 <= self.tol2

    def reason(self, p: np.ndarray, loss: float, g: np.ndarray) -> str:
        """Plain words for why one point (d,) counts as diverged."""
        if not np.all(np.isfinite(p)):
            return "the point overflowed"
        if not math.isfinite(loss):
            return "the loss overflowed" if math.isinf(loss) else "the loss became undefined (nan)"
        if not np.all(np.isfinite(g)):
            return "the gradient became undefined (nan)" if np.isnan(g).any() else "the gradient overflowed"
        if np.all(np.abs(p - np.array(self.centre)) <= np.array(self.reach)):
            return "the loss or gradient overflowed"
        return "left the view far behind"


# ---------------------------------------------------------------------------------------------------------
# f and ∇f together. A Surface compiles them separately; one function for both lets sympy's common-
# subexpression elimination share work (Rosenbrock: x² and y - x² once), and skips the Surface's copies.


@functools.lru_cache(maxsize=32)
def _joint(expr, gradient_exprs, variables, parameter_names, modules):
    """lambdify((*variables, *parameters), [f, *∇f]) with cse, or None if sympy cannot print it."""
    import sympy

    args = (*variables, *(sympy.Symbol(name, real=True) for name in parameter_names))
    try:
        if modules == "math":
            return sympy.lambdify(args, [expr, *gradient_exprs], modules="math", cse=True, docstring_limit=0)
        from explorer.surface import _Printer  # the Surface's own printer (broadcasting Max/Min)

        return sympy.lambdify(args, [expr, *gradient_exprs], modules=["scipy", "numpy"], printer=_Printer,
                              cse=True, docstring_limit=0)
    except Exception:  # a printer gap only costs speed: callers fall back to surface.value/gradient
        return None


def _compiled(surface, modules: str):
    try:
        key = (surface.expr, tuple(surface.gradient_exprs), tuple(surface.variables),
               tuple(surface.parameters))
    except AttributeError:  # not a compiled Surface (e.g. a test double): no joint function
        return None
    return _joint(*key, modules)


def _evaluator(surface) -> Callable[[np.ndarray], tuple]:
    """``p (m, d) -> (loss (m,), gradient (m, d), pcols, gcols)``, equal to ``surface.value``/``.gradient``.

    pcols, gcols : d (m,) arrays, the columns of p and of the gradient (for :class:`_Rules`).
    """
    fn = _compiled(surface, "numpy")

    def separate(p):
        f, g = surface.value(p), surface.gradient(p)
        return f, g, list(p.T), list(g.T)

    if fn is None:
        return separate
    params = tuple(surface.parameters.values())

    def joint(p):
        m, d = p.shape
        pcols = [p[:, j] for j in range(d)]  # strided views: cheaper than a contiguous copy for one pass
        out = fn(*pcols, *params)
        if any(np.iscomplexobj(v) for v in out):
            return separate(p)  # the Surface maps complex results to real or nan
        out = [v if np.shape(v) == (m,) else np.broadcast_to(np.asarray(v, dtype=float), (m,)) for v in out]
        g = np.empty((m, d))
        for j in range(d):
            g[:, j] = out[j + 1]
        return out[0], g, pcols, out[1:]

    return joint


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


def _noise_source(noise, n: int):
    """A callable returning the next (n, d) noise draw, or None. ``noise``: :class:`Noise` or None."""
    if noise is None:
        return None
    if not isinstance(noise, Noise):
        raise TypeError(f"noise must be an explorer.runs.Noise, got {type(noise).__name__}")
    if not noise.std > 0:
        return None
    return GradientNoise(noise.std, noise.seed, n)


def _draw(source, d: int) -> np.ndarray:
    """The next (n, d) noise sample of a :class:`GradientNoise` (which adds it to what it is given)."""
    return source(np.zeros((source.n, d)))


def _base_lr(optimizer) -> Any:
    lr = optimizer.hyperparams.get("lr")
    return None if lr is None else (np.asarray(lr, dtype=float) if np.ndim(lr) else float(lr))


# ---------------------------------------------------------------------------------------------------------
# One run, every step recorded.


def simulate_run(surface, run: RunSpec, *, steps: int, tolerance: float = 1e-8, bounds=None) -> Trajectory:
    """Run one racer for at most ``steps`` steps on ``surface`` and record everything.

    surface : a :class:`~explorer.surface.Surface` (anything with ``value``/``gradient``/``hessian`` on
        (n, d) arrays). run : the racer. steps : step budget (``run.steps`` is *not* consulted here; see
        :func:`simulate`). tolerance : gradient-norm stop, 0 disables it.
    bounds : ((xmin, xmax), (ymin, ymax)) of the view, or None for "only non-finite values diverge".
    Raises ValueError for an unknown optimizer or bad hyperparameters (from ``make_optimizer``).
    """
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    optimizer = make_optimizer(run.optimizer, **run.params)
    start = np.asarray(run.start, dtype=float).reshape(1, -1)
    rules = _Rules(start.shape[1], tolerance, bounds)
    with np.errstate(all="ignore"):
        fast = _simulate_adam_scalar(surface, run, optimizer, start, steps, rules)
        return fast if fast is not None else _simulate_generic(surface, run, optimizer, start, steps, rules)


def _simulate_generic(surface, run, optimizer, p, steps, rules) -> Trajectory:
    d = p.shape[1]
    evaluate = _evaluator(surface)
    lr_at = _lr_function(run.schedule)
    noise = _noise_source(run.noise, 1)
    base = _base_lr(optimizer)
    oracle = surface if optimizer.uses_oracle else None
    points = np.empty((steps + 1, d))
    grads = np.empty((steps + 1, d))
    loss = np.empty(steps + 1)
    lrs = np.full(steps, np.nan)
    state = optimizer.init(p)
    internals = {name: [np.array(v, dtype=float).reshape(d)]
                 for name, v in optimizer.internals(state).items()}
    evals = 0
    status, k = MAX_STEPS, 0
    while True:
        f, g, pcols, gcols = evaluate(p)
        evals += 1
        points[k], grads[k], loss[k] = p[0], g[0], f[0]
        bad, done = rules(pcols, f, gcols)
        if bad[0]:
            status = DIVERGED
            break
        if done[0]:
            status = CONVERGED
            break
        if k == steps:
            break
        lr = None if base is None else lr_at(k, base)
        if lr is not None:
            lrs[k] = lr
        seen = g if noise is None else noise(g)
        p, state = optimizer.update(seen, state, p, lr=lr, oracle=oracle)
        evals += int(np.sum(getattr(state, "n_evals", 0)))
        for name, v in optimizer.internals(state).items():
            internals[name].append(np.array(v, dtype=float).reshape(d))
        k += 1
    reason = rules.reason(points[k], float(loss[k]), grads[k]) if status == DIVERGED else ""
    points = points[: k + 1].copy()
    return Trajectory(
        run=run, points=points, loss=loss[: k + 1].copy(), grads=grads[: k + 1].copy(),
        updates=np.diff(points, axis=0), internals={name: np.array(rows) for name, rows in internals.items()},
        lrs=lrs[:k].copy(), status=status, stop_step=k, grad_evals=evals, message=_message(status, k, reason))


def _simulate_adam_scalar(surface, run, optimizer, start, steps, rules) -> Trajectory | None:
    """Adam/AdamW on Python floats: the same trajectory as the generic path, ~20x faster for one racer.

    One racer is 2 numbers, where numpy's ~1 µs per call dominates; plain float arithmetic with f and ∇f
    lambdified for the ``math`` module costs ~2 µs per step. The update repeats
    :mod:`explorer.optimizers.adam` operation by operation (torch's order: ``lerp``, ``v·b2 + (1-b2)·g·g``,
    ``p + (-(lr / bc1)) · m / (sqrt(v) / sqrt(bc2) + eps)``) and ``tests/test_simulation.py`` checks both
    paths agree. Returns None (use the generic path) for other optimizers, noise, d != 2, or as soon as
    Python's float arithmetic raises where numpy would return inf/nan (``math.log(0)``, ``x ** 2`` overflow…).
    """
    hyper = optimizer.hyperparams
    if (optimizer.name not in ("adam", "adamw") or optimizer.uses_oracle or start.shape[1] != 2
            or (run.noise is not None and run.noise.std > 0) or np.ndim(hyper["lr"])):
        return None
    fn = _compiled(surface, "math")
    if fn is None:
        return None
    lr_at = _lr_function(run.schedule)
    lrs = [float(lr_at(k, hyper["lr"])) for k in range(steps)]
    b1, b2 = hyper["betas"]
    eps, wd, amsgrad = hyper["eps"], hyper["weight_decay"], hyper["amsgrad"]
    decoupled = optimizer.name == "adamw" or hyper.get("decoupled_weight_decay", False)
    w1, c2 = 1 - b1, 1.0 - b2
    (cx, cy), (rx, ry), box, tol2 = rules.centre, rules.reach, rules.box, rules.tol2
    params = tuple(surface.parameters.values())
    x, y = float(start[0, 0]), float(start[0, 1])
    m0 = m1 = v0 = v1 = a0 = a1 = 0.0
    rows = []  # (x, y, f, gx, gy, m0, m1, v0, v1, a0, a1) per point
    add = rows.append
    status, k = MAX_STEPS, 0
    try:
        while True:
            f, gx, gy = fn(x, y, *params)
            add((x, y, f, gx, gy, m0, m1, v0, v1, a0, a1))
            # the stopping rules of _Rules.__call__, operation for operation
            total = f + gx + gy
            if not box:
                total = total + x + y
            if not (math.isfinite(total) and abs(x - cx) <= rx and abs(y - cy) <= ry):
                status = DIVERGED
                break
            if gx * gx + gy * gy <= tol2:
                status = CONVERGED
                break
            if k == steps:
                break
            lr = lrs[k]
            k += 1
            if wd != 0:
                if decoupled:
                    x, y = x * (1 - lr * wd), y * (1 - lr * wd)
                else:
                    gx, gy = x * wd + gx, y * wd + gy
            if abs(w1) < 0.5:  # torch.lerp
                m0, m1 = (gx - m0) * w1 + m0, (gy - m1) * w1 + m1
            else:
                m0, m1 = (gx - m0) * (w1 - 1.0) + gx, (gy - m1) * (w1 - 1.0) + gy
            v0, v1 = gx * c2 * gx + v0 * b2, gy * c2 * gy + v1 * b2
            bc1, bc2_sqrt = 1 - b1**k, (1 - b2**k) ** 0.5
            if amsgrad:
                a0, a1 = (a0 if a0 >= v0 else v0), (a1 if a1 >= v1 else v1)
                d0, d1 = math.sqrt(a0) / bc2_sqrt + eps, math.sqrt(a1) / bc2_sqrt + eps
            else:
                d0, d1 = math.sqrt(v0) / bc2_sqrt + eps, math.sqrt(v1) / bc2_sqrt + eps
            step = -(lr / bc1)
            x, y = m0 * step / d0 + x, m1 * step / d1 + y
    except Exception:  # ZeroDivisionError, OverflowError, math domain errors, complex results, printer gaps
        return None
    table = np.array(rows, dtype=float)
    points, loss, grads = table[:, 0:2].copy(), table[:, 2].copy(), table[:, 3:5].copy()
    second = table[:, 7:9].copy()
    internals = {"first_moment": table[:, 5:7].copy(), "second_moment": second}
    if amsgrad:
        internals["max_second_moment"] = table[:, 9:11].copy()
    # step_scale = lr / (sqrt(v_hat) + eps) as optimizers.adam's internals computes it; 0 before any step
    t = np.arange(1, k + 1, dtype=float)[:, None]
    v = internals["max_second_moment" if amsgrad else "second_moment"][1:]
    scale = np.zeros((k + 1, 2))
    scale[1:] = np.array(lrs[:k])[:, None] / (np.sqrt(v) / (1 - b2**t) ** 0.5 + eps)
    internals["step_scale"] = scale
    reason = rules.reason(points[k], float(loss[k]), grads[k]) if status == DIVERGED else ""
    return Trajectory(
        run=run, points=points, loss=loss, grads=grads, updates=np.diff(points, axis=0), internals=internals,
        lrs=np.array(lrs[:k]), status=status, stop_step=k, grad_evals=k + 1,
        message=_message(status, k, reason))


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
              progress: Callable[[float], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> BatchResult:
    """Move n starts at once for at most ``steps`` steps; return where each stopped and why.

    optimizer, params : registry name and torch.optim keyword arguments; ``params["lr"]`` may be an (n,)
        array, one learning rate per start (a learning-rate sweep). starts : (n, d) array.
    noise : :class:`~explorer.runs.Noise` or None; one (n, d) draw per step, row i for start i.
    schedule : :class:`~explorer.runs.Schedule`, a callable ``lr_at(k, base_lr)``, or None.
    progress : called with the fraction done (0..1) about every 1% of the steps and at the end.
    cancel : polled as often as ``progress``; when it returns True, :class:`Cancelled` is raised.

    Memory is O(n), nothing per step: starts move in chunks of :data:`CHUNK` (all steps of one chunk, then
    the next: the chunk's arrays stay in cache); a stopped start's end is written to the result at once, and
    a chunk's arrays are compacted to its running starts whenever an eighth of them have stopped. Each step
    first tries a cheap conservative test (:meth:`_Rules.quick`, a few reductions) and applies the exact
    per-start rules only when some start may stop, so each start stops exactly where :func:`simulate_run`
    would stop it. With noise, each chunk draws from its own stream seeded by (seed, chunk index):
    reproducible for the same starts, though not the same draws as :func:`simulate_run`'s.
    """
    starts = np.array(starts, dtype=float, ndmin=2)
    n, d = starts.shape
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    opt = make_optimizer(optimizer, **params)
    rules = _Rules(d, tolerance, bounds)
    with np.errstate(all="ignore"):
        return _batch(surface, opt, starts, steps, rules, noise, _lr_function(schedule), progress, cancel)


def _take(tree, rows: np.ndarray, m: int):
    """``tree`` (an optimizer state) with every per-start array (leading axis m) cut to ``rows``."""
    if isinstance(tree, np.ndarray):
        return tree[rows] if tree.ndim and tree.shape[0] == m else tree
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*(_take(v, rows, m) for v in tree))
    if isinstance(tree, (tuple, list)):
        return type(tree)(_take(v, rows, m) for v in tree)
    if isinstance(tree, dict):
        return {key: _take(v, rows, m) for key, v in tree.items()}
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        return dataclasses.replace(tree, **{f.name: _take(getattr(tree, f.name), rows, m)
                                            for f in dataclasses.fields(tree) if f.init})
    return tree


CHUNK = 16_384  # starts moved together: small enough to stay in cache and off the page-fault path


def _batch(surface, opt, starts, steps, rules, noise_spec, lr_at, progress, cancel) -> BatchResult:
    n, d = starts.shape
    out = BatchResult(final=starts.copy(), final_loss=np.full(n, np.nan), status=np.zeros(n, dtype=np.int8),
                      steps=np.full(n, steps, dtype=np.int64))
    evaluate = _evaluator(surface)
    chunks = range(0, n, CHUNK)
    every = max(1, steps * len(chunks) // 100)  # progress and cancel about every 1% of the work
    for c, first in enumerate(chunks):
        noise = noise_spec
        if noise is not None and len(chunks) > 1:  # one reproducible stream per chunk of starts
            noise = Noise(noise.std, int(np.random.SeedSequence([noise.seed, c]).generate_state(1)[0]))

        def tick(k, c=c):
            if (c * steps + k) % every == 0 and k:
                if cancel is not None and cancel():
                    raise Cancelled(f"cancelled at step {k} of {steps}")
                if progress is not None:
                    progress((c * steps + k) / (steps * len(chunks)))

        _batch_chunk(evaluate, surface, opt, np.arange(first, min(first + CHUNK, n)), starts, steps, rules,
                     noise, lr_at, tick, out)
    if progress is not None:
        progress(1.0)
    return dataclasses.replace(out, status=_STATUS_NAMES[out.status])


def _batch_chunk(evaluate, surface, opt, idx, starts, steps, rules, noise_spec, lr_at, tick, out) -> None:
    """Move starts[idx]; write each one's end into ``out`` (status as codes) when it stops."""
    d, first = starts.shape[1], idx[0]
    p = starts[idx]
    noise = _noise_source(noise_spec, idx.size)
    base = _base_lr(opt)
    per_start_lr = isinstance(base, np.ndarray) and base.ndim > 0
    oracle = surface if opt.uses_oracle else None
    state = opt.init(p)
    live = np.ones(idx.size, dtype=bool)  # working rows still moving
    for k in range(steps + 1):
        f, g, pcols, gcols = evaluate(p)
        gn2 = rules.norm2(gcols)
        if k < steps and rules.quick(p, f, gcols, gn2):
            pass  # the common case: no start stops at this point
        else:
            bad, conv = rules(pcols, f, gcols, gn2)
            stopping = bad | conv
            if k == steps:
                stopping[:] = True
            rows = np.flatnonzero(stopping & live)
            who = idx[rows]
            out.final[who], out.final_loss[who], out.steps[who] = p[rows], f[rows], k
            out.status[who] = np.where(bad[rows], _CODE_DIVERGED,
                                       np.where(conv[rows], _CODE_CONVERGED, _RUNNING))
            live &= ~stopping
            n_live = np.count_nonzero(live)
            if n_live == 0:
                return
            # Compact to the running starts' rows; stopped rows left in place would trip quick() each step.
            if n_live <= 0.875 * live.size:
                keep = np.flatnonzero(live)
                p, g, idx, state = p[keep], g[keep], idx[keep], _take(state, keep, live.size)
                live = np.ones(keep.size, dtype=bool)
        tick(k)
        lr = None if base is None else lr_at(k, base)
        if per_start_lr or np.ndim(lr):
            lr = np.asarray(lr)[idx]
        seen = g if noise is None else g + _draw(noise, d)[idx - first]
        p, state = opt.update(seen, state, p, lr=lr, oracle=oracle)
