"""RMSprop, torch.optim.RMSprop semantics (optionally centered, optionally with momentum)."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import RMSPROP, Optimizer, make
from ._ops import coupled, ema_square, lerp, store_lr


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False) -> Optimizer:
    r"""RMSprop (Hinton, Coursera lecture 6e, 2012), exactly as ``torch.optim.RMSprop``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.RMSprop.html)::

        g_t <- g_t + lambda * theta_{t-1}                       (if weight_decay lambda != 0)
        v_t <- alpha * v_{t-1} + (1 - alpha) * g_t^2
        v~_t <- v_t - (g^ave_t)^2 with g^ave_t <- lerp(g^ave_{t-1}, g_t, 1 - alpha)   (centered)
        v~_t <- v_t                                                                    (otherwise)
        b_t <- mu * b_{t-1} + g_t / (sqrt(v~_t) + eps);  theta_t <- theta_{t-1} - lr * b_t   (momentum mu > 0)
        theta_t <- theta_{t-1} - lr * g_t / (sqrt(v~_t) + eps)                               (otherwise)

    Note eps is added outside the square root (as in torch; Keras/TF put it inside).
    State rows: lr, then v, g^ave, b and the last denominator sqrt(v~) + eps (d rows each).
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, alpha=check.in_range("alpha", alpha, 0.0, 1.0, high_inclusive=True),
                 eps=check.at_least("eps", eps), weight_decay=check.at_least("weight_decay", weight_decay),
                 momentum=check.at_least("momentum", momentum), centered=check.flag("centered", centered))
    h = [hyper["alpha"], hyper["eps"], hyper["weight_decay"], hyper["momentum"], float(hyper["centered"])]
    return make("rmsprop", hyper, RMSPROP, h, _rows, _internals)


def _rows(d):
    return 1 + 4 * d


def _internals(h, count, R, d):
    """v_t, lr / (sqrt(v~_t) + eps) (0 before the first step), b_t with momentum, g^ave_t when centered."""
    with np.errstate(all="ignore"):
        scale = np.where(np.asarray(count)[..., None] > 0, R[..., :1] / R[..., 1 + 3 * d:1 + 4 * d], 0.0)
    out = {"second_moment": R[..., 1:1 + d], "step_scale": scale}
    if h[3] > 0:
        out["velocity"] = R[..., 1 + 2 * d:1 + 3 * d]
    if h[4]:
        out["first_moment"] = R[..., 1 + d:1 + 2 * d]
    return out


@kernel(_nrt=False)
def rmsprop_step(h, t, lr, P, S, G, s0, nl):
    alpha, eps, weight_decay, momentum, centered = h[0], h[1], h[2], h[3], h[4] != 0
    d = P.shape[0]
    for j in range(d):
        p = P[j, s0:s0 + nl]
        square_avg = S[1 + j, s0:s0 + nl]
        grad_avg = S[1 + d + j, s0:s0 + nl]
        buf = S[1 + 2 * d + j, s0:s0 + nl]
        denom = S[1 + 3 * d + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            gq = coupled(g[q], p[q], weight_decay)
            sa = ema_square(square_avg[q], gq, alpha)
            square_avg[q] = sa
            if centered:
                ga = lerp(grad_avg[q], gq, 1.0 - alpha)
                grad_avg[q] = ga
                avg = math.sqrt((ga * -1.0) * ga + sa)  # addcmul(grad_avg, grad_avg, value=-1)
            else:
                avg = math.sqrt(sa)
            avg = avg + eps
            denom[q] = avg
            if momentum > 0:
                b = gq / avg + buf[q] * momentum
                buf[q] = b
                p[q] = b * (-lr[q]) + p[q]
            else:
                p[q] = gq * (-lr[q]) / avg + p[q]
    store_lr(S, lr, s0, nl)
