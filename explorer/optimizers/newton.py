"""Damped, saddle-free Newton's method using the surface's symbolic Hessian."""

from __future__ import annotations

import math

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import NEWTON, Optimizer, make
from ._ops import maximum


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
    (the run is then reported as diverged). The eigen-decomposition is LAPACK's (``numpy.linalg.eigh``).
    State rows: lr, then the eigenvalues of the last Hessian, ascending (d rows).
    """
    lr = check.learning_rate(lr)
    damping = check.at_least("damping", damping)
    if damping <= 0:
        raise ValueError(f"damping must be > 0, got {damping:g}")
    hyper = dict(lr=lr, damping=damping)
    return make("newton", hyper, NEWTON, [damping], _rows, _internals, needs_hessian=True, uses_oracle=True)


def _rows(d):
    return 1 + d


def _internals(h, count, R, d):
    """The eigenvalues of the last Hessian, ascending."""
    return {"curvature": R[..., 1:1 + d]}


@kernel
def newton_step(h, lr, P, S, G, H, s0, nl):
    """H : (d(d+1)/2, >= nl) the Hessian's upper triangle, row by row, one column per lane."""
    damping = h[0]
    d = P.shape[0]
    A = np.empty((d, d))
    coords = np.empty(d)
    for q in range(nl):
        finite = True
        k = 0
        for i in range(d):
            for j in range(i, d):
                v = H[k, q]
                k += 1
                A[i, j] = v
                A[j, i] = v
                finite = finite and math.isfinite(v)
        if finite:
            eigval, eigvec = np.linalg.eigh(A)
        else:  # a non-finite Hessian gives a nan step
            eigval, eigvec = np.empty(d), np.zeros((d, d))
            for i in range(d):
                eigval[i] = np.nan
                eigvec[i, i] = 1.0
        for j in range(d):
            scale = maximum(abs(eigval[j]), damping)
            total = 0.0
            for i in range(d):
                total += eigvec[i, j] * G[i, q]
            coords[j] = total / scale
        for i in range(d):
            total = 0.0
            for j in range(d):
                total += eigvec[i, j] * coords[j]
            P[i, s0 + q] = P[i, s0 + q] - lr[q] * total
            S[1 + i, s0 + q] = eigval[i]
        S[0, s0 + q] = lr[q]
