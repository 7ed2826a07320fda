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
    (the run is then reported as diverged). The eigen-decomposition is the Jacobi method's (see
    :func:`newton_step`), compiled and run over every start at once.
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


MAX_SWEEPS = 50  # cyclic Jacobi sweeps at most; d = 2 needs one, d = 20 about ten


@kernel(_nrt=False)
def _rotate(A, V, p, r, t, s, tau, nl):
    """Apply the Jacobi rotation (t, s, tau per lane) that zeroes A[p, r] to every lane's A and V."""
    d = A.shape[0]
    app, arr, apr, arp = A[p, p], A[r, r], A[p, r], A[r, p]
    for q in range(nl):
        shift = t[q] * apr[q]
        app[q] = app[q] - shift
        arr[q] = arr[q] + shift
        apr[q] = 0.0
        arp[q] = 0.0
    for k in range(d):
        if k != p and k != r:
            akp, akr, apk, ark = A[k, p], A[k, r], A[p, k], A[r, k]
            for q in range(nl):
                g, hh = akp[q], akr[q]
                new_p = g - s[q] * (hh + g * tau[q])
                new_r = hh + s[q] * (g - hh * tau[q])
                akp[q], apk[q] = new_p, new_p
                akr[q], ark[q] = new_r, new_r
    for k in range(d):
        vkp, vkr = V[k, p], V[k, r]
        for q in range(nl):
            g, hh = vkp[q], vkr[q]
            vkp[q] = g - s[q] * (hh + g * tau[q])
            vkr[q] = hh + s[q] * (g - hh * tau[q])


@kernel(_nrt=False)
def _jacobi_angles(A, p, r, t, s, tau, nl):
    """Per lane, the rotation zeroing A[p, r] (Numerical Recipes, 3rd ed., section 11.1); none when A[p, r] is
    already negligible next to both diagonal entries, which it then becomes. Returns how many lanes rotate.
    Written without branches (selects only) so that the loop over lanes is vectorised."""
    app, arr, apr, arp = A[p, p], A[r, r], A[p, r], A[r, p]
    busy = 0
    for q in range(nl):
        a, x, y = apr[q], app[q], arr[q]
        g = 100.0 * abs(a)
        skip = (a == 0.0) | ((abs(x) + g == abs(x)) & (abs(y) + g == abs(y)))
        theta = 0.5 * (y - x) / a
        tq = 1.0 / (abs(theta) + math.sqrt(theta * theta + 1.0))
        tq = -tq if theta < 0 else tq
        tq = 0.5 / theta if abs(theta) > 1e150 else tq  # theta^2 would overflow
        tq = 0.0 if skip else tq
        c = 1.0 / math.sqrt(tq * tq + 1.0)
        t[q] = tq
        s[q] = tq * c
        tau[q] = tq * c / (1.0 + c)
        apr[q] = 0.0 if skip else a
        arp[q] = 0.0 if skip else a
        busy += 0 if skip else 1
    return busy


@kernel
def newton_step(h, lr, P, S, G, H, s0, nl):
    """H : (d(d+1)/2, >= nl) the Hessian's upper triangle, row by row, one column per lane.

    The eigen-decomposition is the cyclic Jacobi method (Golub & Van Loan, Matrix Computations, 4th ed.,
    section 8.5; the rotation of Numerical Recipes section 11.1), run on all lanes at once: each rotation is
    computed per lane and applied to every lane in one vectorised loop, sweeps repeat until every lane's
    off-diagonal entries are negligible. One code path for any d (d = 1: no rotation; d = 2: one rotation,
    exact to rounding). Eigenvalues agree with LAPACK's to rounding (tests/test_optimizers.py).
    """
    damping = h[0]
    d = P.shape[0]
    A = np.empty((d, d, nl))
    V = np.zeros((d, d, nl))
    t, s, tau = np.empty(nl), np.empty(nl), np.empty(nl)
    finite = np.ones(nl, dtype=np.bool_)
    k = 0
    for i in range(d):
        V[i, i, :] = 1.0
        for j in range(i, d):
            row = H[k]
            k += 1
            aij, aji = A[i, j], A[j, i]
            for q in range(nl):
                v = row[q]
                aij[q] = v
                aji[q] = v
                finite[q] &= v - v == 0.0
    for q in range(nl):  # a non-finite Hessian gives a nan step: rotate nothing in that lane
        if not finite[q]:
            for i in range(d):
                for j in range(d):
                    A[i, j, q] = np.nan if i == j else 0.0
    for _ in range(MAX_SWEEPS):
        busy = 0
        for p in range(d - 1):
            for r in range(p + 1, d):
                if _jacobi_angles(A, p, r, t, s, tau, nl):
                    busy += 1
                    _rotate(A, V, p, r, t, s, tau, nl)
        if busy == 0:
            break
    # the step sum_j v_j (v_j . g) / max(|lambda_j|, damping), lanes innermost
    coords = np.zeros((d, nl))
    for j in range(d):
        cj = coords[j]
        for m in range(d):
            vmj, gm = V[m, j], G[m]
            for q in range(nl):
                cj[q] += vmj[q] * gm[q]
        ajj = A[j, j]
        for q in range(nl):
            cj[q] = cj[q] / maximum(abs(ajj[q]), damping)
    total = np.empty(nl)
    for i in range(d):
        total[:] = 0.0
        for j in range(d):
            vij, cj = V[i, j], coords[j]
            for q in range(nl):
                total[q] += vij[q] * cj[q]
        for q in range(nl):
            P[i, s0 + q] = P[i, s0 + q] - lr[q] * total[q]
    # the eigenvalues, ascending, in the state (a sorting network of compare-exchanges: d is small)
    for i in range(d):
        aii = A[i, i]
        for q in range(nl):
            S[1 + i, s0 + q] = aii[q]
    for sweep in range(d - 1):
        for i in range(d - 1 - sweep):
            for q in range(nl):
                a, b = S[1 + i, s0 + q], S[2 + i, s0 + q]
                if a > b:
                    S[1 + i, s0 + q], S[2 + i, s0 + q] = b, a
    for q in range(nl):
        S[0, s0 + q] = lr[q]
