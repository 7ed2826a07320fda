"""How smoothly the window animates, and how fast a typed formula reaches the screen.

Run under Xvfb from the repo root::

    xvfb-run -a -s '-screen 0 1600x1000x24' /work/venv/bin/python bench/frames.py

Prints
- playback: frames per second actually painted by the contour view and the 3-D view while 8 runs play
  (timer-driven, the app's own PlaybackBar), and the cost of one step update with both views repainted
  synchronously (the ceiling on the frame rate);
- typed change -> both views redrawn: from handing a new formula to the formula field until the contour
  and 3-D views have both painted the new surface (compile in the worker process, 8 trajectories, redraw),
  for a few standard test functions.
Targets (issue 4): >= 60 fps; typed change -> redrawn <= 100 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QObject  # noqa: E402

from explorer.model import Comparison  # noqa: E402
from explorer.runs import RunSpec  # noqa: E402
from explorer.surface import compile_surface  # noqa: E402

SIZE = (1600, 1000)
PLAY_SECONDS = 3.0
FUNCTIONS = {
    "sphere": "x^2 + y^2",
    "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
    "himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "beale": "(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
    "rastrigin": "20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y)",
}


class PaintCounter(QObject):
    """Counts paint events reaching a widget (for a QOpenGLWidget: one per paintGL)."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        self.last = 0.0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self.last = time.perf_counter()
        return False


def eight_runs() -> list[RunSpec]:
    configs = [("sgd", {"lr": 1e-3}), ("sgd", {"lr": 1e-3, "momentum": 0.9}), ("adam", {"lr": 0.05}),
               ("rmsprop", {"lr": 0.01}), ("adagrad", {"lr": 0.5}), ("nadam", {"lr": 0.05}),
               ("adamw", {"lr": 0.05}), ("sgd", {"lr": 5e-4, "momentum": 0.95, "nesterov": True})]
    starts = [(-1.5, 2.0), (-1.0, 2.5), (1.5, 2.5), (-1.8, -0.5), (0.5, -0.8), (1.8, 0.5), (-0.5, 2.8),
              (1.0, 1.5)]
    return [RunSpec(f"{name} {k}", name, start, params)
            for k, ((name, params), start) in enumerate(zip(configs, starts, strict=True))]


def main() -> None:
    from widgets.app import apply_theme, create_app
    from widgets.main_window import MainWindow

    app = create_app()
    apply_theme(app, "light")
    from explorer import compile_worker

    compile_worker.start()
    model = Comparison(compile_surface(FUNCTIONS["rosenbrock"]), eight_runs(), x_range=(-2, 2),
                       y_range=(-1, 3), default_steps=2000, tolerance=0.0)
    window = MainWindow(model)
    window.resize(*SIZE)
    window.show()
    contour = PaintCounter(window.contour_view.viewport())
    surface = PaintCounter(window.surface_view)

    def spin(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()

    spin(1.0)
    print(f"window {SIZE[0]}x{SIZE[1]}, 8 runs x {model.max_step} steps, both views visible")

    # --- timer-driven playback, as the user sees it
    bar = window.playback
    bar.set_speed(500)
    model.set_step(0)
    c0, s0, k0 = contour.count, surface.count, model.step
    bar.play()
    t0 = time.perf_counter()
    spin(PLAY_SECONDS)
    elapsed = time.perf_counter() - t0
    bar.pause()
    fps_c, fps_s = (contour.count - c0) / elapsed, (surface.count - s0) / elapsed
    print(f"playback at 500 steps/s: {fps_c:.1f} fps contour, {fps_s:.1f} fps 3-D "
          f"({(model.step - k0) / elapsed:.0f} steps/s shown)")

    # --- one step as fast as it goes: model update, every view's handler, paint and composition
    times = []
    for k in range(100):
        t = time.perf_counter()
        model.set_step(3 * k + 1)
        app.processEvents()
        times.append(time.perf_counter() - t)
    per = statistics.median(times) * 1000
    print(f"one step, updated and painted (set_step + processEvents): median {per:.1f} ms "
          f"(ceiling {1000 / per:.0f} fps), p90 {sorted(times)[int(0.9 * len(times))] * 1000:.1f} ms")

    # --- typed change -> both views redrawn
    editor = window.expression_editor
    for name, text in [*FUNCTIONS.items()][::-1] * 2:
        changed: dict[str, float] = {}

        def mark(changed=changed) -> None:
            changed.setdefault("t", time.perf_counter())

        def mark_paths(_index, changed=changed) -> None:
            changed["paths"] = time.perf_counter()

        model.surface_changed.connect(mark)
        model.trajectories_changed.connect(mark_paths)
        spin(0.2)
        t = time.perf_counter()
        editor.set_text(text + " ")   # a new text each time (the trailing space keeps it different)
        deadline, drawn = t + 20, None
        while time.perf_counter() < deadline:
            app.processEvents()
            tc, tt = changed.get("t"), changed.get("paths", 0.0)
            if tc and drawn is None and contour.last > tc and surface.last > tc:
                drawn = max(contour.last, surface.last)
            if drawn and not model.pending and contour.last > tt and surface.last > tt:
                break
        paths = max(contour.last, surface.last)
        compiled = changed.get("t", float("nan")) - t
        print(f"typed change -> both views redrawn, {name:10s}: {(drawn - t) * 1000:6.1f} ms "
              f"(compile {compiled * 1000:5.1f} ms); 8 x {model.max_step} steps of paths in: "
              f"{(paths - t) * 1000:6.0f} ms")
        model.surface_changed.disconnect(mark)
        model.trajectories_changed.disconnect(mark_paths)
        editor.set_text(FUNCTIONS["sphere"] if name != "sphere" else FUNCTIONS["rosenbrock"])
        spin(0.3)
        while model.pending:
            app.processEvents()
    document = getattr(window, "document", None)
    if document is not None:
        document.set_modified(False)   # closing must not ask to save the benchmark's edits
    window.close()
    compile_worker.shutdown()


if __name__ == "__main__":
    main()
