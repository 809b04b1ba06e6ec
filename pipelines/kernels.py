"""numba kernels of the simulator: alpha rows -> weights -> daily figures, in one pass over days.

Row kernels (``decay_row``, ``neutralize_row``, ``scale_row``, ``truncate_row``) each do one
step on one day into preallocated buffers; ``simulate_days`` chains them and writes the per-day
figures, allocating nothing per day. Their slow twins live in ``tests/pipelines/test_simulate.py``
(plain numpy) and are compared on random data with NaNs, window edges and ties. Conventions (see
``pipelines.simulate``): weights are fractions of the book; the figures of pnl day d come from the
weights w[d-1] taken at the close of day d-1.

Sums over the instruments may be reassociated (``FAST``: numba's ``reassoc``/``nsz`` fast-math
flags): a strict left-to-right sum is one dependent add per instrument, ~4 cycles each, and was
most of the simulation's time; vectorised sums move the figures by ~1e-16 relative. NaN and
infinity tests keep their IEEE meaning (``nnan``/``ninf`` only in loops over finite weights).
The IC and the rank keys of each day's pairs are ``pipelines.day_pairs``; the rank IC kernels
are in ``pipelines.rank_ic``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from expressions.kernels.bitcast import MAGNITUDE, bits_float
from pipelines.day_pairs import NOT_A_KEY, pair_figures

FAST = {"reassoc", "nsz"}


@njit(cache=True, fastmath=FAST)
def decay_row(alpha, row, decay, out, den):
    """Linear decay of alpha rows row-decay+1..row (weights 1..decay, newest = decay) into out.

    NaN (and rows before 0) are skipped: the average is over the available values with their
    weights; all unavailable -> NaN. decay <= 1 copies the row. row < 0 -> all NaN.
    ``den`` is a scratch buffer of len(out).
    """
    if row < 0:
        out[:] = np.nan
        return
    if decay <= 1:
        out[:] = alpha[row]
        return
    # 1-D passes over two rows at a time (contiguous, vectorized): measured ~10x a 2-D loop with
    # a run-time decay, and pairs of rows halve the running sums' loads and stores.
    rows = min(decay, row + 1)
    _set_weighted(alpha[row], float(decay), out, den)
    k = 1
    while k + 1 < rows:
        _add_two_weighted(alpha[row - k], float(decay - k), alpha[row - k - 1], float(decay - k - 1), out, den)
        k += 2
    if k < rows:
        _add_weighted(alpha[row - k], float(decay - k), out, den)
    full = 0.5 * rows * (2 * decay - rows + 1)  # the weights of every row present
    if _count_below(den, full) == 0:
        _multiply(out, 1.0 / full)  # the common row: a multiply, not a division per value
        return
    for i in range(out.shape[0]):
        out[i] = out[i] / den[i] if den[i] > 0 else np.nan


@njit(cache=True, fastmath=FAST)
def _set_weighted(values, weight, num, den):
    """num = weight * values, den = weight, where values are not NaN (0 where NaN)."""
    for i in range(values.shape[0]):
        v = values[i]
        present = v == v
        num[i] = weight * v if present else 0.0
        den[i] = weight if present else 0.0


@njit(cache=True, fastmath=FAST)
def _count_below(values, limit):
    """How many values are below limit."""
    count = 0
    for i in range(values.shape[0]):
        count += values[i] < limit
    return count


@njit(cache=True, fastmath=FAST)
def _multiply(values, factor):
    for i in range(values.shape[0]):
        values[i] *= factor


@njit(cache=True, fastmath=FAST)
def _add_two_weighted(first, first_weight, second, second_weight, num, den):
    """``_add_weighted`` of two rows in one pass."""
    for i in range(first.shape[0]):
        a = first[i]
        b = second[i]
        num[i] += (first_weight * a if a == a else 0.0) + (second_weight * b if b == b else 0.0)
        den[i] += (first_weight if a == a else 0.0) + (second_weight if b == b else 0.0)


@njit(cache=True, fastmath=FAST)
def _add_weighted(values, weight, num, den):
    """num += weight * values, den += weight, where values are not NaN."""
    for i in range(values.shape[0]):
        v = values[i]
        present = v == v
        num[i] += weight * v if present else 0.0
        den[i] += weight if present else 0.0


@njit(cache=True, fastmath=FAST)
def neutralize_row(values, out, member, group, n_groups, valid, sums, counts):
    """Mark valid = member & finite (& group >= 0 when neutralizing) and write out = values less
    each valid value's group mean; invalid values become 0 (no position). n_groups 0 = none.
    ``out`` may be ``values`` itself.

    Returns sum |out|: the book the day's vector asks for.
    """
    n = values.shape[0]
    if n_groups > 1:
        _group_means(values, member, group, n_groups, valid, sums, counts)
        for i in range(n):
            ok = valid[i]
            g = group[i] if ok else 0
            out[i] = values[i] - sums[g] if ok else 0.0
    else:
        # No neutralization or one group (MARKET): masked sums, which vectorize.
        market = n_groups == 1
        total = 0.0
        count = 0
        for i in range(n):
            v = values[i]
            ok = member[i] & np.isfinite(v) & ((group[i] >= 0) | (not market))
            valid[i] = ok
            total += v if ok else 0.0
            count += ok
        mean = total / count if market and count > 0 else 0.0
        for i in range(n):
            v = values[i] - mean
            out[i] = v if valid[i] else 0.0
    total = 0.0
    for i in range(n):
        total += abs(out[i])
    return total


@njit(cache=True)
def _group_means(values, member, group, n_groups, valid, sums, counts):
    """valid = member & finite & group >= 0; sums[g] = mean of the valid values of group g."""
    sums[:n_groups] = 0.0
    counts[:n_groups] = 0
    for i in range(values.shape[0]):
        g = group[i]
        ok = member[i] and np.isfinite(values[i]) and g >= 0
        valid[i] = ok
        if ok:
            sums[g] += values[i]
            counts[g] += 1
    for g in range(n_groups):
        if counts[g] > 0:
            sums[g] = sums[g] / counts[g]


@njit(cache=True, fastmath=FAST)
def scale_row(values, total, out):
    """out = values / total, where values are 0 off the valid instruments and total = sum|values|.

    Returns max |out|; 0.0 and out = 0 when total is not a positive finite number: no position
    that day.
    """
    if not total > 0.0 or np.isinf(total):
        out[:] = 0.0
        return 0.0
    return _scale_finite(values, 1.0 / total, out)


@njit(cache=True, fastmath={"reassoc", "nsz", "nnan", "ninf"})
def _scale_finite(values, factor, out):
    """out = values * factor, returning max |out| (finite inputs), taken on the magnitudes' bit
    patterns (``expressions.kernels.bitcast``: an int64 max vectorizes, a float max does not)."""
    for i in range(values.shape[0]):
        out[i] = values[i] * factor
    bits = out.view(np.int64)
    top = np.int64(0)
    for i in range(values.shape[0]):
        top = max(top, bits[i] & MAGNITUDE)
    return bits_float(top)


@njit(cache=True)
def truncate_row(w, limit, capped):
    """Cap |w| at limit and give the excess to the others pro rata, keeping sum|w| = 1 (in place).

    Exact water-filling: the capped set only grows, so it ends after at most N rounds (the
    clip-rescale-repeat loop, without its geometric tail). When the cap is infeasible
    (limit * nonzero count < 1) the cap wins: weights are clipped and sum|w| < 1 that day.
    """
    n = w.shape[0]
    nonzero = 0
    for i in range(n):
        capped[i] = False
        if w[i] != 0.0:
            nonzero += 1
    if nonzero * limit < 1.0:
        for i in range(n):
            if abs(w[i]) > limit:
                w[i] = limit if w[i] > 0 else -limit
        return
    for _ in range(n + 1):
        n_capped = 0
        free = 0.0
        for i in range(n):
            if capped[i]:
                n_capped += 1
            else:
                free += abs(w[i])
        remaining = 1.0 - n_capped * limit
        scale = remaining / free if free > 0.0 else 0.0
        grew = False
        for i in range(n):
            if not capped[i] and abs(w[i]) * scale > limit:
                capped[i] = True
                grew = True
        if not grew:
            break
    for i in range(n):
        if capped[i]:
            w[i] = limit if w[i] > 0 else -limit
        else:
            w[i] *= scale


@njit(cache=True, fastmath=FAST)
def simulate_days(alpha, member, returns, group, n_groups, delay, decay, truncation, weights_out, figures,
                  rank_keys, pairs, shift):
    """Weights of every day and the figures of every pnl day, in one pass over the days.

    Parameters
    ----------
    alpha : float64 [T, N], the alpha matrix (alpha[t] uses data through day t).
    member : bool [T, N], universe membership.
    returns : float64 [T, N], returns[t] = close[t] / close[t-1] - 1.
    group : int64 [N] group codes 0..n_groups-1 (negative = no group); n_groups 0 = no neutralization.
    delay, decay, truncation : the settings (truncation 0 = off).
    weights_out : float64 [T, N] or [0, N]; written when it has T rows.
    figures : float64 [8, T]; row 0 pnl / book, 1 traded / book, 2 long count, 3 short count,
        4 IC, 5 rank IC (left NaN: ``pipelines.rank_ic`` fills it), 6 1.0 when the day's
        position (w[d-1]) is not empty, 7 max |w[d-1]|.
        Column d = pnl day d (d >= 1); a NaN return with a position contributes 0.
    rank_keys, pairs, shift : int32 [T, N] or [0, N], int64 [T], index bits: when rank_keys has T
        rows, the rank keys (``day_pairs.pair_figures``) of each pnl day and its pair count, built here
        while the day's rows are in cache (``rank_ic.rank_ic_from_keys`` finishes the rank IC).
    """
    t_len, n = alpha.shape
    keep = weights_out.shape[0] == t_len
    ranked = rank_keys.shape[0] == t_len
    if ranked:
        rank_keys[: min(1 + delay, t_len)] = NOT_A_KEY
        pairs[:] = 0
    row = np.empty(n)
    scratch = np.empty(n)
    missing = np.full(n, np.nan)
    valid = np.empty(n, dtype=np.bool_)
    prev = np.zeros(n)
    cur = np.zeros(n)
    capped = np.empty(n, dtype=np.bool_)
    no_keys = np.empty(0, dtype=np.int32)
    sums = np.empty(max(n_groups, 1))
    counts = np.empty(max(n_groups, 1), dtype=np.int64)
    figures[:, 0] = 0.0
    figures[4:6, 0] = np.nan
    for t in range(t_len):
        if decay > 1:
            decay_row(alpha, t - delay, decay, row, scratch)
            source = row
        else:
            source = alpha[t - delay] if t >= delay else missing
        total = neutralize_row(source, row, member[t], group, n_groups, valid, sums, counts)
        largest = scale_row(row, total, cur)
        if truncation > 0.0 and largest > truncation:
            truncate_row(cur, truncation, capped)
            largest = truncation  # the capped weights sit at the limit, the others below it
        if keep:
            weights_out[t] = cur
        if t + 1 < t_len:
            _position_figures(cur, prev, returns[t + 1], figures[:, t + 1])
            figures[6, t + 1] = 1.0 if largest > 0.0 else 0.0
            figures[7, t + 1] = largest
            a = t - delay
            figures[4:6, t + 1] = np.nan
            if a >= 0:
                keys = rank_keys[t + 1] if ranked else no_keys
                figures[4, t + 1], pairs[t + 1] = pair_figures(alpha[a], member[t], returns[t + 1], shift, keys)
        prev, cur = cur, prev


@njit(cache=True, fastmath=FAST)
def _position_figures(cur, prev, next_returns, out):
    """pnl, traded and long/short counts of the pnl day that w = cur earns (out[0:4]).

    One sum per loop: with two, LLVM packs the pair into one short vector instead of
    vectorizing the loop (measured ~8x slower).
    """
    n = cur.shape[0]
    pnl = 0.0
    for i in range(n):
        w = cur[i]
        r = next_returns[i]
        pnl += w * r if (w != 0.0) & (r == r) else 0.0
    traded = 0.0
    for i in range(n):
        traded += abs(cur[i] - prev[i])
    longs = 0
    for i in range(n):
        longs += cur[i] > 0.0
    shorts = 0
    for i in range(n):
        shorts += cur[i] < 0.0
    out[0] = pnl
    out[1] = traded
    out[2] = longs
    out[3] = shorts
