"""Lion (EvoLved Sign Momentum)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, broadcast


class LionState(NamedTuple):
    count: int
    exp_avg: np.ndarray    # (n, d) m_t
    lr: float | np.ndarray


def lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0) -> Optimizer:
    r"""Lion (Chen et al., NeurIPS 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2).

    Per step t::

        c_t <- beta1 * m_{t-1} + (1 - beta1) * g_t
        theta_t <- theta_{t-1} - lr * (sign(c_t) + lambda * theta_{t-1})      (weight_decay lambda, decoupled)
        m_t <- beta2 * m_{t-1} + (1 - beta2) * g_t

    Every coordinate moves by exactly lr (the sign), so the paper suggests an lr 3-10x smaller than AdamW's;
    the defaults are the paper's (lr=1e-4, betas=(0.9, 0.99)).
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), weight_decay=check.at_least("weight_decay", weight_decay))
    weight_decay = hyper["weight_decay"]

    def init(params):
        return LionState(0, np.zeros(np.shape(params)), lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        with np.errstate(all="ignore"):
            c = state.exp_avg * beta1
            c += (1 - beta1) * grad
            new = np.sign(c)
            if weight_decay != 0:
                new += weight_decay * params
            new *= -step_lr
            new += params
            exp_avg = state.exp_avg * beta2
            exp_avg += (1 - beta2) * grad
        return new, LionState(state.count + 1, exp_avg, step_lr)

    def internals(state):
        return {"first_moment": state.exp_avg, "step_scale": broadcast(state.lr if state.count else 0.0,
                                                                       state.exp_avg)}

    return Optimizer("lion", hyper, init, update, internals)
