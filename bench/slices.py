"""What a slice of a d-variable surface costs per playback frame (the core's share; no Qt).

Run from the repo root::

    .venv/bin/python bench/slices.py

While playback moves the anchor (the selected racer's point), the map must redraw the slice through it. One
frame of core work is: find the anchor, resolve the plane (PCA over every path, or the Hessian's eigenvectors
at the anchor), evaluate f on the plane's grid (``explorer.levels.sample_grid`` on a
:class:`~explorer.slice_surface.SliceSurface`, as the contour and 3-D views call it), and project every racer's
whole path onto the plane with its off-plane distance, comparing the loss on the plane with the racer's own at
its current point (the warning). Printed per surface and method: the best and median milliseconds per frame
over many frames and the frame rate that leaves, for grids of 100 x 100, 200 x 200 (the contour view's) and
the grid ``frame_grid_shape`` fits into 12 ms (what a loss over many data rows gets while playing). Then the
one-off cost of comparing the losses along whole paths (when the plane settles), the one-variable view
(curve + tangent), and a 100 x 100 basin map started on a 10-variable slice (background work).
Target (issue 13): d = 10 redraws at >= 30 fps, so this share must stay well under 33 ms.
Two cores shared with other agents: timings are noisy; the best of several runs is the honest figure.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explorer.curve import sample_curve, tangent_line  # noqa: E402
from explorer.data import make_dataset  # noqa: E402
from explorer.levels import sample_grid  # noqa: E402
from explorer.runs import RunSpec  # noqa: E402
from explorer.simulation import simulate_run  # noqa: E402
from explorer.slice_runs import slice_basin_map  # noqa: E402
from explorer.slice_surface import SliceSurface, frame_grid_shape, project_path  # noqa: E402
from explorer.slicing import SliceSpec, find_anchor, resolve_slice  # noqa: E402
from explorer.surface import compile_surface  # noqa: E402

FRAMES = 60
RUNS = [("sgd", {"lr": 0.004}), ("sgd", {"lr": 0.002, "momentum": 0.9}), ("adam", {"lr": 0.05}),
        ("rmsprop", {"lr": 0.01})]


def least_squares(n_weights: int, n_rows: int, seed: int = 0):
    """A linear model with an intercept b and n_weights - 1 weights fitted to n_rows random rows (mean squared
    error): a loss over data in n_weights variables."""
    rng = np.random.default_rng(seed)
    k = n_weights - 1
    X = rng.normal(size=(n_rows, k))
    y = X @ rng.normal(size=k) + 0.1 * rng.normal(size=n_rows)
    columns = [f"f{i}" for i in range(1, k + 1)]
    data = make_dataset([*columns, "t"], np.column_stack([X, y]).tolist())
    weights = [f"w{i}" for i in range(1, k + 1)]
    return compile_surface("(b + " + " + ".join(f"{w}*{c}" for w, c in zip(weights, columns)) + " - t)^2",
                           variables=("b", *weights), data=data)


def surfaces():
    names = [f"x{i}" for i in range(1, 11)]
    valley = compile_surface("50*(" + " + ".join(f"{n}^2" for n in names) + ") - 4.95*("
                             + " + ".join(names) + ")^2", variables=names)
    chain = compile_surface(" + ".join(f"100*({names[i + 1]} - {names[i]}^2)^2 + (1 - {names[i]})^2"
                                       for i in range(9)), variables=names)
    return [("10-variable valley (quadratic, the lesson)", valley, (-4.0, 4.0), 0.5),
            ("10-variable Rosenbrock chain", chain, (-2.0, 2.0), 0.3),
            ("4 weights, least squares over 12 rows (as the lesson)", least_squares(4, 12), (-3.0, 3.0), 0.2),
            ("10 weights, least squares over 1,000 rows", least_squares(10, 1000), (-3.0, 3.0), 0.2)]


def frame_times(surface, ranges, trajectories, spec, shape) -> list[float]:
    paths = [t.points for t in trajectories]
    labels = [t.run.label for t in trajectories]
    steps = max(t.stop_step for t in trajectories)
    times = []
    for k in np.linspace(0, steps, FRAMES).astype(int):
        t0 = time.perf_counter()
        points = [p[min(k, len(p) - 1)] for p in paths]
        anchor = find_anchor(spec, ranges, racer_points=points, racer_labels=labels, selected=0, step=int(k))
        plane = resolve_slice(spec, surface, ranges, anchor, paths=paths)
        sample_grid(SliceSurface(surface, plane), plane.ranges[0], plane.ranges[1], shape)
        for t in trajectories:
            project_path(surface, plane, t.points, t.loss, at=min(int(k), t.stop_step))
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    print(f"per playback frame, {len(RUNS)} racers (anchor = the selected racer's point, moving):")
    for title, surface, box, spread in surfaces():
        ranges = [box] * surface.ndim
        start = tuple(np.linspace(-spread * box[1], spread * box[1], surface.ndim))
        trajectories = [simulate_run(surface, RunSpec(f"{o} {p}", o, start, p), steps=1000, tolerance=1e-8,
                                     bounds=ranges) for o, p in RUNS]
        points = sum(t.stop_step + 1 for t in trajectories)
        fitted = frame_grid_shape(surface)
        print(f"  {title}: paths of {points:,} points in all; the 12 ms grid is {fitted[0]} x {fitted[1]}")
        for method in ("coordinates", "pca", "eigen", "random"):
            for shape in sorted({(100, 100), (200, 200), fitted}):
                spec = SliceSpec(method=method, seed=1)
                frame_times(surface, ranges, trajectories, spec, shape)      # warm-up (numba, caches)
                best = []
                for _ in range(3):
                    times = frame_times(surface, ranges, trajectories, spec, shape)
                    best.append((min(times), statistics.median(times)))
                lo, med = min(b[0] for b in best), min(b[1] for b in best)
                tag = " (fitted)" if shape == fitted else ""
                print(f"    {method:<12} grid {shape[0]:>3}x{shape[1]:<3}{tag:<9}: best {1e3 * lo:7.2f} ms, median "
                      f"{1e3 * med:7.2f} ms per frame -> core allows {1 / med:6.0f} fps")
        plane = resolve_slice(SliceSpec(method="pca"), surface, ranges, trajectories[0].points[0],
                              paths=[t.points for t in trajectories])
        t0 = time.perf_counter()
        for t in trajectories:
            project_path(surface, plane, t.points, t.loss)
        print(f"    losses compared along the whole paths once the plane settles: "
              f"{1e3 * (time.perf_counter() - t0):.1f} ms")

    one = compile_surface("(x - 1)^2 + 2", variables=("x",))
    times = []
    for _ in range(200):
        t0 = time.perf_counter()
        sample_curve(one, (-3.0, 5.0), 801)
        tangent_line(one, 1.7, 0.8)
        times.append(time.perf_counter() - t0)
    print(f"one variable: curve of 801 points + tangent: median {1e3 * statistics.median(times):.3f} ms")

    _, valley, box, _ = surfaces()[0]
    ranges = [box] * 10
    plane = resolve_slice(SliceSpec(method="eigen"), valley, ranges, np.full(10, 1.0))
    t0 = time.perf_counter()
    result = slice_basin_map(valley, plane, "sgd", {"lr": 0.019}, ranges, resolution=100, steps=500,
                             minima=[np.zeros(10)])
    took = time.perf_counter() - t0
    print(f"basin map on a 10-variable eigen slice, 100 x 100 starts x 500 sgd steps: {took:.2f} s "
          f"({np.mean(result.map.labels == 0):.0%} of cells reach the minimum)")


if __name__ == "__main__":
    main()
