"""Symbolic work in a separate process, with a time and a memory limit.

A pathological expression (a tower of nested functions whose derivative explodes) must not freeze the app
or the command line. One long-lived worker process parses and differentiates and sends back the picklable
:class:`~explorer.surface.Symbolic`. Past the time limit, or when :func:`cancel` is called because a newer
request superseded this one, the worker is killed (and a fresh one started on the next request) and an
:class:`ExpressionError` says why. Its address space is capped (:data:`MEMORY_LIMIT` above what it holds
after start-up), so runaway symbolic work ends in MemoryError there, never in the caller.

The worker is a plain ``python -c`` subprocess speaking length-prefixed pickles over its stdin/stdout — not
a ``multiprocessing`` child, which would re-import the caller's ``__main__`` (a script without a
``if __name__ == "__main__"`` guard, or ``python -c``, would break or run twice).
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading

from explorer.expression import ExpressionError

MEMORY_LIMIT = 1 << 30  # bytes of address space the worker may add to what it holds after start-up
_HEADER = struct.Struct("<Q")

_request_lock = threading.Lock()  # one request at a time
_state_lock = threading.Lock()  # guards _proc/_replies
_proc: subprocess.Popen | None = None
_replies: queue.Queue | None = None
_cancelled = threading.Event()


# ------------------------------------------------------------------------------------------- the worker side

def _limit_memory() -> None:
    """Cap the worker's address space (Linux), so a formula whose symbolic work explodes ends in MemoryError
    ("too complex") instead of swapping the machine. Where it cannot be set, the time limit still holds."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            vm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = vm + MEMORY_LIMIT
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError, StopIteration):
        pass


def _read_frame(stream) -> bytes | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    body = stream.read(size)
    return body if len(body) == size else None


def _write_frame(stream, payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _answer(text: str, names, options):
    from explorer.surface import symbolic

    try:
        sym = symbolic(text, names, **options)
        sym.latex  # noqa: B018 — made here, off the GUI thread, and pickled with the result
        return ("ok", sym)
    except ExpressionError as exc:
        return ("error", exc)
    except RecursionError:
        return ("error", ExpressionError("the expression is too complex", 0, len(text)))
    except MemoryError:
        return ("error", ExpressionError(f"this expression is too complex: its symbolic work needed more than "
                                         f"{MEMORY_LIMIT >> 20:,} MB", 0, len(text)))
    except Exception as exc:  # report, never crash the parent
        return ("error", ExpressionError(f"the expression could not be processed ({exc})", 0, len(text)))


def serve() -> None:
    """The worker's loop: read a request, answer it, until stdin closes."""
    import explorer.surface  # noqa: F401 — import sympy before the memory cap and the first request

    _limit_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the reply stream
    while True:
        frame = _read_frame(stdin)
        if frame is None:
            return
        text, names, options = pickle.loads(frame)
        try:
            reply = pickle.dumps(_answer(text, names, options))
        except MemoryError:
            reply = pickle.dumps(("error", ExpressionError("this expression is too complex", 0, len(text))))
        _write_frame(stdout, reply)


# ------------------------------------------------------------------------------------------- the caller side

def _ensure_worker() -> tuple[subprocess.Popen, queue.Queue]:
    global _proc, _replies
    with _state_lock:
        if _proc is None or _proc.poll() is not None:
            env = dict(os.environ, GDE_SYS_PATH=os.pathsep.join(p for p in sys.path if p))
            code = ("import os, sys; sys.path[:0] = [p for p in os.environ.pop('GDE_SYS_PATH', '').split("
                    "os.pathsep) if p]; from explorer.compile_worker import serve; serve()")
            proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    env=env, close_fds=True)
            replies: queue.Queue = queue.Queue()

            def read(stream=proc.stdout, out=replies):
                while True:
                    frame = _read_frame(stream)
                    out.put(frame)
                    if frame is None:
                        return

            threading.Thread(target=read, name="gde-compile-reader", daemon=True).start()
            _proc, _replies = proc, replies
        return _proc, _replies


def _kill_worker() -> None:
    global _proc, _replies
    with _state_lock:
        proc, _proc, _replies = _proc, None, None
    if proc is not None:
        proc.kill()
        try:
            proc.wait(2.0)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


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

    options : keyword arguments of :func:`~explorer.surface.symbolic` (variables, columns, free_parameters).
    The time counts from the request, not from the worker's start-up.
    """
    options = {k: v if isinstance(v, bool) else tuple(v) for k, v in options.items()}
    with _request_lock:
        _cancelled.clear()
        proc, replies = _ensure_worker()
        try:
            _write_frame(proc.stdin, pickle.dumps((text, tuple(names), options)))
        except (OSError, ValueError):
            _kill_worker()
            raise ExpressionError("the expression is too complex (the worker stopped)", 0, len(text)) from None
        waited = 0.0
        while True:
            try:
                frame = replies.get(timeout=0.05)
                break
            except queue.Empty:
                waited += 0.05
            if _cancelled.is_set():
                _kill_worker()
                raise ExpressionError("cancelled: a newer expression replaced this one", 0, len(text))
            if waited >= timeout:
                _kill_worker()
                raise ExpressionError(
                    f"this expression is too complex: differentiating it took longer than {timeout:g} s",
                    0, len(text))
        if frame is None:
            _kill_worker()
            raise ExpressionError("the expression is too complex (the worker stopped)", 0, len(text))
        status, payload = pickle.loads(frame)
    if status == "error":
        raise payload
    return payload
