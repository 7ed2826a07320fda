"""One entry point per operation over every optimizer family: the compiled engine's loops call these.

``coefs`` computes a step's scalars (bias corrections...) once for all lanes and ``step`` moves a block of
lanes, dispatching on the family code. L-BFGS is the exception the engine handles itself (direction, optional
line search, move: see :mod:`~explorer.optimizers.lbfgs`). :func:`update_lanes` is the numpy-facing
wrapper's path into the same kernels.
"""

from __future__ import annotations

import numpy as np

from explorer.compiled import kernel

from ._base import ADADELTA, ADAGRAD, ADAM, ADAMAX, LBFGS, LION, NADAM, NEWTON, QHADAM, QHM, RADAM, RMSPROP, SGD
from ._wolfe import EVALS, wolfe_begin, wolfe_feed
from ._wolfe import SIZE as WOLFE_SIZE
from .adadelta import adadelta_step
from .adagrad import adagrad_step
from .adam import adam_coefs, adam_step
from .adamax import adamax_coefs, adamax_step
from .lbfgs import (
    CAPACITY,
    HEAD,
    LINE_SEARCH,
    MAX_LS,
    TOL_CHANGE,
    T,
    lbfgs_direction_norm,
    lbfgs_directions,
    lbfgs_dot,
    lbfgs_move,
)
from .lion import lion_step
from .nadam import nadam_coefs, nadam_step
from .newton import newton_step
from .qh import qhadam_coefs, qhadam_step, qhm_step
from .radam import radam_coefs, radam_step
from .rmsprop import rmsprop_step
from .sgd import sgd_step

N_COEFS = 4      # per-step scalars, at most


@kernel(_nrt=False)
def coefs(kind, h, t, c):
    """The scalars of step t (1-based) shared by every lane, into c (N_COEFS,)."""
    if kind == ADAM:
        adam_coefs(h, t, c)
    elif kind == NADAM:
        nadam_coefs(h, t, c)
    elif kind == RADAM:
        radam_coefs(h, t, c)
    elif kind == ADAMAX:
        adamax_coefs(h, t, c)
    elif kind == QHADAM:
        qhadam_coefs(h, t, c)


@kernel(_nrt=False)
def step(kind, h, C, kk, t, lr, P, S, G, s0, nl):
    """Move lanes s0 .. s0 + nl - 1 of P (d, n) / S (rows, n) by step t with the gradients G[:, :nl], learning
    rates lr[:nl] and the step's scalars C[kk] (from :func:`coefs`). Every family but L-BFGS and Newton, whose
    kernels the callers run themselves (they need a line search or a Hessian). Allocates nothing and keeps
    no reference counts (``_nrt=False``), so one lane costs as little as possible."""
    c = C[kk]
    if kind == ADAM:
        adam_step(h, c, lr, P, S, G, s0, nl)
    elif kind == SGD:
        sgd_step(h, t, lr, P, S, G, s0, nl)
    elif kind == RMSPROP:
        rmsprop_step(h, t, lr, P, S, G, s0, nl)
    elif kind == ADAGRAD:
        adagrad_step(h, t, lr, P, S, G, s0, nl)
    elif kind == ADADELTA:
        adadelta_step(h, t, lr, P, S, G, s0, nl)
    elif kind == NADAM:
        nadam_step(h, c, lr, P, S, G, s0, nl)
    elif kind == RADAM:
        radam_step(h, c, lr, P, S, G, s0, nl)
    elif kind == ADAMAX:
        adamax_step(h, c, lr, P, S, G, s0, nl)
    elif kind == LION:
        lion_step(h, lr, P, S, G, s0, nl)
    elif kind == QHM:
        qhm_step(h, lr, P, S, G, s0, nl)
    elif kind == QHADAM:
        qhadam_step(h, c, lr, P, S, G, s0, nl)


# --- the numpy-facing wrapper's path -----------------------------------------------------------------------


@kernel
def _update_all(kind, h, t, lr, P, S, G, H):
    zero = t - t  # a runtime 0: a literal would compile second copies of the kernels
    if kind == NEWTON:
        newton_step(h, lr, P, S, G, H, zero, P.shape[1])
        return
    C = np.zeros((1, N_COEFS))
    coefs(kind, h, t, C[0])
    step(kind, h, C, zero, t, lr, P, S, G, zero, P.shape[1])


@kernel
def _lbfgs_all(h, lr, S, G, moves, gtds):
    n = G.shape[1]
    lbfgs_directions(h, lr, S, G, n - n, n, np.zeros((3, n), dtype=np.int64), np.zeros((max(int(h[CAPACITY]), 1), n)),
                     moves, gtds)


@kernel(_nrt=False)
def _lbfgs_move_all(P, S):
    for q in range(P.shape[1]):
        lbfgs_move(P, S, q)


def update_lanes(kind, h, t, lr, P, S, G, H, oracle, n_evals) -> None:
    """One step of every start (column) of P, S in place; L-BFGS's line search asks ``oracle``."""
    if kind != LBFGS:
        _update_all(kind, h, t, lr, P, S, G, H)
        return
    n = P.shape[1]
    moves, gtds = np.zeros(n, dtype=np.bool_), np.zeros(n)
    _lbfgs_all(h, lr, S, G, moves, gtds)
    if h[LINE_SEARCH] and moves.any():
        if oracle is None:
            raise ValueError("lbfgs with line_search_fn='strong_wolfe' needs oracle= (value and gradient)")
        d = P.shape[0]
        ls = np.zeros(WOLFE_SIZE)
        for c in np.flatnonzero(moves):
            x0 = P[:, c].copy()
            direction = S[HEAD:HEAD + d, c].copy()
            f = float(np.asarray(oracle.value(x0[None, :]), dtype=np.float64).reshape(-1)[0])
            t_try = _wolfe_begin(ls, S[T, c], f, gtds[c], _direction_norm(S, c, d), h[TOL_CHANGE], h[MAX_LS])
            more = True
            while more:
                with np.errstate(all="ignore"):
                    x = (x0 + t_try * direction)[None, :]
                f_new = float(np.asarray(oracle.value(x), dtype=np.float64).reshape(-1)[0])
                g_new = np.ascontiguousarray(np.asarray(oracle.gradient(x), dtype=np.float64).reshape(-1))
                more, t_try = _wolfe_feed(ls, f_new, _dot(g_new, direction))
            S[T, c] = t_try
            n_evals[c] = int(ls[EVALS])
    _lbfgs_move_all(P, S)


@kernel(_nrt=False)
def _wolfe_begin(ls, t, f, gtd, d_norm, tolerance_change, max_ls):
    return wolfe_begin(ls, t, f, gtd, d_norm, tolerance_change, max_ls)


@kernel(_nrt=False)
def _wolfe_feed(ls, f_new, gtd_new):
    return wolfe_feed(ls, f_new, gtd_new)


@kernel(_nrt=False)
def _dot(a, b):
    return lbfgs_dot(a, b)


@kernel(_nrt=False)
def _direction_norm(S, c, d):
    return lbfgs_direction_norm(S, c, d)
