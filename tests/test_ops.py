"""The optimizers' scalar building blocks that must round exactly as torch does."""

from __future__ import annotations

import numba
import numpy as np

from explorer.optimizers._ops import divide


@numba.njit(error_model="numpy")
def _divide_all(a, b):
    y = 1.0 / b
    out = np.empty_like(a)
    for i in range(a.size):
        out[i] = divide(a[i], b, y)
    return out


def _divisors():
    """Adam's sqrt(1 - beta2^t) for the betas people use, and random divisors in [2^-20, 2^20]."""
    steps = np.arange(1, 5001, dtype=np.float64)
    adam = [(1 - beta2**steps) ** 0.5 for beta2 in (0.999, 0.99, 0.9, 0.9999, 0.5)]
    rng = np.random.default_rng(7)
    return np.concatenate([*adam, np.exp2(rng.uniform(-20, 20, 2000))])


def test_divide_is_the_correctly_rounded_quotient_bit_for_bit():
    rng = np.random.default_rng(3)
    wrong = checked = 0
    for b in _divisors():
        a = np.concatenate([
            np.exp2(rng.uniform(-900, 980, 400)),                  # every binade the function is valid for
            rng.uniform(0, 4, 200),                                # sqrt(v) of everyday Adam states
            np.nextafter(np.round(rng.uniform(1, 1e6, 100)), np.inf),  # just above integers
        ])
        a = np.concatenate([a, -a])
        got = _divide_all(a, b)
        wrong += int(np.count_nonzero(got.view(np.int64) != (a / b).view(np.int64)))
        checked += a.size
    assert checked > 10_000_000 // 2
    assert wrong == 0
    # the plain product a * (1/b) is not the quotient: the check above can fail
    a, b = rng.uniform(0, 4, 10_000), _divisors()[:500, None]
    assert np.count_nonzero(a * (1.0 / b) != a / b) > 100_000


def test_divide_special_values():
    a = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 2.0**-900])
    got = _divide_all(a, 0.37)
    np.testing.assert_array_equal(got.view(np.int64)[:5], (a / 0.37).view(np.int64)[:5])  # -0.0 stays -0.0
    assert np.isnan(got[4])
    assert got[6] == a[6] / 0.37
