"""Time parse + differentiate + compile for standard test functions and a 2,000-character expression.

    python bench/compile.py

Prints one line per function (median of 5 fresh compiles, sympy's cache cleared each time) and the same
with lambdify's ``cse`` off, to show whether common-subexpression elimination pays off at evaluation.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explorer import evaluate as evaluate_mod  # noqa: E402
from explorer.surface import compile_surface  # noqa: E402

FUNCTIONS = {
    "rosenbrock": "(1-x)^2 + 100(y-x^2)^2",
    "himmelblau": "(x^2+y-11)^2 + (x+y^2-7)^2",
    "beale": "(1.5-x+x y)^2 + (2.25-x+x y^2)^2 + (2.625-x+x y^3)^2",
    "rastrigin": "20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)",
    "ackley": "-20exp(-0.2sqrt(0.5(x^2+y^2))) - exp(0.5(cos(2pi x)+cos(2pi y))) + e + 20",
    "booth": "(x + 2y - 7)^2 + (2x + y - 5)^2",
    "six-hump camel": "(4 - 2.1x^2 + x^4/3)x^2 + x y + (-4 + 4y^2)y^2",
    "goldstein-price": "(1+(x+y+1)^2(19-14x+3x^2-14y+6x y+3y^2))(30+(2x-3y)^2(18-32x+12x^2+48y-36x y+27y^2))",
    "styblinski-tang": "(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)/2",
    "logistic (6 points)": "+".join(f"log(1+exp(-({s}(x*{a}+y))))" for s, a in
                                    [(1, 0.5), (-1, 1.2), (1, -0.3), (-1, 2.0), (1, 1.1), (-1, -0.7)]),
}


def long_expression(n_chars: int = 2000) -> str:
    """A least-squares fit over many data points, as a teacher might paste: sum of (a·t + b − y)^2."""
    rng = np.random.default_rng(0)
    terms = []
    while len("+".join(terms)) < n_chars - 40:
        t, v = rng.uniform(-3, 3, 2).round(2)
        terms.append(f"({t}x+y-{abs(v)})^2")
    return "+".join(terms)


def time_compile(text: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        sympy.core.cache.clear_cache()
        t0 = time.perf_counter()
        compile_surface(text)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_eval(text: str, n: int = 65536, repeats: int = 20) -> float:
    s = compile_surface(text)
    xy = np.random.default_rng(1).normal(size=(n, 2))
    t0 = time.perf_counter()
    for _ in range(repeats):
        s.gradient(xy)
        s.hessian(xy)
    return (time.perf_counter() - t0) / repeats


def main() -> None:
    FUNCTIONS["long (2,000 chars)"] = long_expression()
    print(f"{'function':24s} {'chars':>5s} {'compile ms':>10s} {'eval ms cse':>11s} {'eval ms no-cse':>14s}")
    medians = []
    for name, text in FUNCTIONS.items():
        c = time_compile(text)
        e_cse = time_eval(text)
        original = evaluate_mod._lambdify
        evaluate_mod._lambdify = lambda args, exprs: sympy.lambdify(
            args, exprs, modules=["scipy", "numpy"], printer=evaluate_mod._Printer, cse=False, docstring_limit=0,
            dummify=True)
        try:
            e_plain = time_eval(text)
        finally:
            evaluate_mod._lambdify = original
        if not name.startswith("long"):
            medians.append(c)
        print(f"{name:24s} {len(text):5d} {c * 1e3:10.1f} {e_cse * 1e3:11.2f} {e_plain * 1e3:14.2f}")
    print(f"median compile over the standard functions: {statistics.median(medians) * 1e3:.1f} ms "
          f"(target <= 30 ms); long expression target <= 1000 ms")
    print("eval = gradient + Hessian on 65,536 points")


if __name__ == "__main__":
    main()
