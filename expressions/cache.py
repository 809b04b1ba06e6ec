"""An LRU cache of subexpression results with a byte budget.

One cache serves many evaluations on one panel (a whole GA generation and the next ones):
children share most of their parents' subtrees, so most subtrees are computed once. Keys are
built by the evaluator (canonical text, plus the universe for subtrees whose value depends on
it). Stored arrays are read-only, so a consumer cannot corrupt a cached value.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np


class ResultCache:
    """Least-recently-used map from key to read-only array, bounded by total bytes.

    Parameters
    ----------
    max_bytes : the budget. An array larger than the whole budget is not stored.

    Attributes
    ----------
    hits, misses : counts of :meth:`get` calls that found / did not find their key.
    nbytes : bytes currently held.

    Examples
    --------
    >>> cache = ResultCache(max_bytes=1_000)
    >>> cache.put("close", np.zeros(10))
    >>> cache.get("close").flags.writeable, cache.hits
    (False, 1)
    """

    def __init__(self, max_bytes: int):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self.hits = 0
        self.misses = 0
        self.nbytes = 0
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, key: str) -> np.ndarray | None:
        """The stored array (now most recently used), or None."""
        value = self._items.get(key)
        if value is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: str, value: np.ndarray, *, recent: bool = True) -> None:
        """Store ``value`` (made read-only), evicting least recently used entries to fit.

        ``recent=False`` stores it as the least recently used entry: the next to go unless a
        :meth:`get` finds it first. For values unlikely to be asked for again (a whole
        expression's result), so that a stream of them cannot push out shared subtrees.
        """
        size = value.nbytes
        if key in self._items:
            self.nbytes -= self._items.pop(key).nbytes
        if size > self.max_bytes:
            return
        if value.flags.writeable:
            value = value.view()
            value.flags.writeable = False
        while self._items and self.nbytes + size > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.nbytes -= evicted.nbytes
        self._items[key] = value
        self.nbytes += size
        if not recent:
            self._items.move_to_end(key, last=False)

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def __repr__(self) -> str:
        return (
            f"ResultCache({len(self)} items, {self.nbytes}/{self.max_bytes} bytes, "
            f"hits={self.hits}, misses={self.misses})"
        )


__all__ = ["ResultCache"]
