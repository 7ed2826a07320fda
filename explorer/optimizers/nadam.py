"""NAdam, torch.optim.NAdam semantics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, coupled_decay, ema_square, lerp


class NAdamState(NamedTuple):
    count: int
    exp_avg: np.ndarray       # (n, d) m_t
    exp_avg_sq: np.ndarray    # (n, d) v_t
    mu_product: float         # prod_{i <= t} mu_i
    lr: float | np.ndarray


def nadam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
          decoupled_weight_decay=False) -> Optimizer:
    r"""NAdam (Dozat, ICLR 2016 workshop, "Incorporating Nesterov Momentum into Adam"), as torch.optim.NAdam.

    Per step t (https://docs.pytorch.org/docs/stable/generated/torch.optim.NAdam.html), psi = momentum_decay::

        theta_{t-1} <- theta_{t-1} * (1 - lr * lambda)     (decoupled_weight_decay; "NAdamW")
        g_t <- g_t + lambda * theta_{t-1}                  (weight_decay lambda, otherwise)
        mu_t <- beta1 * (1 - 0.5 * 0.96^(t psi));   mu_{t+1} <- beta1 * (1 - 0.5 * 0.96^((t + 1) psi))
        m_t <- beta1 * m_{t-1} + (1 - beta1) * g_t;   v_t <- beta2 * v_{t-1} + (1 - beta2) * g_t^2
        denom <- sqrt(v_t / (1 - beta2^t)) + eps
        theta_t <- theta_{t-1} - lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g_t / denom
                               - lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m_t / denom
    """
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 momentum_decay=check.at_least("momentum_decay", momentum_decay),
                 decoupled_weight_decay=check.flag("decoupled_weight_decay", decoupled_weight_decay))
    eps, weight_decay, psi = hyper["eps"], hyper["weight_decay"], hyper["momentum_decay"]
    decoupled = hyper["decoupled_weight_decay"]

    def init(params):
        zeros = np.zeros(np.shape(params))
        return NAdamState(0, zeros, zeros, 1.0, lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        step = float(state.count + 1)
        with np.errstate(all="ignore"):
            bias_correction2 = 1 - beta2**step
            if weight_decay != 0 and decoupled:
                params = params * (1 - step_lr * weight_decay)
                g = grad
            else:
                g = coupled_decay(grad, params, weight_decay)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
            mu_product = state.mu_product * mu
            mu_product_next = mu_product * mu_next
            exp_avg = lerp(state.exp_avg, g, 1 - beta1)
            exp_avg_sq = ema_square(state.exp_avg_sq, g, beta2)
            denom = exp_avg_sq / bias_correction2
            np.sqrt(denom, out=denom)
            denom += eps
            new = np.multiply(g, -step_lr * (1.0 - mu) / (1.0 - mu_product))
            new /= denom
            new += params
            term = np.multiply(exp_avg, (-step_lr * mu_next) / (1.0 - mu_product_next))
            term /= denom
            new += term
        return new, NAdamState(state.count + 1, exp_avg, exp_avg_sq, mu_product, step_lr)

    def internals(state):
        out = {"first_moment": state.exp_avg, "second_moment": state.exp_avg_sq}
        with np.errstate(all="ignore"):
            out["step_scale"] = (state.lr / (np.sqrt(state.exp_avg_sq / (1 - beta2**state.count)) + eps)
                                 if state.count else np.zeros_like(state.exp_avg))
        return out

    return Optimizer("nadam", hyper, init, update, internals)
