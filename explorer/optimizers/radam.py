"""RAdam, torch.optim.RAdam semantics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, coupled_decay, ema_square, lerp


class RAdamState(NamedTuple):
    count: int
    exp_avg: np.ndarray      # (n, d) m_t
    exp_avg_sq: np.ndarray   # (n, d) v_t
    lr: float | np.ndarray


def radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False) -> Optimizer:
    r"""RAdam (Liu et al., ICLR 2020, "On the Variance of the Adaptive Learning Rate and Beyond").

    Exactly as ``torch.optim.RAdam``.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.RAdam.html)::

        theta_{t-1} <- theta_{t-1} * (1 - lr * lambda)     (decoupled_weight_decay)
        g_t <- g_t + lambda * theta_{t-1}                  (weight_decay lambda, otherwise)
        m_t <- beta1 m_{t-1} + (1 - beta1) g_t;   v_t <- beta2 v_{t-1} + (1 - beta2) g_t^2
        m^_t <- m_t / (1 - beta1^t)
        rho_inf <- 2 / (1 - beta2) - 1;   rho_t <- rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:   l_t <- sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
                        r_t <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                        theta_t <- theta_{t-1} - lr m^_t l_t r_t
        else:           theta_t <- theta_{t-1} - lr m^_t          (SGD with momentum while the variance is
                                                                   not yet tractable: the first ~5 steps)
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 decoupled_weight_decay=check.flag("decoupled_weight_decay", decoupled_weight_decay))
    eps, weight_decay, decoupled = hyper["eps"], hyper["weight_decay"], hyper["decoupled_weight_decay"]
    rho_inf = 2 / (1 - beta2) - 1

    def _factors(step):
        bias_correction2 = 1 - beta2**step
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t <= 5.0:
            return None, None
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        return rect, bias_correction2**0.5

    def init(params):
        zeros = np.zeros(np.shape(params))
        return RAdamState(0, zeros, zeros, lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        step = float(state.count + 1)
        with np.errstate(all="ignore"):
            if weight_decay != 0 and decoupled:
                params = params * (1 - step_lr * weight_decay)
                g = grad
            else:
                g = coupled_decay(grad, params, weight_decay)
            exp_avg = lerp(state.exp_avg, g, 1 - beta1)
            exp_avg_sq = ema_square(state.exp_avg_sq, g, beta2)
            step_vec = exp_avg / (1 - beta1**step)
            step_vec *= step_lr
            rect, bc2_sqrt = _factors(step)
            if rect is not None:
                # torch: bc2_sqrt / (sqrt(v) + eps) is evaluated as reciprocal(sqrt(v) + eps) * bc2_sqrt
                adaptive = np.sqrt(exp_avg_sq)
                adaptive += eps
                np.reciprocal(adaptive, out=adaptive)
                adaptive *= bc2_sqrt
                step_vec *= adaptive
                step_vec *= rect
            new = params - step_vec
        return new, RAdamState(state.count + 1, exp_avg, exp_avg_sq, step_lr)

    def internals(state):
        out = {"first_moment": state.exp_avg, "second_moment": state.exp_avg_sq}
        if state.count == 0:
            out["step_scale"] = np.zeros_like(state.exp_avg)
            return out
        rect, bc2_sqrt = _factors(float(state.count))
        with np.errstate(all="ignore"):
            if rect is None:
                scale = state.lr * np.ones_like(state.exp_avg)
            else:
                scale = state.lr * rect * bc2_sqrt / (np.sqrt(state.exp_avg_sq) + eps)
        out["step_scale"] = scale
        return out

    return Optimizer("radam", hyper, init, update, internals)
