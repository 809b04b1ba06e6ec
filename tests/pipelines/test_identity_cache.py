"""Values derived from arrays: computed once per array tuple, dropped with the arrays."""

from __future__ import annotations

import gc

import numpy as np

from pipelines.identity_cache import IdentityCache


def test_one_entry_per_array_tuple_freed_with_its_arrays():
    calls = []
    cache = IdentityCache(lambda a, b: calls.append(1) or a.sum() + b.sum(), max_entries=2)
    member, returns = np.ones(3), np.arange(3.0)
    first = cache.get(member, returns)
    assert cache.get(member, returns) is first and len(calls) == 1
    assert cache.get(member.copy(), returns) == first and len(calls) == 2  # same content, new array
    kept = [member.copy(), member.copy()]
    for copy in kept:
        cache.get(copy, returns)
    assert len(cache._entries) == 2  # the oldest went
    del kept[0]
    gc.collect()
    assert len(cache._entries) == 1  # an array that is gone frees its entry


def test_an_array_id_reused_by_a_new_array_is_not_a_hit():
    cache = IdentityCache(lambda a: a.copy())
    value = cache.get(np.zeros(4))  # the temporary dies: its id may be reused
    again = cache.get(np.ones(4))
    assert value.tolist() == [0.0] * 4 and again.tolist() == [1.0] * 4
