"""Adam and AdamW (with the AMSGrad variant), torch.optim.Adam / AdamW semantics."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer, coupled_decay, ema_square, lerp


class AdamState(NamedTuple):
    count: int                          # t, steps taken
    exp_avg: np.ndarray                 # (n, d) m_t
    exp_avg_sq: np.ndarray              # (n, d) v_t
    max_exp_avg_sq: np.ndarray | None   # (n, d) max_{k <= t} v_k (amsgrad only)
    lr: float | np.ndarray              # lr of the last step


def _adam(name, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay) -> Optimizer:
    lr = check.learning_rate(lr)
    beta1, beta2 = check.pair("betas", betas)
    hyper = dict(lr=lr, betas=(beta1, beta2), eps=check.at_least("eps", eps),
                 weight_decay=check.at_least("weight_decay", weight_decay),
                 amsgrad=check.flag("amsgrad", amsgrad))
    if name == "adam":
        hyper["decoupled_weight_decay"] = check.flag("decoupled_weight_decay", decoupled_weight_decay)
    eps, weight_decay, amsgrad = hyper["eps"], hyper["weight_decay"], hyper["amsgrad"]

    def init(params):
        zeros = np.zeros(np.shape(params))
        return AdamState(0, zeros, zeros, zeros if amsgrad else None, lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        step = state.count + 1
        with np.errstate(all="ignore"):
            if weight_decay != 0 and decoupled_weight_decay:
                params = params * (1 - step_lr * weight_decay)
                g = grad
            else:
                g = coupled_decay(grad, params, weight_decay)
            exp_avg = lerp(state.exp_avg, g, 1 - beta1)
            exp_avg_sq = ema_square(state.exp_avg_sq, g, beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            max_sq = None
            if amsgrad:
                max_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq)
                denom = np.sqrt(max_sq)
            else:
                denom = np.sqrt(exp_avg_sq)
            denom /= bias_correction2_sqrt
            denom += eps
            new = np.multiply(exp_avg, -(step_lr / bias_correction1))
            new /= denom
            new += params
        return new, AdamState(step, exp_avg, exp_avg_sq, max_sq, step_lr)

    def internals(state):
        out = {"first_moment": state.exp_avg, "second_moment": state.exp_avg_sq}
        if amsgrad:
            out["max_second_moment"] = state.max_exp_avg_sq
        if state.count == 0:
            out["step_scale"] = np.zeros_like(state.exp_avg)
            return out
        v = state.max_exp_avg_sq if amsgrad else state.exp_avg_sq
        with np.errstate(all="ignore"):  # lr / (sqrt(v_hat) + eps), the multiplier applied to m_hat
            out["step_scale"] = state.lr / (np.sqrt(v) / (1 - beta2**state.count) ** 0.5 + eps)
        return out

    return Optimizer(name, hyper, init, update, internals)


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
    """
    return _adam("adam", lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay)


def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False) -> Optimizer:
    r"""AdamW (Loshchilov & Hutter, ICLR 2019), exactly as ``torch.optim.AdamW``.

    Adam with decoupled weight decay: first ``theta <- theta * (1 - lr * weight_decay)``, then the Adam step
    on the raw gradient (see :func:`adam`). torch's default weight_decay here is 1e-2.
    """
    return _adam("adamw", lr, betas, eps, weight_decay, amsgrad, True)
