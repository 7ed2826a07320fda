"""Learning-rate schedules with torch.optim.lr_scheduler semantics.

``make_schedule(spec)(k, base_lr)`` is the learning rate of step k (0-based): the value torch's scheduler
has set after k calls of ``scheduler.step()`` (one per ``optimizer.step()``). torch computes most of these
recursively from the previous lr ("chainable form"); we do the same, step by step, so the values agree
to the last bit, and cache the sequence so sequential access costs O(1) per step.

Kinds (``explorer.runs.Schedule``): "step" (StepLR: step_size, gamma=0.1), "exponential" (ExponentialLR:
gamma), "cosine" (CosineAnnealingLR: T_max, eta_min=0), "linear" (LinearLR: start_factor=1/3,
end_factor=1.0, total_iters=5). ``base_lr`` may be a float or an (n,) array (one per start).
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Callable

import numpy as np

from explorer.runs import Schedule

_KINDS = {
    "step": {"step_size": None, "gamma": 0.1},
    "exponential": {"gamma": None},
    "cosine": {"T_max": None, "eta_min": 0.0},
    "linear": {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5},
}


def _hint(word, choices):
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _number(kind, name, value, low, high=math.inf, *, low_open=False, integer=False):
    where = f"{kind} schedule: {name}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        raise ValueError(f"{where} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
        lo = "(" if low_open else "["
        hi = "]" if math.isfinite(high) else ")"
        raise ValueError(f"{where} must be in {lo}{low:g}, {high:g}{hi}, got {value!r}")
    return int(value) if integer else float(value)


def _validated(spec: Schedule) -> dict:
    if spec.kind not in _KINDS:
        raise ValueError(f"unknown schedule kind {spec.kind!r}{_hint(spec.kind, _KINDS)}; "
                         f"choose one of {', '.join(_KINDS)}")
    defaults = _KINDS[spec.kind]
    for key in spec.args:
        if key not in defaults:
            raise ValueError(f"{spec.kind} schedule has no argument {key!r}{_hint(key, defaults)}; "
                             f"it takes {', '.join(defaults)}")
    args = {**defaults, **spec.args}
    for key, value in args.items():
        if value is None:
            raise ValueError(f"{spec.kind} schedule needs {key}")
    k = spec.kind
    if k == "step":
        args["step_size"] = _number(k, "step_size", args["step_size"], 1, integer=True)
        args["gamma"] = _number(k, "gamma", args["gamma"], 0.0, low_open=True)
    elif k == "exponential":
        args["gamma"] = _number(k, "gamma", args["gamma"], 0.0, low_open=True)
    elif k == "cosine":
        args["T_max"] = _number(k, "T_max", args["T_max"], 1, integer=True)
        args["eta_min"] = _number(k, "eta_min", args["eta_min"], 0.0)
    else:
        args["start_factor"] = _number(k, "start_factor", args["start_factor"], 0.0, 1.0, low_open=True)
        args["end_factor"] = _number(k, "end_factor", args["end_factor"], 0.0, 1.0)
        args["total_iters"] = _number(k, "total_iters", args["total_iters"], 1, integer=True)
    return args


def _next_lr(kind, args, epoch, lr, base_lr):
    """torch's ``get_lr`` for ``last_epoch = epoch`` (>= 1) given the current lr (chainable form)."""
    if kind == "step":
        return lr * args["gamma"] if epoch % args["step_size"] == 0 else lr
    if kind == "exponential":
        return lr * args["gamma"]
    if kind == "linear":
        start, end, total = args["start_factor"], args["end_factor"], args["total_iters"]
        if epoch > total:
            return lr
        return lr * (1.0 + (end - start) / (total * start + (epoch - 1) * (end - start)))
    t_max, eta_min = args["T_max"], args["eta_min"]
    if (epoch - 1 - t_max) % (2 * t_max) == 0:
        return lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
    return ((1 + math.cos(math.pi * epoch / t_max)) / (1 + math.cos(math.pi * (epoch - 1) / t_max))
            * (lr - eta_min) + eta_min)


def make_schedule(spec: Schedule | None) -> Callable[[int, float | np.ndarray], float | np.ndarray]:
    """``lr_at(step, base_lr)``: the learning rate for 0-based ``step``; no schedule returns ``base_lr``.

    Raises ValueError for an unknown kind or argument (with a "did you mean" hint) or a value out of range.
    """
    if spec is None:
        return lambda step, base_lr: base_lr
    args = _validated(spec)
    kind = spec.kind
    cache: dict = {"key": None, "lrs": []}

    def lr_at(step: int, base_lr):
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        key = base_lr.tobytes() if isinstance(base_lr, np.ndarray) else base_lr
        if cache["key"] != key:
            first = base_lr * args["start_factor"] if kind == "linear" else base_lr
            cache["key"], cache["lrs"] = key, [first]
        lrs = cache["lrs"]
        with np.errstate(all="ignore"):
            while len(lrs) <= step:
                lrs.append(_next_lr(kind, args, len(lrs), lrs[-1], base_lr))
        return lrs[step]

    return lr_at
