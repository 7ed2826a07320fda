"""Adamax, torch.optim.Adamax semantics."""

from __future__ import annotations

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import ADAMAX, Optimizer, make
from ._ops import coupled, lerp, maximum, store_lr


def adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) -> Optimizer:
    r"""Adamax (Kingma & Ba, ICLR 2015, section 7.1), exactly as ``torch.optim.Adamax``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.Adamax.html)::

        g_t <- g_t + lambda * theta_{t-1}                  (weight_decay lambda)
        m_t <- beta1 m_{t-1} + (1 - beta1) g_t
        u_t <- max(beta2 u_{t-1}, |g_t| + eps)             (torch puts eps inside the max)
        theta_t <- theta_{t-1} - lr / (1 - beta1^t) * m_t / u_t

    State rows: lr, then m and u (d rows each).
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay))
    return make("adamax", hyper, ADAMAX, [beta1, beta2, hyper["eps"], hyper["weight_decay"]], _rows, _internals)


def _rows(d):
    return 1 + 2 * d


def _internals(h, count, R, d):
    """m_t, u_t, and lr / u_t, the multiplier applied to m^_t."""
    u = R[..., 1 + d:1 + 2 * d]
    with np.errstate(all="ignore"):
        scale = np.where(np.asarray(count)[..., None] > 0, R[..., :1] / u, 0.0)
    return {"first_moment": R[..., 1:1 + d], "second_moment": u, "step_scale": scale}


@kernel(_nrt=False)
def adamax_coefs(h, t, c):
    c[0] = 1 - h[0] ** float(t)


@kernel(_nrt=False)
def adamax_step(h, c, lr, P, S, G, s0, nl):
    beta1, beta2, eps, weight_decay = h[0], h[1], h[2], h[3]
    bias_correction = c[0]
    d = P.shape[0]
    for j in range(d):
        p = P[j, s0:s0 + nl]
        exp_avg = S[1 + j, s0:s0 + nl]
        exp_inf = S[1 + d + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            gq = coupled(g[q], p[q], weight_decay)
            m = lerp(exp_avg[q], gq, 1 - beta1)
            u = maximum(exp_inf[q] * beta2, abs(gq) + eps)
            exp_avg[q] = m
            exp_inf[q] = u
            p[q] = m * (-(lr[q] / bias_correction)) / u + p[q]
    store_lr(S, lr, s0, nl)
