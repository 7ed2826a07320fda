"""The optimizer record shared by every family (optax's ``GradientTransformation``), over compiled kernels.

Each optimizer module holds one implementation of its update rule: a numba kernel (:mod:`explorer.compiled`)
that moves a block of starts ("lanes") one step. The simulation engine calls those kernels inside its own
compiled loops; :class:`Optimizer`'s ``init``/``update``/``internals`` below are thin numpy-facing wrappers
around the very same kernels (via :mod:`explorer.optimizers._dispatch`), for tests and for callers that
hold gradients themselves. There is no second copy of any update rule.

State layout (what the kernels see): one float64 column per start, ``buf`` of shape (rows, n); row 0 holds
the learning rate used by the last step (per start, e.g. Adagrad's decayed lr), the optimizer's vectors
follow, d rows each (see each module's ``_rows``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _validate as check

# Optimizer families (the kernels dispatch on these).
SGD, ADAGRAD, RMSPROP, ADADELTA, ADAM, NADAM, RADAM, ADAMAX, LBFGS, NEWTON, LION, QHM, QHADAM = range(13)


class OptState(NamedTuple):
    """count : steps taken (the same for every start). buf : (rows, n) float64, see the module notes.
    n_evals : (n,) int, extra value/gradient evaluations of the last step (L-BFGS's line search).
    dim : d, the number of variables."""

    count: int
    buf: np.ndarray
    n_evals: np.ndarray
    dim: int


class Optimizer(NamedTuple):
    """A pair of pure functions plus what the app needs to show them.

    name : registry name, e.g. "adam".
    hyperparams : validated hyperparameters with defaults filled in (torch.optim names).
    init : params (n, d) -> state (an :class:`OptState`).
    update : ``update(grad, state, params, *, lr=None, oracle=None) -> (new_params, new_state)`` with
        grad, params (n, d) float64; lr a float or (n,) array overriding the hyperparameter for this step.
        Inputs are never mutated; overflow gives inf/nan silently.
    internals : state -> {"velocity" | "first_moment" | "second_moment" | "step_scale" | ...: (n, d)}.
    needs_hessian : update calls ``oracle.hessian``.
    uses_oracle : update needs ``oracle`` (line search or Hessian).
    kind, h : the family code and its hyperparameters as a float64 vector, for the compiled kernels.
    rows : d -> number of state rows per start. display_rows : d -> the leading rows ``internals`` reads.
    internals_from_rows : (h, count, R, d) -> the internals dict from recorded rows R (..., display_rows).
    init_rows : (h, S, d) -> None, sets the initial state rows (besides lr) of S (rows, n) in place, or None.
    """

    name: str
    hyperparams: dict[str, Any]
    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    internals: Callable[[Any], dict[str, np.ndarray]]
    needs_hessian: bool = False
    uses_oracle: bool = False
    kind: int = -1
    h: np.ndarray | None = None
    rows: Callable[[int], int] | None = None
    display_rows: Callable[[int], int] | None = None
    internals_from_rows: Callable[..., dict[str, np.ndarray]] | None = None
    init_rows: Callable[..., None] | None = None


def per_start(count, column, d):
    """A per-start value (..., 1) as (..., d), 0 where no step was taken yet (count 0)."""
    value = np.where(np.asarray(count)[..., None] > 0, column, 0.0)
    return np.repeat(value, d, axis=-1)


def make(name: str, hyper: dict[str, Any], kind: int, h, rows, internals, *, init=None, display_rows=None,
         needs_hessian=False, uses_oracle=False) -> Optimizer:
    """Build the :class:`Optimizer` record of one configured family; ``update`` runs its compiled kernel.

    rows : d -> state rows per start. internals : (h, count, R, d) -> {name: (..., d)} from the leading
    ``display_rows(d)`` state rows R (..., display_rows) after ``count`` steps (numpy; display only).
    init : (h, S, d) -> None, sets initial rows (besides lr) in place.
    """
    from . import _dispatch

    h = np.asarray(h, dtype=np.float64)
    display_rows = display_rows or rows

    def init_fn(params):
        n, d = np.shape(params)
        buf = np.zeros((rows(d), n))
        buf[0] = np.asarray(hyper["lr"], dtype=np.float64)
        if init is not None:
            init(h, buf, d)
        return OptState(0, buf, np.zeros(n, dtype=np.int64), d)

    def update(grad, state, params, *, lr=None, oracle=None):
        params = np.asarray(params, dtype=np.float64)
        n, d = params.shape
        step_lr = check.step_lr(lr, hyper["lr"], n)
        lanes_lr = np.ascontiguousarray(np.broadcast_to(np.asarray(step_lr, dtype=np.float64).reshape(-1), (n,)))
        P = params.T.copy()  # (d, n), a copy: lanes contiguous, as the engine holds them
        G = np.asarray(grad, dtype=np.float64).T.copy()
        S = state.buf.copy()
        H = np.zeros((0, n))
        if needs_hessian:
            if oracle is None:
                raise ValueError(f"{name} needs oracle= (an object with .hessian(params))")
            full = np.broadcast_to(np.asarray(oracle.hessian(params), dtype=np.float64), (n, d, d))
            iu = np.triu_indices(d)
            H = np.ascontiguousarray(full[:, iu[0], iu[1]].T)  # (d(d+1)/2, n), upper triangle row by row
        n_evals = np.zeros(n, dtype=np.int64)
        _dispatch.update_lanes(kind, h, state.count + 1, lanes_lr, P, S, G, H, oracle, n_evals)
        return P.T.copy(), OptState(state.count + 1, S, n_evals, d)

    def internals_fn(state):
        d = state.dim
        return {key: np.array(v, dtype=np.float64)
                for key, v in internals(h, state.count, state.buf[:display_rows(d)].T, d).items()}

    return Optimizer(name, hyper, init_fn, update, internals_fn, needs_hessian, uses_oracle, kind, h, rows,
                     display_rows, internals, init)
