"""The numba set-up shared by the compiled engine: one decorator, :func:`kernel`, for every compiled function.

``kernel`` is ``numba.njit`` with ``error_model="numpy"`` (division by zero and domain errors give inf/nan,
never an exception: a loss surface may overflow anywhere), ``nogil=True`` (a kernel releases the GIL while it
runs, so the window's worker threads compute paths and grids while the GUI thread paints, on another core) and
a disk cache (``cache=True``), with three additions:

- **One stamp for the whole engine.** numba keys a cached function on its own source file only, so a cached
  driver would keep the old copy of a kernel it calls from another file after that file changed (numba's
  documented cache-invalidation limit). Every cache entry here is also keyed on a hash of all the engine's
  source files (:data:`ENGINE_FILES`), so changing any of them recompiles everything that depends on it.
- **One more place to cache.** numba tries ``NUMBA_CACHE_DIR``, the package's ``__pycache__`` and the user
  cache folder; when none is writable (a read-only install and home), the engine caches in a private folder
  of the temporary directory (created 0700, used only if owned by this user), so only the first start after
  a reboot compiles.
- **No writable folder at all is not an error.** numba raises ``RuntimeError`` at decoration time when no
  cache folder is usable; then the function is compiled in memory at first use, as without a cache, and is
  listed in :data:`CACHE_DISABLED`.

Nothing is compiled at import: each kernel compiles (or loads from the cache) at its first call.
``python -m explorer.compiled`` prints where the cache lives; ``--timings`` compiles and times everything.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path

import numba
from numba.core import caching

_HERE = Path(__file__).resolve().parent
# Every file holding a kernel or a function a kernel calls.
ENGINE_FILES = ("compiled.py", "tape.py", "engine.py", *(f"optimizers/{p.name}" for p in
                                                        sorted((_HERE / "optimizers").glob("*.py"))))


def _stamp() -> str:
    digest = hashlib.sha256()
    for name in ENGINE_FILES:
        path = _HERE / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


ENGINE_STAMP = _stamp()
CACHE_DISABLED: list[str] = []  # names of kernels compiled without a disk cache (no writable cache folder)


def _private_temp_folder() -> str | None:
    """<tmp>/gradient-descent-explorer-numba-<uid>, made 0700; None unless it is ours and private."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = os.path.join(tempfile.gettempdir(), f"gradient-descent-explorer-numba-{uid}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    # cache entries are pickles: never load ones another user could have written
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022 or (hasattr(os, "getuid") and info.st_uid != uid):
        return None
    return path


try:  # numba's locator classes are not public API: without them, the fallback folder is simply not used
    class _TempFolderLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        """The last resort: a private folder in the temporary directory (see :func:`_private_temp_folder`)."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(self._root, self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            cls._root = _private_temp_folder()
            if cls._root is None:
                return None
            return super().from_function(py_func, py_file)

    class _EngineCacheImpl(caching.CompileResultCacheImpl):
        _locator_classes = [*caching.CompileResultCacheImpl._locator_classes, _TempFolderLocator]

    _IMPL = _EngineCacheImpl
except AttributeError:  # pragma: no cover - a numba without these internals
    _IMPL = caching.CompileResultCacheImpl


class _EngineCache(caching.FunctionCache):
    """numba's per-function cache, with :data:`ENGINE_STAMP` in every entry's key and one more folder."""

    _impl_class = _IMPL

    def _index_key(self, sig, codegen):
        return (*super()._index_key(sig, codegen), ENGINE_STAMP)


def kernel(func=None, **options):
    """``numba.njit(error_model="numpy", nogil=True, cache=True)`` with the engine-wide cache key; see the module notes.

    Usable bare (``@kernel``) or with extra njit options (``@kernel(inline="always")``).
    """
    if func is None:
        return lambda f: kernel(f, **options)
    dispatcher = numba.njit(error_model="numpy", nogil=True, **options)(func)
    try:
        dispatcher._cache = _EngineCache(func)  # what Dispatcher.enable_caching() does, with our key
    except RuntimeError:  # "cannot cache function ...: no locator available": compile in memory instead
        CACHE_DISABLED.append(func.__qualname__)
    return dispatcher


def cache_folder() -> str | None:
    """Where the engine's compiled kernels are cached, or None when no folder is writable."""
    try:
        return _EngineCache(cache_folder).cache_path
    except RuntimeError:
        return None


def warm_up(in_process: bool = False) -> float:
    """Compile (or load from the cache) every kernel the app runs; returns the seconds it took.

    ``in_process``: the formula's symbolic work runs in this process (no compile-worker subprocess).
    """
    import time

    import numpy as np

    from explorer.runs import RunSpec
    from explorer.simulation import run_batch, simulate_run
    from explorer.surface import compile_surface

    t0 = time.perf_counter()
    surface = compile_surface("(1 - x)^2 + 100(y - x^2)^2", **({"timeout": None} if in_process else {}))
    surface.value(np.zeros((2, 2)))
    simulate_run(surface, RunSpec("warm-up", "adam", (0.5, 0.5)), steps=2)
    run_batch(surface, "sgd", {}, np.zeros((2, 2)), 2)
    return time.perf_counter() - t0


_preloading = None


def preload():
    """Start loading the engine on a daemon thread (at most once); returns the thread.

    The first window needs numba's CPU target (initialised at the first kernel load: ~0.3 s) and the kernels
    from the disk cache (~0.15 s). Loading them here, while the GUI thread imports Qt, builds the window and
    waits for the compile worker's sympy (the GIL is free while it waits), takes most of that off the path to
    the first picture. numba's compiler lock makes a kernel called meanwhile wait for its load, never load it
    twice. A failure here is not reported: the first real call loads (or compiles) the kernel and reports.
    """
    import threading

    global _preloading
    if _preloading is None:
        def load():
            try:
                warm_up(in_process=True)
            except Exception:  # noqa: BLE001 - the real call will raise it where it can be shown
                pass

        _preloading = threading.Thread(target=load, name="engine-preload", daemon=True)
        _preloading.start()
    return _preloading


if __name__ == "__main__":
    print(f"numba {numba.__version__}; engine stamp {ENGINE_STAMP}; cache folder: "
          f"{cache_folder() or 'none writable (kernels compile in memory at every start)'}")
    if "--timings" in sys.argv:
        print(f"compile or load every kernel the app runs: {warm_up():.2f} s")
