"""Losses over data (issue 12): how long the surface and a race of minibatch runs take, and how fast the window
follows a dragged data point.

Run from the repo root (the second part needs a display; use Xvfb)::

    xvfb-run -a -s '-screen 0 1600x1000x24' .venv/bin/python bench/data.py [--no-window]

Prints, for n = 100, 1,000 and 10,000 rows of a linear-regression loss ``(w*x + b - y)^2`` (mean over rows):

- the surface grid: the map's 200 x 200 grid and the 3-D view's 121 x 121 grid (``surface.value``);
- 8 racers x 1,000 minibatch steps (batch 32, shuffled; SGD, momentum, Adam, RMSProp, ...), each step recording
  the full-data loss and gradient at the new point (``simulate_run``, as the window computes them), and the
  same 8 as one ``run_batch`` call (end points only);
- in the window (n = 100, 1,000 and 10,000): dragging a point in the data pane, from each mouse move to the
  moment the map and the 3-D view have painted the new surface and every path is recomputed and painted
  (median and worst of the moves). Target: <= 100 ms for n <= 1,000. Larger data refine off the GUI thread,
  never freezing the window: the longest the GUI thread was busy at once (handling a move, or one pass of
  the event loop) is printed too.

Timings are best of three on a machine shared with other work: read them as orders of magnitude.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from explorer.data import Dataset  # noqa: E402
from explorer.levels import sample_grid  # noqa: E402
from explorer.runs import Batch, RunSpec  # noqa: E402
from explorer.simulation import run_batch, simulate_run  # noqa: E402
from explorer.surface import compile_surface  # noqa: E402

SIZES = (100, 1_000, 10_000)
STEPS = 1_000
RANGES = ((-3.0, 5.0), (-3.0, 5.0))
CONFIGS = [("sgd", {"lr": 0.05}), ("sgd", {"lr": 0.02, "momentum": 0.9}), ("adam", {"lr": 0.05}),
           ("rmsprop", {"lr": 0.01}), ("adagrad", {"lr": 0.5}), ("nadam", {"lr": 0.05}), ("adamw", {"lr": 0.05}),
           ("sgd", {"lr": 0.02, "momentum": 0.9, "nesterov": True})]
STARTS = [(-2.0, 4.0), (-1.0, 4.5), (4.0, 4.0), (-2.5, -2.0), (0.0, -2.5), (4.5, 0.0), (-2.0, 0.0), (3.0, -2.0)]


def dataset(n: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    return Dataset(("x", "y"), np.column_stack([x, 1.5 * x + 1 + rng.normal(0, 0.5, n)]))


def racers(batch: int = 32) -> list[RunSpec]:
    return [RunSpec(f"{name} {k}", name, start, params, batch=Batch(batch, seed=k))
            for k, ((name, params), start) in enumerate(zip(CONFIGS, STARTS, strict=True))]


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def core() -> None:
    print(f"loss (w*x + b - y)^2, mean over n rows; 8 racers x {STEPS:,} minibatch steps (batch 32, shuffled)")
    for n in SIZES:
        surface = compile_surface("(w*x + b - y)^2", variables=("w", "b"), data=dataset(n), timeout=None)
        runs = racers()
        simulate_run(surface, runs[0], steps=10, bounds=RANGES)          # compile / load the kernels
        t_map = best(lambda s=surface: sample_grid(s, *RANGES, (200, 200)))
        t_3d = best(lambda s=surface: sample_grid(s, *RANGES, (121, 121)))
        t_runs = best(lambda s=surface, runs=runs: [simulate_run(s, r, steps=STEPS, tolerance=0.0, bounds=RANGES)
                                                    for r in runs])
        t_batch = best(lambda s=surface, runs=runs: [run_batch(s, r.optimizer, r.params, [r.start], STEPS,
                                                               tolerance=0.0, bounds=RANGES, batch=r.batch)
                                                     for r in runs])
        print(f"  n = {n:>6,}: map grid 200x200 {t_map * 1e3:7.1f} ms, 3-D grid 121x121 {t_3d * 1e3:6.1f} ms, "
              f"8 racers recorded {t_runs * 1e3:7.1f} ms, end points only {t_batch * 1e3:6.1f} ms; "
              f"grid + racers {(t_map + t_runs) * 1e3:7.1f} ms")


def window() -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    from explorer.data_models import template
    from explorer.model import Comparison
    from explorer.preset_schema import DataSpec
    from widgets.app import apply_theme, create_app
    from widgets.main_window import MainWindow

    class Painted(QObject):
        def __init__(self, widget) -> None:
            super().__init__()
            self.last = 0.0
            widget.installEventFilter(self)

        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.last = time.perf_counter()
            return False

    app = create_app()
    apply_theme(app, "light")
    print("dragging a data point in the window (1600x1000, 8 racers of 500 steps, batch 32):")
    for n in (100, 1_000, 10_000):
        data = dataset(n)
        surface = compile_surface(template("linear").apply("x", "y")["expression"], variables=("w", "b"),
                                  data=data, timeout=None)
        runs = racers()
        model = Comparison(surface, runs, ranges=RANGES, default_steps=500, tolerance=0.0)
        model.set_data_spec(DataSpec(data, prediction="w*x + b", show=("x", "y")))
        win = MainWindow(model)
        win.resize(1600, 1000)
        win.show()
        win.data_dock.raise_()
        contour, surface_view = Painted(win.contour_view.viewport()), Painted(win.surface_view)
        paths: dict[str, float] = {}
        model.trajectories_changed.connect(lambda _i, paths=paths: paths.__setitem__("t", time.perf_counter()))

        def spin(seconds: float) -> None:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                app.processEvents()

        spin(1.0)
        while model.pending:
            app.processEvents()
        pane = win.data_pane
        vb = pane.plot.getPlotItem().getViewBox()
        vp = pane.plot.viewport()
        row = int(np.argmax(data.column("x")))
        x0, y0 = data.rows[row]

        def send(kind, x, y, buttons, pane=pane, vb=vb, vp=vp):
            pos = pane.plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
            QCoreApplication.sendEvent(vp, QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)),
                                                       Qt.MouseButton.LeftButton, buttons,
                                                       Qt.KeyboardModifier.NoModifier))

        left = Qt.MouseButton.LeftButton
        send(QEvent.Type.MouseButtonPress, x0, y0, left)
        times, first_paint, busy = [], [], 0.0
        for k, dy in enumerate(np.linspace(-0.2, -3.0, 15)):
            t = time.perf_counter()
            send(QEvent.Type.MouseMove, x0, y0 + dy, left)
            busy = max(busy, time.perf_counter() - t)
            deadline = t + 30
            seen = None
            while time.perf_counter() < deadline:
                t_pass = time.perf_counter()
                app.processEvents()
                busy = max(busy, time.perf_counter() - t_pass)
                if seen is None and contour.last > t and surface_view.last > t:
                    seen = max(contour.last, surface_view.last)
                tp = paths.get("t", 0.0)
                if not model.pending and tp > t and contour.last > tp and surface_view.last > tp:
                    break
            if k:                     # the first move starts the drag
                times.append(max(contour.last, surface_view.last) - t)
                first_paint.append((seen or t) - t)
        send(QEvent.Type.MouseButtonRelease, x0, y0 - 3.0, Qt.MouseButton.NoButton)
        print(f"  n = {n:>5,}: surface redrawn median {statistics.median(first_paint) * 1e3:6.1f} ms; surface and all "
              f"8 paths redrawn median {statistics.median(times) * 1e3:6.1f} ms, worst {max(times) * 1e3:6.1f} ms; "
              f"GUI thread busy at most {busy * 1e3:.0f} ms at once")
        win.document.set_modified(False)
        win.close()
        spin(0.2)


if __name__ == "__main__":
    core()
    if "--no-window" not in sys.argv:
        window()
