"""The optimizer record shared by every family (optax's ``GradientTransformation``, on numpy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


class Optimizer(NamedTuple):
    """A pair of pure functions plus what the app needs to show them.

    name : registry name, e.g. "adam".
    hyperparams : validated hyperparameters with defaults filled in (torch.optim names).
    init : params (n, d) -> state (a NamedTuple of arrays).
    update : ``update(grad, state, params, *, lr=None, oracle=None) -> (new_params, new_state)`` with
        grad, params (n, d) float64; lr a float or (n,) array overriding the hyperparameter for this step.
        Inputs are never mutated; overflow gives inf/nan silently.
    internals : state -> {"velocity" | "first_moment" | "second_moment" | "step_scale" | ...: (n, d)}.
    needs_hessian : update calls ``oracle.hessian``.
    uses_oracle : update needs ``oracle`` (line search or Hessian).
    """

    name: str
    hyperparams: dict[str, Any]
    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    internals: Callable[[Any], dict[str, np.ndarray]]
    needs_hessian: bool = False
    uses_oracle: bool = False


def lerp(start, end, weight):
    """torch.lerp's formula (ATen Lerp.h), so rounding matches: small weights go from ``start``."""
    if abs(weight) < 0.5:
        out = np.subtract(end, start)
        out *= weight
        out += start
    else:
        out = np.subtract(end, start)
        out *= weight - 1.0  # end - (end - start) * (1 - weight)
        out += end
    return out


def ema_square(avg, grad, beta):
    """``avg * beta + ((1 - beta) * grad) * grad`` — torch's ``mul_(beta).addcmul_(g, g, value=1 - beta)``."""
    out = np.multiply(grad, 1.0 - beta)
    out *= grad
    out += avg * beta
    return out


def coupled_decay(grad, params, weight_decay):
    """L2 penalty in the gradient: ``grad + weight_decay * params`` (torch's ``grad.add(p, alpha=wd)``)."""
    if weight_decay == 0:
        return grad
    out = np.multiply(params, weight_decay)
    out += grad
    return out


def broadcast(value, like):
    """A float or (n, 1) column as an (n, d) array shaped like ``like``."""
    return np.broadcast_to(np.asarray(value, dtype=np.float64), like.shape).copy()
