"""Values derived from arrays, kept while those very arrays live (keyed by identity, not content).

A panel keeps its returns, universe masks, group codes and dates for its whole life, so what a
simulation derives from them alone (the sorted returns, group codes, year boundaries) is computed
once per panel and shared by every candidate of a batch instead of once per simulation.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np


class IdentityCache:
    """``compute(*arrays)`` per tuple of array objects (or any weakly referable objects, such as
    panels), kept while every one of them lives.

    Thread-safe; at most ``max_entries`` tuples (the oldest is dropped). Arrays must not be
    changed in place after their first use as a key (panels' arrays are read-only).
    """

    def __init__(self, compute: Callable[..., Any], max_entries: int = 4):
        self.compute = compute
        self.max_entries = max_entries
        self._entries: dict[tuple[int, ...], tuple[tuple[weakref.ref, ...], Any]] = {}
        self._lock = threading.Lock()

    def get(self, *arrays: np.ndarray) -> Any:
        key = tuple(id(a) for a in arrays)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and all(ref() is a for ref, a in zip(entry[0], arrays)):
                return entry[1]
        value = self.compute(*arrays)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (tuple(weakref.ref(a) for a in arrays), value)
        for array in arrays:  # an array that is gone frees its entry
            weakref.finalize(array, self._entries.pop, key, None)
        return value
