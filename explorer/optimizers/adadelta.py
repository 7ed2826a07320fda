"""Adadelta, torch.optim.Adadelta semantics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, coupled_decay, ema_square


class AdadeltaState(NamedTuple):
    count: int
    square_avg: np.ndarray     # (n, d) v_t, running average of g^2
    acc_delta: np.ndarray      # (n, d) u_t, running average of squared updates
    ratio: np.ndarray | None   # (n, d) sqrt(u_{t-1} + eps) / sqrt(v_t + eps) of the last step
    lr: float | np.ndarray


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0) -> Optimizer:
    r"""Adadelta (Zeiler, 2012, arXiv:1212.5701), exactly as ``torch.optim.Adadelta``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.Adadelta.html)::

        g_t <- g_t + lambda * theta_{t-1}                       (if weight_decay lambda != 0)
        v_t <- rho * v_{t-1} + (1 - rho) * g_t^2
        Delta x_t <- sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        u_t <- rho * u_{t-1} + (1 - rho) * Delta x_t^2
        theta_t <- theta_{t-1} - lr * Delta x_t

    torch adds an ``lr`` (default 1.0, i.e. Zeiler's original rule) in front of the update.
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, rho=check.in_range("rho", rho, 0.0, 1.0, high_inclusive=True),
                 eps=check.at_least("eps", eps), weight_decay=check.at_least("weight_decay", weight_decay))
    rho, eps, weight_decay = hyper["rho"], hyper["eps"], hyper["weight_decay"]

    def init(params):
        zeros = np.zeros(np.shape(params))
        return AdadeltaState(0, zeros, zeros, None, lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        with np.errstate(all="ignore"):
            g = coupled_decay(grad, params, weight_decay)
            square_avg = ema_square(state.square_avg, g, rho)
            std = square_avg + eps
            np.sqrt(std, out=std)
            ratio = state.acc_delta + eps
            np.sqrt(ratio, out=ratio)
            ratio /= std
            delta = ratio * g
            acc_delta = ema_square(state.acc_delta, delta, rho)
            new = np.multiply(delta, -step_lr)
            new += params
        return new, AdadeltaState(state.count + 1, square_avg, acc_delta, ratio, step_lr)

    def internals(state):
        scale = state.lr * state.ratio if state.ratio is not None else np.zeros_like(state.square_avg)
        return {"second_moment": state.square_avg, "delta_average": state.acc_delta, "step_scale": scale}

    return Optimizer("adadelta", hyper, init, update, internals)
