"""A small least-recently-used memo kept in this process's memory.

For figures that many people read and that change rarely, keyed so that a change makes a new key
(a snapshot, a history high-water mark). Process memory and not the cache on purpose: the pages
must keep answering while Redis is down, and a dead Redis would otherwise cost each request its
connect timeout. Each gunicorn worker computes a value once per key; entries also expire after
``ttl`` seconds, which bounds how long a change that moves no key can go unseen.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

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
