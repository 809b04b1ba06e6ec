"""ResultCache: LRU order, byte budget, hit/miss counters, read-only arrays."""

from __future__ import annotations

import numpy as np
import pytest

from expressions.cache import ResultCache


def _array(n_floats: int, fill: float = 0.0) -> np.ndarray:
    return np.full(n_floats, fill)


def test_hits_and_misses_are_counted():
    cache = ResultCache(max_bytes=1_000)
    assert cache.get("a") is None
    cache.put("a", _array(10, 1.0))
    np.testing.assert_array_equal(cache.get("a"), _array(10, 1.0))
    assert (cache.hits, cache.misses) == (1, 1)
    assert cache.hit_rate == 0.5


def test_stored_arrays_are_read_only():
    cache = ResultCache(max_bytes=1_000)
    original = _array(10)
    cache.put("a", original)
    stored = cache.get("a")
    assert not stored.flags.writeable
    with pytest.raises(ValueError):
        stored[0] = 1.0


def test_least_recently_used_is_evicted_first():
    cache = ResultCache(max_bytes=3 * 80)  # room for three arrays of 10 floats
    for key in "abc":
        cache.put(key, _array(10))
    cache.get("a")  # a is now the most recent; b is the oldest
    cache.put("d", _array(10))
    assert "b" not in cache
    assert {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    assert cache.nbytes == 240 and len(cache) == 3


def test_byte_budget_holds_and_oversized_arrays_are_not_stored():
    cache = ResultCache(max_bytes=100)
    cache.put("small", _array(10))  # 80 bytes
    cache.put("big", _array(20))  # 160 bytes > budget
    assert "big" not in cache and "small" in cache
    cache.put("other", _array(5))  # 40 bytes: evicts small (80 + 40 > 100)
    assert "small" not in cache and cache.nbytes == 40


def test_replacing_a_key_updates_the_byte_count():
    cache = ResultCache(max_bytes=1_000)
    cache.put("a", _array(10))
    cache.put("a", _array(20))
    assert cache.nbytes == 160 and len(cache) == 1
    cache.clear()
    assert cache.nbytes == 0 and len(cache) == 0


def test_negative_budget_is_rejected():
    with pytest.raises(ValueError, match="max_bytes"):
        ResultCache(max_bytes=-1)


def test_a_value_stored_as_not_recent_goes_first_unless_asked_for():
    cache = ResultCache(max_bytes=3 * 80)
    cache.put("a", _array(10))
    cache.put("b", _array(10))
    cache.put("whole", _array(10), recent=False)
    cache.put("c", _array(10))  # full: the not-recent value goes, not the older a
    assert "whole" not in cache and {"a", "b", "c"} <= {k for k in "abc" if k in cache}
    cache.put("again", _array(10), recent=False)
    assert cache.get("again") is not None  # a hit makes it the most recent
    cache.put("d", _array(10))
    assert "again" in cache and "a" not in cache
