"""Rank IC by day: the Spearman correlation of the alpha vector with the next-day returns.

For pnl day d the pairs are the members of day d-1 whose alpha[d-1-delay] and returns[d] are
both finite; ties get their average rank. Two sorts per day would dominate a simulation, so:

1. The return side does not depend on the alpha: ``return_order`` sorts, once per panel and
   universe (``pipelines.identity_cache``), the members of day d-1 with a finite returns[d], and keeps
   twice their average ranks (small integers: a quarter of float64's memory traffic) and the
   ranks' spread. When every such member has a finite alpha (the common day) those are the
   pairs' return ranks; otherwise walking that order and skipping the instruments without one
   gives them in O(N).
2. The alpha side is one numpy row sort of int32 keys (AVX-512 sorts 16 a vector: ~3.7x faster
   than int64 keys, ~18x faster than argsort). A key is the column index under a bucket of the
   value on a signed log scale (``day_pairs.pair_figures``, built in the simulator's day loop).
   Buckets never invert the order; values sharing one form a run that ``run_corrections`` orders on
   the true values, so the ranks are exact.
3. The k-th sorted pair has rank k + 1 (when in no run) and the correlation needs one pass over the
   sorted keys: sum (k + 1) * ry[col_k] (``rank_correlation``). Rank sums are exact in float64
   (half-integers, far below 2**53), so the figure is the same as correlating rank vectors; a run
   of shared buckets corrects the sums to its exact ranks (``run_corrections``).
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit

from expressions.kernels.sort_keys import average_ranks, index_bits
from pipelines.day_pairs import NOT_A_KEY, pair_figures

_SHORT_RUN = 16  # runs up to this long are insertion-sorted; longer ones use argsort
_MANY_RUNS = 32  # more than m / _MANY_RUNS neighbours sharing a bucket: the scan of _tied_rank_sums


def return_order(member: np.ndarray, returns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The return side of every pnl day d, for the members of day d-1 with a finite returns[d]:
    (order int32 [T, N]: those columns by ascending returns[d], counts[d] of them first;
    counts int64 [T]; ranks [T, N]: twice their average ranks among themselves (integers: int16
    up to 16,383 columns, else int32; a quarter of float64's memory traffic), 0 elsewhere;
    spread float64 [T]: sum over them of (rank - (counts + 1) / 2)**2). Row 0 is empty."""
    t_len, n = returns.shape
    order = np.zeros((t_len, n), dtype=np.int32)
    counts = np.zeros(t_len, dtype=np.int64)
    ranks = np.zeros((t_len, n), dtype=np.int16 if 2 * n < 2**15 else np.int32)
    spread = np.zeros(t_len)
    if t_len < 2:
        return order, counts, ranks, spread
    ok = member[:-1] & np.isfinite(returns[1:])
    order[1:] = np.argsort(np.where(ok, returns[1:], np.inf), axis=1)
    counts[1:] = ok.sum(axis=1)
    _fill_ranks(returns, order, counts, ranks, spread)
    return order, counts, ranks, spread


_BUFFERS = threading.local()


def key_buffer(t_len: int, n: int) -> np.ndarray:
    """This thread's int32 [t_len, n] key scratch (a fresh array per call costs page faults)."""
    buffer = getattr(_BUFFERS, "keys", None)
    if buffer is None or buffer.shape[1] != n or buffer.shape[0] < t_len:
        buffer = np.empty((t_len, n), dtype=np.int32)
        _BUFFERS.keys = buffer
    return buffer[:t_len]


def rank_ic_by_day(
    alpha: np.ndarray, member: np.ndarray, returns: np.ndarray, delay: int,
    order: tuple[np.ndarray, ...] | None = None,
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
    alpha_keys(alpha, member, returns, 1 + delay, shift, keys, pairs)
    return rank_ic_from_keys(keys, pairs, alpha, returns, delay, order)


def rank_ic_from_keys(
    keys: np.ndarray, pairs: np.ndarray, alpha: np.ndarray, returns: np.ndarray, delay: int,
    order: tuple[np.ndarray, ...],
) -> np.ndarray:
    """``rank_ic_by_day`` from the unsorted keys and pair counts of ``alpha_keys`` (or of the
    simulator's day loop, which builds them while each day's rows are in cache); sorts keys in place."""
    keys.sort(axis=1)
    out = np.full(alpha.shape[0], np.nan)
    y_order, y_counts, y_ranks, y_spread = order
    rank_ic_rows(keys, pairs, alpha, returns, 1 + delay, index_bits(alpha.shape[1]), y_order, y_counts,
                 y_ranks, y_spread, out)
    return out


@njit(cache=True)
def _fill_ranks(returns, order, counts, ranks, spread):
    row = np.empty(returns.shape[1])
    for d in range(1, returns.shape[0]):
        m = counts[d]
        average_ranks(returns[d], order[d], m, row)
        spread[d] = _spread(row, order[d], m)
        for k in range(m):
            ranks[d, order[d, k]] = round(2.0 * row[order[d, k]])


@njit(cache=True, fastmath={"reassoc", "nsz"})
def _spread(ranks, columns, m):
    """sum over the m listed columns of (rank - (m + 1) / 2)**2."""
    mean = 0.5 * (m + 1)
    total = 0.0
    for k in range(m):
        d = ranks[columns[k]] - mean
        total += d * d
    return total


@njit(cache=True)
def alpha_keys(alpha, member, returns, lag, shift, keys, pairs):
    """keys[d] = the rank keys (``day_pairs.pair_figures``) of alpha[d - lag] over the pairs of
    pnl day d (NOT_A_KEY elsewhere); pairs[d] = their count."""
    for d in range(alpha.shape[0]):
        if d < lag:
            keys[d, :] = NOT_A_KEY
        else:
            a = d - lag
            pairs[d] = pair_figures(alpha[a], member[d - 1], returns[d], shift, keys[d])[1]


@njit(cache=True, fastmath={"reassoc", "nsz"})
def rank_ic_rows(keys, pairs, alpha, returns, lag, shift, y_order, y_counts, y_ranks, y_spread, out):
    """out[d] = Spearman correlation of pnl day d's pairs (keys sorted row-wise; see module doc)."""
    t_len, n = alpha.shape
    scratch = np.empty(n, dtype=np.int64)
    flags = np.zeros((n // 8 + 3) * 8, dtype=np.uint8)  # whole 8-byte words, 9 past the last
    rx = np.empty(n)
    ry = np.empty(n)
    for d in range(lag, t_len):
        m = pairs[d]
        if m < 2:
            continue
        x = alpha[d - lag]
        if m == y_counts[d]:
            # Every member with a return has an alpha: the cached ranks are the pairs' ranks.
            out[d] = rank_correlation(keys[d], m, shift, x, y_ranks[d], y_spread[d], scratch, flags, rx)
            continue
        kept = 0
        for k in range(y_counts[d]):
            col = y_order[d, k]
            if np.isfinite(x[col]):
                scratch[kept] = col
                kept += 1
        average_ranks(returns[d], scratch, kept, ry)
        spread = _spread(ry, scratch, kept)
        for k in range(kept):
            ry[scratch[k]] *= 2.0
        out[d] = rank_correlation(keys[d], m, shift, x, ry, spread, scratch, flags, rx)


@njit(cache=True, fastmath={"reassoc", "nsz"})
def rank_correlation(keys, m, shift, x, ry, y_spread, scratch, flags, rx):
    """Pearson correlation of the alpha ranks (from the m sorted keys) with the return ranks
    ry / 2 (ry: twice the ranks, by column), whose squared deviations sum to y_spread; NaN when
    either side is constant. scratch, rx: buffers of len N;
    flags: uint8, whole 8-byte words, at least N + 9.

    The k-th key gets rank k + 1, then each run of shared buckets is corrected to its exact ranks.
    """
    mask = (np.int64(1) << shift) - 1
    mean = 0.5 * (m + 1)
    same = mark_runs(keys, m, shift, flags)
    if same * _MANY_RUNS > m and _mixed_pairs(keys, m, shift, x, flags) == 0:
        # Quantized alphas (ranks, ts_rank ...): many runs, each of one value.
        sxy, sxx = _tied_rank_sums(keys, m, shift, ry, mean, flags, rx)
    else:
        sxy = 0.0
        for k in range(m):
            sxy += (k + 1.0) * ry[keys[k] & mask]
        sxx = m * (m * m - 1.0) / 12.0  # sum of (rank - mean)**2 over ranks 1..m
        if same > 0:
            dxy, dxx = run_corrections(keys, m, shift, x, ry, mean, flags, same, scratch, rx)
            sxy += dxy
            sxx += dxx
    sxy = 0.5 * sxy - m * mean * mean  # sum of (rx - mean)(ry / 2 - mean): both rank sums are m * mean
    scale = np.sqrt(sxx) * np.sqrt(y_spread)
    return sxy / scale if scale > 0.0 else np.nan


@njit(cache=True)
def _mixed_pairs(keys, m, shift, x, flags):
    """How many neighbours share a bucket but not a value (flags from mark_runs)."""
    mask = (np.int64(1) << shift) - 1
    mixed = 0
    for k in range(m - 1):
        mixed += (flags[k] != 0) & (x[keys[k] & mask] != x[keys[k + 1] & mask])
    return mixed


@njit(cache=True, fastmath={"reassoc", "nsz"})
def _tied_rank_sums(keys, m, shift, ry, mean, flags, ranks):
    """(sum rank * ry, sum (rank - mean)**2) when every run of a shared bucket is one value: a
    forward and a backward scan give each sorted position its run's first and last position,
    the average rank is their mean + 1 (``ranks``: scratch by position, len >= m)."""
    mask = (np.int64(1) << shift) - 1
    first = 0
    for k in range(m):
        first = first if k > 0 and flags[k - 1] != 0 else k
        ranks[k] = first
    last = m - 1
    for k in range(m - 1, -1, -1):
        last = last if flags[k] != 0 else k
        ranks[k] = 0.5 * (ranks[k] + last) + 1.0
    sxy = 0.0
    for k in range(m):
        sxy += ranks[k] * ry[keys[k] & mask]
    sxx = 0.0
    for k in range(m):
        sxx += (ranks[k] - mean) * (ranks[k] - mean)
    return sxy, sxx


@njit(cache=True)
def mark_runs(keys, m, shift, flags):
    """flags[k] = 1 where keys k and k + 1 share a bucket (k < m - 1), 0 from m - 1 to the next
    multiple of 8 past it; returns how many are 1. Branch-free: it vectorizes."""
    same = 0
    for k in range(m - 1):
        flag = ((keys[k] ^ keys[k + 1]) >> shift) == 0
        flags[k] = flag
        same += flag
    flags[max(m - 1, 0) : max(m - 1, 0) + 9] = 0
    return same


@njit(cache=True)
def run_corrections(keys, m, shift, x, ry, mean, flags, same, scratch, rx):
    """(change of sum rank * ry, change of sum (rank - mean)**2) when each run of keys sharing a
    bucket gets its exact ranks in place of the positional ones: a run of one value (ties: most
    runs) takes the run's average rank, a pair in the wrong order swaps, other runs are ordered
    on the true values (``_mixed_run``). Sums of half-integers: exact.

    ``flags`` and ``same`` from mark_runs: its 8-byte words skip the stretches without runs, and
    the scan stops once the ``same`` neighbour pairs are accounted for. The common cases are
    written out in the loop: a call with array arguments costs ~70 ns (reference counts) per run.
    """
    mask = (np.int64(1) << shift) - 1
    words = flags.view(np.uint64)
    dxy = 0.0
    dxx = 0.0
    k = 0
    while same > 0 and k < m - 1:
        if words[k >> 3] == 0:
            k = (k | 7) + 1
            continue
        if flags[k] == 0:
            k += 1
            continue
        end = k + 1
        while flags[end]:
            end += 1
        end += 1  # the run is keys[k:end]
        size = end - k
        same -= size - 1
        first = x[keys[k] & mask]
        tied = True
        for j in range(k + 1, end):
            tied &= x[keys[j] & mask] == first
        if tied:  # every rank becomes the run's average; the squares lose the run's own spread
            average = k + 0.5 * (size + 1)
            for j in range(size):
                dxy += (average - (k + j + 1.0)) * ry[keys[k + j] & mask]
            dxx -= size * (size * size - 1.0) / 12.0
        elif size == 2:  # two values, in the wrong order (sorted by column): swap their ranks
            a, b = keys[k] & mask, keys[k + 1] & mask
            if x[a] > x[b]:
                dxy += ry[a] - ry[b]
        else:
            dx, dy = _mixed_run(keys, k, end, shift, x, ry, mean, scratch, rx)
            dxy += dy
            dxx += dx
        k = end
    return dxy, dxx


@njit(cache=True)
def _mixed_run(keys, start, end, shift, x, ry, mean, scratch, rx):
    """(change of sum (rank - mean)**2, change of sum rank * ry) for the run keys[start:end] of
    several values: ordered on the true values (insertion sort, mergesort when long), ties averaged."""
    mask = (np.int64(1) << shift) - 1
    dxy = 0.0
    dxx = 0.0
    run = scratch[: end - start]
    for j in range(end - start):
        col = keys[start + j] & mask
        run[j] = col
        positional = start + j + 1.0
        dxy -= positional * ry[col]
        dxx -= (positional - mean) * (positional - mean)
    _order_run(run, x)
    average_ranks(x, run, end - start, rx)
    for j in range(end - start):
        exact = rx[run[j]] + start
        dxy += exact * ry[run[j]]
        dxx += (exact - mean) * (exact - mean)
    return dxx, dxy


@njit(cache=True)
def _order_run(run, x):
    """Sort the columns of ``run`` by ascending x in place."""
    if run.shape[0] > _SHORT_RUN:
        values = np.empty(run.shape[0])
        for j in range(run.shape[0]):
            values[j] = x[run[j]]
        run[:] = run[np.argsort(values, kind="mergesort")]
        return
    for j in range(1, run.shape[0]):
        col = run[j]
        value = x[col]
        q = j - 1
        while q >= 0 and x[run[q]] > value:
            run[q + 1] = run[q]
            q -= 1
        run[q + 1] = col
