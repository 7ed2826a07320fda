"""A minimal observer: the model announces changes, views subscribe (no Qt here).

Modelled on napari's ``EventEmitter`` and Qt's signals, reduced to what the model needs::

    changed = Signal()
    changed.connect(on_change)      # on_change(*args) is called on every emit
    changed.emit(3)
    changed.disconnect(on_change)

Callbacks run synchronously, in connection order, on the emitting thread. A callback may connect or
disconnect others while an emit is in progress; that takes effect from the next emit. Exceptions raised by a
callback propagate to the emitter (nothing is swallowed silently).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any


class Signal:
    """A list of callbacks called with the emitted arguments."""

    __slots__ = ("_blocked", "_callbacks")

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []
        self._blocked = 0

    def connect(self, callback: Callable[..., Any]) -> None:
        """Call ``callback(*args)`` on every :meth:`emit`; connecting the same callback twice is a no-op."""
        if not callable(callback):
            raise TypeError(f"Signal.connect needs a callable, got {callback!r}")
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Stop calling ``callback``; disconnecting one that is not connected is a no-op."""
        try:
            self._callbacks.remove(callback)
        except ValueError:
            pass

    def emit(self, *args: Any) -> None:
        """Call every connected callback with ``args`` (unless blocked)."""
        if self._blocked:
            return
        for callback in tuple(self._callbacks):
            callback(*args)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Suppress emits inside the ``with`` block (nestable)."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"<Signal with {len(self._callbacks)} callback(s)>"


class Bindings:
    """A view's subscriptions, listed once: connected on construction, all dropped by :meth:`disconnect`."""

    def __init__(self, pairs: Iterable[tuple[Signal, Callable[..., Any]]]) -> None:
        self._pairs = list(pairs)
        for signal, slot in self._pairs:
            signal.connect(slot)

    def disconnect(self) -> None:
        pairs, self._pairs = self._pairs, []
        for signal, slot in pairs:
            signal.disconnect(slot)
