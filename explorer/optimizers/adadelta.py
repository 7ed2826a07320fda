"""Adadelta, torch.optim.Adadelta semantics."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import ADADELTA, Optimizer, make
from ._ops import coupled, ema_square, store_lr


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0) -> Optimizer:
    r"""Adadelta (Zeiler, 2012, arXiv:1212.5701), exactly as ``torch.optim.Adadelta``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.Adadelta.html)::

        g_t <- g_t + lambda * theta_{t-1}                       (if weight_decay lambda != 0)
        v_t <- rho * v_{t-1} + (1 - rho) * g_t^2
        Delta x_t <- sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        u_t <- rho * u_{t-1} + (1 - rho) * Delta x_t^2
        theta_t <- theta_{t-1} - lr * Delta x_t

    torch adds an ``lr`` (default 1.0, i.e. Zeiler's original rule) in front of the update.
    State rows: lr, then v, u and the last ratio sqrt(u_{t-1} + eps) / sqrt(v_t + eps) (d rows each).
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, rho=check.in_range("rho", rho, 0.0, 1.0, high_inclusive=True),
                 eps=check.at_least("eps", eps), weight_decay=check.at_least("weight_decay", weight_decay))
    return make("adadelta", hyper, ADADELTA, [hyper["rho"], hyper["eps"], hyper["weight_decay"]], _rows, _internals)


def _rows(d):
    return 1 + 3 * d


def _internals(h, count, R, d):
    """v_t, u_t, and lr * sqrt(u_{t-1} + eps) / sqrt(v_t + eps), the multiplier applied to g_t."""
    scale = np.where(np.asarray(count)[..., None] > 0, R[..., :1] * R[..., 1 + 2 * d:1 + 3 * d], 0.0)
    return {"second_moment": R[..., 1:1 + d], "delta_average": R[..., 1 + d:1 + 2 * d], "step_scale": scale}


@kernel(_nrt=False)
def adadelta_step(h, t, lr, P, S, G, s0, nl):
    rho, eps, weight_decay = h[0], h[1], h[2]
    d = P.shape[0]
    for j in range(d):
        p = P[j, s0:s0 + nl]
        square_avg = S[1 + j, s0:s0 + nl]
        acc_delta = S[1 + d + j, s0:s0 + nl]
        ratio = S[1 + 2 * d + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            gq = coupled(g[q], p[q], weight_decay)
            sa = ema_square(square_avg[q], gq, rho)
            square_avg[q] = sa
            r = math.sqrt(acc_delta[q] + eps) / math.sqrt(sa + eps)
            ratio[q] = r
            delta = r * gq
            acc_delta[q] = ema_square(acc_delta[q], delta, rho)
            p[q] = delta * (-lr[q]) + p[q]
    store_lr(S, lr, s0, nl)
