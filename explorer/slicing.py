"""The one place where a view of d ≠ 2 variables chooses its plane: a slice through an anchor point.

A surface of d variables is shown on a plane through an *anchor* point ``a`` (d,), spanned by two orthonormal
directions, the columns of ``B`` (d, 2)::

    p(u) = a + B (u - u_a),      u ∈ ℝ²,       u = Bᵀ (p - c)  for points p of the plane,

where ``c`` (d,) is the frame's *centre* and ``u_a = Bᵀ(a - c)`` the anchor's plane coordinates. Which
directions and which centre is the *method* (:class:`SliceSpec`):

``"coordinates"``  two chosen variables x_i, x_j; the others held at the anchor. B = [e_i, e_j], c = 0, so the
    plane coordinates ARE the two variables' values and their ranges the view's ranges. For d = 2 and the
    variables in order this is the surface itself (identity, exactly).
``"pca"``  the two leading principal components of all racers' path points together (one plane shared by
    every path); c = the points' mean. Each axis carries the share of the paths' variance it explains
    (Pearson 1901; Jolliffe, *Principal Component Analysis*, 2nd ed., 2002, §1.1). Tracing optimisation paths
    in the PCA plane of the iterates is the method of Li et al. 2018 (below), §7.
``"eigen"``  the Hessian's eigenvectors at the anchor for its largest and smallest eigenvalues (most and least
    curved: the stability bound 2/λ_max and the slow direction of gradient descent, see
    :mod:`explorer.geometry`); c = the view box's centre. Each direction is oriented downhill (∇f(a)·v ≤ 0).
    Where an eigenvalue is repeated, the eigenvector is not unique: the one taken is the gradient's
    projection onto that eigenspace (the direction the racer is actually moving in, among the equally curved
    ones), else numpy's. On a quadratic this plane holds a gradient-descent path whole (see the 10-variable
    lesson).
``"random"``  two random Gaussian directions from ``numpy.random.default_rng(seed)``, orthonormalised (QR),
    and scaled to the anchor's norm: the view spans a ± ‖a‖ along each, i.e. f(a + α δ + β η) for α, β ∈
    [-1, 1] with ‖δ‖ = ‖η‖ = ‖a‖ — the random-direction plots of Li, Xu, Taylor, Studer & Goldstein,
    "Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018, §4–5, with their filter normalisation
    reduced to one "filter" (the whole vector), since our variables have no layers; c = a. With the anchor at
    the origin (‖a‖ = 0) the view spans the box instead.

The frame's centre is fixed for coordinates, PCA and eigen, so while playback moves the anchor the paths stay
where they are drawn and only the slice under them changes. The random plane follows its anchor (α, β are
relative to it); anchor it at a fixed point (a critical point, a racer's end) for a steady picture.

:func:`resolve_slice` turns a :class:`SliceSpec` into a :class:`SlicePlane` (anchor, centre, basis, plane
ranges, axis labels, explained variance, a one-line description); :mod:`explorer.slice_surface` evaluates f
on it and projects paths onto it; :mod:`explorer.slice_runs` runs basin maps and sweeps from it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = ["METHODS", "ANCHORS", "SliceError", "SliceSpec", "Anchor", "SlicePlane", "find_anchor",
           "resolve_slice", "describe_direction"]

METHODS = ("coordinates", "pca", "eigen", "random")
ANCHORS = ("racer", "critical", "point")
MAX_SEED = 2**32 - 1
BOX_SCALE = 100.0  # as explorer.simulation: a point this many half-widths from the view's centre has diverged
_REPEATED = 1e-9   # eigenvalues closer than this times max |λ| count as one (repeated) eigenvalue


class SliceError(ValueError):
    """A slice that cannot be made: ``str(error)`` is ``"slice.FIELD: PROBLEM"`` (or ``"slice: PROBLEM"``)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"slice{'.' + field if field else ''}: {problem}")


@dataclass(frozen=True)
class SliceSpec:
    """How a view of d ≠ 2 variables chooses its plane; plain values only, saved as a preset's ``[view] slice``.

    method : "coordinates" | "pca" | "eigen" | "random" (see the module docstring).
    variables : for "coordinates", the two variables' names; None = the first two.
    anchor : "racer" (a racer's point at the current step) | "critical" (a critical point of f) | "point".
    racer : for anchor "racer", the run's index; None = the selected run.
    critical : for anchor "critical", the index into the critical-point list (minima first, as listed).
    point : for anchor "point", the point (one number per variable).
    seed : for "random", the seed of ``numpy.random.default_rng``.

    Construction validates the values (:class:`SliceError`); names and lengths that depend on the surface
    are checked by :func:`resolve_slice` / :func:`find_anchor`.
    """

    method: str = "coordinates"
    variables: tuple[str, str] | None = None
    anchor: str = "racer"
    racer: int | None = None
    critical: int = 0
    point: tuple[float, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SliceError("method", f"must be one of {_options(METHODS)}, not {self.method!r}"
                                       f"{_did_you_mean(self.method, METHODS)}")
        if self.anchor not in ANCHORS:
            raise SliceError("anchor", f"must be one of {_options(ANCHORS)}, not {self.anchor!r}"
                                       f"{_did_you_mean(self.anchor, ANCHORS)}")
        if self.variables is not None:
            v = self.variables
            if (not isinstance(v, (tuple, list)) or len(v) != 2 or not all(isinstance(n, str) and n for n in v)):
                raise SliceError("variables", f"must be two variable names such as [\"x1\", \"x2\"], not {v!r}")
            if v[0] == v[1]:
                raise SliceError("variables", f"must be two different variables, not {v[0]!r} twice")
            object.__setattr__(self, "variables", (str(v[0]), str(v[1])))
        if self.racer is not None:
            object.__setattr__(self, "racer", _whole(self.racer, "racer", 0, 10_000))
        object.__setattr__(self, "critical", _whole(self.critical, "critical", 0, 10_000))
        object.__setattr__(self, "seed", _whole(self.seed, "seed", 0, MAX_SEED))
        if self.point is not None:
            p = self.point
            if not isinstance(p, (tuple, list)) or not 1 <= len(p) <= 20:
                raise SliceError("point", f"must be 1 to 20 numbers, one per variable, not {p!r}")
            out = []
            for i, x in enumerate(p):
                if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)) \
                        or not math.isfinite(x):
                    raise SliceError(f"point[{i}]", f"must be a finite number, not {x!r}")
                out.append(float(x))
            object.__setattr__(self, "point", tuple(out))
        elif self.anchor == "point":
            raise SliceError("point", "is needed for anchor = \"point\"")

    # ---------------------------------------------------------------------------------------- TOML
    def to_dict(self) -> dict[str, Any]:
        """The TOML-plain table (strings, integers, floats, arrays); fields at their defaults are left out,
        except ``method``. ``SliceSpec.from_dict(spec.to_dict()) == spec``."""
        out: dict[str, Any] = {"method": self.method}
        default = SliceSpec()
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "method" or value is None or value == getattr(default, f.name):
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SliceSpec:
        """A spec from a preset's ``[view] slice`` table; :class:`SliceError` names the bad key."""
        if not isinstance(data, Mapping):
            raise SliceError("", f"must be a table such as {{ method = \"pca\" }}, not {data!r}")
        names = [f.name for f in fields(cls)]
        for key in data:
            if key not in names:
                raise SliceError(str(key), f"unknown key{_did_you_mean(str(key), names)}; known keys: "
                                           f"{', '.join(names)}")
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()}
        return cls(**values)


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise SliceError(name, f"must be a whole number from {low} to {high:,}, not {value!r}")
    return int(value)


def _options(choices) -> str:
    return ", ".join(f'"{c}"' for c in choices)


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ---------------------------------------------------------------------------------------------------------
# The anchor


@dataclass(frozen=True, eq=False)
class Anchor:
    """The point a slice passes through: ``point`` (d,) and how to say it (``text``, e.g. "the selected
    racer's point at step 40 (Adam)")."""

    point: np.ndarray
    text: str


def _fmt(v: float) -> str:
    return f"{v:.3g}".replace("-", "−")


def format_point(p) -> str:
    """"(1.5, −2, 0.25)"; for more than 4 coordinates the first three, "…" and the last."""
    p = [float(v) + 0.0 for v in np.asarray(p, dtype=float).reshape(-1)]
    shown = [_fmt(v) for v in p] if len(p) <= 4 else [*(_fmt(v) for v in p[:3]), "…", _fmt(p[-1])]
    return "(" + ", ".join(shown) + ")"


def find_anchor(spec: SliceSpec, ranges: Sequence[Sequence[float]], *, racer_points: Sequence = (),
                racer_labels: Sequence[str] = (), selected: int = -1, step: int = 0,
                critical: Sequence = ()) -> Anchor:
    """Where ``spec``'s anchor is now.

    ranges : one (min, max) per variable (d of them). racer_points : each run's point (d,) at the current
        step (``Comparison.point_at(i)``); racer_labels : their labels. selected : the selected run (-1 none).
        step : the current step (for the text). critical : :class:`~explorer.critical.CriticalPoint` s in
        the order the window lists them.
    A racer or critical point that does not exist (no run selected, the list is shorter) falls back to the
    centre of the view, and the text says so. Raises :class:`SliceError` for an explicit point of the
    wrong length.
    """
    lo, hi = np.asarray(ranges, dtype=float).reshape(-1, 2).T
    d = lo.size
    centre = (lo + hi) / 2
    if spec.anchor == "point":
        point = np.asarray(spec.point, dtype=float)
        if point.size != d:
            raise SliceError("point", f"has {point.size} number{'s' if point.size != 1 else ''}; the surface has "
                                      f"{d} variables")
        return Anchor(point, f"the point {format_point(point)}")
    if spec.anchor == "critical":
        i = spec.critical
        if i < len(critical):
            cp = critical[i]
            kind = cp.kind + (f" (index {cp.index})" if cp.kind == "saddle" and d > 2 else "")
            return Anchor(np.asarray(cp.xy, dtype=float).reshape(d).copy(),
                          f"the {kind} at {format_point(cp.xy)}")
        return Anchor(centre, f"the centre of the view (there is no critical point {i + 1} in view)")
    i = selected if spec.racer is None else spec.racer
    if 0 <= i < len(racer_points):
        label = racer_labels[i] if i < len(racer_labels) else f"racer {i + 1}"
        point = np.asarray(racer_points[i], dtype=float).reshape(d).copy()
        who = f"the selected racer's point at step {step} ({label})" if spec.racer is None \
            else f"{label}'s point at step {step}"
        if not np.all(np.isfinite(point)):   # a diverged racer's last point may be inf or nan
            return Anchor(centre, f"the centre of the view ({who} is not finite: the run diverged)")
        return Anchor(point, who)
    return Anchor(centre, "the centre of the view (no racer selected)" if spec.racer is None
                  else f"the centre of the view (there is no racer {i + 1})")


# ---------------------------------------------------------------------------------------------------------
# The plane


@dataclass(frozen=True, eq=False)
class SlicePlane:
    """A concrete plane through the anchor (see the module docstring for p(u) and u(p)).

    spec : the :class:`SliceSpec` it was made from.  variable_names : the d variables.
    anchor : (d,) the point the plane passes through; anchor_text says which point it is.
    centre : (d,) c, plane coordinates are u = Bᵀ(p − c).  basis : (d, 2) B, orthonormal columns.
    ranges : ((u1_min, u1_max), (u2_min, u2_max)) the view in plane coordinates.
    labels : the two axes' names ("x3", "PC1 (87 % var.)", "v_max (λ=100)", "random 1 (seed 3)").
    explained : (2,) share of the paths' variance along each axis (PCA), else None.
    eigenvalues : (2,) the Hessian's eigenvalues along the axes (eigen), else None.
    description : one line for the view and exports, e.g. "slice through the selected racer's point at
        step 40 (Adam) · PCA plane of 4 racers · 97.3 % of variance".
    axes : (i, j) for a coordinate slice (u = (p_i, p_j), evaluated by indexing: exact), else None.
    """

    spec: SliceSpec
    variable_names: tuple[str, ...]
    anchor: np.ndarray
    anchor_text: str
    centre: np.ndarray
    basis: np.ndarray
    ranges: tuple[tuple[float, float], tuple[float, float]]
    labels: tuple[str, str]
    description: str
    explained: np.ndarray | None = None
    eigenvalues: np.ndarray | None = None
    axes: tuple[int, int] | None = None

    @property
    def ndim(self) -> int:
        """d, the number of variables of the surface sliced."""
        return self.anchor.size

    @property
    def anchor_uv(self) -> np.ndarray:
        """(2,) the anchor's plane coordinates."""
        return self.to_plane(self.anchor)

    @property
    def origin(self) -> np.ndarray:
        """(d,) the plane's point at u = 0: a − B Bᵀ(a − c)."""
        return self.to_space(np.zeros(2))

    def to_plane(self, points) -> np.ndarray:
        """Plane coordinates u = Bᵀ(p − c) of points (..., d) -> (..., 2): the least-squares projection
        (B is orthonormal, so BᵀB = I and the normal equations reduce to this)."""
        p = np.asarray(points, dtype=float)
        if self.axes is not None:
            return p[..., list(self.axes)]
        with np.errstate(all="ignore"):
            return (p - self.centre) @ self.basis

    def to_space(self, uv) -> np.ndarray:
        """The plane's points for plane coordinates (..., 2) -> (..., d): a + B(u − u_a)."""
        u = np.asarray(uv, dtype=float)
        if self.axes is not None:
            out = np.empty((*u.shape[:-1], self.ndim))
            out[...] = self.anchor
            out[..., self.axes[0]] = u[..., 0]
            out[..., self.axes[1]] = u[..., 1]
            return out
        with np.errstate(all="ignore"):
            # p_k = c_k + B_k0 u_0 + B_k1 u_1 with c = a − B u_a, written column by column: no temporaries of
            # the output's size and no BLAS call (whose threads would fight the window's for two cores); about
            # 4x faster than an outer product or matmul on a 200 x 200 grid of d = 10 (bench/slices.py)
            flat = u.reshape(-1, 2)
            u0, u1 = flat[:, 0], flat[:, 1]
            shift = self.anchor - self.basis @ self.anchor_uv
            out = np.empty((flat.shape[0], self.ndim))
            part = np.empty(flat.shape[0])
            for k in range(self.ndim):
                np.multiply(u0, self.basis[k, 0], out=part)
                part += shift[k]
                np.multiply(u1, self.basis[k, 1], out=out[:, k])
                out[:, k] += part
            return out.reshape(*u.shape[:-1], self.ndim)

    def project(self, points) -> np.ndarray:
        """The nearest points of the plane to points (..., d) -> (..., d)."""
        return self.to_space(self.to_plane(points))

    def off_plane(self, points) -> np.ndarray:
        """Euclidean distance from each point (..., d) to the plane -> (...)."""
        p = np.asarray(points, dtype=float)
        with np.errstate(all="ignore"):
            return np.linalg.norm(p - self.project(p), axis=-1)

    def direction_text(self, k: int, top: int = 4) -> str:
        """Axis ``k``'s direction in the variables, e.g. "PC1 (87 % var.) = 0.71·x1 − 0.71·x2"; for a
        coordinate slice just the variable's name."""
        if self.axes is not None:
            return self.labels[k]
        return f"{self.labels[k]} = {describe_direction(self.basis[:, k], self.variable_names, top)}"

    def summary(self) -> list[str]:
        """Lines for exports: the description, the directions (not for a coordinate slice: its axes say it),
        the anchor in full and the seed where it applies."""
        lines = [self.description]
        if self.axes is None:
            lines += [self.direction_text(0), self.direction_text(1)]
        lines.append("anchor = (" + ", ".join(f"{v:.6g}" for v in self.anchor) + ")")
        if self.spec.method == "random":
            lines.append(f"seed = {self.spec.seed}")
        return lines


def describe_direction(v, names: Sequence[str], top: int = 4) -> str:
    """A unit vector (d,) by its ``top`` largest terms, in variable order: "0.71·x1 − 0.71·x2 (+ 3 smaller
    terms)"; terms below 0.005 are left out, a coefficient ±1 is written as the bare name."""
    v = np.asarray(v, dtype=float).reshape(-1)
    order = np.argsort(-np.abs(v), kind="stable")
    big = [int(i) for i in order if abs(v[i]) >= 5e-3]
    shown = sorted(big[:top]) or [int(order[0])]
    text = ""
    for i in shown:
        c = float(v[i])
        term = names[i] if abs(abs(c) - 1) < 5e-3 else f"{abs(c):.2f}·{names[i]}"
        text += (("−" if c < 0 else "") + term) if not text else f" {'−' if c < 0 else '+'} {term}"
    hidden = len(big) - len(shown)
    if hidden > 0:
        text += f" (+ {hidden} smaller term{'s' if hidden > 1 else ''})"
    return text


def _box(ranges) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.asarray(ranges, dtype=float).reshape(-1, 2).T
    return lo, hi


def _support(basis: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Half-width of the box's projection onto each column of ``basis``: ½ Σ_i |B_ik| (hi_i − lo_i), (2,)."""
    return 0.5 * np.abs(basis).T @ (hi - lo)


def _around(centre_u: np.ndarray, half: np.ndarray, anchor_u: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Ranges centre ± half, widened to keep the anchor inside (with 5 % margin)."""
    out = []
    for k in range(2):
        lo_k, hi_k = centre_u[k] - half[k], centre_u[k] + half[k]
        pad = 0.05 * (hi_k - lo_k)
        lo_k, hi_k = min(lo_k, anchor_u[k] - pad), max(hi_k, anchor_u[k] + pad)
        out.append((float(lo_k), float(hi_k)))
    return tuple(out)


def _section(a: np.ndarray, basis: np.ndarray, u_a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The polygon (m, 2) of plane coordinates u whose points a + B(u − u_a) lie in the box [lo, hi]:
    a square that holds the box's whole projection, clipped by the 2d half-planes lo_i ≤ p_i(u) ≤ hi_i
    (Sutherland & Hodgman, "Reentrant polygon clipping", CACM 17(1), 1974). Empty (0, 2) when the plane
    misses the box."""
    half = float(np.linalg.norm(hi - lo)) + float(np.max(np.abs(a - (lo + hi) / 2)))
    poly = u_a + half * np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    for i in range(a.size):
        n = basis[i]                       # p_i(u) = a_i + n·(u − u_a)
        for sign, bound in ((1.0, hi[i]), (-1.0, lo[i])):   # keep sign·p_i(u) ≤ sign·bound
            if poly.shape[0] == 0:
                return poly
            s = sign * (a[i] + (poly - u_a) @ n - bound)      # ≤ 0 inside
            out = []
            for k in range(poly.shape[0]):
                p, q, sp, sq = poly[k], poly[(k + 1) % poly.shape[0]], s[k], s[(k + 1) % poly.shape[0]]
                if sp <= 0:
                    out.append(p)
                if (sp < 0 < sq) or (sq < 0 < sp):
                    out.append(p + (sp / (sp - sq)) * (q - p))
            poly = np.array(out).reshape(-1, 2)
    return poly


def _section_ranges(basis, lo, hi, centre, u_a) -> tuple[tuple[float, float], ...]:
    """The view of a plane direction pair: the bounding box of the section of the variables' box by the
    parallel plane through the box's centre (so it does not change while the anchor moves), widened to hold
    the anchor ``u_a``; the box's projection when that section is too thin to read."""
    m = 0.5 * (lo + hi)
    m_u = (m - centre) @ basis
    support = _support(basis, lo, hi)
    poly = _section(m, basis, m_u, lo, hi)
    if poly.shape[0] >= 3:
        lo_u, hi_u = poly.min(axis=0), poly.max(axis=0)
        if np.all(hi_u - lo_u > 0.05 * support):
            return _around(0.5 * (lo_u + hi_u), 0.5 * (hi_u - lo_u), u_a)
    return _around(m_u, support, u_a)


def _percent(share: float) -> str:
    p = 100.0 * share
    return f"{p:.0f}" if p >= 9.5 or p == 0 else f"{p:.1g}"


def _oriented(v: np.ndarray, g: np.ndarray | None) -> np.ndarray:
    """v or −v: pointing downhill (g·v < 0) when the gradient g decides, else the largest component > 0."""
    if g is not None:
        s = float(g @ v)
        if abs(s) > 1e-12 * (np.linalg.norm(g) + 1e-300):
            return -v if s > 0 else v
    return -v if v[np.argmax(np.abs(v))] < 0 else v


def _eigen_directions(h: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(λ_max, λ_min), (d, 2) directions; repeated eigenvalues take the gradient's projection (module notes)."""
    lam, vec = np.linalg.eigh(0.5 * (h + h.T))
    scale = max(float(np.max(np.abs(lam))), 1e-300)
    chosen = []
    for target in (lam[-1], lam[0]):
        space = vec[:, np.abs(lam - target) <= _REPEATED * scale]   # (d, m) this eigenvalue's eigenspace
        for v in chosen:  # λ_max = λ_min (H = λI): the second direction must be orthogonal to the first
            space = space - np.outer(v, v @ space)
        v = None
        if space.shape[1] > 1 and np.all(np.isfinite(g)):
            w = space @ (space.T @ g)
            if np.linalg.norm(w) > 1e-9 * (np.linalg.norm(g) + 1e-300):
                v = w / np.linalg.norm(w)
        if v is None:
            norms = np.linalg.norm(space, axis=0)
            v = space[:, int(np.argmax(norms))] / norms.max()
        chosen.append(_oriented(v, g))
    return np.array([lam[-1], lam[0]]), np.stack(chosen, axis=1)


def resolve_slice(spec: SliceSpec, surface, ranges: Sequence[Sequence[float]], anchor: Anchor | Sequence[float],
                  *, paths: Sequence[np.ndarray] = ()) -> SlicePlane:
    """The concrete plane for ``spec`` through ``anchor`` (see the module docstring).

    surface : the d-variable surface (its ``variable_names``; ``gradient``/``hessian`` at the anchor for
        "eigen"). ranges : one (min, max) per variable, the view box. anchor : an :class:`Anchor` from
        :func:`find_anchor`, or a point (d,). paths : for "pca", each racer's points (k_i, d); points outside
        the view box enlarged 100x (where the engine calls a run diverged) and non-finite ones are left out.
    Raises :class:`SliceError` (message says what to do) for one variable, unknown variable names, a PCA
    without moving paths, or a non-finite Hessian at the anchor.
    """
    names = tuple(surface.variable_names)
    d = len(names)
    lo, hi = _box(ranges)
    if lo.size != d:
        raise SliceError("", f"{d} ranges are needed, one per variable, got {lo.size}")
    if d < 2:
        raise SliceError("", "a surface of one variable has no plane to slice: the view is the curve f(x)")
    if not isinstance(anchor, Anchor):
        point = np.asarray(anchor, dtype=float).reshape(-1)
        anchor = Anchor(point, f"the point {format_point(point)}")
    a = np.asarray(anchor.point, dtype=float).reshape(-1)
    if a.size != d or not np.all(np.isfinite(a)):
        raise SliceError("anchor", f"must be {d} finite numbers, got {format_point(a)}")
    box_centre = (lo + hi) / 2
    explained = eigenvalues = axes = None
    if spec.method == "coordinates":
        chosen = spec.variables or names[:2]
        for n in chosen:
            if n not in names:
                raise SliceError("variables", f"'{n}' is not a variable of this surface{_did_you_mean(n, names)}; "
                                              f"the variables are {', '.join(names)}")
        i, j = names.index(chosen[0]), names.index(chosen[1])
        axes = (i, j)
        basis = np.zeros((d, 2))
        basis[i, 0] = basis[j, 1] = 1.0
        centre = np.zeros(d)
        labels = (names[i], names[j])
        plane_ranges = ((float(lo[i]), float(hi[i])), (float(lo[j]), float(hi[j])))
        held = "" if d == 2 else (", the other variable held at the anchor" if d == 3
                                  else f", the other {d - 2} variables held at the anchor")
        method_text = f"plane of {names[i]} and {names[j]}{held}"
    elif spec.method == "pca":
        rows = [np.asarray(p, dtype=float).reshape(-1, d) for p in paths]
        n_racers = sum(1 for r in rows if r.shape[0])
        pts = np.concatenate(rows) if rows else np.empty((0, d))
        # points a diverged racer reached far outside the view (100x the box, as the engine's "diverged")
        # would swamp the others, and may overflow the squares: left out, like non-finite ones
        with np.errstate(all="ignore"):
            pts = pts[np.all(np.abs(pts - box_centre) <= BOX_SCALE * (hi - lo) / 2, axis=1)]
        if pts.shape[0] < 2:
            raise SliceError("method", "the PCA plane needs the racers' paths: add a racer, or choose another "
                                       "method")
        centre = pts.mean(axis=0)
        x = pts - centre
        lam, vec = np.linalg.eigh(x.T @ x)
        lam = np.clip(lam[::-1], 0.0, None)
        vec = vec[:, ::-1]
        total = float(lam.sum())
        if not total > 0:
            raise SliceError("method", "the racers' paths do not move, so they have no principal plane; choose "
                                       "another method")
        # orient PC1 along the first path's travel (start -> end), PC2 by its largest component
        travel = rows[0][-1] - rows[0][0] if rows and rows[0].shape[0] and np.all(np.isfinite(rows[0][-1])) else None
        basis = np.stack([_oriented(vec[:, 0], None if travel is None else -travel), _oriented(vec[:, 1], None)], 1)
        explained = lam[:2] / total
        labels = (f"PC1 ({_percent(explained[0])} % var.)", f"PC2 ({_percent(explained[1])} % var.)")
        u = x @ basis
        u_a = (a - centre) @ basis
        lo_u = np.minimum(u.min(axis=0), u_a)
        hi_u = np.maximum(u.max(axis=0), u_a)
        span = hi_u - lo_u
        span = np.maximum(span, 0.25 * span.max())   # a path along one line still gets a readable second axis
        mid = (lo_u + hi_u) / 2
        plane_ranges = tuple((float(mid[k] - 0.6 * span[k]), float(mid[k] + 0.6 * span[k])) for k in range(2))
        method_text = (f"PCA plane of {n_racers} racer{'s' if n_racers != 1 else ''} · "
                       f"{100 * explained.sum():.1f} % of variance")
    elif spec.method == "eigen":
        with np.errstate(all="ignore"):
            h = np.asarray(surface.hessian(a), dtype=float).reshape(d, d)
            g = np.asarray(surface.gradient(a), dtype=float).reshape(d)
        if not np.all(np.isfinite(h)):
            raise SliceError("method", f"the Hessian at the anchor {format_point(a)} is not finite; choose another "
                                       f"anchor or method")
        eigenvalues, basis = _eigen_directions(h, g)
        centre = box_centre
        labels = (f"v_max (λ={_fmt(eigenvalues[0])})", f"v_min (λ={_fmt(eigenvalues[1])})")
        plane_ranges = _section_ranges(basis, lo, hi, centre, (a - centre) @ basis)
        method_text = (f"Hessian eigenvectors at the anchor, most and least curved (λ = {_fmt(eigenvalues[0])} "
                       f"and {_fmt(eigenvalues[1])})")
    else:  # random
        rng = np.random.default_rng(spec.seed)
        q, r = np.linalg.qr(rng.standard_normal((d, 2)))
        basis = q * np.where(np.diag(r) < 0, -1.0, 1.0)   # unique QR: positive diagonal of R
        centre = a.copy()
        norm = float(np.linalg.norm(a))
        diag = float(np.linalg.norm(hi - lo))
        if norm > 1e-9 * diag:
            half = np.array([norm, norm])
            scale_text = f"± ‖a‖ = {_fmt(norm)} along each (Li et al. 2018)"
        else:
            half = _support(basis, lo, hi)
            scale_text = "the anchor is the origin (‖a‖ = 0): spanning the view box"
        plane_ranges = _around(np.zeros(2), half, np.zeros(2))
        labels = (f"random 1 (seed {spec.seed})", f"random 2 (seed {spec.seed})")
        method_text = f"random plane (seed {spec.seed}), {scale_text}"
    description = f"slice through {anchor.text} · {method_text}"
    return SlicePlane(spec, names, a.copy(), anchor.text, centre, basis, plane_ranges, labels, description,
                      explained, eigenvalues, axes)
