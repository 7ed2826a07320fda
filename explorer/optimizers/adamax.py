"""Adamax, torch.optim.Adamax semantics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, coupled_decay, lerp


class AdamaxState(NamedTuple):
    count: int
    exp_avg: np.ndarray   # (n, d) m_t
    exp_inf: np.ndarray   # (n, d) u_t, the exponentially weighted infinity norm
    lr: float | np.ndarray


def adamax(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) -> Optimizer:
    r"""Adamax (Kingma & Ba, ICLR 2015, section 7.1), exactly as ``torch.optim.Adamax``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.Adamax.html)::

        g_t <- g_t + lambda * theta_{t-1}                  (weight_decay lambda)
        m_t <- beta1 m_{t-1} + (1 - beta1) g_t
        u_t <- max(beta2 u_{t-1}, |g_t| + eps)             (torch puts eps inside the max)
        theta_t <- theta_{t-1} - lr / (1 - beta1^t) * m_t / u_t
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay))
    eps, weight_decay = hyper["eps"], hyper["weight_decay"]

    def init(params):
        zeros = np.zeros(np.shape(params))
        return AdamaxState(0, zeros, zeros, lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        step = state.count + 1
        with np.errstate(all="ignore"):
            g = coupled_decay(grad, params, weight_decay)
            exp_avg = lerp(state.exp_avg, g, 1 - beta1)
            norm = np.abs(g)
            norm += eps
            exp_inf = np.maximum(state.exp_inf * beta2, norm, out=norm)
            new = np.multiply(exp_avg, -(step_lr / (1 - beta1 ** float(step))))
            new /= exp_inf
            new += params
        return new, AdamaxState(step, exp_avg, exp_inf, step_lr)

    def internals(state):
        out = {"first_moment": state.exp_avg, "second_moment": state.exp_inf}
        with np.errstate(all="ignore"):  # lr / u_t, the multiplier applied to m^_t
            out["step_scale"] = state.lr / state.exp_inf if state.count else np.zeros_like(state.exp_avg)
        return out

    return Optimizer("adamax", hyper, init, update, internals)
