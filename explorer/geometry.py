"""Local geometry at one point: the Hessian's eigen-structure, the second-order Taylor model, the tangent
plane and gradient descent's stability bound.

Around p the surface is modelled by (Nocedal & Wright, *Numerical Optimization*, 2nd ed., eq. 2.6)

    q(p + d) = f(p) + ∇f(p)ᵀ d + ½ dᵀ H d,

whose level sets are ellipses (H definite), hyperbolae (H indefinite) or parabolae/lines (H singular).
In the eigenbasis H = V diag(λ) Vᵀ, with u = Vᵀ d and g̃ = Vᵀ ∇f the model separates:
q = f + Σᵢ (g̃ᵢ uᵢ + ½ λᵢ uᵢ²), which is what :func:`taylor_contours` draws.

On a quadratic with Hessian eigenvalue λ, gradient descent multiplies the error along that eigenvector by
(1 - lr·λ) per step, so it converges iff 0 < lr < 2/λ_max (Goh, "Why Momentum Really Works", Distill 2017);
heavy-ball momentum β (torch SGD with ``momentum=β``, ``dampening=0``) widens this to lr < 2(1 + β)/λ_max
(same source). Away from a quadratic the bound is local: it holds for the model q at the current point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LocalGeometry", "local_geometry", "taylor_model", "taylor_contours", "taylor_levels",
           "tangent_plane", "stability_bound", "lr_exceeds_bound"]


@dataclass(frozen=True, eq=False)
class LocalGeometry:
    """Derivatives and the Hessian's eigen-decomposition at one point.

    xy : (2,) the point.  value : f(xy).  gradient : (2,).  hessian : (2, 2).
    eigenvalues : (2,) ascending.  eigenvectors : (2, 2), column i belongs to eigenvalue i.
    condition_number : |λ|max / |λ|min (inf when λ = 0 occurs, nan when the Hessian is not finite).
    """

    xy: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    condition_number: float


def local_geometry(surface, xy) -> LocalGeometry:
    """Value, gradient, Hessian and its eigen-decomposition at ``xy`` (2,)."""
    p = np.asarray(xy, dtype=np.float64).reshape(2)
    value = float(surface.value(p))
    grad = np.asarray(surface.gradient(p), dtype=np.float64).reshape(2)
    hess = np.asarray(surface.hessian(p), dtype=np.float64).reshape(2, 2)
    if np.all(np.isfinite(hess)):
        lam, vec = np.linalg.eigh(0.5 * (hess + hess.T))
        mags = np.abs(lam)
        with np.errstate(all="ignore"):
            cond = float(mags.max() / mags.min()) if mags.min() > 0 else np.inf
    else:
        lam, vec, cond = np.full(2, np.nan), np.full((2, 2), np.nan), np.nan
    return LocalGeometry(p, value, grad, hess, lam, vec, cond)


def taylor_model(surface, xy):
    """The second-order model q at ``xy`` as a function on points (..., 2) -> (...)."""
    geo = local_geometry(surface, xy)

    def q(points) -> np.ndarray:
        d = np.asarray(points, dtype=np.float64) - geo.xy
        with np.errstate(all="ignore"):
            return geo.value + d @ geo.gradient + 0.5 * np.einsum("...i,ij,...j->...", d, geo.hessian, d)

    return q


def taylor_levels(surface, xy, radius: float, n: int = 5) -> np.ndarray:
    """``n`` (odd numbers include f(xy) itself) model levels spread over the model's range on the circle
    of ``radius`` around ``xy`` — a sensible default for :func:`taylor_contours`. Returns (n,)."""
    q = taylor_model(surface, xy)
    t = np.linspace(0.0, 2 * np.pi, 64, endpoint=False)
    ring = q(np.asarray(xy, dtype=np.float64) + radius * np.stack([np.cos(t), np.sin(t)], axis=-1))
    lo, hi = np.min(ring), np.max(ring)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return np.array([q(np.asarray(xy, dtype=np.float64))])
    return np.linspace(lo, hi, n + 2)[1:-1]


def _level_curves_eig(lam, gt, f0, level, radius, n, zero):
    """Curves q = level in eigen-coordinates u (see module docstring); each an (m, 2) array."""
    t = np.linspace(-radius, radius, n)
    nonzero = np.abs(lam) > zero
    if nonzero.all():
        c = -gt / lam                       # the model's stationary point (centre of the conic)
        r = 2.0 * (level - f0) + np.sum(gt * gt / lam)   # Σ λᵢ wᵢ² = r with u = c + w
        if lam[0] * lam[1] > 0:             # ellipse (or nothing)
            if r / lam[0] <= 0:
                return []
            th = np.linspace(0.0, 2 * np.pi, n)
            w = np.stack([np.sqrt(r / lam[0]) * np.cos(th), np.sqrt(r / lam[1]) * np.sin(th)], axis=-1)
            return [c + w]
        # hyperbola: the axis i with r/λᵢ > 0 is the one the branches cross.
        if r == 0:                          # the two asymptotes through the centre
            k = np.sqrt(-lam[0] / lam[1])
            return [c + np.stack([t, k * t], -1), c + np.stack([t, -k * t], -1)]
        i = 0 if r / lam[0] > 0 else 1
        j = 1 - i
        a, b = np.sqrt(r / lam[i]), np.sqrt(-r / lam[j])
        s = np.linspace(-np.arcsinh(radius / b), np.arcsinh(radius / b), n)
        out = []
        for sign in (1.0, -1.0):
            w = np.empty((n, 2))
            w[:, i], w[:, j] = sign * a * np.cosh(s), b * np.sinh(s)
            out.append(c + w)
        return out
    if nonzero.any():                       # parabola (or a pair of lines) along the flat direction k
        i = int(np.argmax(nonzero))
        k = 1 - i
        u_i = t
        rest = level - f0 - gt[i] * u_i - 0.5 * lam[i] * u_i**2
        if abs(gt[k]) > zero:
            w = np.empty((n, 2))
            w[:, i], w[:, k] = u_i, rest / gt[k]
            return [w]
        disc = gt[i] ** 2 + 2.0 * lam[i] * (level - f0)   # ½λu² + g u + (f0 - level) = 0
        if disc < 0:
            return []
        out = []
        for root in {(-gt[i] + np.sqrt(disc)) / lam[i], (-gt[i] - np.sqrt(disc)) / lam[i]}:
            w = np.empty((n, 2))
            w[:, i], w[:, k] = root, t
            out.append(w)
        return out
    gn = float(np.hypot(*gt))               # flat model: q is the tangent plane, its level sets lines
    if gn <= zero:
        return []
    normal = gt / gn
    base = normal * (level - f0) / gn
    return [base + np.outer(t, [-normal[1], normal[0]])]


def taylor_contours(surface, xy, levels, *, radius: float, n: int = 129,
                    rtol: float = 1e-9) -> list[np.ndarray]:
    """Level curves of the second-order model at ``xy`` for each value in ``levels``.

    Returns a list of (m, 2) arrays of points in the (x, y) plane: closed ellipses (first point repeated
    at the end), hyperbola branches, parabolae or lines. Open curves extend about ``radius`` from the
    model's centre (hyperbolae, parabolae) or from ``xy`` (lines); ellipses are returned whole. Levels the
    model never reaches give no curve. Eigenvalues below ``rtol`` · |λ|max count as zero.
    """
    geo = local_geometry(surface, xy)
    finite = np.isfinite(geo.value) and np.all(np.isfinite(geo.gradient))
    if not (finite and np.all(np.isfinite(geo.eigenvalues))):
        return []
    lam, vec = geo.eigenvalues, geo.eigenvectors
    gt = vec.T @ geo.gradient
    zero = rtol * max(float(np.max(np.abs(lam))), float(np.hypot(*geo.gradient)), 1e-300)
    curves = []
    with np.errstate(all="ignore"):
        for level in np.atleast_1d(np.asarray(levels, dtype=np.float64)):
            for u in _level_curves_eig(lam, gt, geo.value, float(level), float(radius), n, zero):
                curves.append(geo.xy + u @ vec.T)
    return curves


def tangent_plane(surface, xy, half_width: float, n: int = 2):
    """The plane z = f(p) + ∇f(p)·(q - p) over the square ``xy ± half_width`` as a grid for 3-D drawing.

    Returns (X, Y, Z), each (n, n); rows follow y, columns follow x.
    """
    geo = local_geometry(surface, xy)
    xs = geo.xy[0] + np.linspace(-half_width, half_width, n)
    ys = geo.xy[1] + np.linspace(-half_width, half_width, n)
    xg, yg = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        zg = geo.value + geo.gradient[0] * (xg - geo.xy[0]) + geo.gradient[1] * (yg - geo.xy[1])
    return xg, yg, zg


def stability_bound(surface, xy, *, momentum: float = 0.0) -> float:
    """Largest stable gradient-descent learning rate at ``xy``: 2(1 + momentum)/λmax.

    inf when λmax ≤ 0 (no direction curves upwards, so no lr makes the local model oscillate), nan when the
    Hessian is not finite. ``momentum`` is torch SGD's heavy-ball β (Nesterov has a different bound).
    """
    lam_max = float(local_geometry(surface, xy).eigenvalues[-1])
    if not np.isfinite(lam_max):
        return np.nan
    return 2.0 * (1.0 + momentum) / lam_max if lam_max > 0 else np.inf


def lr_exceeds_bound(lr, bound: float):
    """True where ``lr`` (float or array) is above ``bound`` — the case the UI warns about."""
    out = np.asarray(lr, dtype=np.float64) > bound
    return bool(out) if out.ndim == 0 else out
