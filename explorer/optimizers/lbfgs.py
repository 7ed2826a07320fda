"""L-BFGS taking one iteration per step, torch.optim.LBFGS(max_iter=1) semantics, compiled per start."""

from __future__ import annotations

import numpy as np

from explorer.compiled import kernel

from . import _validate as check
from ._base import LBFGS, Optimizer, make

# Rows of the per-start state (the history follows them; see _rows).
LR, N_ITER, T, HIST_LEN, HIST_START, H_DIAG, MOVED, HEAD = range(8)
# Slots of h: tolerance_grad, tolerance_change, history_size, capacity (history entries stored), line search
# on (1.0) or off, max_ls (= max_eval - 1).
TOL_GRAD, TOL_CHANGE, HISTORY, CAPACITY, LINE_SEARCH, MAX_LS = range(6)


def lbfgs(lr=1.0, history_size=100, tolerance_grad=1e-7, tolerance_change=1e-9, line_search_fn=None,
          max_eval=None) -> Optimizer:
    r"""L-BFGS (Nocedal, Math. Comp. 1980; Liu & Nocedal 1989), exactly ``torch.optim.LBFGS(max_iter=1)``.

    One ``update`` is one ``LBFGS.step(closure)`` with max_iter=1
    (https://docs.pytorch.org/docs/stable/generated/torch.optim.LBFGS.html): it uses the gradient it is given
    (torch's one closure call) and, per start:

    1. returns unchanged if ``max |g| <= tolerance_grad`` (torch's early return; the state is untouched);
    2. on its first iteration sets d = -g and forgets the history; later it forms y = g - g_prev,
       s = t_prev d_prev, and if y.s > 1e-10 appends (y, s, rho = 1/y.s) to the history (dropping the oldest
       beyond ``history_size``) and sets gamma = y.s / y.y; then d = -H g by the two-loop recursion with
       H_0 = gamma I (Nocedal & Wright, Numerical Optimization, Algorithm 7.4);
    3. takes t = min(1, 1/||g||_1) * lr on the first iteration, else t = lr;
    4. stops without moving if g.d > -tolerance_change (the direction state is still stored, as in torch);
    5. moves theta <- theta + t d, or, with ``line_search_fn="strong_wolfe"``, runs torch's strong-Wolfe
       search from t with at most ``max_eval - 1`` evaluations (c1 = 1e-4, c2 = 0.9) and moves by the t it
       returns (:mod:`explorer.optimizers._wolfe`).

    torch's default ``max_eval`` is ``max_iter * 5 // 4`` = 1 for max_iter=1, which leaves the search one
    trial point: it accepts t if f(theta + t d) < f(theta) and otherwise stays put (t = 0; the next step
    retries the same point, so the start stops for good). Pass e.g. ``max_eval=25`` for a real line search.
    Extra value/gradient evaluations are reported per start in ``state.n_evals``; the line search needs
    ``oracle`` (``.value``/``.gradient`` on (k, d) arrays). The history is a ring of ``history_size``
    entries: memory n x history_size x (2d + 1) x 8 bytes.
    """
    lr = check.learning_rate(lr)
    history_size = check.integer("history_size", history_size, 1)
    tolerance_grad = check.at_least("tolerance_grad", tolerance_grad)
    tolerance_change = check.at_least("tolerance_change", tolerance_change)
    if line_search_fn not in (None, "strong_wolfe"):
        raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
    max_eval = 1 * 5 // 4 if max_eval is None else check.integer("max_eval", max_eval, 1)
    hyper = dict(lr=lr, history_size=history_size, tolerance_grad=tolerance_grad,
                 tolerance_change=tolerance_change, line_search_fn=line_search_fn, max_eval=max_eval)
    h = [tolerance_grad, tolerance_change, history_size, history_size, float(line_search_fn is not None),
         max_eval - 1]
    return make("lbfgs", hyper, LBFGS, h, lambda d: rows(d, history_size), _internals, init=_init,
                display_rows=lambda d: HEAD + d, uses_oracle=line_search_fn is not None)


def rows(d: int, capacity: int) -> int:
    """State rows for d variables and ``capacity`` history entries."""
    return HEAD + 2 * d + capacity * (2 * d + 1)


def _init(h, S, d):
    S[H_DIAG] = 1.0


def _internals(h, count, R, d):
    """The last search direction d and its step length t."""
    return {"direction": R[..., HEAD:HEAD + d], "step_scale": np.repeat(R[..., T:T + 1], d, axis=-1)}


@kernel(_nrt=False)
def _offsets(d, capacity):
    """First rows of: direction, prev_flat_grad, ro (capacity), old_dirs (capacity x d), old_stps."""
    direction = HEAD
    prev = direction + d
    ro = prev + d
    dirs = ro + capacity
    stps = dirs + capacity * d
    return direction, prev, ro, dirs, stps


@kernel(_nrt=False)
def lbfgs_dot(a, b):
    """torch.dot of two vectors, summed in index order."""
    total = a[0] * b[0]
    for j in range(1, a.size):
        total = total + a[j] * b[j]
    return total


@kernel(_nrt=False)
def _begin(h, S, G, c, q):
    """Steps 1–2 up to the two-loop for the start in column c of S, its gradient in column q of G.

    Returns 0 when the start does not act (step 1: the state is untouched), 1 when its direction is set
    (first iteration: d = -g), 2 when the two-loop must turn q = -g (left in the direction rows) into -H g."""
    d = G.shape[0]
    tol_grad, capacity = h[TOL_GRAD], int(h[CAPACITY])
    o_dir, o_prev, o_ro, o_dirs, o_stps = _offsets(d, capacity)
    biggest = 0.0
    for j in range(d):
        a = abs(G[j, q])
        if a != a or a > biggest:
            biggest = a
            if a != a:
                break
    act = not (biggest <= tol_grad)
    S[MOVED, c] = 0.0
    if not act:
        return 0
    n_iter = S[N_ITER, c] + 1.0
    S[N_ITER, c] = n_iter
    if n_iter == 1.0:
        for j in range(d):
            S[o_dir + j, c] = -G[j, q]
        S[HIST_LEN, c] = 0.0
        S[HIST_START, c] = 0.0
        S[H_DIAG, c] = 1.0
        return 1
    t_prev = S[T, c]
    ys = 0.0
    yy = 0.0
    for j in range(d):  # y = g - g_prev, s = d t; dot products in index order
        y = G[j, q] - S[o_prev + j, c]
        s = S[o_dir + j, c] * t_prev
        ys = y * s if j == 0 else ys + y * s
        yy = y * y if j == 0 else yy + y * y
    if ys > 1e-10:
        hist_len, start = int(S[HIST_LEN, c]), int(S[HIST_START, c])
        if hist_len == capacity:  # full: overwrite the oldest (torch: pop(0) then append)
            slot = start
            S[HIST_START, c] = (start + 1) % capacity
        else:
            slot = (start + hist_len) % capacity
            S[HIST_LEN, c] = hist_len + 1
        for j in range(d):
            S[o_dirs + slot * d + j, c] = G[j, q] - S[o_prev + j, c]
            S[o_stps + slot * d + j, c] = S[o_dir + j, c] * t_prev
        S[o_ro + slot, c] = 1.0 / ys
        S[H_DIAG, c] = ys / yy
    for j in range(d):
        S[o_dir + j, c] = -G[j, q]  # the two-loop's q = -g, kept in the direction rows
    return 2


@kernel(_nrt=False)
def _end(h, lr, S, G, c, q):
    """Steps 3–4 once the direction is known: returns (move, g.d); leaves t and d in the state for
    :func:`lbfgs_move` (or the line search)."""
    d = G.shape[0]
    o_dir, o_prev = HEAD, HEAD + d
    for j in range(d):
        S[o_prev + j, c] = G[j, q]
    l1 = abs(G[0, q])
    gtd = G[0, q] * S[o_dir, c]
    for j in range(1, d):
        l1 = l1 + abs(G[j, q])
        gtd = gtd + G[j, q] * S[o_dir + j, c]
    if S[N_ITER, c] == 1.0:
        inv_l1 = 1.0 / l1
        t = (inv_l1 if inv_l1 < 1.0 else 1.0) * lr
    else:
        t = lr
    S[T, c] = t
    S[LR, c] = lr
    move = not (gtd > -h[TOL_CHANGE])
    if move:
        S[MOVED, c] = 1.0
    return move, gtd


@kernel(_nrt=False)
def lbfgs_directions(h, lr, S, G, s0, nl, work, AL, moves, gtds):
    """Steps 1–4 for the starts in columns s0 .. s0 + nl - 1 of S, their gradients in columns 0 .. nl - 1 of G
    and learning rates in lr[:nl]: moves[q], gtds[q] = (move, g.d) of start s0 + q. Leaves t and d in the state
    for :func:`lbfgs_move` (or the line search). work (3, >= nl) int64, AL (capacity, >= nl) : scratch.

    The two-loop recursion runs over all the starts at once, the starts innermost: one start's recursion is a
    chain of dependent dot products and updates, so interleaving independent starts keeps the processor busy
    (each start's arithmetic, and so its rounding, is the same as alone). Each start's history length and
    oldest slot are read once, and the ring index wraps by a subtraction, not a division."""
    d = G.shape[0]
    capacity = int(h[CAPACITY])
    o_dir, o_prev, o_ro, o_dirs, o_stps = _offsets(d, capacity)
    todo, length, oldest = work[0], work[1], work[2]
    longest = 0
    for q in range(nl):
        todo[q] = _begin(h, S, G, s0 + q, q)
        length[q] = int(S[HIST_LEN, s0 + q]) if todo[q] == 2 else 0
        oldest[q] = int(S[HIST_START, s0 + q])
        longest = max(longest, length[q])
    for i in range(longest - 1, -1, -1):  # newest to oldest
        for q in range(nl):
            if i < length[q]:
                c = s0 + q
                e = oldest[q] + i
                e = e - capacity if e >= capacity else e
                dot = S[o_stps + e * d, c] * S[o_dir, c]
                for j in range(1, d):
                    dot = dot + S[o_stps + e * d + j, c] * S[o_dir + j, c]
                al = dot * S[o_ro + e, c]
                AL[i, q] = al
                for j in range(d):
                    S[o_dir + j, c] = S[o_dir + j, c] + (-al) * S[o_dirs + e * d + j, c]
    for q in range(nl):
        if todo[q] == 2:
            c = s0 + q
            h_diag = S[H_DIAG, c]
            for j in range(d):
                S[o_dir + j, c] = S[o_dir + j, c] * h_diag
    for i in range(longest):  # oldest to newest
        for q in range(nl):
            if i < length[q]:
                c = s0 + q
                e = oldest[q] + i
                e = e - capacity if e >= capacity else e
                dot = S[o_dirs + e * d, c] * S[o_dir, c]
                for j in range(1, d):
                    dot = dot + S[o_dirs + e * d + j, c] * S[o_dir + j, c]
                be_i = dot * S[o_ro + e, c]
                for j in range(d):
                    S[o_dir + j, c] = S[o_dir + j, c] + (AL[i, q] - be_i) * S[o_stps + e * d + j, c]
    for q in range(nl):
        if todo[q] == 0:
            moves[q], gtds[q] = False, 0.0
        else:
            moves[q], gtds[q] = _end(h, lr[q], S, G, s0 + q, q)


@kernel(_nrt=False)
def lbfgs_trial(P, S, c, t, x):
    """x = theta + t d, the point the line search evaluates for the start in column c."""
    for j in range(P.shape[0]):
        x[j] = P[j, c] + t * S[HEAD + j, c]


@kernel(_nrt=False)
def lbfgs_direction_norm(S, c, d):
    """max |d_j| (nan if any is nan), the line search's d_norm."""
    out = 0.0
    for j in range(d):
        a = abs(S[HEAD + j, c])
        if a != a:
            return a
        if a > out:
            out = a
    return out


@kernel(_nrt=False)
def lbfgs_move(P, S, c):
    """theta <- theta + t d for a start whose last direction passed the descent test."""
    if S[MOVED, c] != 0:
        t = S[T, c]
        for j in range(P.shape[0]):
            P[j, c] = P[j, c] + t * S[HEAD + j, c]
