"""Hyperparameter checks shared by the optimizer factories.

Every check raises ``ValueError`` naming the hyperparameter, the allowed range and the offending value,
e.g. ``lr must be >= 0, got -1``.
"""

from __future__ import annotations

import numbers

import numpy as np


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def learning_rate(value, name="lr"):
    """A float >= 0, or a 1-D array of them (one learning rate per start). Returns float or (n,) float64."""
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be a number or a 1-D array (one per start), got shape {arr.shape}")
        bad = np.flatnonzero(~(arr >= 0) | ~np.isfinite(arr))
        if bad.size:
            raise ValueError(f"{name} must be >= 0 and finite, got {float(arr[bad[0]]):g} at index {bad[0]}")
        return arr
    value = _number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value:g}")
    return value


def at_least(name, value, low=0.0):
    value = _number(name, value)
    if value < low:
        raise ValueError(f"{name} must be >= {low:g}, got {value:g}")
    return value


def in_range(name, value, low, high, *, high_inclusive=False, low_inclusive=True):
    value = _number(name, value)
    ok_low = value >= low if low_inclusive else value > low
    ok_high = value <= high if high_inclusive else value < high
    if not (ok_low and ok_high):
        interval = f"{'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {value:g}")
    return value


def pair(name, value, low=0.0, high=1.0, *, high_inclusive=False):
    """A 2-sequence of numbers each in [low, high) (e.g. betas); returns a tuple of floats."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a pair of numbers, got {value!r}")
    return tuple(in_range(f"{name}[{i}]", v, low, high, high_inclusive=high_inclusive)
                 for i, v in enumerate(value))


def flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def integer(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value}")
    return int(value)


def step_lr(lr, default, n):
    """The learning rate for one update: the per-step override (after a schedule) or the hyperparameter.

    Returns a float, or an (n, 1) float64 column that broadcasts against (n, d) arrays.
    """
    if lr is None:
        lr = default
    elif not (isinstance(lr, np.ndarray) and lr.ndim == 1):
        lr = learning_rate(lr)
    elif not np.all(lr >= 0):
        raise ValueError("lr must be >= 0 for every start")
    if isinstance(lr, np.ndarray):
        if lr.shape != (n,):
            raise ValueError(f"lr array must have one entry per start ({n}), got shape {lr.shape}")
        return lr[:, None]
    return lr
