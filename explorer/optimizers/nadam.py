"""NAdam, torch.optim.NAdam semantics."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import NADAM, Optimizer, make
from ._ops import decayed, moments, store_lr


def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
          decoupled_weight_decay=False) -> Optimizer:
    r"""NAdam (Dozat, ICLR 2016 workshop, "Incorporating Nesterov Momentum into Adam"), as torch.optim.NAdam.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.NAdam.html), psi = momentum_decay::

        theta_{t-1} <- theta_{t-1} * (1 - lr * lambda)     (decoupled_weight_decay; "NAdamW")
        g_t <- g_t + lambda * theta_{t-1}                  (weight_decay lambda, otherwise)
        mu_t <- beta1 * (1 - 0.5 * 0.96^(t psi));   mu_{t+1} <- beta1 * (1 - 0.5 * 0.96^((t + 1) psi))
        m_t <- beta1 * m_{t-1} + (1 - beta1) * g_t;   v_t <- beta2 * v_{t-1} + (1 - beta2) * g_t^2
        denom <- sqrt(v_t / (1 - beta2^t)) + eps
        theta_t <- theta_{t-1} - lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g_t / denom
                               - lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m_t / denom

    State rows: lr, prod_{i<=t} mu_i, 1 - beta2^t, then m and v (d rows each).
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 momentum_decay=check.at_least("momentum_decay", momentum_decay),
                 decoupled_weight_decay=check.flag("decoupled_weight_decay", decoupled_weight_decay))
    h = [beta1, beta2, hyper["eps"], hyper["weight_decay"], hyper["momentum_decay"],
         float(hyper["decoupled_weight_decay"])]
    return make("nadam", hyper, NADAM, h, _rows, _internals, init=_init)


def _rows(d):
    return 3 + 2 * d


def _init(h, S, d):
    S[1] = 1.0  # the running product of mu starts at 1


def _internals(h, count, R, d):
    """m_t, v_t, and lr / (sqrt(v_t / (1 - beta2^t)) + eps), the Adam-like step multiplier."""
    v = R[..., 3 + d:3 + 2 * d]
    with np.errstate(all="ignore"):
        scale = np.where(np.asarray(count)[..., None] > 0, R[..., :1] / (np.sqrt(v / R[..., 2:3]) + h[2]), 0.0)
    return {"first_moment": R[..., 3:3 + d], "second_moment": v, "step_scale": scale}


@kernel(_nrt=False)
def nadam_coefs(h, t, c):
    beta1, beta2, psi = h[0], h[1], h[4]
    step = float(t)
    c[0] = 1 - beta2**step                                    # bias_correction2
    c[1] = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))       # mu_t
    c[2] = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))  # mu_{t+1}


@kernel(_nrt=False)
def nadam_step(h, c, lr, P, S, G, s0, nl):
    beta1, beta2, eps, weight_decay, decoupled = h[0], h[1], h[2], h[3], h[5] != 0
    bias_correction2, mu, mu_next = c[0], c[1], c[2]
    d = P.shape[0]
    mu_product = S[1, s0:s0 + nl]
    for q in range(nl):
        mu_product[q] = mu_product[q] * mu
    for j in range(d):
        p = P[j, s0:s0 + nl]
        exp_avg = S[3 + j, s0:s0 + nl]
        exp_avg_sq = S[3 + d + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            pq, gq = decayed(p[q], g[q], lr[q], weight_decay, decoupled)
            m, v = moments(exp_avg, exp_avg_sq, q, gq, beta1, beta2)
            denom = math.sqrt(v / bias_correction2) + eps
            mp = mu_product[q]
            new = gq * (-lr[q] * (1.0 - mu) / (1.0 - mp)) / denom + pq
            p[q] = new + m * ((-lr[q] * mu_next) / (1.0 - mp * mu_next)) / denom
    store_lr(S, lr, s0, nl)
    for q in range(nl):
        S[2, s0 + q] = bias_correction2
