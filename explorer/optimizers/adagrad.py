"""Adagrad, torch.optim.Adagrad semantics."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import ADAGRAD, Optimizer, make
from ._ops import coupled


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10) -> Optimizer:
    r"""Adagrad (Duchi, Hazan & Singer, JMLR 2011), exactly as ``torch.optim.Adagrad``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.Adagrad.html)::

        g_t <- g_t + lambda * theta_{t-1}                       (if weight_decay lambda != 0)
        clr <- lr / (1 + (t - 1) * lr_decay)
        s_t <- s_{t-1} + g_t^2                                  (s_0 = initial_accumulator_value)
        theta_t <- theta_{t-1} - clr * g_t / (sqrt(s_t) + eps)

    State rows: the last clr, then the sum s (d rows).
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, lr_decay=check.at_least("lr_decay", lr_decay),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 initial_accumulator_value=check.at_least("initial_accumulator_value",
                                                          initial_accumulator_value),
                 eps=check.at_least("eps", eps))
    h = [hyper["lr_decay"], hyper["weight_decay"], hyper["initial_accumulator_value"], hyper["eps"]]
    return make("adagrad", hyper, ADAGRAD, h, _rows, _internals, init=_init)


def _rows(d):
    return 1 + d


def _init(h, S, d):
    S[1:1 + d] = h[2]  # initial_accumulator_value


def _internals(h, count, R, d):
    """s_t, and clr / (sqrt(s_t) + eps), the multiplier applied to g_t (0 before the first step)."""
    total = R[..., 1:1 + d]
    with np.errstate(all="ignore"):
        scale = np.where(np.asarray(count)[..., None] > 0, R[..., :1] / (np.sqrt(total) + h[3]), 0.0)
    return {"second_moment": total, "step_scale": scale}


@kernel(_nrt=False)
def adagrad_step(h, t, lr, P, S, G, s0, nl):
    lr_decay, weight_decay, eps = h[0], h[1], h[3]
    clr = S[0, s0:s0 + nl]
    for q in range(nl):
        clr[q] = lr[q] / (1 + (t - 1) * lr_decay)
    for j in range(P.shape[0]):
        p = P[j, s0:s0 + nl]
        total = S[1 + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            gq = coupled(g[q], p[q], weight_decay)
            s = gq * gq + total[q]
            total[q] = s
            p[q] = gq * (-clr[q]) / (math.sqrt(s) + eps) + p[q]
