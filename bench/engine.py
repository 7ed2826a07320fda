"""Engine speed against torch.optim, side by side: one long Adam run, and a 65,536-start Adam batch.

Run from the repository root with a Python that has torch (optional) and our dependencies:
    /work/venv-torch/bin/python bench/engine.py
Both sides use float64 and one thread (``torch.set_num_threads(1)``; OMP/BLAS thread variables set to 1
before numpy is imported). Ours records the whole trajectory (points, loss, gradients, internals, learning
rates) for the single run; the torch loop records nothing (zero_grad, forward, backward, step), so the
comparison is conservative. Each figure is the best of a few repeats.
"""

from __future__ import annotations

import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from explorer.runs import RunSpec  # noqa: E402
from explorer.simulation import run_batch, simulate_run  # noqa: E402
from explorer.surface import compile_surface  # noqa: E402

SINGLE_STEPS, BATCH_SIDE, BATCH_STEPS = 10_000, 256, 500  # 256² = 65,536 starts
LR, START = 1e-3, (-1.5, 2.0)
VIEW = ((-2.0, 2.0), (-2.0, 2.0))


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def grid() -> np.ndarray:
    side = np.linspace(-2.0, 2.0, BATCH_SIDE)
    return np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)


def ours() -> tuple[float, float, np.ndarray, np.ndarray]:
    surface = compile_surface("(1 - x)^2 + 100(y - x^2)^2")
    run = RunSpec("Adam", "adam", START, {"lr": LR})
    out = {}

    def single():
        out["single"] = simulate_run(surface, run, steps=SINGLE_STEPS, tolerance=0, bounds=VIEW).points[-1]

    def batch():
        result = run_batch(surface, "adam", {"lr": LR}, grid(), BATCH_STEPS, tolerance=0, bounds=VIEW)
        out["batch"] = result.final

    return best_of(single, 5), best_of(batch, 5), out["single"], out["batch"]


def theirs():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)

    def rosenbrock(p):
        x, y = p[:, 0], p[:, 1]
        return ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum()

    def go(start: np.ndarray, steps: int) -> np.ndarray:
        p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([p], lr=LR)
        for _ in range(steps):
            opt.zero_grad()
            rosenbrock(p).backward()
            opt.step()
        return p.detach().numpy()

    out = {}
    single = best_of(lambda: out.__setitem__("single", go(np.array([START]), SINGLE_STEPS)[0]), 3)
    batch = best_of(lambda: out.__setitem__("batch", go(grid(), BATCH_STEPS)), 3)
    return single, batch, out["single"], out["batch"], torch.__version__


def main() -> None:
    single, batch, our_single, our_batch = ours()
    torch_figures = theirs()
    print(f"numpy {np.__version__}, float64, 1 thread")
    print(f"{'case':<38}{'ours':>10}{'torch':>10}{'ours/torch':>12}")
    rows = [(f"(a) 1 run x {SINGLE_STEPS:,} Adam steps", single, 0),
            (f"(b) {BATCH_SIDE ** 2:,} starts x {BATCH_STEPS} Adam steps", batch, 1)]
    for label, mine, i in rows:
        if torch_figures is None:
            print(f"{label:<38}{mine:>9.3f}s{'':>10}")
        else:
            other = torch_figures[i]
            print(f"{label:<38}{mine:>9.3f}s{other:>9.3f}s{other / mine:>10.1f}x faster")
    if torch_figures is None:
        print("torch not installed: skipped")
        return
    print(f"torch {torch_figures[4]}; targets: (a) >= 100x, (b) >= 2x and <= 1.5 s")
    da = np.max(np.abs(our_single - torch_figures[2]))
    db = np.max(np.abs(our_batch - torch_figures[3]))
    print(f"agreement with torch: max |difference| of final points (a) {da:.1e}, (b) {db:.1e}")


if __name__ == "__main__":
    main()
