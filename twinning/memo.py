"""A small least-recently-used memo kept in this process's memory, and the one way to use it.

Selectors memoise through ``@memoized``, with the stamp defined beside them; nothing else holds a
``ProcessMemo``. For figures that many people read and that change rarely, keyed so that a change makes a new key
(a snapshot, a history high-water mark). Process memory and not the cache on purpose: the pages
must keep answering while Redis is down, and a dead Redis would otherwise cost each request its
connect timeout. Each gunicorn worker computes a value once per key; entries also expire after
``ttl`` seconds, which bounds how long a change that moves no key can go unseen.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_instances: weakref.WeakSet[ProcessMemo] = weakref.WeakSet()


def clear_all() -> None:
    """Forget every memo of this process (tests: a rolled-back database can repeat a key)."""
    for memo in list(_instances):
        memo.clear()


class ProcessMemo:
    def __init__(self, *, size: int = 64, ttl: float = 300.0):
        self.size, self.ttl = size, ttl
        _instances.add(self)
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], object]):
        """The value for ``key``, computing (outside the lock) and keeping it when missing or expired."""
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is not None and now - item[0] < self.ttl:
                self._items.move_to_end(key)
                return item[1]
        value = compute()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def memoized(
    *,
    key: Callable[..., Hashable],
    stamp: Callable[..., Hashable] | None = None,
    size: int = 64,
    ttl: float = 300.0,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Keep a selector's result in a ``ProcessMemo`` of its own, per ``key`` and ``stamp``.

    ``key`` is called with the selector's keyword arguments and says what the result depends on
    besides the data (the user's scope, ``pairing.scope.scope_key``; the language). ``stamp`` (defined
    beside the selector, in its selectors module) is one cheap query saying what the data has moved
    to; it is called on every call, with the selector's keyword arguments if it takes any, so a
    change that moves it shows at once. A change that moves no stamp shows within ``ttl`` seconds.
    The selector's ``memo`` attribute is the memo (tests clear it).
    """
    stamp_takes_arguments = stamp is not None and bool(inspect.signature(stamp).parameters)

    def decorate(selector: Callable[P, R]) -> Callable[P, R]:
        memo = ProcessMemo(size=size, ttl=ttl)

        @functools.wraps(selector)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            moved = None if stamp is None else stamp(**kwargs) if stamp_takes_arguments else stamp()
            return memo.get((key(**kwargs), moved), lambda: selector(*args, **kwargs))

        wrapper.memo = memo
        return wrapper

    return decorate
