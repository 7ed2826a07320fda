"""Quasi-hyperbolic momentum (QHM) and QHAdam."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import QHADAM, QHM, Optimizer, make, per_start
from ._ops import coupled, store_lr


def qhm(lr=1e-3, momentum=0.999, nu=0.7, weight_decay=0.0) -> Optimizer:
    r"""QHM (Ma & Yarats, ICLR 2019, "Quasi-hyperbolic momentum and Adam for deep learning", Algorithm 1).

    Per step t (beta = momentum)::

        g_t <- g_t + lambda * theta_{t-1}             (weight_decay lambda, as in facebookresearch/qhoptim)
        b_t <- beta * b_{t-1} + (1 - beta) * g_t               (b_0 = 0, no bias correction)
        theta_t <- theta_{t-1} - lr * ((1 - nu) * g_t + nu * b_t)

    nu = 0 is plain SGD, nu = 1 is (dampened) momentum SGD. Defaults are the paper's recommended
    nu = 0.7, beta = 0.999 (section 7.1); lr=1e-3 follows torch's SGD default. Because the buffer is an
    average rather than a sum, QHM's lr is comparable to plain SGD's, not to momentum-SGD's lr / (1 - beta).
    State rows: lr, then b (d rows).
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, momentum=check.in_range("momentum", momentum, 0.0, 1.0),
                 nu=check.in_range("nu", nu, 0.0, 1.0, high_inclusive=True),
                 weight_decay=check.at_least("weight_decay", weight_decay))
    h = [hyper["momentum"], hyper["nu"], hyper["weight_decay"]]
    return make("qhm", hyper, QHM, h, _qhm_rows, _qhm_internals)


def qhadam(lr=1e-3, betas=(0.995, 0.999), nus=(0.7, 1.0), eps=1e-8, weight_decay=0.0) -> Optimizer:
    r"""QHAdam (Ma & Yarats, ICLR 2019, Algorithm 2).

    Per step t::

        g_t <- g_t + lambda * theta_{t-1}                      (weight_decay lambda)
        m_t <- beta1 m_{t-1} + (1 - beta1) g_t;     m^_t <- m_t / (1 - beta1^t)
        v_t <- beta2 v_{t-1} + (1 - beta2) g_t^2;   v^_t <- v_t / (1 - beta2^t)
        theta_t <- theta_{t-1} - lr * ((1 - nu1) g_t + nu1 m^_t) / (sqrt((1 - nu2) g_t^2 + nu2 v^_t) + eps)

    nus = (1, 1) is Adam. Defaults are the paper's recommendation (nu1, nu2, beta1, beta2) =
    (0.7, 1.0, 0.995, 0.999) (section 7.2). State rows: lr, then m, v and the last denominator (d rows each).
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    nu1, nu2 = check.pair("nus", nus, high_inclusive=True)
    hyper = dict(lr=lr, betas=(beta1, beta2), nus=(nu1, nu2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay))
    h = [beta1, beta2, nu1, nu2, hyper["eps"], hyper["weight_decay"]]
    return make("qhadam", hyper, QHADAM, h, _qhadam_rows, _qhadam_internals)


def _qhm_rows(d):
    return 1 + d


def _qhadam_rows(d):
    return 1 + 3 * d


def _qhm_internals(h, count, R, d):
    """b_t, and lr."""
    return {"velocity": R[..., 1:1 + d], "step_scale": per_start(count, R[..., :1], d)}


def _qhadam_internals(h, count, R, d):
    """m_t, v_t, and lr over the last denominator."""
    with np.errstate(all="ignore"):
        scale = np.where(np.asarray(count)[..., None] > 0, R[..., :1] / R[..., 1 + 2 * d:1 + 3 * d], 0.0)
    return {"first_moment": R[..., 1:1 + d], "second_moment": R[..., 1 + d:1 + 2 * d], "step_scale": scale}


@kernel(_nrt=False)
def qhm_step(h, lr, P, S, G, s0, nl):
    beta, nu, weight_decay = h[0], h[1], h[2]
    for j in range(P.shape[0]):
        p = P[j, s0:s0 + nl]
        buf = S[1 + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            gq = coupled(g[q], p[q], weight_decay)
            b = buf[q] * beta + (1 - beta) * gq
            buf[q] = b
            p[q] = (gq * (1 - nu) + nu * b) * (-lr[q]) + p[q]
    store_lr(S, lr, s0, nl)


@kernel(_nrt=False)
def qhadam_coefs(h, t, c):
    beta1, beta2, nu1, nu2 = h[0], h[1], h[2], h[3]
    step = float(t)
    c[0] = nu1 / (1 - beta1**step)
    c[1] = nu2 / (1 - beta2**step)


@kernel(_nrt=False)
def qhadam_step(h, c, lr, P, S, G, s0, nl):
    beta1, beta2, nu1, nu2, eps, weight_decay = h[0], h[1], h[2], h[3], h[4], h[5]
    d = P.shape[0]
    for j in range(d):
        p = P[j, s0:s0 + nl]
        exp_avg = S[1 + j, s0:s0 + nl]
        exp_avg_sq = S[1 + d + j, s0:s0 + nl]
        last = S[1 + 2 * d + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            gq = coupled(g[q], p[q], weight_decay)
            m = exp_avg[q] * beta1 + (1 - beta1) * gq
            g2 = gq * gq
            v = exp_avg_sq[q] * beta2 + (1 - beta2) * g2
            exp_avg[q] = m
            exp_avg_sq[q] = v
            num = m * c[0] + (1 - nu1) * gq
            denom = math.sqrt(v * c[1] + (1 - nu2) * g2) + eps
            last[q] = denom
            p[q] = num / denom * (-lr[q]) + p[q]
    store_lr(S, lr, s0, nl)
