"""Quasi-hyperbolic momentum (QHM) and QHAdam."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, broadcast, coupled_decay


class QHMState(NamedTuple):
    count: int
    momentum_buffer: np.ndarray   # (n, d) g_t, the (dampened) momentum buffer
    lr: float | np.ndarray


class QHAdamState(NamedTuple):
    count: int
    exp_avg: np.ndarray      # (n, d) m_t
    exp_avg_sq: np.ndarray   # (n, d) v_t
    denom: np.ndarray | None  # (n, d) the last step's denominator
    lr: float | np.ndarray


def qhm(lr=1e-3, momentum=0.999, nu=0.7, weight_decay=0.0) -> Optimizer:
    r"""QHM (Ma & Yarats, ICLR 2019, "Quasi-hyperbolic momentum and Adam for deep learning", Algorithm 1).

    Per step t (beta = momentum)::

        g_t <- g_t + lambda * theta_{t-1}             (weight_decay lambda, as in facebookresearch/qhoptim)
        b_t <- beta * b_{t-1} + (1 - beta) * g_t               (b_0 = 0, no bias correction)
        theta_t <- theta_{t-1} - lr * ((1 - nu) * g_t + nu * b_t)

    nu = 0 is plain SGD, nu = 1 is (dampened) momentum SGD. Defaults are the paper's recommended
    nu = 0.7, beta = 0.999 (section 7.1); lr=1e-3 follows torch's SGD default. Because the buffer is an
    average rather than a sum, QHM's lr is comparable to plain SGD's, not to momentum-SGD's lr / (1 - beta).
    """
    lr = check.learning_rate(lr)
    hyper = dict(lr=lr, momentum=check.in_range("momentum", momentum, 0.0, 1.0),
                 nu=check.in_range("nu", nu, 0.0, 1.0, high_inclusive=True),
                 weight_decay=check.at_least("weight_decay", weight_decay))
    beta, nu, weight_decay = hyper["momentum"], hyper["nu"], hyper["weight_decay"]

    def init(params):
        return QHMState(0, np.zeros(np.shape(params)), lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        with np.errstate(all="ignore"):
            g = coupled_decay(grad, params, weight_decay)
            buf = state.momentum_buffer * beta
            buf += (1 - beta) * g
            direction = np.multiply(g, 1 - nu)
            direction += nu * buf
            direction *= -step_lr
            direction += params
        return direction, QHMState(state.count + 1, buf, step_lr)

    def internals(state):
        return {"velocity": state.momentum_buffer,
                "step_scale": broadcast(state.lr if state.count else 0.0, state.momentum_buffer)}

    return Optimizer("qhm", hyper, init, update, internals)


def qhadam(lr=1e-3, betas=(0.995, 0.999), nus=(0.7, 1.0), eps=1e-8, weight_decay=0.0) -> Optimizer:
    r"""QHAdam (Ma & Yarats, ICLR 2019, Algorithm 2).

    Per step t::

        g_t <- g_t + lambda * theta_{t-1}                      (weight_decay lambda)
        m_t <- beta1 m_{t-1} + (1 - beta1) g_t;     m^_t <- m_t / (1 - beta1^t)
        v_t <- beta2 v_{t-1} + (1 - beta2) g_t^2;   v^_t <- v_t / (1 - beta2^t)
        theta_t <- theta_{t-1} - lr * ((1 - nu1) g_t + nu1 m^_t) / (sqrt((1 - nu2) g_t^2 + nu2 v^_t) + eps)

    nus = (1, 1) is Adam. Defaults are the paper's recommendation (nu1, nu2, beta1, beta2) =
    (0.7, 1.0, 0.995, 0.999) (section 7.2).
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    nu1, nu2 = check.pair("nus", nus, high_inclusive=True)
    hyper = dict(lr=lr, betas=(beta1, beta2), nus=(nu1, nu2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay))
    eps, weight_decay = hyper["eps"], hyper["weight_decay"]

    def init(params):
        zeros = np.zeros(np.shape(params))
        return QHAdamState(0, zeros, zeros, None, lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        step = state.count + 1
        with np.errstate(all="ignore"):
            g = coupled_decay(grad, params, weight_decay)
            exp_avg = state.exp_avg * beta1
            exp_avg += (1 - beta1) * g
            g2 = g * g
            exp_avg_sq = state.exp_avg_sq * beta2
            exp_avg_sq += (1 - beta2) * g2
            num = exp_avg * (nu1 / (1 - beta1**step))
            num += (1 - nu1) * g
            denom = exp_avg_sq * (nu2 / (1 - beta2**step))
            denom += (1 - nu2) * g2
            np.sqrt(denom, out=denom)
            denom += eps
            num /= denom
            num *= -step_lr
            num += params
        return num, QHAdamState(step, exp_avg, exp_avg_sq, denom, step_lr)

    def internals(state):
        with np.errstate(all="ignore"):
            scale = state.lr / state.denom if state.denom is not None else np.zeros_like(state.exp_avg)
        return {"first_moment": state.exp_avg, "second_moment": state.exp_avg_sq, "step_scale": scale}

    return Optimizer("qhadam", hyper, init, update, internals)
