"""Stochastic gradient descent with momentum, torch.optim.SGD semantics."""

from __future__ import annotations

from explorer.compiled import kernel

from . import _validate as check
from ._base import SGD, Optimizer, make, per_start
from ._ops import coupled, store_lr


def sgd(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False) -> Optimizer:
    r"""SGD, exactly as ``torch.optim.SGD`` (https://docs.pytorch.org/docs/stable/generated/torch.optim.SGD.html).

    Per step t (g_t the gradient, mu = momentum, tau = dampening, lambda = weight_decay)::

        g_t <- g_t + lambda * theta_{t-1}                     (if lambda != 0)
        b_t <- g_t                                            (t = 1: the first buffer is the raw gradient,
        b_t <- mu * b_{t-1} + (1 - tau) * g_t                  t > 1   no dampening on it)
        g_t <- g_t + mu * b_t   if nesterov   else   g_t <- b_t   (if mu != 0)
        theta_t <- theta_{t-1} - lr * g_t

    Note, as torch's documentation does, that this momentum "subtly differs" from Sutskever et al. (2013) and
    some other frameworks, which apply lr inside the velocity: ``v <- mu v + lr g; theta <- theta - v``.
    Defaults are torch 2.13's (lr=1e-3). ``nesterov`` needs momentum > 0 and dampening = 0.
    State rows: lr, then the velocity b (d rows).
    """
    lr = check.learning_rate(lr)
    momentum = check.at_least("momentum", momentum)
    dampening = check.in_range("dampening", dampening, 0.0, 1.0, high_inclusive=True)
    weight_decay = check.at_least("weight_decay", weight_decay)
    nesterov = check.flag("nesterov", nesterov)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
    hyper = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
    return make("sgd", hyper, SGD, [momentum, dampening, weight_decay, float(nesterov)], _rows, _internals)


def _rows(d):
    return 1 + d


def _internals(h, count, R, d):
    """The lr used (0 before the first step) and, with momentum, the velocity b."""
    out = {"step_scale": per_start(count, R[..., :1], d)}
    if h[0] != 0:
        out["velocity"] = R[..., 1:1 + d]
    return out


@kernel(_nrt=False)
def sgd_step(h, t, lr, P, S, G, s0, nl):
    momentum, dampening, weight_decay, nesterov = h[0], h[1], h[2], h[3] != 0
    for j in range(P.shape[0]):
        p = P[j, s0:s0 + nl]
        buf = S[1 + j, s0:s0 + nl]
        g = G[j]
        for q in range(nl):
            gq = coupled(g[q], p[q], weight_decay)
            if momentum != 0:
                b = gq if t == 1 else buf[q] * momentum + (1.0 - dampening) * gq
                buf[q] = b
                gq = gq + momentum * b if nesterov else b
            p[q] = gq * (-lr[q]) + p[q]
    store_lr(S, lr, s0, nl)
