"""L-BFGS taking one iteration per step, torch.optim.LBFGS(max_iter=1) semantics, vectorised over starts."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as check
from ._base import Optimizer
from ._wolfe import strong_wolfe


class LBFGSState(NamedTuple):
    n_iter: np.ndarray          # (n,) int   iterations taken (torch's state["n_iter"]; early returns keep it)
    d: np.ndarray               # (n, d)     last search direction
    t: np.ndarray               # (n,)       last step length along d
    old_dirs: np.ndarray        # (n, m', d) y_k = g_{k+1} - g_k, oldest first (m' <= history_size grows)
    old_stps: np.ndarray        # (n, m', d) s_k = t_k d_k
    ro: np.ndarray              # (n, m')    1 / (y_k . s_k)
    hist_len: np.ndarray        # (n,) int   valid history entries per start
    H_diag: np.ndarray          # (n,)       initial inverse-Hessian scale gamma = s.y / y.y
    prev_flat_grad: np.ndarray  # (n, d)
    n_evals: np.ndarray         # (n,) int   extra gradient evaluations of the last step (line search)


def _rowdot(a, b):
    """Row-wise dot product of (n, d) arrays, summed in index order (as torch.dot on a 2-vector)."""
    total = a[..., 0] * b[..., 0]
    for j in range(1, a.shape[-1]):
        total = total + a[..., j] * b[..., j]
    return total


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
       returns.

    torch's default ``max_eval`` is ``max_iter * 5 // 4`` = 1 for max_iter=1, which leaves the search one
    trial point: it accepts t if f(theta + t d) < f(theta) and otherwise stays put (t = 0; the next step
    retries the same point, so the start stops for good). Pass e.g. ``max_eval=25`` for a real line search.
    Extra value/gradient evaluations are reported per start in ``state.n_evals``; the line search needs
    ``oracle`` (``.value``/``.gradient`` on (k, d) arrays) and runs one start at a time unless max_eval = 1.
    Memory: history takes n x history_size x d x 16 bytes.
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

    def init(params):
        n, dim = np.shape(params)
        return LBFGSState(np.zeros(n, dtype=np.int64), np.zeros((n, dim)), np.zeros(n), np.zeros((n, 0, dim)),
                          np.zeros((n, 0, dim)), np.zeros((n, 0)), np.zeros(n, dtype=np.int64), np.ones(n),
                          np.zeros((n, dim)), np.zeros(n, dtype=np.int64))

    def update(grad, state, params, *, lr=None, oracle=None):
        n = params.shape[0]
        step_lr = np.broadcast_to(check.step_lr(lr, hyper["lr"], n), (n, 1))[:, 0]
        with np.errstate(all="ignore"):
            return _step(np.asarray(grad, dtype=np.float64), state, params, step_lr, oracle)

    def _step(g, st, params, step_lr, oracle):
        act = ~(np.max(np.abs(g), axis=1) <= tolerance_grad)
        n_iter = st.n_iter + act
        first = act & (n_iter == 1)
        later = act & (n_iter > 1)
        old_dirs, old_stps, ro, hist_len, h_diag = st.old_dirs, st.old_stps, st.ro, st.hist_len, st.H_diag
        d = st.d
        if later.any():
            y = g - st.prev_flat_grad
            s = st.d * st.t[:, None]
            ys = _rowdot(y, s)
            push = later & (ys > 1e-10)
            if push.any():
                old_dirs, old_stps, ro, hist_len = _push(st, push, y, s, ys)
                h_diag = np.where(push, ys / _rowdot(y, y), h_diag)
            d = np.where(later[:, None], _two_loop(g, old_dirs, old_stps, ro, hist_len, h_diag, later), d)
        if first.any():
            d = np.where(first[:, None], -g, d)
            hist_len = np.where(first, 0, hist_len)
            h_diag = np.where(first, 1.0, h_diag)
        prev = np.where(act[:, None], g, st.prev_flat_grad)
        inv_l1 = 1.0 / np.abs(g).sum(axis=1)
        t = np.where(first, np.where(inv_l1 < 1.0, inv_l1, 1.0) * step_lr, np.where(act, step_lr, st.t))
        move = act & ~(_rowdot(g, d) > -tolerance_change)
        n_evals = np.zeros(params.shape[0], dtype=np.int64)
        if line_search_fn is not None and move.any():
            t = t.copy()
            _line_search(oracle, params, g, d, t, move, n_evals)
        new = np.where(move[:, None], params + t[:, None] * d, params)
        return new, LBFGSState(n_iter, d, t, old_dirs, old_stps, ro, hist_len, h_diag, prev, n_evals)

    def _line_search(oracle, params, g, d, t, move, n_evals):
        if oracle is None:
            raise ValueError("lbfgs with line_search_fn='strong_wolfe' needs oracle= (value and gradient)")
        rows = np.flatnonzero(move)
        f = np.asarray(oracle.value(params[rows]), dtype=np.float64)
        gtd = _rowdot(g[rows], d[rows])
        if max_eval - 1 == 0:
            # No room to iterate: torch evaluates the first trial point and keeps the lower of f(0), f(t).
            f_new = np.asarray(oracle.value(params[rows] + t[rows, None] * d[rows]), dtype=np.float64)
            t[rows] = np.where(f <= f_new, 0.0, t[rows])
            n_evals[rows] = 1
            return

        def obj_func(x, step, direction):
            xt = (x + step * direction)[None, :]
            return np.float64(oracle.value(xt)[0]), np.asarray(oracle.gradient(xt)[0], dtype=np.float64)

        for k, i in enumerate(rows):
            _, _, t[i], n_evals[i] = strong_wolfe(obj_func, params[i], t[i], d[i], f[k], g[i], gtd[k],
                                                  tolerance_change=tolerance_change, max_ls=max_eval - 1)

    def _push(st, push, y, s, ys):
        n, cap, dim = st.old_dirs.shape
        full = push & (st.hist_len == history_size)
        pos = np.where(full, history_size - 1, st.hist_len)
        need = int(pos[push].max()) + 1
        new_cap = cap if need <= cap else min(history_size, max(need, 2 * cap, 4))
        old_dirs = np.zeros((n, new_cap, dim))
        old_stps = np.zeros((n, new_cap, dim))
        ro = np.zeros((n, new_cap))
        old_dirs[:, :cap], old_stps[:, :cap], ro[:, :cap] = st.old_dirs, st.old_stps, st.ro
        if full.any():  # drop the oldest entry (torch: list.pop(0))
            old_dirs[full, :-1] = old_dirs[full, 1:]
            old_stps[full, :-1] = old_stps[full, 1:]
            ro[full, :-1] = ro[full, 1:]
        rows = np.flatnonzero(push)
        old_dirs[rows, pos[rows]] = y[rows]
        old_stps[rows, pos[rows]] = s[rows]
        ro[rows, pos[rows]] = 1.0 / ys[rows]
        hist_len = np.where(push, np.minimum(st.hist_len + 1, history_size), st.hist_len)
        return old_dirs, old_stps, ro, hist_len

    def internals(state):
        return {"direction": state.d, "step_scale": np.repeat(state.t[:, None], state.d.shape[1], axis=1)}

    return Optimizer("lbfgs", hyper, init, update, internals, uses_oracle=line_search_fn is not None)


def _two_loop(g, old_dirs, old_stps, ro, hist_len, h_diag, rows):
    """d = -H g by the L-BFGS two-loop recursion over each start's valid history entries."""
    q = -g
    count = int(hist_len[rows].max()) if rows.any() else 0
    al = np.zeros((g.shape[0], max(count, 1)))
    for i in range(count - 1, -1, -1):
        valid = (rows & (i < hist_len))[:, None]
        al[:, i] = _rowdot(old_stps[:, i], q) * ro[:, i]
        q = np.where(valid, q + (-al[:, i])[:, None] * old_dirs[:, i], q)
    r = q * h_diag[:, None]
    for i in range(count):
        valid = (rows & (i < hist_len))[:, None]
        be_i = _rowdot(old_dirs[:, i], r) * ro[:, i]
        r = np.where(valid, r + (al[:, i] - be_i)[:, None] * old_stps[:, i], r)
    return r
