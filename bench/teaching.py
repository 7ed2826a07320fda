"""Timings for the teaching overlays of issue 6: basin map, learning-rate sweep, critical points.

    python bench/teaching.py

Targets: a 200×200-start basin map with 500 steps in ≤ 0.25 s (issue 10; issue 6 asked for ≤ 1 s). Each
figure is the best of ``REPEATS`` runs after one warm-up (which also loads the compiled kernels), wall-clock,
on this machine.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from explorer.basins import basin_map  # noqa: E402
from explorer.critical import critical_points  # noqa: E402
from explorer.surface import compile_surface  # noqa: E402
from explorer.sweep import lr_grid, lr_sweep  # noqa: E402

REPEATS = 3
BASIN_TARGET = 0.25  # seconds, issue 10
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
MINIMA = [(3.0, 2.0), (-2.805118087, 3.131312518), (-3.779310253, -3.283185991), (3.584428340, -1.848126527)]


def best_of(fn, repeats=REPEATS):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"{platform.machine()}, load average {os.getloadavg()[0]:.2f} (other work skews the figures)")
    surface = compile_surface(HIMMELBLAU)
    for optimizer, params in [("sgd", {"lr": 0.01}), ("adam", {"lr": 0.05})]:
        t, bm = best_of(lambda o=optimizer, p=params: basin_map(surface, o, p, (-5, 5), (-5, 5),
                                                                resolution=200, steps=500, tolerance=1e-6,
                                                                minima=MINIMA))
        shares = ", ".join(f"{bm.fraction(k):.3f}" for k in range(4))
        print(f"basin map 200x200 starts x 500 steps, Himmelblau, {optimizer} {params}: {t:.3f} s "
              f"(target <= {BASIN_TARGET} s: {'met' if t <= BASIN_TARGET else 'NOT met'}; converged "
              f"{bm.converged.mean():.1%}, mean steps {bm.steps.mean():.0f}, basin shares {shares})")
    t, _ = best_of(lambda: basin_map(surface, "sgd", {"lr": 0.01}, (-5, 5), (-5, 5), resolution=200,
                                     steps=500, tolerance=0.0, minima=MINIMA))
    print(f"basin map 200x200 starts x 500 steps, Himmelblau, sgd, tolerance 0 (no early stops): {t:.3f} s "
          f"(target <= {BASIN_TARGET} s: {'met' if t <= BASIN_TARGET else 'NOT met'})")
    t, _ = best_of(lambda: critical_points(surface, (-5, 5), (-5, 5)))
    print(f"critical points of Himmelblau on [-5, 5]^2 (32x32 Newton starts): {t * 1e3:.1f} ms")
    lrs = lr_grid(0.01, decades=2, n=200)
    for optimizer in ("sgd", "adam"):
        t, r = best_of(lambda o=optimizer: lr_sweep(surface, o, {}, (0.0, 0.0), lrs, steps=500, tolerance=0.0,
                                                    bounds=((-5, 5), (-5, 5))))
        print(f"lr sweep 200 lrs x 500 steps, Himmelblau from (0, 0), {optimizer}: {t * 1e3:.1f} ms "
              f"(diverged {np.mean(r.status == 'diverged'):.0%})")


if __name__ == "__main__":
    main()
