"""RMSprop, torch.optim.RMSprop semantics (optionally centered, optionally with momentum)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, coupled_decay, ema_square, lerp


class RMSpropState(NamedTuple):
    count: int
    square_avg: np.ndarray         # (n, d) v_t
    grad_avg: np.ndarray           # (n, d) g^ave_t (zeros unless centered)
    momentum_buffer: np.ndarray    # (n, d) b_t (zeros unless momentum > 0)
    denom: np.ndarray | None       # (n, d) sqrt(v~_t) + eps of the last step
    lr: float | np.ndarray


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False) -> Optimizer:
    r"""RMSprop (Hinton, Coursera lecture 6e, 2012), exactly as ``torch.optim.RMSprop``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.RMSprop.html)::

        g_t <- g_t + lambda * theta_{t-1}                       (if weight_decay lambda != 0)
        v_t <- alpha * v_{t-1} + (1 - alpha) * g_t^2
        v~_t <- v_t - (g^ave_t)^2 with g^ave_t <- lerp(g^ave_{t-1}, g_t, 1 - alpha)   (centered)
        v~_t <- v_t                                                                    (otherwise)
        b_t <- mu * b_{t-1} + g_t / (sqrt(v~_t) + eps);  theta_t <- theta_{t-1} - lr * b_t   (momentum mu > 0)
        theta_t <- theta_{t-1} - lr * g_t / (sqrt(v~_t) + eps)                               (otherwise)

    Note eps is added outside the square root (as in torch; Keras/TF put it inside).
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, alpha=check.in_range("alpha", alpha, 0.0, 1.0, high_inclusive=True),
                 eps=check.at_least("eps", eps), weight_decay=check.at_least("weight_decay", weight_decay),
                 momentum=check.at_least("momentum", momentum), centered=check.flag("centered", centered))
    alpha, eps, momentum = hyper["alpha"], hyper["eps"], hyper["momentum"]
    weight_decay = hyper["weight_decay"]

    def init(params):
        zeros = np.zeros(np.shape(params))
        return RMSpropState(0, zeros, zeros, zeros, None, lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        with np.errstate(all="ignore"):
            g = coupled_decay(grad, params, weight_decay)
            square_avg = ema_square(state.square_avg, g, alpha)
            grad_avg = state.grad_avg
            if centered:
                grad_avg = lerp(grad_avg, g, 1.0 - alpha)
                avg = np.multiply(grad_avg, -1.0)      # addcmul(grad_avg, grad_avg, value=-1)
                avg *= grad_avg
                avg += square_avg
                np.sqrt(avg, out=avg)
            else:
                avg = np.sqrt(square_avg)
            avg += eps
            buf = state.momentum_buffer
            if momentum > 0:
                buf = np.divide(g, avg)
                buf += state.momentum_buffer * momentum
                new = np.multiply(buf, -step_lr)
            else:
                new = np.multiply(g, -step_lr)
                new /= avg
            new += params
        return new, RMSpropState(state.count + 1, square_avg, grad_avg, buf, avg, step_lr)

    def internals(state):
        out = {"second_moment": state.square_avg}
        with np.errstate(all="ignore"):
            out["step_scale"] = (state.lr / state.denom if state.denom is not None
                                 else np.zeros_like(state.square_avg))
        if momentum > 0:
            out["velocity"] = state.momentum_buffer
        if centered:
            out["first_moment"] = state.grad_avg
        return out

    return Optimizer("rmsprop", hyper, init, update, internals)
