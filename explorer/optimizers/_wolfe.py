"""Strong-Wolfe line search: a line-by-line port of torch.optim.lbfgs's ``_strong_wolfe``, as a resumable kernel.

torch ported these from Torch7's ``lswolfe.lua``/``polyinterp.lua`` (after minFunc by M. Schmidt). The search
is written in "reverse communication" style: :func:`wolfe_begin` and :func:`wolfe_feed` never evaluate the
loss themselves; each returns the next step length t to evaluate (at x + t d), or says it is done. The
compiled engine answers with the expression tape inside its own loop; :class:`~explorer.optimizers.Optimizer`
``.update`` answers with any Python oracle. One implementation serves both.

Only the loss and the directional derivative g.d at each trial point matter (L-BFGS with max_iter=1 moves
by the returned t and re-evaluates the gradient at the next step), so those are all the search is fed. The
argument order of every ``min``/``max`` and every product is torch's, so rounding and the NaN behaviour of
Python's ``min``/``max`` match torch exactly.
"""

from __future__ import annotations

import math

from explorer.compiled import kernel

from ._ops import pymax, pymin

# Slots of the search state (a float64 array of SIZE).
(T, F, GTD, D_NORM, TOL, MAX_LS, T_PREV, F_PREV, GTD_PREV, F_NEW, GTD_NEW, LS_ITER, EVALS, PHASE, DONE,
 B0, B1, BF0, BF1, BG0, BG1, LOW, HIGH, INSUF) = range(24)
SIZE = 24
_FIRST, _BRACKET, _ZOOM = 0.0, 1.0, 2.0
C1, C2 = 1e-4, 0.9


@kernel(_nrt=False)
def cubic_interpolate(x1, f1, g1, x2, f2, g2, xmin_bound, xmax_bound):
    """Minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to [xmin_bound, xmax_bound]."""
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return pymin(pymax(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


@kernel(_nrt=False)
def wolfe_begin(ls, t, f, gtd, d_norm, tolerance_change, max_ls):
    """Start a search from step t, with f and g.d at x; returns the first t to evaluate."""
    ls[T], ls[F], ls[GTD], ls[D_NORM] = t, f, gtd, d_norm
    ls[TOL], ls[MAX_LS] = tolerance_change, max_ls
    ls[EVALS] = 0.0
    ls[PHASE] = _FIRST
    return t


@kernel(_nrt=False)
def wolfe_feed(ls, f_new, gtd_new):
    """Hand over f and g.d at x + t d (t = the last value returned). Returns (more, t): more is True when t
    must be evaluated next; when False, t is the search's answer and ``ls[EVALS]`` its evaluations."""
    ls[EVALS] += 1.0
    ls[F_NEW], ls[GTD_NEW] = f_new, gtd_new
    phase = ls[PHASE]
    if phase == _FIRST:
        ls[T_PREV], ls[F_PREV], ls[GTD_PREV] = 0.0, ls[F], ls[GTD]
        ls[LS_ITER] = 0.0
        ls[DONE] = 0.0
        return _bracket(ls)
    ls[LS_ITER] += 1.0
    if phase == _BRACKET:
        return _bracket(ls)
    _zoom_update(ls)
    return _zoom(ls)


@kernel(_nrt=False)
def _bracket(ls):
    """The top of torch's bracketing loop."""
    t, f, gtd, f_new, gtd_new = ls[T], ls[F], ls[GTD], ls[F_NEW], ls[GTD_NEW]
    if ls[LS_ITER] < ls[MAX_LS]:
        if f_new > (f + C1 * t * gtd) or (ls[LS_ITER] > 1 and f_new >= ls[F_PREV]):
            ls[B0], ls[B1], ls[BF0], ls[BF1], ls[BG0], ls[BG1] = ls[T_PREV], t, ls[F_PREV], f_new, ls[GTD_PREV], gtd_new
            return _zoom_begin(ls, 2)
        if abs(gtd_new) <= -C2 * gtd:
            ls[B0], ls[BF0] = t, f_new
            ls[DONE] = 1.0
            return _zoom_begin(ls, 1)
        if gtd_new >= 0:
            ls[B0], ls[B1], ls[BF0], ls[BF1], ls[BG0], ls[BG1] = ls[T_PREV], t, ls[F_PREV], f_new, ls[GTD_PREV], gtd_new
            return _zoom_begin(ls, 2)
        min_step = t + 0.01 * (t - ls[T_PREV])
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(ls[T_PREV], ls[F_PREV], ls[GTD_PREV], t, f_new, gtd_new, min_step, max_step)
        ls[T_PREV], ls[F_PREV], ls[GTD_PREV] = tmp, f_new, gtd_new
        ls[T] = t
        ls[PHASE] = _BRACKET
        return True, t
    # reached max_ls without a bracket
    ls[B0], ls[B1], ls[BF0], ls[BF1] = 0.0, t, f, f_new
    return _zoom_begin(ls, 2)


@kernel(_nrt=False)
def _zoom_begin(ls, length):
    ls[INSUF] = 0.0
    last = ls[BF1] if length == 2 else ls[BF0]
    if ls[BF0] <= last:
        ls[LOW], ls[HIGH] = 0.0, 1.0
    else:
        ls[LOW], ls[HIGH] = 1.0, 0.0
    return _zoom(ls)


@kernel(_nrt=False)
def _get(ls, base, pos):
    return ls[base + int(pos)]


@kernel(_nrt=False)
def _zoom(ls):
    """The top of torch's zoom loop (refining the bracket [B0, B1])."""
    if ls[DONE] == 0 and ls[LS_ITER] < ls[MAX_LS]:
        b0, b1 = ls[B0], ls[B1]
        if abs(b1 - b0) * ls[D_NORM] < ls[TOL]:
            return False, _get(ls, B0, ls[LOW])
        lo, hi = (b0, b1) if b0 <= b1 else (b1, b0)  # cubic_interpolate's default bounds
        t = cubic_interpolate(b0, ls[BF0], ls[BG0], b1, ls[BF1], ls[BG1], lo, hi)
        top, bottom = pymax(b0, b1), pymin(b0, b1)
        eps = 0.1 * (top - bottom)
        if pymin(top - t, t - bottom) < eps:
            if ls[INSUF] != 0 or t >= top or t <= bottom:
                if abs(t - top) < abs(t - bottom):
                    t = top - eps
                else:
                    t = bottom + eps
                ls[INSUF] = 0.0
            else:
                ls[INSUF] = 1.0
        else:
            ls[INSUF] = 0.0
        ls[T] = t
        ls[PHASE] = _ZOOM
        return True, t
    return False, _get(ls, B0, ls[LOW])


@kernel(_nrt=False)
def _zoom_update(ls):
    """torch's zoom loop body after its evaluation at t."""
    t, f, gtd, f_new, gtd_new = ls[T], ls[F], ls[GTD], ls[F_NEW], ls[GTD_NEW]
    low, high = int(ls[LOW]), int(ls[HIGH])
    if f_new > (f + C1 * t * gtd) or f_new >= ls[BF0 + low]:
        ls[B0 + high], ls[BF0 + high], ls[BG0 + high] = t, f_new, gtd_new
        if ls[BF0] <= ls[BF1]:
            ls[LOW], ls[HIGH] = 0.0, 1.0
        else:
            ls[LOW], ls[HIGH] = 1.0, 0.0
    else:
        if abs(gtd_new) <= -C2 * gtd:
            ls[DONE] = 1.0
        elif gtd_new * (ls[B0 + high] - ls[B0 + low]) >= 0:
            ls[B0 + high], ls[BF0 + high], ls[BG0 + high] = ls[B0 + low], ls[BF0 + low], ls[BG0 + low]
        ls[B0 + low], ls[BF0 + low], ls[BG0 + low] = t, f_new, gtd_new
