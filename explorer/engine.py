"""The compiled simulation loop: evaluate, test the stopping rules, step — for one racer or many starts.

:func:`drive` advances a set of starts ("lanes", one column each of ``P`` (d, n) and of the optimizer state
``S`` (rows, n)) through the points ``k0 .. k1 - 1`` of their runs. Lanes are processed in blocks of
:func:`~explorer.tape.block_lanes` (so a block's registers, points and state stay in cache) and, inside a
block, steps-outer / lanes-inner: the tape interpreter and the optimizer kernels run vectorised over the
block's lanes. A lane that stops is swapped to the end of its block; at the end of the call the running lanes
are compacted to the front and their number is returned, so a caller can return to Python between chunks of
steps (progress, cancel) with memory O(n). ``who`` maps each lane to its start.

At point k (reached after k steps) of every running lane:

1. f and ∇f (and H for Newton) at the point: from the tape over the lane block, or, with data, summed over
   every row (``reduce_rows``);
2. the stopping rules of :mod:`explorer.simulation`, in this order: diverged (the point, the loss or the
   gradient not finite, or the point outside ``centre ± reach``), converged (‖∇f‖² ≤ tol2), or out of
   steps (k = steps). A stopped lane records its code, k, f and point;
3. otherwise the gradient the optimizer sees: ∇f, or the minibatch mean of step k's rows (scaled for a sum),
   plus the step's noise; then one optimizer step with step k's learning rate (L-BFGS: direction, the
   strong-Wolfe search on the same rows if asked, move).

With ``record`` (one lane), every point, loss and gradient, the optimizer's leading state rows (from which
its ``internals`` are computed), the minibatch loss and gradient and the line-search evaluations are written
to the ``rec_*`` arrays.
"""

from __future__ import annotations

import numpy as np

from explorer.compiled import kernel
from explorer.optimizers._base import LBFGS, NEWTON
from explorer.optimizers._dispatch import N_COEFS, coefs, step
from explorer.optimizers._wolfe import EVALS, wolfe_begin, wolfe_feed
from explorer.optimizers._wolfe import SIZE as WOLFE_SIZE
from explorer.optimizers.lbfgs import (
    CAPACITY,
    HEAD,
    LINE_SEARCH,
    MAX_LS,
    TOL_CHANGE,
    lbfgs_direction_norm,
    lbfgs_directions,
    lbfgs_move,
)
from explorer.optimizers.lbfgs import T as LBFGS_T
from explorer.optimizers.newton import newton_step
from explorer.tape import aligned_rows, block_lanes, load_constants, load_parameters, reduce_rows, run_tape

RUNNING_OR_MAX_STEPS, CONVERGED, DIVERGED = 0, 1, 2
# flag bit of a lane at a fixed point of its iteration: it ends at the last point (k = steps) where it stands.
# An L-BFGS step without a line search that does not move (max |g| <= tolerance_grad: the state is untouched;
# or g.d > -tolerance_change) leaves the lane's next step the same: the point and so g are the same (no
# minibatch, no noise), y = g - g_prev = 0 so y.s > 1e-10 fails and the history and H_diag stay, the two-loop
# gives the same d, g.d fails the test again, whatever the learning rate. Every later point is this point,
# whose stopping rules found nothing, so the lane runs out of steps here; torch would step it in place to the
# end (issue 10: 34,000 of the 40,000 starts of the Himmelblau basin map with L-BFGS stand still so).
STILL = 4


@kernel(_nrt=False)
def _copy_columns(dst, d0, src, s0, nl):
    """dst[:, d0 : d0 + nl] = src[:, s0 : s0 + nl], row by row (each a contiguous copy): a block's lanes into
    its block buffers, and the running ones back."""
    for j in range(dst.shape[0]):
        a = src[j, s0:s0 + nl]
        b = dst[j, d0:d0 + nl]
        for q in range(nl):
            b[q] = a[q]


@kernel(_nrt=False)
def _outside(p, c, r):
    """2 if the coordinate p is farther than r from c (or nan), else 0."""
    return np.int8(2 * (not abs(p - c) <= r))


@kernel(_nrt=False)
def _rules(F, GF, P, b0, nl, total, gn2, flag, tol2, centre, reach, box):
    """The stopping rules for a block, vectorised: flag[q] = 2 (diverged) | 1 (converged); returns their OR.

    Diverged: f + g_0 + ... (+ p_0 + ... without a box), summed in that order, is not finite (so f, g or p
    is inf or nan, or the sum overflows), or a coordinate is farther than reach from the centre.
    Converged: g_0^2 + g_1^2 + ... <= tol2.

    Each loop is a pass over the block's rows with no branch inside (flags from comparisons, OR-ed into an
    accumulator), so it vectorises; the flags are set in the pass adding the last term, which saves a pass
    that would store the sums and read them back (the branching version cost 0.61 ns per lane, this 0.4).
    With a box, coordinate j is tested in the pass adding g_j: d passes in all (0.77 -> ~0.6 ns per lane, d = 2).
    """
    d = GF.shape[0]
    n_terms = d if box else 2 * d  # the terms after f: g_0 .. g_{d-1} (then p_0 .. p_{d-1})
    g0 = GF[0]
    p0 = P[0, b0:b0 + nl]
    c0, r0 = centre[0], reach[0]
    any_stop = 0
    if n_terms == 1:  # d = 1 with a box
        for q in range(nl):
            t = F[q] + g0[q]
            f = np.int8(2 * (t - t != 0.0) + (g0[q] * g0[q] <= tol2)) | _outside(p0[q], c0, r0)
            flag[q] = f
            any_stop |= f
        return any_stop
    if box:
        for q in range(nl):
            total[q] = F[q] + g0[q]
            gn2[q] = g0[q] * g0[q]
            flag[q] = _outside(p0[q], c0, r0)
    else:
        for q in range(nl):
            total[q] = F[q] + g0[q]
            gn2[q] = g0[q] * g0[q]
    for i in range(1, n_terms - 1):
        if i < d:
            g = GF[i]
            if box:
                p = P[i, b0:b0 + nl]
                c, r = centre[i], reach[i]
                for q in range(nl):
                    total[q] += g[q]
                    gn2[q] += g[q] * g[q]
                    flag[q] |= _outside(p[q], c, r)
            else:
                for q in range(nl):
                    total[q] += g[q]
                    gn2[q] += g[q] * g[q]
        else:
            p = P[i - d, b0:b0 + nl]
            for q in range(nl):
                total[q] += p[q]
    if box:  # the last term is g_{d-1}
        g = GF[d - 1]
        p = P[d - 1, b0:b0 + nl]
        c, r = centre[d - 1], reach[d - 1]
        for q in range(nl):
            t = total[q] + g[q]
            f = np.int8(2 * (t - t != 0.0) + (gn2[q] + g[q] * g[q] <= tol2)) | flag[q] | _outside(p[q], c, r)
            flag[q] = f
            any_stop |= f
    else:  # p_{d-1}
        p = P[d - 1, b0:b0 + nl]
        for q in range(nl):
            t = total[q] + p[q]
            f = np.int8(2 * (t - t != 0.0) + (gn2[q] <= tol2))
            flag[q] = f
            any_stop |= f
    return any_stop


@kernel(_nrt=False)
def _swap(PB, SB, OUT, base, n_out, q, r):
    """Exchange columns q and r of the block buffers PB, SB and of OUT[base : base + n_out]."""
    for j in range(PB.shape[0]):
        PB[j, q], PB[j, r] = PB[j, r], PB[j, q]
    for j in range(SB.shape[0]):
        SB[j, q], SB[j, r] = SB[j, r], SB[j, q]
    for j in range(base, base + n_out):
        OUT[j, q], OUT[j, r] = OUT[j, r], OUT[j, q]


@kernel
def drive(code, imm, consts, meta, outs, params, cols, data, full_scale,
          orders, b_row, b_offset, b_count, b_scale,
          kind, h, P, S, who, lane0, lane1, k0, k1, steps,
          lr_tab, noise_tab, tol2, centre, reach, box,
          status, stop_k, final, final_loss,
          record, rec_p, rec_f, rec_g, rec_state, rec_bf, rec_bg, rec_evals):
    """Advance lanes lane0 .. lane1 - 1 through points k0 .. k1 - 1 (k1 <= steps + 1); the lanes still running
    afterwards are compacted to lane0 onwards and their number is returned.

    code .. outs : the tape (f, ∇f, and the Hessian's upper triangle when the optimizer needs it; the outputs
    are consecutive registers). params : (p,) parameter values. cols : (c, n_rows) data columns; data : reduce
    over rows. full_scale : 1/n_rows (mean) or 1 (sum). orders : (E, n_rows) row orders; b_row, b_offset,
    b_count, b_scale : (K,) per step k - k0: the step's rows are orders[b_row, b_offset : b_offset + b_count],
    their sum is scaled by b_scale (empty arrays: full batch).
    kind, h : the optimizer. P (d, n), S (rows, n), who (n,) : lane state (permuted in place).
    lr_tab : (K, 1) or (K, n) learning rate of step k - k0 (column who[lane] when per start).
    noise_tab : (K, n, d) noise added to step k - k0's gradient, or (0, 0, 0).
    tol2, centre (d,), reach (d,), box : the stopping rules. status, stop_k, final (n, d), final_loss :
    per start, written when it stops. rec_* : see the module notes (unused without ``record``).
    """
    d = P.shape[0]
    n_state = S.shape[0]
    n_out = outs.size
    n_inputs, n_regs = meta[0], meta[2]
    zero, one = lane0 - lane0, max(lane0 - lane0, 1)  # runtime ints: literals would compile a second copy
    minus_one = zero - 1
    lanes = max(8, min(block_lanes(n_regs), (lane1 - lane0 + 7) // 8 * 8))
    regs = aligned_rows(n_regs, lanes)
    load_constants(consts, n_inputs, regs, lanes)
    load_parameters(params, d, n_inputs, regs)
    # The block's points and optimizer state live in block buffers while it runs (copied in at its start,
    # the running lanes copied back at its end): PB (d, lanes) is the tape's input registers themselves (with
    # data, a buffer of its own: the row sums use regs), SB (rows, lanes) one contiguous block. Stepping the
    # lanes in place in P and S, whose rows lie n lanes apart, maps every row of a block to the same cache
    # sets: Adam's step cost 4.4 ns per lane there, 3.0 in the block buffer (issue 10, AMD EPYC).
    PB = aligned_rows(d, lanes) if data else regs[0:d]
    SB = aligned_rows(n_state, lanes)
    # one lane of registers for L-BFGS's line search without data (the block's registers hold its points)
    regs1 = aligned_rows(n_regs, 8)
    load_constants(consts, n_inputs, regs1, 8)
    load_parameters(params, d, n_inputs, regs1)
    # f, ∇f, H at the lanes' points: the tape's output registers in place, or (with data) their row sums
    res = aligned_rows(n_out, lanes)
    OUT = res if data else regs
    base = 0 if data else outs[0]
    F = OUT[base]
    GF = OUT[base + 1:base + 1 + d]
    HF = OUT[base + 1 + d:base + n_out]
    # the same on step k's minibatch, and the gradient plus noise
    BS = aligned_rows(n_out, lanes)
    GN = aligned_rows(d, lanes)
    minibatch = b_row.size > 0
    noisy = noise_tab.shape[0] > 0
    GB = BS[1:1 + d] if minibatch else GF
    GS = GN if noisy else GB
    HS = BS[1 + d:n_out] if minibatch else HF
    lrq = np.empty(lanes)
    total = np.empty(lanes)
    gn2 = np.empty(lanes)
    flag = np.zeros(lanes, dtype=np.int8)
    still = np.zeros(lanes, dtype=np.int8)
    n_still = 0
    acc = np.empty(n_out)
    x = np.empty(d)
    coef_tab = np.zeros((max(k1 - k0, 1), N_COEFS))  # each step's scalars, once for all lanes
    for k in range(k0, min(k1, steps)):
        coefs(kind, h, k + 1, coef_tab[k - k0])
    n_display = rec_state.shape[1]
    if record and k0 == 0:
        for j in range(n_display):
            rec_state[0, j] = S[j, lane0]
    AL = np.zeros((max(int(h[CAPACITY]), 1) if kind == LBFGS else 1, lanes))  # L-BFGS's scratch
    work = np.zeros((3, lanes), dtype=np.int64)
    moves = np.zeros(lanes, dtype=np.bool_)
    gtds = np.zeros(lanes)
    ls = np.zeros(WOLFE_SIZE)
    part = np.zeros((n_out, 8))
    n_rows = cols.shape[1]
    per_start_lr = lr_tab.shape[1] > 1
    # L-BFGS without a line search, on the same gradient every step: a lane that did not move stays (see STILL)
    settle = kind == LBFGS and h[LINE_SEARCH] == 0 and not minibatch and not noisy and not record
    write = lane0
    for b0 in range(lane0, lane1, lanes):
        nl = min(lanes, lane1 - b0)
        if n_still:  # set at the last step of the previous block
            still[:] = 0
            n_still = 0
        _copy_columns(PB, zero, P, b0, nl)
        _copy_columns(SB, zero, S, b0, nl)
        for k in range(k0, k1):
            # 1. f, ∇f (and H) at the lanes' points
            if data:
                for q in range(nl):
                    for j in range(d):
                        x[j] = PB[j, q]
                    reduce_rows(code, imm, outs, regs, x, params, cols, orders, minus_one, zero, n_rows, full_scale,
                                part, acc)
                    for j in range(n_out):
                        res[j, q] = acc[j]
            else:
                run_tape(code, imm, regs, nl)
            if record:
                for j in range(d):
                    rec_p[k, j] = PB[j, 0]
                    rec_g[k, j] = GF[j, 0]
                rec_f[k] = F[0]
            # 2. stopping rules (and lanes standing still, STILL); stopped lanes are handled one by one and swapped
            # to the block's end
            any_stop = _rules(F, GF, PB, zero, nl, total, gn2, flag, tol2, centre, reach, box)
            if n_still:
                for q in range(nl):
                    flag[q] |= still[q]
                    any_stop |= still[q]
                    still[q] = 0
                n_still = 0
            if any_stop or k == steps:
                q = 0
                while q < nl:
                    if flag[q] == 0 and k < steps:
                        q += 1
                        continue
                    i = who[b0 + q]
                    status[i] = DIVERGED if flag[q] & 2 else (CONVERGED if flag[q] & 1 else RUNNING_OR_MAX_STEPS)
                    stop_k[i] = steps if flag[q] & STILL else k
                    final_loss[i] = F[q]
                    for j in range(d):
                        final[i, j] = PB[j, q]
                    last = nl - 1
                    if q != last:
                        _swap(PB, SB, OUT, base, n_out, q, last)
                        who[b0 + q], who[b0 + last] = who[b0 + last], who[b0 + q]
                        flag[q], flag[last] = flag[last], flag[q]
                    nl -= 1
            if nl == 0:
                break
            # 3. the gradient the optimizer sees, then one step
            kk = k - k0
            if per_start_lr:
                for q in range(nl):
                    lrq[q] = lr_tab[kk, who[b0 + q]]
            else:
                lr_k = lr_tab[kk, 0]
                for q in range(nl):
                    lrq[q] = lr_k
            if minibatch:
                for q in range(nl):
                    for j in range(d):
                        x[j] = PB[j, q]
                    reduce_rows(code, imm, outs, regs, x, params, cols, orders, b_row[kk], b_offset[kk], b_count[kk],
                                b_scale[kk], part, acc)
                    for j in range(n_out):
                        BS[j, q] = acc[j]
                if record:
                    rec_bf[k] = BS[0, 0]
                    for j in range(d):
                        rec_bg[k, j] = BS[1 + j, 0]
            if noisy:
                for j in range(d):
                    for q in range(nl):
                        GN[j, q] = noise_tab[kk, who[b0 + q], j] + GB[j, q]
            if kind == LBFGS:
                lbfgs_directions(h, lrq, SB, GS, zero, nl, work, AL, moves, gtds)
                for q in range(nl):
                    move, gtd = moves[q], gtds[q]
                    if move and h[LINE_SEARCH] != 0:
                        f0 = BS[0, q] if minibatch else F[q]
                        t = wolfe_begin(ls, SB[LBFGS_T, q], f0, gtd, lbfgs_direction_norm(SB, q, d),
                                        h[TOL_CHANGE], h[MAX_LS])
                        more = True
                        while more:
                            for j in range(d):
                                x[j] = PB[j, q] + t * SB[HEAD + j, q]
                            if minibatch:
                                reduce_rows(code, imm, outs, regs, x, params, cols, orders, b_row[kk], b_offset[kk],
                                            b_count[kk], b_scale[kk], part, acc)
                            elif data:
                                reduce_rows(code, imm, outs, regs, x, params, cols, orders, minus_one, zero, n_rows,
                                            full_scale, part, acc)
                            else:
                                for j in range(d):
                                    regs1[j, 0] = x[j]
                                run_tape(code, imm, regs1, one)
                                for j in range(n_out):
                                    acc[j] = regs1[outs[j], 0]
                            gtd_new = acc[1] * SB[HEAD, q]
                            for j in range(1, d):
                                gtd_new = gtd_new + acc[1 + j] * SB[HEAD + j, q]
                            more, t = wolfe_feed(ls, acc[0], gtd_new)
                        SB[LBFGS_T, q] = t
                        if record:
                            rec_evals[0] += int(ls[EVALS])
                    lbfgs_move(PB, SB, q)
                    if settle and not move:
                        still[q] = STILL
                        n_still += 1
            elif kind == NEWTON:
                newton_step(h, lrq, PB, SB, GS, HS, zero, nl)
            else:
                step(kind, h, coef_tab, kk, k + 1, lrq, PB, SB, GS, zero, nl)
            if record:
                for j in range(n_display):
                    rec_state[k + 1, j] = SB[j, 0]
        # the block's running lanes (its first nl columns) back to P and S, compacted to the front: row by row,
        # each a contiguous copy (write <= b0, so no column of a later block is touched)
        _copy_columns(P, write, PB, zero, nl)
        _copy_columns(S, write, SB, zero, nl)
        for q in range(nl):
            who[write + q] = who[b0 + q]
        write += nl
    return write - lane0
