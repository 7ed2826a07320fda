"""Adagrad, torch.optim.Adagrad semantics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, coupled_decay


class AdagradState(NamedTuple):
    count: int
    sum: np.ndarray              # (n, d) running sum of squared gradients
    lr: float | np.ndarray       # the decayed lr (clr) of the last step


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10) -> Optimizer:
    r"""Adagrad (Duchi, Hazan & Singer, JMLR 2011), exactly as ``torch.optim.Adagrad``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.Adagrad.html)::

        g_t <- g_t + lambda * theta_{t-1}                       (if weight_decay lambda != 0)
        clr <- lr / (1 + (t - 1) * lr_decay)
        s_t <- s_{t-1} + g_t^2                                  (s_0 = initial_accumulator_value)
        theta_t <- theta_{t-1} - clr * g_t / (sqrt(s_t) + eps)
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, lr_decay=check.at_least("lr_decay", lr_decay),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 initial_accumulator_value=check.at_least("initial_accumulator_value",
                                                          initial_accumulator_value),
                 eps=check.at_least("eps", eps))
    lr_decay, weight_decay, eps = hyper["lr_decay"], hyper["weight_decay"], hyper["eps"]

    def init(params):
        return AdagradState(0, np.full(np.shape(params), hyper["initial_accumulator_value"]), lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        step = state.count + 1
        with np.errstate(all="ignore"):
            g = coupled_decay(grad, params, weight_decay)
            clr = step_lr / (1 + (step - 1) * lr_decay)
            total = np.multiply(g, g)
            total += state.sum
            std = np.sqrt(total)
            std += eps
            new = np.multiply(g, -clr)
            new /= std
            new += params
        return new, AdagradState(step, total, clr)

    def internals(state):
        with np.errstate(all="ignore"):
            scale = state.lr / (np.sqrt(state.sum) + eps) if state.count else np.zeros_like(state.sum)
        return {"second_moment": state.sum, "step_scale": scale}

    return Optimizer("adagrad", hyper, init, update, internals)
