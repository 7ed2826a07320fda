"""Work that must not block the GUI: compiling typed formulas and simulating long runs.

Both helpers run jobs on their own :class:`QThreadPool` and bring results back to the GUI thread through a
queued signal on a small relay object. The newest request wins: a result that is no longer wanted when it
arrives is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from explorer.expression import ExpressionError
from explorer.model import Comparison, RecomputeJob

COMPILE_TIMEOUT = 5.0       # seconds of symbolic work allowed per formula
BACKGROUND_DELAY_MS = 40    # background simulations start after the views had a chance to draw
CANCEL_AFTER = 0.3          # a request superseded and still running after this long is cancelled
INLINE_STEP_BUDGET = 1_000  # steps per request simulated at once on the GUI thread (~10-50 ms); more: thread


class _Relay(QObject):
    """Lives on the GUI thread; worker threads emit, the connected slot runs on the GUI thread."""

    done = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, tag: Any) -> None:
        super().__init__()
        self._fn, self._relay, self._tag = fn, relay, tag
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result, error = self._fn(), None
        except Exception as exc:  # handed back to the GUI thread, which decides what to show
            result, error = None, exc
        self._relay.done.emit((self._tag, result, error))


def _compile(text: str, parameters: Mapping[str, float]):
    from explorer.surface import compile_surface

    return compile_surface(text, dict(parameters), timeout=COMPILE_TIMEOUT)


class CompileWorker(QObject):
    """Compiles formulas off the GUI thread; only the newest request's result is reported.

    Requests that arrive while one is compiling are coalesced: only the newest waits, and it starts as
    soon as the one in flight ends (cancelled when it has run longer than ``CANCEL_AFTER``).
    Signals: ``compiled(text, surface)``, ``failed(text, ExpressionError)``, ``busy_changed(bool)``.
    """

    compiled = Signal(str, object)
    failed = Signal(str, object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None,
                 compile_fn: Callable[[str, Mapping[str, float]], Any] = _compile) -> None:
        super().__init__(parent)
        self._compile_fn = compile_fn
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._finished)
        self._latest = 0
        self._in_flight: tuple[int, float] | None = None  # (request id, start time)
        self._waiting: tuple[int, str, dict] | None = None
        self._cancel_timer = QTimer(self, singleShot=True, interval=int(CANCEL_AFTER * 1000))
        self._cancel_timer.timeout.connect(self._maybe_cancel)

    @property
    def busy(self) -> bool:
        return self._in_flight is not None

    def request(self, text: str, parameters: Mapping[str, float] | None = None) -> int:
        """Compile ``text``; returns the request id. Supersedes every earlier request."""
        self._latest += 1
        self._waiting = (self._latest, text, dict(parameters or {}))
        if self._in_flight is None:
            self._start_waiting()
        else:
            self._cancel_timer.start()
        return self._latest

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until the pool is idle (used at shutdown and by benchmarks)."""
        return self._pool.waitForDone(msecs)

    def _start_waiting(self) -> None:
        request_id, text, parameters = self._waiting
        self._waiting = None
        was_busy = self.busy
        self._in_flight = (request_id, time.monotonic())
        fn = self._compile_fn
        self._pool.start(_Task(lambda: fn(text, parameters), self._relay, (request_id, text)))
        if not was_busy:
            self.busy_changed.emit(True)

    def _maybe_cancel(self) -> None:
        if self._in_flight is not None and self._waiting is not None:
            from explorer import compile_worker

            compile_worker.cancel()

    def _finished(self, payload) -> None:
        (request_id, text), surface, error = payload
        self._in_flight = None
        if self._waiting is not None:
            self._start_waiting()
        elif request_id == self._latest:
            self.busy_changed.emit(False)
        if request_id != self._latest:
            return  # stale: a newer request is already on its way
        if error is None:
            self.compiled.emit(text, surface)
        elif isinstance(error, ExpressionError):
            self.failed.emit(text, error)
        else:
            self.failed.emit(text, ExpressionError(f"could not compile: {error}", 0, len(text)))


class RecomputeWorker(QObject):
    """Keeps a :class:`Comparison`'s trajectories current, simulating off the GUI thread.

    Switches the model to ``synchronous = False`` and answers its ``needs_recompute``: runs are computed
    at once on the GUI thread while their steps add up to at most ``inline_steps`` (a drag of the lr slider
    on a short run stays instant and flicker-free), the rest on a worker thread, so a new surface is drawn
    at once and its paths follow. Stale results are dropped by :meth:`Comparison.set_trajectory`.
    """

    def __init__(self, model: Comparison, parent: QObject | None = None, *,
                 inline_steps: int = INLINE_STEP_BUDGET) -> None:
        super().__init__(parent)
        self._model = model
        self._inline_steps = inline_steps
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)   # the engine is GIL-bound: more threads would only contend
        self._relay = _Relay(self)
        self._relay.done.connect(self._finished)
        model.synchronous = False
        model.needs_recompute.connect(self._schedule)

    def detach(self) -> None:
        """Stop listening (the model goes back to computing synchronously) and wait for running jobs."""
        self._model.needs_recompute.disconnect(self._schedule)
        self._model.synchronous = True
        self._pool.waitForDone(30_000)

    def wait(self, msecs: int = 30_000) -> bool:
        return self._pool.waitForDone(msecs)

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

    def _start(self, jobs: list[RecomputeJob]) -> None:
        for job in jobs:
            if self._model.wants(job.revision):   # not superseded while we waited
                self._pool.start(_Task(lambda job=job: _run(job), self._relay, job))

    def _finished(self, payload) -> None:
        job, result, error = payload
        if error is not None:  # _run catches the expected errors; anything else is a bug worth seeing
            raise error
        self._deliver(job, *result)

    def _deliver(self, job: RecomputeJob, trajectory, message: str | None) -> None:
        self._model.set_trajectory(job.index, trajectory, revision=job.revision, error=message)


def _run(job: RecomputeJob):
    try:
        return job.compute(), None
    except (ValueError, ArithmeticError) as exc:
        return None, str(exc)


class Throttle(QObject):
    """Call ``fn`` at most once per ``interval_ms``: the first call runs at once, later ones within the
    interval are merged into one trailing call (numbers in a table need not change 60 times a second).
    """

    def __init__(self, fn: Callable[[], Any], interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._pending = False
        self._timer = QTimer(self, singleShot=True, interval=interval_ms)
        self._timer.timeout.connect(self._fire)

    def __call__(self, *_args) -> None:
        if self._timer.isActive():
            self._pending = True
            return
        self._fn()
        self._timer.start()

    def _fire(self) -> None:
        if self._pending:
            self._pending = False
            self._fn()
            self._timer.start()
