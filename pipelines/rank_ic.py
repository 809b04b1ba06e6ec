"""Rank IC by day: the Spearman correlation of the alpha vector with the next-day returns.

For pnl day d the pairs are the members of day d-1 whose alpha[d-1-delay] and returns[d] are
both finite; ties get their average rank. Two sorts per day would dominate a simulation, so:

1. The return side does not depend on the alpha: ``return_order`` sorts, once per panel and
   universe (``ReturnOrderCache``), the members of day d-1 with a finite returns[d]. Per alpha,
   walking that order and skipping the instruments without a finite alpha gives the pairs'
   return ranks in O(N).
2. The alpha side is sorted with numpy's SIMD row sort on int64 keys that pack an order-keeping
   integer image of the float with the column index (``alpha_rank_keys``, keys and exact run
   handling from expressions.kernels.sort_keys): a plain value sort that also yields the
   permutation, ~3x faster than argsort, with exact order and ranks.
3. ``rank_ic_rows`` assigns both rank vectors and correlates them over the pairs in index
   order, the same arithmetic as the pandas-rank reference in the tests.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
from numba import njit

from expressions.kernels.sort_keys import (
    NOT_A_KEY,
    average_ranks,
    index_bits,
    key_buffer,
    key_ranks,
    packed_key,
)
from pipelines.kernels import pearson_about


def return_order(member: np.ndarray, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The return side of every pnl day d, for the members of day d-1 with a finite returns[d]:
    (order int32 [T, N]: those columns by ascending returns[d], counts[d] of them first;
    counts int64 [T]; ranks float64 [T, N]: their average ranks among themselves, NaN elsewhere).
    Row 0 is empty."""
    t_len, n = returns.shape
    order = np.zeros((t_len, n), dtype=np.int32)
    counts = np.zeros(t_len, dtype=np.int64)
    ranks = np.full((t_len, n), np.nan)
    if t_len < 2:
        return order, counts, ranks
    ok = member[:-1] & np.isfinite(returns[1:])
    order[1:] = np.argsort(np.where(ok, returns[1:], np.inf), axis=1)
    counts[1:] = ok.sum(axis=1)
    _fill_ranks(returns, order, counts, ranks)
    return order, counts, ranks


class ReturnOrderCache:
    """``return_order`` per (member mask, returns) array pair, kept while both arrays live.

    Panels keep their universe masks and returns, so a batch of candidates on one panel and
    universe sorts the returns once. Thread-safe; at most ``max_entries`` pairs (oldest dropped).
    """

    def __init__(self, max_entries: int = 4):
        self.max_entries = max_entries
        self._entries: dict[tuple[int, int], tuple[weakref.ref, weakref.ref, tuple]] = {}
        self._lock = threading.Lock()

    def get(self, member: np.ndarray, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (id(member), id(returns))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is member and entry[1]() is returns:
                return entry[2]
        value = return_order(member, returns)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (weakref.ref(member), weakref.ref(returns), value)
        weakref.finalize(member, self._entries.pop, key, None)  # a dropped panel frees its entry
        return value


def rank_ic_by_day(
    alpha: np.ndarray, member: np.ndarray, returns: np.ndarray, delay: int,
    order: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Spearman IC of each pnl day d: alpha[d-1-delay] vs returns[d] over the members of day d-1.

    Parameters
    ----------
    alpha, returns : float64 [T, N] (C order); member : bool [T, N].
    delay : the settings' delay (0 or 1).
    order : ``return_order(member, returns)`` when the caller keeps it (rows beyond T ignored).

    Returns
    -------
    float64 [T]: NaN for days before 1 + delay, with fewer than 2 pairs, or a constant side.
    """
    alpha = np.ascontiguousarray(alpha, dtype=np.float64)
    t_len, n = alpha.shape
    if order is None:
        order = return_order(member, returns)
    shift = index_bits(n)
    keys = key_buffer(t_len, n)
    pairs = np.zeros(t_len, dtype=np.int64)
    alpha_rank_keys(alpha.view(np.int64), alpha, member, returns, 1 + delay, shift, keys, pairs)
    keys.sort(axis=1)
    out = np.full(t_len, np.nan)
    rank_ic_rows(keys, pairs, alpha, member, returns, 1 + delay, shift, order[0], order[1], order[2], out)
    return out


@njit(cache=True)
def _fill_ranks(returns, order, counts, ranks):
    for d in range(1, returns.shape[0]):
        average_ranks(returns[d], order[d], counts[d], ranks[d])


@njit(cache=True)
def alpha_rank_keys(alpha_bits, alpha, member, returns, lag, shift, keys, pairs):
    """keys[d, i] = (order-keeping image of alpha[d-lag, i], low ``shift`` bits = i) for the
    pairs of pnl day d, NOT_A_KEY elsewhere; pairs[d] = their count. -0.0 keys as +0.0."""
    t_len = alpha.shape[0]
    clear = ~((np.int64(1) << shift) - 1)
    for d in range(t_len):
        if d < lag:
            keys[d, :] = NOT_A_KEY
        else:
            a = d - lag
            pairs[d] = _row_keys(alpha_bits[a], alpha[a], member[d - 1], returns[d], clear, keys[d])


@njit(cache=True)
def _row_keys(bits, x, member, y, clear, keys):
    """One day of ``alpha_rank_keys``, branch-free so that it vectorizes; returns the pair count."""
    m = 0
    for i in range(x.shape[0]):
        ok = member[i] & np.isfinite(x[i]) & np.isfinite(y[i])
        keys[i] = packed_key(bits[i], i, clear, ok)
        m += ok
    return m


@njit(cache=True, fastmath={"reassoc", "nsz"})
def rank_ic_rows(keys, pairs, alpha, member, returns, lag, shift, y_order, y_counts, y_ranks, out):
    """out[d] = Spearman correlation of pnl day d's pairs (keys sorted row-wise; see module doc)."""
    t_len, n = alpha.shape
    order = np.empty(n, dtype=np.int64)
    rx = np.empty(n)
    ry = np.empty(n)
    for d in range(lag, t_len):
        m = pairs[d]
        if m < 2:
            out[d] = np.nan
            continue
        x = alpha[d - lag]
        key_ranks(keys[d], m, shift, x, order, rx)
        if m == y_counts[d]:
            # Every member with a return has an alpha: the cached ranks are the pairs' ranks.
            out[d] = _rank_correlation(rx, y_ranks[d], member[d - 1], x, returns[d], m)
            continue
        kept = 0
        for k in range(y_counts[d]):
            col = y_order[d, k]
            if np.isfinite(x[col]):
                order[kept] = col
                kept += 1
        average_ranks(returns[d], order, kept, ry)
        out[d] = _rank_correlation(rx, ry, member[d - 1], x, returns[d], m)


@njit(cache=True, fastmath={"reassoc", "nsz"})
def _rank_correlation(rx, ry, member, x, y, m):
    """Pearson correlation of the ranks over the m pairs (members with finite x and y).

    Both rank vectors of m values sum to m (m + 1) / 2 (ties keep the sum), so both means are
    (m + 1) / 2 exactly.
    """
    mean = 0.5 * (m + 1)
    return pearson_about(rx, ry, mean, mean, member, x, y)
