"""Damped, saddle-free Newton's method using the surface's symbolic Hessian."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer


class NewtonState(NamedTuple):
    count: int
    curvature: np.ndarray   # (n, d) eigenvalues of the Hessian at the last step's point, ascending
    lr: float | np.ndarray


def newton(lr=1.0, damping=1e-3) -> Optimizer:
    r"""Saddle-free Newton (Dauphin et al., NeurIPS 2014, "Identifying and attacking the saddle point ...").

    Per step, with H = V diag(lambda) V^T the eigen-decomposition of the Hessian at theta_{t-1}::

        |H|_delta = V diag(max(|lambda_i|, delta)) V^T            (delta = damping)
        theta_t <- theta_{t-1} - lr * |H|_delta^{-1} g_t

    Where H is positive definite with eigenvalues >= damping this is exactly Newton's method (lr = 1 jumps to
    the minimum of a quadratic in one step). Where H is indefinite (a saddle) the step along each
    negative-curvature eigenvector is flipped, so it goes downhill and escapes the saddle instead of being
    attracted to it as plain Newton is; where it is concave it descends with step |g_i| / |lambda_i|.
    Near-zero curvature is floored at ``damping``, so in a flat direction the step is g_i / damping (large on
    purpose: this is where Newton's method is unreliable). A non-finite Hessian gives a non-finite step
    (the run is then reported as diverged).
    """
    lr = check.learning_rate(lr)
    damping = check.at_least("damping", damping)
    if damping <= 0:
        raise ValueError(f"damping must be > 0, got {damping:g}")
    hyper = dict(lr=lr, damping=damping)

    def init(params):
        return NewtonState(0, np.zeros(np.shape(params)), lr)

    def update(grad, state, params, *, lr=None, oracle=None):
        if oracle is None:
            raise ValueError("newton needs oracle= (an object with .hessian(params))")
        step_lr = check.step_lr(lr, hyper["lr"], params.shape[0])
        with np.errstate(all="ignore"):
            hess = np.asarray(oracle.hessian(params), dtype=np.float64)
            hess = np.broadcast_to(hess, params.shape + params.shape[-1:])
            finite = np.isfinite(hess).all(axis=(1, 2))
            symmetric = 0.5 * (hess + np.swapaxes(hess, 1, 2))
            safe = np.where(finite[:, None, None], symmetric, np.eye(params.shape[1]))
            eigval, eigvec = np.linalg.eigh(safe)
            eigval[~finite] = np.nan
            scale = np.maximum(np.abs(eigval), damping)
            coords = np.einsum("nij,ni->nj", eigvec, grad) / scale
            step = np.einsum("nij,nj->ni", eigvec, coords)
            new = params - step_lr * step
        return new, NewtonState(state.count + 1, eigval, step_lr)

    def internals(state):
        return {"curvature": state.curvature}

    return Optimizer("newton", hyper, init, update, internals, needs_hessian=True, uses_oracle=True)
