"""Keeps a :class:`~explorer.model.Comparison`'s trajectories current without freezing the window.

:class:`TrajectoryUpdater` switches the model to ``synchronous = False`` and answers its ``needs_recompute``.
The compiled engine runs 8 racers x 2,000 steps on a formula in a few milliseconds, so work is placed by what
it will *cost*, not by how many steps it has: runs are computed at once on the GUI thread, and delivered in
one ``trajectories_changed``, while their estimated cost adds up to at most :data:`FRAME_BUDGET` (dragging a
start redraws its path in the same frame; a typed formula brings all its paths with its surface). The
estimate is steps x seconds per step, measured on the current surface by the runs already computed (before
any was: a prior that grows with the data rows a loss averages over). Only what would not fit a frame — a
loss over thousands of rows, very long runs — goes to the job runner's ``trajectories`` queue, in chunks of
about :data:`CHUNK_SECONDS` whose results arrive together (one redraw per chunk, not one per run). Each
job is skipped if its run was edited again before it started; the model drops results whose revision is
no longer current, so the newest request wins.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

from explorer.model import Comparison, RecomputeJob
from widgets import jobs

FRAME_BUDGET = 0.030         # seconds of simulation run at once on the GUI thread per request
PRIOR_STEP_SECONDS = 5e-6    # per step on a surface not timed yet (the compiled engine: 0.1-2 µs on a formula)
PRIOR_ROW_SECONDS = 5e-8     # ... and per step and data row a loss averages over
CHUNK_SECONDS = 0.1          # background runs are delivered together in chunks of about this much work
BACKGROUND_DELAY_MS = 40     # background simulations start after the views had a chance to draw


def _run(job: RecomputeJob):
    try:
        return job.compute(), None
    except (ValueError, ArithmeticError) as exc:
        return None, str(exc)


def _rows(surface) -> int:
    data = getattr(surface, "data", None)
    rows = getattr(data, "rows", None)
    return 0 if rows is None else len(rows)


def _cost_key(surface) -> tuple:
    """What a step's cost depends on: the formula and the number of data rows. A dragged data point or a moved
    slider makes a new surface at every mouse move (``with_data``, ``with_parameters``) with the same formula:
    the time measured on the previous one still holds (keyed on the surface itself, every move fell back to
    the prior, which at 1,000 rows is twenty times the real cost, and sent all but one racer off the GUI thread)."""
    symbolic = getattr(surface, "symbolic", None)
    return (surface if symbolic is None else symbolic, _rows(surface))


def _same_key(a: tuple, b: tuple) -> bool:
    return a[0] is b[0] and a[1] == b[1]


class TrajectoryUpdater(QObject):
    """See the module docstring. :meth:`detach` hands the model back to synchronous computing."""

    def __init__(self, model: Comparison, parent: QObject | None = None, *,
                 frame_budget: float = FRAME_BUDGET) -> None:
        super().__init__(parent)
        self._model = model
        self.frame_budget = frame_budget
        self._timed: tuple[tuple, float] | None = None    # (_cost_key(surface), seconds per step measured on it)
        self.channel = jobs.channel(self, "trajectories", latest_only=False, priority=1)
        self.channel.finished.connect(self._deliver)
        model.synchronous = False
        model.needs_recompute.connect(self._schedule)

    def detach(self) -> None:
        """Stop listening (the model goes back to computing synchronously); pending jobs are dropped."""
        self._model.needs_recompute.disconnect(self._schedule)
        self._model.synchronous = True
        self.channel.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        return self.channel.wait(msecs)

    def seconds_per_step(self, surface) -> float:
        """What one step of one run is expected to cost on ``surface`` (measured, else the prior)."""
        if self._timed is not None and _same_key(self._timed[0], _cost_key(surface)):
            return self._timed[1]
        return PRIOR_STEP_SECONDS + PRIOR_ROW_SECONDS * _rows(surface)

    def _measured(self, surface, seconds: float, steps: int) -> None:
        per_step = seconds / max(steps, 1)
        key = _cost_key(surface)
        if self._timed is not None and _same_key(self._timed[0], key):
            per_step = max(per_step, 0.5 * self._timed[1])    # the costliest optimizer seen lately counts
        self._timed = (key, per_step)

    def _schedule(self, indices: list[int]) -> None:
        inline, background, spent = [], [], 0.0
        for i in indices:
            job = self._model.recompute_job(i)
            if job.surface is None:
                inline.append((job.revision, None, None))
                continue
            estimate = job.steps * self.seconds_per_step(job.surface)
            if spent + estimate > self.frame_budget:
                background.append((job, estimate))
                continue
            start = time.perf_counter()
            inline.append((job.revision, *_run(job)))
            elapsed = time.perf_counter() - start
            spent += elapsed
            self._measured(job.surface, elapsed, job.steps)
        self._model.set_trajectories(inline)   # one redraw for all the runs computed now
        if background:
            # let the views draw the new state first: the engine thread would contend for the GIL
            QTimer.singleShot(BACKGROUND_DELAY_MS, self, lambda: self._start(background))

    def _start(self, background: list[tuple[RecomputeJob, float]]) -> None:
        model = self._model
        chunks, chunk, cost = [], [], 0.0
        for job, estimate in background:
            if not model.wants(job.revision):   # superseded while we waited
                continue
            chunk.append(job)
            cost += estimate
            if cost >= CHUNK_SECONDS:
                chunks.append(chunk)
                chunk, cost = [], 0.0
        if chunk:
            chunks.append(chunk)
        for chunk in chunks:

            def work(progress, cancelled, chunk=chunk):
                results, timings = [], []
                for job in chunk:
                    if cancelled():
                        break
                    if model.wants(job.revision):
                        start = time.perf_counter()
                        results.append((job.revision, *_run(job)))
                        timings.append((job.surface, time.perf_counter() - start, job.steps))
                return results, timings

            self.channel.submit(work)

    def _deliver(self, payload) -> None:
        results, timings = payload
        # runs timed off the GUI thread count too: the estimate that sent them there is corrected (a slow
        # first measurement, say while the kernels loaded, kept every later run off the GUI thread)
        for surface, seconds, steps in timings:
            self._measured(surface, seconds, steps)
        if results:
            self._model.set_trajectories(results)
