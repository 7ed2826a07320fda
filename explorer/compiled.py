"""The numba set-up shared by the compiled engine: one decorator, :func:`kernel`, for every compiled function.

``kernel`` is ``numba.njit`` with ``error_model="numpy"`` (division by zero and domain errors give inf/nan,
never an exception: a loss surface may overflow anywhere) and a disk cache (``cache=True``), with two
additions:

- **One stamp for the whole engine.** numba keys a cached function on its own source file only, so a cached
  driver would keep the old copy of a kernel it calls from another file after that file changed (numba's
  documented "cache invalidation" limit). Every cache entry here is also keyed on a hash of all the engine's
  source files (:data:`ENGINE_FILES`), so changing any of them recompiles everything that depends on it.
- **A read-only cache is not an error.** numba raises ``RuntimeError`` at decoration time when no cache
  directory is writable (``NUMBA_CACHE_DIR``, the package's ``__pycache__``, the user cache folder). Then
  the function is compiled in memory at first use, as without a cache; :data:`CACHE_DISABLED` says so and
  ``python -m explorer.compiled`` prints where the cache lives.

Nothing is compiled at import: each kernel compiles (or loads from the cache) at its first call.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
from numba.core.caching import FunctionCache

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


class _EngineCache(FunctionCache):
    """numba's per-function cache, with :data:`ENGINE_STAMP` added to every entry's key."""

    def _index_key(self, sig, codegen):
        return (*super()._index_key(sig, codegen), ENGINE_STAMP)


def kernel(func=None, **options):
    """``numba.njit(error_model="numpy", cache=True)`` with the engine-wide cache key; see the module notes.

    Usable bare (``@kernel``) or with extra njit options (``@kernel(inline="always")``).
    """
    if func is None:
        return lambda f: kernel(f, **options)
    dispatcher = numba.njit(error_model="numpy", **options)(func)
    try:
        dispatcher._cache = _EngineCache(func)  # what Dispatcher.enable_caching() does, with our key
    except RuntimeError:  # "cannot cache function ...: no locator available": compile in memory instead
        CACHE_DISABLED.append(func.__qualname__)
    return dispatcher


def cache_folder() -> str | None:
    """Where compiled kernels are cached, or None when no folder is writable."""
    try:
        return _EngineCache(_stamp).cache_path
    except RuntimeError:
        return None


if __name__ == "__main__":
    print(f"numba {numba.__version__}; engine stamp {ENGINE_STAMP}; cache folder: "
          f"{cache_folder() or 'none writable (kernels compile at every start)'}")
