"""Lion (EvoLved Sign Momentum)."""

from __future__ import annotations

from explorer.compiled import kernel

from . import _validate as check
from ._base import LION, Optimizer, make, per_start
from ._ops import sign, store_lr


def lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0) -> Optimizer:
    r"""Lion (Chen et al., NeurIPS 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2).

    Per step t::

        c_t <- beta1 * m_{t-1} + (1 - beta1) * g_t
        theta_t <- theta_{t-1} - lr * (sign(c_t) + lambda * theta_{t-1})      (weight_decay lambda, decoupled)
        m_t <- beta2 * m_{t-1} + (1 - beta2) * g_t

    Every coordinate moves by exactly lr (the sign), so the paper suggests an lr 3-10x smaller than AdamW's;
    the defaults are the paper's (lr=1e-4, betas=(0.9, 0.99)). State rows: lr, then m (d rows).
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), weight_decay=check.at_least("weight_decay", weight_decay))
    return make("lion", hyper, LION, [beta1, beta2, hyper["weight_decay"]], _rows, _internals)


def _rows(d):
    return 1 + d


def _internals(h, count, R, d):
    """m_t, and lr: every coordinate moves by lr."""
    return {"first_moment": R[..., 1:1 + d], "step_scale": per_start(count, R[..., :1], d)}


@kernel(_nrt=False)
def lion_step(h, lr, P, S, G, s0, nl):
    beta1, beta2, weight_decay = h[0], h[1], h[2]
    for j in range(P.shape[0]):
        p = P[j, s0:s0 + nl]
        exp_avg = S[1 + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            m = exp_avg[q]
            direction = sign(m * beta1 + (1 - beta1) * g[q])
            if weight_decay != 0:
                direction = direction + weight_decay * p[q]
            p[q] = direction * (-lr[q]) + p[q]
            exp_avg[q] = m * beta2 + (1 - beta2) * g[q]
    store_lr(S, lr, s0, nl)
