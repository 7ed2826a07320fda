"""How to map loss values to colours, iso-line levels and 3-D heights.

A loss surface like Rosenbrock's spans four decades over the usual view while its interesting part — the
curved valley — lives in the bottom 1 % of that range. Evenly spaced iso-lines would all crowd onto the
walls and leave the valley blank, and a linear colour map or height would paint it one flat colour.
For such surfaces the levels are spaced logarithmically in ``f - f_min`` (as in the classic Rosenbrock
plots, e.g. Nocedal & Wright, *Numerical Optimization*, 2nd ed., fig. 2.8), otherwise linearly.

The automatic choice uses a simple area test: if more than :data:`LOG_AREA_FRACTION` of the grid lies in the
bottom 1 % of the value range, linear levels would leave that much of the picture without a line, so the
scale is logarithmic. On the usual domains this picks log for Rosenbrock, Beale, Goldstein–Price, the
six-hump camel and ``x^4 + y^4``, and linear for quadratics, Himmelblau, Booth, Matyas, Rastrigin and Ackley.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LOG_AREA_FRACTION = 0.10   # log scale when this share of the grid is in the bottom 1 % of the range
CLIP_QUANTILE = 0.8        # "clip" heights: values above this quantile form a flat plateau
SPIKE_RATIO = 5.0          # auto heights clip when max - min exceeds this many times the 99th-percentile span
MODES = ("auto", "linear", "log")
HEIGHT_MODES = ("auto", "linear", "log", "clip")


@dataclass(frozen=True)
class ValueScale:
    """A monotone map from loss values to [0, 1].

    kind : "linear" (``(f - low) / (high - low)``), "log" (``log10(f - offset)`` between ``log10(low)`` and
        ``log10(high)``, where ``low``/``high`` are in units of ``f - offset``) or "clip" (linear, with
        everything above ``high`` at 1).
    """

    kind: str
    offset: float
    low: float
    high: float

    def normalise(self, values) -> np.ndarray:
        """values (...) -> (...) in [0, 1]; nan stays nan, +inf maps to 1 and -inf to 0."""
        v = np.asarray(values, dtype=float)
        with np.errstate(all="ignore"):
            if self.kind == "log":
                g = np.log10(np.clip(v - self.offset, self.low, self.high))
                lo, hi = math.log10(self.low), math.log10(self.high)
            else:
                g = np.clip(v, self.low, self.high)
                lo, hi = self.low, self.high
            if not hi > lo:
                return np.where(np.isnan(v), np.nan, 0.5)
            return (g - lo) / (hi - lo)


def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    return v[np.isfinite(v)]


def prefers_log(values) -> bool:
    """True when linear levels would leave much of the grid (values (...)) without an iso-line."""
    v = _finite(values)
    if v.size < 4:
        return False
    lo, hi = float(v.min()), float(v.max())
    if not hi > lo:
        return False
    return float(np.mean(v - lo < 0.01 * (hi - lo))) > LOG_AREA_FRACTION


def _has_spike(v: np.ndarray) -> bool:
    """True when the top 1 % of finite values (v, 1-D) stretches the range more than SPIKE_RATIO-fold."""
    lo = float(v.min())
    return float(v.max()) - lo > SPIKE_RATIO * (float(np.quantile(v, 0.99)) - lo)


def value_scale(values, mode: str = "auto", *, floor_quantile: float = 0.0005) -> ValueScale:
    """The colour / height scale for a grid of loss values (...).

    mode : "auto" (log when :func:`prefers_log`, else linear), "linear", "log", or "clip" (linear up to
        the :data:`CLIP_QUANTILE` quantile, flat above).  In "auto" a single spike (a pole, a steep wall
        far above the 99th percentile) is clipped rather than allowed to flatten everything else.
    floor_quantile : for "log", the quantile of ``f - f_min`` mapped to 0 (lower values are clamped); the
        3-D view uses a larger one so a valley narrower than a grid cell does not turn into spikes.
    """
    if mode not in HEIGHT_MODES:
        raise ValueError(f"unknown scale {mode!r}; expected one of {', '.join(HEIGHT_MODES)}")
    v = _finite(values)
    if v.size == 0:
        return ValueScale("linear", 0.0, 0.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    clip_quantile = CLIP_QUANTILE
    if mode == "auto":
        if prefers_log(v):
            mode = "log"
        elif _has_spike(v):
            mode, clip_quantile = "clip", 0.99
        else:
            mode = "linear"
    if mode == "log":
        g = v - lo
        positive = g[g > 0]
        if positive.size == 0:
            return ValueScale("linear", 0.0, lo, hi if hi > lo else lo + 1.0)
        g_low = max(float(np.quantile(positive, floor_quantile)), float(positive.max()) * 1e-9)
        return ValueScale("log", lo, g_low, float(positive.max()))
    if mode == "clip":
        top = float(np.quantile(v, clip_quantile))
        return ValueScale("clip", 0.0, lo, top if top > lo else hi)
    return ValueScale("linear", 0.0, lo, hi if hi > lo else lo + 1.0)


def nice_step(span: float, count: int) -> float:
    """The 1-2-2.5-5 x 10^k step nearest (in ratio) to ``span / count`` (span > 0)."""
    raw = span / max(count, 1)
    base = 10.0 ** math.floor(math.log10(raw))
    return min((m * base for m in (1.0, 2.0, 2.5, 5.0, 10.0)), key=lambda s: abs(math.log(s / raw)))


def _log_levels(low: float, high: float, count: int) -> np.ndarray:
    """Round numbers (1-2-5, finer or coarser) from ``low`` to ``high`` (both > 0), about ``count``."""
    decades = math.log10(high / low)
    if decades <= 1.5:
        mantissas, stride = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0), 1
    elif decades <= 3.0:
        mantissas, stride = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0), 1
    elif decades <= 6.5:
        mantissas, stride = (1.0, 2.0, 5.0), 1
    elif decades <= 12.0:
        mantissas, stride = (1.0, 3.0), 1
    else:
        mantissas, stride = (1.0,), max(1, math.ceil(decades / count))
    k0, k1 = math.floor(math.log10(low)), math.ceil(math.log10(high))
    levels = [m * 10.0 ** k for k in range(k0, k1 + 1, stride) for m in mantissas]
    return np.array([x for x in levels if low <= x <= high])


def contour_levels(values, mode: str = "auto", count: int = 14) -> tuple[np.ndarray, str]:
    """Iso-line levels (in f units, ascending) for a grid of loss values (...), and "linear" or "log".

    Linear levels are multiples of a round step (:func:`nice_step`); log levels are ``f_min + c`` for
    round ``c`` (1, 2, 5, 10, 20, …) between the 0.05 % quantile of ``f - f_min`` and its maximum.
    """
    if mode not in MODES:
        raise ValueError(f"unknown contour levels {mode!r}; expected one of {', '.join(MODES)}")
    v = _finite(values)
    if v.size == 0:
        return np.empty(0), "linear"
    lo, hi = float(v.min()), float(v.max())
    if not hi > lo:
        return np.empty(0), "linear"
    if mode == "log" or (mode == "auto" and prefers_log(v)):
        scale = value_scale(v, "log")
        if scale.kind == "log":
            return scale.offset + _log_levels(scale.low, scale.high, count), "log"
    top = float(np.quantile(v, 0.99)) if _has_spike(v) else hi
    step = nice_step(top - lo, count)
    first = math.floor(lo / step) * step + step
    return np.arange(first, top, step), "linear"


def sample_grid(surface, x_range, y_range, shape: tuple[int, int] = (200, 200)):
    """Evaluate ``surface.value`` on a regular grid.

    Returns xs (w,), ys (h,), values (h, w) with ``values[i, j] = f(xs[j], ys[i])`` (row i is y_i, so the
    array reads like an image with y increasing upwards from row 0).
    """
    h, w = shape
    xs = np.linspace(float(x_range[0]), float(x_range[1]), w)
    ys = np.linspace(float(y_range[0]), float(y_range[1]), h)
    xy = np.empty((h, w, 2))
    xy[..., 0] = xs[None, :]
    xy[..., 1] = ys[:, None]
    with np.errstate(all="ignore"):
        values = np.asarray(surface.value(xy), dtype=float)
    return xs, ys, np.broadcast_to(values, (h, w)).copy()
