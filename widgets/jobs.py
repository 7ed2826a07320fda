"""The window's one background-job runner: work longer than a frame runs here, off the GUI thread.

Every consumer (the formula field's compiler, the trajectories, the analysis layer, basin maps, learning-rate
sweeps, noise fans, the maths typesetting, gallery thumbnails) owns a :class:`JobChannel` and submits plain
callables ``fn(progress, cancelled)`` to it::

    channel = jobs.channel(self, "basins")            # a QObject child of ``self``: dies with it
    channel.finished.connect(self._on_result)         # on the GUI thread
    channel.submit(lambda progress, cancelled: basin_map(..., progress=progress, cancel=cancelled))

``progress(fraction)`` may be called from the job; ``cancelled()`` turns True once the job is superseded or
the channel is cancelled. Two kinds of channel:

- ``latest_only=True`` (default): the newest submission wins. One job runs at a time; a submission while one
  runs waits (replacing any older waiting one) and marks the running one cancelled; only the newest job's
  outcome is reported. ``on_superseded`` is called when a superseded job is still running ``cancel_after_ms``
  later (the compiler kills its worker process then).
- ``latest_only=False``: a queue; every job's outcome is reported, in order (each job checks itself whether
  it is still wanted, e.g. the model's revision of a run).

Two options order the work when the pool is busy:

- ``settle_ms``: a job starts only once no newer one was submitted to the channel for this long. Analysis,
  learning-rate sweeps and other answers nobody reads while the mouse moves wait until a drag stands still,
  instead of taking the pool (and the GIL) from the paths that follow the mouse; ``busy`` and :meth:`wait`
  count a settling job as waiting.
- ``priority``: the pool's queue order (higher first), e.g. the trajectories of a drag before a typesetting.

All channels share one :class:`QThreadPool` (:data:`THREADS` threads: the engine's kernels release the GIL
and run beside the GUI thread on a second core, but sympy and the Python around the kernels hold it, so more
threads would only contend). Results come back through a queued signal and are dropped when the channel's
owner is gone. :func:`shutdown` cancels everything and waits (called when the app quits).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal

THREADS = 2
CANCEL_AFTER_MS = 300
SETTLE_MS = 250     # the settling channels' quiet period: answers come a quarter second after the mouse stops

Job = Callable[[Callable[[float], None], Callable[[], bool]], Any]


class Cancelled(Exception):
    """Raised by a job that noticed ``cancelled()``; never reported as a failure."""


class _Ticket:
    __slots__ = ("cancelled", "fn", "number", "started")

    def __init__(self, number: int, fn: Job) -> None:
        self.number, self.fn = number, fn
        self.cancelled = False
        self.started = 0.0


class _Relay(QObject):
    """Lives on the GUI thread; worker threads emit, the slots run on the GUI thread."""

    done = Signal(object, object, object, object)   # channel, ticket, result, error
    progressed = Signal(object, object, float)      # channel, ticket, fraction


class _Task(QRunnable):
    def __init__(self, channel: JobChannel, ticket: _Ticket, relay: _Relay) -> None:
        super().__init__()
        self.channel, self.ticket, self.relay = channel, ticket, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        ticket = self.ticket
        ticket.started = time.monotonic()
        try:
            if ticket.cancelled:
                raise Cancelled
            result, error = ticket.fn(lambda f: self.relay.progressed.emit(self.channel, ticket, float(f)),
                                      lambda: ticket.cancelled), None
        except BaseException as exc:  # handed to the GUI thread, which decides what to show
            result, error = None, exc
        self.relay.done.emit(self.channel, ticket, result, error)


class JobRunner(QObject):
    """The shared pool and the relay that brings results back to the GUI thread (see the module docstring)."""

    def __init__(self, parent: QObject | None = None, threads: int = THREADS) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._relay = _Relay(self)
        self._relay.done.connect(self._done)
        self._relay.progressed.connect(self._progressed)
        self._channels: list[JobChannel] = []

    def channel(self, owner: QObject, name: str, **options) -> JobChannel:
        channel = JobChannel(self, name, owner, **options)
        self._channels.append(channel)
        channel.destroyed.connect(lambda *_: self._forget(channel))
        return channel

    def _forget(self, channel: JobChannel) -> None:
        if channel in self._channels:
            self._channels.remove(channel)

    def start(self, channel: JobChannel, ticket: _Ticket) -> None:
        self.pool.start(_Task(channel, ticket, self._relay), channel.priority)

    @property
    def busy(self) -> bool:
        return self.pool.activeThreadCount() > 0 or any(c.busy for c in self._alive())

    def _alive(self) -> list[JobChannel]:
        return [c for c in self._channels if shiboken6.isValid(c)]

    def cancel_all(self) -> None:
        for channel in self._alive():
            channel.cancel()

    def wait_idle(self, msecs: int = 30_000) -> bool:
        """Process events until no job runs or waits (results are delivered meanwhile); False on timeout."""
        deadline = time.monotonic() + msecs / 1000
        while self.busy:
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents()
            self.pool.waitForDone(5)
        QCoreApplication.processEvents()
        return True

    def _done(self, channel, ticket, result, error) -> None:
        if shiboken6.isValid(channel):
            channel._finished(ticket, result, error)

    def _progressed(self, channel, ticket, fraction) -> None:
        if shiboken6.isValid(channel):
            channel._progressed(ticket, fraction)


class JobChannel(QObject):
    """One consumer's stream of jobs (see the module docstring). Signals arrive on the GUI thread."""

    finished = Signal(object)     # the job's return value
    failed = Signal(object)       # the exception it raised (not Cancelled)
    progress = Signal(float)      # fraction done, 0 … 1
    busy_changed = Signal(bool)

    def __init__(self, runner: JobRunner, name: str, owner: QObject, *, latest_only: bool = True,
                 on_superseded: Callable[[], None] | None = None, cancel_after_ms: int = CANCEL_AFTER_MS,
                 settle_ms: int = 0, priority: int = 0) -> None:
        super().__init__(owner)
        self.setObjectName(name)
        self._runner = runner
        self.latest_only = latest_only
        self.priority = priority
        self._settle = QTimer(self, singleShot=True, interval=settle_ms) if settle_ms > 0 else None
        if self._settle is not None:
            self._settle.timeout.connect(self._settled)
        self._numbers = 0
        self._running: list[_Ticket] = []
        self._waiting: list[_Ticket] = []
        self._on_superseded = on_superseded
        self._supersede_timer = QTimer(self, singleShot=True, interval=cancel_after_ms)
        self._supersede_timer.timeout.connect(self._maybe_superseded)
        self._busy = False

    # ------------------------------------------------------------------ API
    @property
    def busy(self) -> bool:
        """True while a job of this channel that is still wanted runs or waits (a cancelled one may still be
        winding down on its thread; its outcome will not be reported)."""
        return any(not t.cancelled for t in self._running + self._waiting)

    def submit(self, fn: Job) -> int:
        """Run ``fn(progress, cancelled)`` off the GUI thread; returns the job's number."""
        self._numbers += 1
        ticket = _Ticket(self._numbers, fn)
        if self._settle is not None:
            self._settle.start()          # (re)started: the job waits until submissions stop for settle_ms
        if self.latest_only:
            for old in self._running + self._waiting:
                old.cancelled = True
            self._waiting = [ticket]
            if self._running:
                if self._on_superseded is not None:
                    self._supersede_timer.start()
            else:
                self._start_next()
        else:
            self._waiting.append(ticket)
            if not self._running:
                self._start_next()
        self._set_busy()
        return ticket.number

    def cancel(self) -> None:
        """Drop every running and waiting job's outcome (and ask them to stop)."""
        for ticket in self._running + self._waiting:
            ticket.cancelled = True
        self._waiting = []
        self._numbers += 1          # anything still running reports into the void
        self._set_busy()

    def wait(self, msecs: int = 30_000) -> bool:
        """Process events until this channel is idle (its results delivered); False on timeout."""
        deadline = time.monotonic() + msecs / 1000
        while self.busy:
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents()
            self._runner.pool.waitForDone(5)
        return True

    # ------------------------------------------------------------------ internals
    def _settled(self) -> None:
        if not self._running:
            self._start_next()

    def _start_next(self) -> None:
        if not self._waiting or self._settle is not None and self._settle.isActive():
            return
        ticket = self._waiting.pop(0)
        self._running.append(ticket)
        self._runner.start(self, ticket)

    def _set_busy(self) -> None:
        busy = self.busy
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def _maybe_superseded(self) -> None:
        if any(t.cancelled for t in self._running) and self._waiting and self._on_superseded is not None:
            self._on_superseded()

    def _progressed(self, ticket: _Ticket, fraction: float) -> None:
        if not ticket.cancelled and ticket.number == self._numbers or not self.latest_only:
            self.progress.emit(fraction)

    def _finished(self, ticket: _Ticket, result, error) -> None:
        if ticket in self._running:
            self._running.remove(ticket)
        wanted = not ticket.cancelled and (ticket.number == self._numbers or not self.latest_only)
        self._start_next()
        self._set_busy()
        if not wanted or isinstance(error, Cancelled) or _is_cancelled(error):
            return
        if error is None:
            self.finished.emit(result)
        elif isinstance(error, Exception):
            self.failed.emit(error)
        else:
            raise error


def _is_cancelled(error) -> bool:
    """The engine's own Cancelled (explorer.simulation.Cancelled) counts as a cancellation too."""
    return error is not None and type(error).__name__ == "Cancelled"


_runner: JobRunner | None = None


def runner() -> JobRunner:
    """The application's runner (made on first use, owned by the QCoreApplication)."""
    global _runner
    if _runner is None or not shiboken6.isValid(_runner):
        app = QCoreApplication.instance()
        _runner = JobRunner(app)
        if app is not None:
            app.aboutToQuit.connect(shutdown)
    return _runner


def channel(owner: QObject, name: str, **options) -> JobChannel:
    """A new :class:`JobChannel` of the application's runner, owned by ``owner``."""
    return runner().channel(owner, name, **options)


def shutdown(msecs: int = 30_000) -> bool:
    """Cancel every job and wait for the threads to end (results are not delivered)."""
    if _runner is None or not shiboken6.isValid(_runner):
        return True
    _runner.cancel_all()
    return _runner.pool.waitForDone(msecs)
