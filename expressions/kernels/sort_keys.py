"""Packed int64 sort keys: a row's value order and its permutation from one numpy integer sort.

numpy's row sort of int64 is SIMD-accelerated and ~3x faster than an argsort of float64, but it
gives no permutation. So each key packs an order-keeping integer image of the float (``float_image``)
with its low ``shift`` bits cleared and replaced by the column index (``packed_key``): sorting the
keys sorts the values and carries the columns along. Values that differ only in the cleared bits
(a few ulps apart) land in one run of equal high bits; ``exact_order`` and ``key_ranks`` sort each
such run on the true values (insertion sort: such runs are rare and short, and a run of true ties
is already in order), so the order and the ranks are exact.

Rows hold the keys of their members first; every other slot holds ``NOT_A_KEY``, which sorts last.
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

NOT_A_KEY = np.iinfo(np.int64).max
_FLIP = np.int64(0x7FFFFFFFFFFFFFFF)
_NEGATIVE_ZERO = np.iinfo(np.int64).min


def index_bits(n: int) -> int:
    """How many low key bits hold a column index 0..n-1."""
    return max(1, int(n - 1).bit_length())


_BUFFERS = threading.local()


def key_buffer(t_len: int, n: int) -> np.ndarray:
    """This thread's int64 [t_len, n] scratch for keys (a fresh 4 MB array per call costs ~10% of
    a [1260, 500] rank in page faults). Valid until this thread's next call."""
    buffer = getattr(_BUFFERS, "keys", None)
    if buffer is None or buffer.shape[1] != n or buffer.shape[0] < t_len:
        buffer = np.empty((t_len, n), dtype=np.int64)
        _BUFFERS.keys = buffer
    return buffer[:t_len]


@njit(cache=True, inline="always")
def float_image(bits):
    """An int64 that orders like the float64 whose bit pattern is ``bits`` (NaN excepted);
    -0.0 maps to the image of +0.0. Branch-free selects, so that key loops vectorize."""
    b = 0 if bits == _NEGATIVE_ZERO else bits
    return b ^ _FLIP if b < 0 else b


@njit(cache=True, inline="always")
def packed_key(bits, column, clear, ok):
    """The key of ``column`` (image with the bits outside ``clear`` replaced by the column), or
    NOT_A_KEY when not ``ok``."""
    return (float_image(bits) & clear) | column if ok else NOT_A_KEY


@njit(cache=True, inline="always")
def grouped_key(bits, code, column, group_bits, clear, ok):
    """A key that sorts by (code, value): the code in the top ``group_bits`` of 63 bits, below it
    the top bits of the value's image (as unsigned), the column in the bits outside ``clear``;
    NOT_A_KEY when not ``ok``."""
    low = 63 - group_bits
    unsigned = float_image(bits) ^ _NEGATIVE_ZERO  # flipping the sign bit: unsigned order
    value = (unsigned >> (64 - low)) & ((np.int64(1) << low) - 1)  # a logical shift
    return ((code << low) | value) & clear | column if ok else NOT_A_KEY


@njit(cache=True)
def average_ranks(values, order, m, ranks):
    """ranks[order[k]] = 1-based rank of values[order[k]] among order[:m] (ascending), ties averaged."""
    k = 0
    while k < m:
        j = k
        while j + 1 < m and values[order[j + 1]] == values[order[k]]:
            j += 1
        rank = 0.5 * (k + j) + 1.0
        for q in range(k, j + 1):
            ranks[order[q]] = rank
        k = j + 1


@njit(cache=True)
def _has_runs(keys_row, m, shift):
    """Whether two neighbours of the sorted keys share their high bits (a branch-free count)."""
    runs = 0
    for k in range(m - 1):
        runs += (keys_row[k] >> shift) == (keys_row[k + 1] >> shift)
    return runs > 0


@njit(cache=True)
def _run_end(keys_row, m, shift, start):
    """One past the last key from ``start`` on with the same high bits."""
    high = keys_row[start] >> shift
    end = start + 1
    while end < m and keys_row[end] >> shift == high:
        end += 1
    return end


@njit(cache=True)
def _sort_run(keys_row, start, end, mask, x, order):
    """order[start:end] = the run's columns by ascending x (insertion sort on the true values)."""
    for j in range(start, end):
        col = keys_row[j] & mask
        value = x[col]
        q = j - 1
        while q >= start and x[order[q]] > value:
            order[q + 1] = order[q]
            q -= 1
        order[q + 1] = col


@njit(cache=True)
def exact_order(keys_row, m, shift, x, order):
    """order[:m] = the columns of the m sorted keys in exact ascending order of x."""
    mask = (np.int64(1) << shift) - 1
    for k in range(m):
        order[k] = keys_row[k] & mask
    if not _has_runs(keys_row, m, shift):
        return
    start = 0
    while start < m - 1:
        end = _run_end(keys_row, m, shift, start)
        if end - start > 1:
            _sort_run(keys_row, start, end, mask, x, order)
        start = end


# Runs up to this long are ranked by counting (no sort, no branches); longer ones are sorted.
SHORT_RUN = 16


@njit(cache=True)
def counted_ranks(keys_row, start, end, mask, x, base, ranks):
    """ranks[col] = base + the 1-based average rank of x[col] among the columns of
    keys_row[start:end], by counting: base + (number below) + (number equal, itself included + 1) / 2.
    O(run length ** 2): for short runs, where it beats a sort and its scans."""
    for j in range(start, end):
        col = keys_row[j] & mask
        value = x[col]
        below = 0
        equal = 0
        for q in range(start, end):
            other = x[keys_row[q] & mask]
            below += other < value
            equal += other == value
        ranks[col] = base + below + 0.5 * (equal + 1)


@njit(cache=True)
def key_ranks(keys_row, m, shift, x, order, ranks):
    """ranks[col] = 1-based average rank of x[col] among the m columns of the sorted keys.

    ``order`` is int64 scratch of at least m. Ranks are exact half-integers, equal to
    ``average_ranks`` over the exact order.
    """
    mask = (np.int64(1) << shift) - 1
    for k in range(m):
        ranks[keys_row[k] & mask] = k + 1.0
    if not _has_runs(keys_row, m, shift):
        return
    # Real prices make many short runs (ties, and differences a few ulps apart), most of them
    # pairs: the scan is inlined and pairs and short runs skip the sort (~25% less CPU).
    start = 0
    while start < m - 1:
        high = keys_row[start] >> shift
        if keys_row[start + 1] >> shift != high:
            start += 1
            continue
        end = start + 2
        while end < m and keys_row[end] >> shift == high:
            end += 1
        if end - start == 2:
            _rank_pair(keys_row[start] & mask, keys_row[start + 1] & mask, start, x, ranks)
        elif end - start <= SHORT_RUN:
            counted_ranks(keys_row, start, end, mask, x, start, ranks)
        else:
            _rank_long_run(keys_row, start, end, mask, x, order, ranks)
        start = end


@njit(cache=True, inline="always")
def _rank_pair(first, second, start, x, ranks):
    """Ranks of a run of two columns (already start + 1 and start + 2 in that order)."""
    if x[first] == x[second]:
        ranks[first] = start + 1.5
        ranks[second] = start + 1.5
    elif x[first] > x[second]:
        ranks[first] = start + 2.0
        ranks[second] = start + 1.0


@njit(cache=True)
def _rank_long_run(keys_row, start, end, mask, x, order, ranks):
    """Ranks of a run longer than SHORT_RUN: one average rank if it is one value, else sorted."""
    first = x[keys_row[start] & mask]
    tied = True
    for j in range(start + 1, end):
        tied &= x[keys_row[j] & mask] == first
    if tied:  # one value (ts_rank, group_rank outputs): one average rank
        rank = start + 0.5 * (end - start + 1)
        for j in range(start, end):
            ranks[keys_row[j] & mask] = rank
        return
    _sort_run(keys_row, start, end, mask, x, order)
    average_ranks(x, order[start:end], end - start, ranks)
    for j in range(start, end):
        ranks[order[j]] += start
