"""Adam and AdamW (with the AMSGrad variant), torch.optim.Adam / AdamW semantics."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import ADAM, Optimizer, make
from ._ops import decayed, divide, half, maximum, moments


def _adam(name, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay) -> Optimizer:
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 amsgrad=check.flag("amsgrad", amsgrad))
    if name == "adam":
        hyper["decoupled_weight_decay"] = check.flag("decoupled_weight_decay", decoupled_weight_decay)
    h = [beta1, beta2, hyper["eps"], hyper["weight_decay"], float(hyper["amsgrad"]), float(decoupled_weight_decay)]
    return make(name, hyper, ADAM, h, _rows, _internals)


def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
         decoupled_weight_decay=False) -> Optimizer:
    r"""Adam (Kingma & Ba, ICLR 2015), exactly as ``torch.optim.Adam``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.Adam.html)::

        theta_{t-1} <- theta_{t-1} * (1 - lr * lambda)          (weight_decay lambda, decoupled_weight_decay)
        g_t <- g_t + lambda * theta_{t-1}                       (weight_decay lambda, otherwise)
        m_t <- beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t <- beta2 * v_{t-1} + (1 - beta2) * g_t^2
        v^max_t <- max(v^max_{t-1}, v_t), used instead of v_t below          (amsgrad; Reddi et al. 2018)
        m^_t <- m_t / (1 - beta1^t);   v^_t <- v_t / (1 - beta2^t)
        theta_t <- theta_{t-1} - lr * m^_t / (sqrt(v^_t) + eps)

    Evaluated in torch's order,
    ``theta - (lr / (1 - beta1^t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)``,
    i.e. eps is added to the bias-corrected sqrt(v^_t). The AMSGrad maximum is of the raw v_t.
    State rows: lr, sqrt(1 - beta2^t), then m, v and v^max (d rows each).
    """
    return _adam("adam", lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay)


def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False) -> Optimizer:
    r"""AdamW (Loshchilov & Hutter, ICLR 2019), exactly as ``torch.optim.AdamW``.

    Adam with decoupled weight decay: first ``theta <- theta * (1 - lr * weight_decay)``, then the Adam step
    on the raw gradient (see :func:`adam`). torch's default weight_decay here is 1e-2.
    """
    return _adam("adamw", lr, betas, eps, weight_decay, amsgrad, True)


def _rows(d):
    return 2 + 3 * d


def _internals(h, count, R, d):
    """m_t, v_t (and v^max_t), and lr / (sqrt(v^_t) + eps), the multiplier applied to m^_t."""
    v = R[..., 2 + (2 if h[4] else 1) * d:2 + (3 if h[4] else 2) * d]
    with np.errstate(all="ignore"):
        scale = np.where(np.asarray(count)[..., None] > 0, R[..., :1] / (np.sqrt(v) / R[..., 1:2] + h[2]), 0.0)
    out = {"first_moment": R[..., 2:2 + d], "second_moment": R[..., 2 + d:2 + 2 * d]}
    if h[4]:
        out["max_second_moment"] = R[..., 2 + 2 * d:2 + 3 * d]
    out["step_scale"] = scale
    return out


@kernel(_nrt=False)
def adam_coefs(h, t, c):
    beta1, beta2 = h[0], h[1]
    step = float(t)
    c[0] = 1 - beta1**step                      # bias_correction1
    c[1] = (1 - beta2**step) ** half(step)      # bias_correction2_sqrt
    c[2] = 1.0 / c[1]                           # its reciprocal, for divide()


@kernel(_nrt=False)
def _adam_lane(p, g, exp_avg, exp_avg_sq, max_sq, q, lr, step_size, beta1, beta2, eps, weight_decay, amsgrad,
               decoupled, bias_correction2_sqrt, reciprocal2):
    """One coordinate of lane q (see :func:`adam`); step_size = -lr / bias_correction1."""
    pq, gq = decayed(p[q], g[q], lr, weight_decay, decoupled)
    m, v = moments(exp_avg, exp_avg_sq, q, gq, beta1, beta2)
    if amsgrad:
        v = maximum(max_sq[q], v)
        max_sq[q] = v
    denom = divide(math.sqrt(v), bias_correction2_sqrt, reciprocal2) + eps  # sqrt(v) >= 2^-538 or 0
    p[q] = m * step_size / denom + pq


@kernel(_nrt=False)
def adam_step(h, c, lr, P, S, G, s0, nl):
    beta1, beta2, eps, weight_decay, amsgrad, decoupled = h[0], h[1], h[2], h[3], h[4] != 0, h[5] != 0
    bias_correction1, bias_correction2_sqrt, reciprocal2 = c[0], c[1], c[2]
    d = P.shape[0]
    # torch's step_size = lr / bias_correction1, once per start (not per coordinate: the divider is what
    # bounds this kernel), and once for all when every lane has the same lr; per start it is held in the lr
    # row, which the last pass rewrites
    step_size = S[0, s0:s0 + nl]
    lr0 = lr[0]
    others = 0
    for q in range(nl):  # a count, not an and of booleans: this loop vectorises
        others += lr[q] != lr0
    same = others == 0
    shared = -(lr0 / bias_correction1)
    if not same:
        for q in range(nl):
            step_size[q] = -(lr[q] / bias_correction1)
    # Plain Adam (one lr, no weight decay, no AMSGrad) runs the same lane function with those constants, so
    # the compiler drops their branches from the vectorised loop (it if-converts them otherwise; the kernel
    # measured 3.5-4.6 ns per lane-step before, 2.9-3.5 after, on AMD EPYC)
    plain = same and weight_decay == 0 and not amsgrad
    for j in range(d):
        p = P[j, s0:s0 + nl]
        exp_avg = S[2 + j, s0:s0 + nl]
        exp_avg_sq = S[2 + d + j, s0:s0 + nl]
        max_sq = S[2 + 2 * d + j, s0:s0 + nl]
        g = G[j]
        if plain:
            for q in range(nl):
                _adam_lane(p, g, exp_avg, exp_avg_sq, max_sq, q, lr0, shared, beta1, beta2, eps, 0.0, False,
                           False, bias_correction2_sqrt, reciprocal2)
        else:
            for q in range(nl):
                _adam_lane(p, g, exp_avg, exp_avg_sq, max_sq, q, lr[q], shared if same else step_size[q], beta1,
                           beta2, eps, weight_decay, amsgrad, decoupled, bias_correction2_sqrt, reciprocal2)
    lr_row, bc_row = S[0, s0:s0 + nl], S[1, s0:s0 + nl]
    for q in range(nl):  # what store_lr does, and the bias correction, in one pass
        lr_row[q] = lr[q]
        bc_row[q] = bias_correction2_sqrt
