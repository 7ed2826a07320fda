"""RAdam, torch.optim.RAdam semantics."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import RADAM, Optimizer, make
from ._ops import decayed, half, moments, store_lr


def radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False) -> Optimizer:
    r"""RAdam (Liu et al., ICLR 2020, "On the Variance of the Adaptive Learning Rate and Beyond").

    Exactly as ``torch.optim.RAdam``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.RAdam.html)::

        theta_{t-1} <- theta_{t-1} * (1 - lr * lambda)     (decoupled_weight_decay)
        g_t <- g_t + lambda * theta_{t-1}                  (weight_decay lambda, otherwise)
        m_t <- beta1 m_{t-1} + (1 - beta1) g_t;   v_t <- beta2 v_{t-1} + (1 - beta2) g_t^2
        m^_t <- m_t / (1 - beta1^t)
        rho_inf <- 2 / (1 - beta2) - 1;   rho_t <- rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:   l_t <- sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
                        r_t <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                        theta_t <- theta_{t-1} - lr m^_t l_t r_t
        else:           theta_t <- theta_{t-1} - lr m^_t          (SGD with momentum while the variance is
                                                                   not yet tractable: the first ~5 steps)

    State rows: lr, r_t (-1 while rho_t <= 5), sqrt(1 - beta2^t), then m and v (d rows each).
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 decoupled_weight_decay=check.flag("decoupled_weight_decay", decoupled_weight_decay))
    h = [beta1, beta2, hyper["eps"], hyper["weight_decay"], float(hyper["decoupled_weight_decay"]),
         2 / (1 - beta2) - 1]
    return make("radam", hyper, RADAM, h, _rows, _internals)


def _rows(d):
    return 3 + 2 * d


def _internals(h, count, R, d):
    """m_t, v_t, and the multiplier applied to m^_t: lr r_t l_t, or lr while the variance is untractable."""
    lr, rect, bc2_sqrt, v = R[..., :1], R[..., 1:2], R[..., 2:3], R[..., 3 + d:3 + 2 * d]
    with np.errstate(all="ignore"):
        scale = np.where(rect < 0, np.broadcast_to(lr, v.shape), lr * rect * bc2_sqrt / (np.sqrt(v) + h[2]))
    scale = np.where(np.asarray(count)[..., None] > 0, scale, 0.0)
    return {"first_moment": R[..., 3:3 + d], "second_moment": v, "step_scale": scale}


@kernel(_nrt=False)
def radam_coefs(h, t, c):
    """c = (1 - beta1^t, rectification r_t or -1 while rho_t <= 5, sqrt(1 - beta2^t))."""
    beta1, beta2, rho_inf = h[0], h[1], h[5]
    step = float(t)
    c[0] = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
    if rho_t <= 5.0:
        c[1] = -1.0
        c[2] = 1.0
    else:
        c[1] = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** half(step)
        c[2] = bias_correction2 ** half(step)


@kernel(_nrt=False)
def radam_step(h, c, lr, P, S, G, s0, nl):
    beta1, beta2, eps, weight_decay, decoupled = h[0], h[1], h[2], h[3], h[4] != 0
    bias_correction1, rect, bc2_sqrt = c[0], c[1], c[2]
    d = P.shape[0]
    for j in range(d):
        p = P[j, s0:s0 + nl]
        exp_avg = S[3 + j, s0:s0 + nl]
        exp_avg_sq = S[3 + d + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            pq, gq = decayed(p[q], g[q], lr[q], weight_decay, decoupled)
            m, v = moments(exp_avg, exp_avg_sq, q, gq, beta1, beta2)
            step_vec = m / bias_correction1 * lr[q]
            if rect >= 0:
                # torch: bc2_sqrt / (sqrt(v) + eps) is evaluated as reciprocal(sqrt(v) + eps) * bc2_sqrt
                step_vec = step_vec * ((1.0 / (math.sqrt(v) + eps)) * bc2_sqrt) * rect
            p[q] = pq - step_vec
    store_lr(S, lr, s0, nl)
    for q in range(nl):
        S[1, s0 + q] = rect
        S[2, s0 + q] = bc2_sqrt
