"""Symbolic work in a separate process, with a time limit.

A pathological expression (a tower of nested functions whose derivative explodes) must not freeze the app.
One long-lived worker process (started with ``forkserver``, so it never inherits the GUI's threads) parses
and differentiates and sends back the picklable :class:`~explorer.surface.Symbolic`. Past the time limit,
or when :func:`cancel` is called because a newer request superseded this one, the worker is killed (and a
fresh one started on the next request) and an :class:`ExpressionError` says why.
"""

from __future__ import annotations

import multiprocessing as mp
import threading

from explorer.expression import ExpressionError

_request_lock = threading.Lock()  # one request at a time
_state_lock = threading.Lock()  # guards _proc/_conn
_proc = None
_conn = None
_cancelled = threading.Event()


def _serve(conn) -> None:
    from explorer.surface import symbolic

    while True:
        try:
            text, names, options = conn.recv()
        except (EOFError, OSError):
            return
        try:
            sym = symbolic(text, names, **options)
            sym.latex  # noqa: B018 — made here, off the GUI thread, and pickled with the result
            result = ("ok", sym)
        except ExpressionError as exc:
            result = ("error", exc)
        except (RecursionError, MemoryError):
            result = ("error", ExpressionError("the expression is too complex", 0, len(text)))
        except Exception as exc:  # report, never crash the parent
            result = ("error", ExpressionError(f"the expression could not be processed ({exc})", 0, len(text)))
        conn.send(result)


def _ensure_worker():
    global _proc, _conn
    with _state_lock:
        if _proc is None or not _proc.is_alive():
            ctx = mp.get_context("forkserver")
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="gde-compile-worker")
            proc.start()
            child.close()
            _proc, _conn = proc, parent
        return _conn


def _kill_worker() -> None:
    global _proc, _conn
    with _state_lock:
        proc, conn, _proc, _conn = _proc, _conn, None, None
    if proc is not None:
        proc.kill()
        proc.join(2.0)
    if conn is not None:
        conn.close()


def start() -> None:
    """Start the worker ahead of the first request (it takes ~0.5 s to import sympy)."""
    _ensure_worker()


def cancel() -> None:
    """Abandon the request in flight, if any (a newer one replaces it); it raises ExpressionError."""
    if _request_lock.locked():
        _cancelled.set()


def shutdown() -> None:
    _kill_worker()


def symbolic_with_timeout(text: str, names: tuple[str, ...], timeout: float, **options):
    """Run :func:`explorer.surface.symbolic` in the worker; raise ExpressionError past ``timeout`` s.

    options : keyword arguments of :func:`~explorer.surface.symbolic` (variables, columns).
    """
    with _request_lock:
        _cancelled.clear()
        conn = _ensure_worker()
        conn.send((text, tuple(names), {k: v if isinstance(v, bool) else tuple(v) for k, v in options.items()}))
        waited = 0.0
        while not conn.poll(0.05):
            waited += 0.05
            if _cancelled.is_set():
                _kill_worker()
                raise ExpressionError("cancelled: a newer expression replaced this one", 0, len(text))
            if waited >= timeout:
                _kill_worker()
                raise ExpressionError(
                    f"this expression is too complex: differentiating it took longer than {timeout:g} s",
                    0, len(text))
        try:
            status, payload = conn.recv()
        except (EOFError, OSError):
            _kill_worker()
            raise ExpressionError("the expression is too complex (the worker stopped)", 0, len(text)) from None
    if status == "error":
        raise payload
    return payload
