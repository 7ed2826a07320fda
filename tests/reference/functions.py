"""Loss functions for the torch.optim reference trajectories, with closed-form gradients.

The fixture script (``make_torch_fixtures.py``) and the replay test (``tests/test_optimizers_torch.py``)
evaluate the *same* numpy functions below: torch only receives the gradient as ``param.grad``. The
gradients therefore agree bit for bit, and any difference in the trajectories comes from the optimizer
arithmetic alone. Every formula uses only elementwise operations (sums over the data set are explicit
Python loops, never ``np.sum``), so a batch of starts rounds exactly like a single start.

All functions take ``xy`` of shape (..., 2) and return (...) for values, (..., 2) for gradients.
"""

from __future__ import annotations

import functools

import numpy as np


def _quiet(func):
    """Overflow far from the minimum gives inf/nan without numpy warnings."""

    @functools.wraps(func)
    def wrapper(xy):
        with np.errstate(all="ignore"):
            return func(xy)

    return wrapper


@_quiet
def rosenbrock_value(xy):
    x, y = xy[..., 0], xy[..., 1]
    a = 1.0 - x
    b = y - x * x
    return a * a + 100.0 * (b * b)


@_quiet
def rosenbrock_gradient(xy):
    """f = (1 - x)^2 + 100 (y - x^2)^2;  df/dx = -2 (1 - x) - 400 x (y - x^2),  df/dy = 200 (y - x^2)."""
    x, y = xy[..., 0], xy[..., 1]
    b = y - x * x
    gx = -2.0 * (1.0 - x) - 400.0 * x * b
    gy = 200.0 * b
    return np.stack([gx, gy], axis=-1)


def _beale_terms(x, y):
    y2 = y * y
    y3 = y2 * y
    return 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3, y2, y3


@_quiet
def beale_value(xy):
    x, y = xy[..., 0], xy[..., 1]
    a1, a2, a3, _, _ = _beale_terms(x, y)
    return a1 * a1 + a2 * a2 + a3 * a3


@_quiet
def beale_gradient(xy):
    """f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2 (minimum 0 at (3, 0.5))."""
    x, y = xy[..., 0], xy[..., 1]
    a1, a2, a3, y2, y3 = _beale_terms(x, y)
    gx = 2.0 * a1 * (y - 1.0) + 2.0 * a2 * (y2 - 1.0) + 2.0 * a3 * (y3 - 1.0)
    gy = 2.0 * a1 * x + 2.0 * a2 * (2.0 * x * y) + 2.0 * a3 * (3.0 * x * y2)
    return np.stack([gx, gy], axis=-1)


# A tiny, non-separable 1-feature data set, labels +1/-1; parameters (w, b) of p(y=1|u) = sigmoid(w u + b).
LOGISTIC_U = (-2.0, -1.2, -0.5, 0.3, 0.8, 1.5, 2.2, -0.1)
LOGISTIC_Y = (-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0, 1.0)


@_quiet
def logistic_value(xy):
    """Mean logistic loss  (1/N) sum_i log(1 + exp(-y_i (w u_i + b)))."""
    w, b = xy[..., 0], xy[..., 1]
    total = np.zeros_like(w)
    for u, y in zip(LOGISTIC_U, LOGISTIC_Y, strict=True):
        total = total + np.logaddexp(0.0, -y * (w * u + b))
    return total / len(LOGISTIC_U)


@_quiet
def logistic_gradient(xy):
    """d/dw = (1/N) sum_i -y_i u_i s_i,  d/db = (1/N) sum_i -y_i s_i,  s_i = 1 / (1 + exp(y_i (w u_i + b)))"""
    w, b = xy[..., 0], xy[..., 1]
    gw = np.zeros_like(w)
    gb = np.zeros_like(w)
    for u, y in zip(LOGISTIC_U, LOGISTIC_Y, strict=True):
        s = 1.0 / (1.0 + np.exp(y * (w * u + b)))
        gw = gw - y * u * s
        gb = gb - y * s
    n = len(LOGISTIC_U)
    return np.stack([gw / n, gb / n], axis=-1)


class Oracle:
    """``value``/``gradient`` on (n, 2) arrays, the interface optimizers with a line search expect."""

    def __init__(self, value, gradient):
        self.value = value
        self.gradient = gradient

    def hessian(self, xy):  # pragma: no cover - not needed by the torch-named optimizers
        raise NotImplementedError


FUNCTIONS = {
    "rosenbrock": Oracle(rosenbrock_value, rosenbrock_gradient),
    "beale": Oracle(beale_value, beale_gradient),
    "logistic": Oracle(logistic_value, logistic_gradient),
}

STARTS = {
    "rosenbrock": ((-1.5, 2.0), (0.3, -0.4)),
    "beale": ((1.0, 1.0), (2.0, -0.5)),
    "logistic": ((0.0, 0.0), (1.5, -2.0)),
}
