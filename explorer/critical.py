"""Stationary points of a surface in a box, found numerically and classified by the Hessian.

Method: starts spread over the domain (a regular grid for one or two variables, a seeded Halton sequence for
three or more), each driven to a zero of ∇f by Levenberg–Marquardt on the residual ``r(p) = ∇f(p)`` whose
Jacobian is the Hessian ``H``:

    s = -(HᵀH + μ I)⁻¹ Hᵀ ∇f        (H symmetric, so HᵀH = H²)

with the damping μ adapted per start (divide by 3 after a step that lowers ‖∇f‖, multiply by 4 and stay
after one that does not). For μ → 0 this is Newton's method on ∇f = 0, which converges to minima, maxima and
saddles alike (quadratically where H is non-singular); the damping keeps the step finite where H is singular.
See Nocedal & Wright, *Numerical Optimization*, 2nd ed., §10.3 (Levenberg–Marquardt) and §11.1 (Newton on
nonlinear equations).

A start counts when it ends inside the domain with ‖∇f‖ tiny relative to the gradient's typical size on the
domain; starts reaching the same point are merged. The kind follows the Hessian's eigenvalues λ₁ ≤ … ≤ λ_d,
with eigenvalues below ``rtol`` times the Hessian's typical size counted as zero ("degenerate": the
second-order test cannot decide, e.g. x⁴ + y² at the origin): all positive, a minimum; all negative, a
maximum; mixed, a saddle whose *index* is the number of negative eigenvalues (Morse index). Degenerate
points are merged with a coarser radius, so a
curve of stationary points (the valley of (x² + y² - 1)²) is shown as a few representatives, not hundreds.
Plateaus where ∇f and H are exactly zero in floating point (a constant; exp(-x² - y²) far from the origin,
where it underflows) are not reported. Where f saturates without vanishing exactly (exp(100 x) + y² at
x ≪ 0) the gradient underflows and the search reports degenerate points a symbolic solver would not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CriticalPoint", "KINDS", "critical_points", "classify"]

KINDS = ("minimum", "saddle", "maximum", "degenerate")


@dataclass(frozen=True)
class CriticalPoint:
    """A stationary point ∇f(xy) = 0.

    xy : (d,) ndarray, the point.
    value : f(xy).
    kind : "minimum" | "maximum" | "saddle" | "degenerate".
    eigenvalues : (d,) ndarray, the Hessian's eigenvalues, ascending.
    index : the number of negative eigenvalues (0 for a minimum, d for a maximum).
    """

    xy: np.ndarray
    value: float
    kind: str
    eigenvalues: np.ndarray
    index: int = 0

    def __eq__(self, other) -> bool:
        if not isinstance(other, CriticalPoint):
            return NotImplemented
        return (self.kind == other.kind and self.value == other.value and np.array_equal(self.xy, other.xy)
                and np.array_equal(self.eigenvalues, other.eigenvalues))

    __hash__ = None  # arrays inside: compare, do not hash


def _eigvals_sym(h: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of symmetric matrices ``h`` (..., d, d) -> (..., d); 2×2 in closed form."""
    if h.shape[-1] == 2:
        a, b, c = h[..., 0, 0], h[..., 0, 1], h[..., 1, 1]
        mean = 0.5 * (a + c)
        radius = np.hypot(0.5 * (a - c), b)
        return np.stack([mean - radius, mean + radius], axis=-1)
    out = np.full(h.shape[:-1], np.nan)
    ok = np.all(np.isfinite(h), axis=(-2, -1))
    if ok.any():
        out[ok] = np.linalg.eigvalsh(h[ok])
    return out


def classify(eigenvalues, scale: float, rtol: float = 1e-6) -> np.ndarray:
    """Kinds for ascending Hessian eigenvalues (..., d); |λ| ≤ rtol·scale counts as zero -> "degenerate"."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    zero = np.abs(lam) <= rtol * scale
    lo, hi = lam[..., 0], lam[..., -1]
    kinds = np.full(lam.shape[:-1], "degenerate", dtype=object)
    decided = ~np.any(zero, axis=-1) & np.all(np.isfinite(lam), axis=-1)
    kinds[decided & (lo > 0)] = "minimum"
    kinds[decided & (hi < 0)] = "maximum"
    kinds[decided & (lo < 0) & (hi > 0)] = "saddle"
    return kinds.astype(str)


def _solve_damped(h: np.ndarray, g: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """s = -(H² + μI)⁻¹ H g for each start (H symmetric); (m, d, d), (m, d), (m,) -> (m, d)."""
    hsq = np.einsum("...ij,...jk->...ik", h, h)
    rhs = -np.einsum("...ij,...j->...i", h, g)
    d = h.shape[-1]
    if d == 2:  # closed form: as fast as it gets, and exactly what earlier versions computed
        a, b, c = hsq[:, 0, 0] + mu, hsq[:, 0, 1], hsq[:, 1, 1] + mu
        det = a * c - b * b
        step = np.stack([c * rhs[:, 0] - b * rhs[:, 1], a * rhs[:, 1] - b * rhs[:, 0]], axis=-1)
        return step / det[:, None]
    hsq[:, np.arange(d), np.arange(d)] += mu[:, None]
    step = np.full_like(g, np.nan)
    ok = np.all(np.isfinite(hsq), axis=(-2, -1)) & np.all(np.isfinite(rhs), axis=-1)
    if ok.any():
        try:
            step[ok] = np.linalg.solve(hsq[ok], rhs[ok][..., None])[..., 0]
        except np.linalg.LinAlgError:  # a singular system in the batch: solve one by one
            for i in np.flatnonzero(ok):
                try:
                    step[i] = np.linalg.solve(hsq[i], rhs[i])
                except np.linalg.LinAlgError:
                    pass
    return step


def _levenberg_marquardt(surface, starts: np.ndarray, box_lo, box_hi, gtol: float, xtol: float,
                         max_iter: int):
    """Drive every start towards ∇f = 0. Returns (points (n, d), ‖∇f‖ (n,)); failed starts get nan.

    A start stops when ‖∇f‖ ≤ gtol, when an accepted step is shorter than xtol (this is what ends the
    linear convergence of Newton at a degenerate point such as the origin of x⁴ + y²), when the damping
    has grown so large that steps vanish (a local minimum of ‖∇f‖ that is not a zero), or when it leaves the
    box (box_lo, box_hi).
    """
    p = starts.copy()
    g = surface.gradient(p)
    h = surface.hessian(p)
    gnorm = np.linalg.norm(g, axis=-1)
    ok = np.isfinite(gnorm) & np.all(np.isfinite(h), axis=(-2, -1))
    gnorm[~ok] = np.nan
    diag_sq = np.einsum("...ij,...ij->...j", h, h)  # diagonal of H² = column norms²
    mu = 1e-3 * np.max(diag_sq, axis=-1) + 1e-300
    active = np.flatnonzero(ok & (gnorm > gtol))
    for _ in range(max_iter):
        if active.size == 0:
            break
        ga, ha, ma = g[active], h[active], mu[active]
        step = _solve_damped(ha, ga, ma)
        trial = p[active] + step
        gt = surface.gradient(trial)
        nt = np.linalg.norm(gt, axis=-1)
        better = np.isfinite(nt) & (nt < gnorm[active])
        acc = active[better]
        p[acc], g[acc], gnorm[acc] = trial[better], gt[better], nt[better]
        h[acc] = surface.hessian(p[acc])
        mu[acc] /= 3.0
        mu[active[~better]] *= 4.0
        far = np.any((p[active] < box_lo) | (p[active] > box_hi), axis=-1) | ~np.all(np.isfinite(h[active]),
                                                                                      axis=(-2, -1))
        trace_sq = np.einsum("...ij,...ij->...", ha, ha)
        stuck = mu[active] > 1e12 * (trace_sq + 1e-300)
        gnorm[active[far]] = np.nan
        small = np.zeros(active.size, dtype=bool)
        small[better] = np.max(np.abs(step[better]), axis=-1) <= xtol
        active = active[~far & ~stuck & ~small & (gnorm[active] > gtol)]
    return p, gnorm


def _merge(points: np.ndarray, order: np.ndarray, radius: float) -> np.ndarray:
    """Indices of representatives: walk ``order`` (best first); keep a point unless a kept one is within
    ``radius`` (max-norm)."""
    kept: list[int] = []
    for i in order:
        if not kept or np.min(np.max(np.abs(points[kept] - points[i]), axis=-1)) > radius:
            kept.append(int(i))
    return np.asarray(kept, dtype=int)


def _halton(n: int, d: int, seed: int = 0) -> np.ndarray:
    """n points of the scrambled-free Halton sequence in [0, 1)^d (prime bases), skipping the first ``seed``+1."""
    primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71]
    out = np.empty((n, d))
    idx = np.arange(seed + 1, seed + 1 + n)
    for j in range(d):
        base, f, r, k = primes[j], 1.0, np.zeros(n), idx.copy()
        while np.any(k > 0):
            f /= base
            r += f * (k % base)
            k //= base
        out[:, j] = r
    return out


def _starts(lo: np.ndarray, hi: np.ndarray, grid: int | None) -> np.ndarray:
    d = lo.size
    span = hi - lo
    if d <= 2:
        per_axis = grid or (32 if d == 2 else 256)
        axes = [lo[j] + (np.arange(per_axis) + 0.5) * span[j] / per_axis for j in range(d)]
        return np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, d)
    count = grid ** 2 if grid else 2048
    return np.vstack([(lo + hi) / 2, lo + _halton(count - 1, d) * span])


def critical_points(surface, *ranges, grid: int | None = None, max_iter: int = 100, rtol: float = 1e-6,
                    merge_tol: float = 1e-5) -> list[CriticalPoint]:
    """All stationary points of ``surface`` in the closed box ``ranges[0] × ranges[1] × …`` that the search finds.

    Parameters
    ----------
    surface : a Surface (``gradient`` and ``hessian`` on (n, d) arrays).
    ranges : one (min, max) per variable, e.g. ``critical_points(s, (-4, 4), (-4, 4))``.
    grid : starts per axis for d ≤ 2 (``grid^d`` starts at the cell centres; default 32 for d = 2, 256 for
        d = 1); for d ≥ 3, ``grid²`` Halton starts (default 2,048).
    max_iter : Levenberg–Marquardt iterations per start.
    rtol : an eigenvalue with |λ| ≤ rtol · (typical ‖H‖ on the domain, or the point's own largest |λ|)
        counts as zero, making the point "degenerate".
    merge_tol : points closer than ``merge_tol`` × (domain diagonal) are one point (degenerate points use
        a radius of 0.1 × diagonal, see the module docstring).

    Returns
    -------
    list of :class:`CriticalPoint`, sorted by kind ("minimum", "saddle", "maximum", "degenerate"), then by
    coordinates. Isolated points with a tiny basin under Newton's method between starts can be missed; a finer
    ``grid`` finds them.
    """
    if len(ranges) == 1 and np.ndim(ranges[0]) == 2:  # critical_points(s, [(lo, hi), ...])
        ranges = tuple(ranges[0])
    bounds = np.array([sorted(map(float, r)) for r in ranges], dtype=float).reshape(-1, 2)
    lo, hi = bounds[:, 0], bounds[:, 1]
    d = lo.size
    if d != surface.ndim:
        raise ValueError(f"{surface.ndim} ranges are needed, one per variable, got {d}")
    span = hi - lo
    diag = float(np.linalg.norm(span)) or 1.0
    starts = _starts(lo, hi, grid)
    with np.errstate(all="ignore"):
        # Typical sizes on the domain make the tolerances scale-free (f and 1000 f have the same points).
        g_scale = np.nanmedian(np.linalg.norm(surface.gradient(starts), axis=-1)) if starts.size else 0.0
        h_scale = np.nanmedian(np.linalg.norm(surface.hessian(starts), axis=(-2, -1))) if starts.size else 0.0
        g_scale = g_scale if np.isfinite(g_scale) and g_scale > 0 else 1.0
        h_scale = h_scale if np.isfinite(h_scale) and h_scale > 0 else 1.0
        points, gnorm = _levenberg_marquardt(surface, starts, lo - span, hi + span, 0.0,
                                             1e-10 * diag, max_iter)
        edge = 1e-9 * diag
        good = (gnorm <= 1e-7 * g_scale) & np.all((points >= lo - edge) & (points <= hi + edge), axis=-1)
        points, gnorm = points[good], gnorm[good]
        # Exactly flat: ∇f and H vanish to the last bit (a constant, or exp(-r²) far out where it underflows).
        # Every point there is "stationary", so none is worth a marker.
        flat = (gnorm == 0) & np.all(surface.hessian(points) == 0, axis=(-2, -1))
        points, gnorm = points[~flat], gnorm[~flat]
        if points.shape[0] == 0:
            return []
        points = np.clip(points, lo, hi) + 0.0  # + 0.0 turns -0.0 into 0.0 for printing
        keep = _merge(points, np.argsort(gnorm, kind="stable"), merge_tol * diag)
        points, gnorm = points[keep], gnorm[keep]
        hess = surface.hessian(points)
        lam = _eigvals_sym(hess)
        scale = np.maximum(h_scale, np.max(np.abs(lam), axis=-1))
        kinds = classify(lam, scale[:, None], rtol)
        degenerate = np.flatnonzero(kinds == "degenerate")
        if degenerate.size:
            kept = degenerate[_merge(points[degenerate], np.argsort(gnorm[degenerate], kind="stable"),
                                     0.1 * diag)]
            keep = np.sort(np.concatenate([np.flatnonzero(kinds != "degenerate"), kept]))
            points, lam, kinds = points[keep], lam[keep], kinds[keep]
        values = surface.value(points)
    rank = {k: i for i, k in enumerate(KINDS)}
    order = sorted(range(len(points)), key=lambda i: (rank[kinds[i]], *points[i]))
    return [CriticalPoint(points[i].copy(), float(values[i]) + 0.0, str(kinds[i]), lam[i].copy(),
                          int(np.count_nonzero(lam[i] < 0)))
            for i in order]
