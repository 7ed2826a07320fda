"""Stochastic gradient descent with momentum, torch.optim.SGD semantics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, broadcast, coupled_decay


class SGDState(NamedTuple):
    count: int                    # steps taken
    momentum_buffer: np.ndarray   # (n, d) velocity b_t (zeros before the first step)
    lr: float | np.ndarray        # lr used by the last step (float or (n, 1))


def sgd(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False) -> Optimizer:
    r"""SGD, exactly as ``torch.optim.SGD`` (https://docs.pytorch.org/docs/stable/generated/torch.optim.SGD.html).

    Per step t (g_t the gradient, mu = momentum, tau = dampening, lambda = weight_decay)::

        g_t <- g_t + lambda * theta_{t-1}                     (if lambda != 0)
        b_t <- g_t                                            (t = 1: the first buffer is the raw gradient,
        b_t <- mu * b_{t-1} + (1 - tau) * g_t                  t > 1   no dampening on it)
        g_t <- g_t + mu * b_t   if nesterov   else   g_t <- b_t   (if mu != 0)
        theta_t <- theta_{t-1} - lr * g_t

    Note, as torch's documentation does, that this momentum "subtly differs" from Sutskever et al. (2013) and
    some other frameworks, which apply lr inside the velocity: ``v <- mu v + lr g; theta <- theta - v``.
    Defaults are torch 2.13's (lr=1e-3). ``nesterov`` needs momentum > 0 and dampening = 0.
    """
    lr = check.learning_rate(lr)
    momentum = check.at_least("momentum", momentum)
    dampening = check.in_range("dampening", dampening, 0.0, 1.0, high_inclusive=True)
    weight_decay = check.at_least("weight_decay", weight_decay)
    nesterov = check.flag("nesterov", nesterov)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
    hyper = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)

    def init(params):
        return SGDState(0, np.zeros_like(params, dtype=np.float64), lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        with np.errstate(all="ignore"):
            g = coupled_decay(grad, params, weight_decay)
            buf = state.momentum_buffer
            if momentum != 0:
                if state.count == 0:
                    buf = np.array(g, dtype=np.float64)
                else:
                    buf = buf * momentum
                    buf += (1.0 - dampening) * g
                if nesterov:
                    g = g + momentum * buf
                else:
                    g = buf
            new = np.multiply(g, -step_lr)
            new += params
        return new, SGDState(state.count + 1, buf, step_lr)

    def internals(state):
        out = {"step_scale": broadcast(state.lr if state.count else 0.0, state.momentum_buffer)}
        if momentum != 0:
            out["velocity"] = state.momentum_buffer
        return out

    return Optimizer("sgd", hyper, init, update, internals)
