"""Keeps a :class:`~explorer.model.Comparison`'s trajectories current without freezing the window.

:class:`TrajectoryUpdater` switches the model to ``synchronous = False`` and answers its ``needs_recompute``:
runs are computed at once on the GUI thread while their steps add up to at most ``inline_steps`` (a drag of
the lr slider on a short run stays instant and flicker-free); longer ones go to the job runner's
``trajectories`` queue, one job per run, each skipped if the run was edited again before it started. The
model drops results whose revision is no longer current, so the newest request wins.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from explorer.model import Comparison, RecomputeJob
from widgets import jobs

INLINE_STEP_BUDGET = 1_000  # steps per request simulated at once on the GUI thread (~10-50 ms); more: worker
BACKGROUND_DELAY_MS = 40    # background simulations start after the views had a chance to draw


def _run(job: RecomputeJob):
    try:
        return job.compute(), None
    except (ValueError, ArithmeticError) as exc:
        return None, str(exc)


class TrajectoryUpdater(QObject):
    """See the module docstring. :meth:`detach` hands the model back to synchronous computing."""

    def __init__(self, model: Comparison, parent: QObject | None = None, *,
                 inline_steps: int = INLINE_STEP_BUDGET) -> None:
        super().__init__(parent)
        self._model = model
        self._inline_steps = inline_steps
        self.channel = jobs.channel(self, "trajectories", latest_only=False)
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

    def _schedule(self, indices: list[int]) -> None:
        inline, background, budget = [], [], self._inline_steps
        for i in indices:
            job = self._model.recompute_job(i)
            if job.surface is None:
                inline.append((job.revision, None, None))
            elif job.steps <= budget:
                budget -= job.steps
                inline.append((job.revision, *_run(job)))
            else:
                background.append(job)
        self._model.set_trajectories(inline)   # one redraw for all the short runs
        if background:
            # let the views draw the new state first: the engine thread would contend for the GIL
            QTimer.singleShot(BACKGROUND_DELAY_MS, self, lambda: self._start(background))

    def _start(self, background: list[RecomputeJob]) -> None:
        model = self._model
        for job in background:
            if not model.wants(job.revision):   # superseded while we waited
                continue

            def work(progress, cancelled, job=job):
                if cancelled() or not model.wants(job.revision):
                    return job, None, None, False
                return (job, *_run(job), True)

            self.channel.submit(work)

    def _deliver(self, payload) -> None:
        job, trajectory, message, computed = payload
        if computed:
            self._model.set_trajectory(job.index, trajectory, revision=job.revision, error=message)
