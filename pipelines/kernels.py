"""numba kernels of the simulator: alpha rows -> weights -> daily figures, in one pass over days.

Row kernels (``decay_row``, ``neutralize_row``, ``scale_row``, ``truncate_row``) each do one
step on one day; ``simulate_days`` chains them and writes the per-day figures. Their slow twins
live in ``tests/pipelines/test_simulate.py`` (plain numpy) and are compared on random data with
NaNs, window edges and ties. Conventions (see ``pipelines.simulate``): weights are fractions of
the book; the figures of pnl day d come from the weights w[d-1] taken at the close of day d-1.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def decay_row(alpha, row, decay, out):
    """Linear decay of alpha rows row-decay+1..row (weights 1..decay, newest = decay) into out.

    NaN (and rows before 0) are skipped: the average is over the available values with their
    weights; all unavailable -> NaN. decay <= 1 copies the row. row < 0 -> all NaN.
    """
    n = alpha.shape[1]
    if row < 0:
        out[:] = np.nan
        return
    if decay <= 1:
        out[:] = alpha[row]
        return
    for i in range(n):
        num = 0.0
        den = 0.0
        for k in range(decay):
            s = row - k
            if s < 0:
                break
            v = alpha[s, i]
            if not np.isnan(v):
                weight = decay - k
                num += weight * v
                den += weight
        out[i] = num / den if den > 0 else np.nan


@njit(cache=True)
def neutralize_row(values, valid, group, n_groups, sums, counts):
    """Subtract from each valid value the mean of the valid values of its group (in place).

    Instruments with a negative group code have no group: they are marked invalid.
    """
    sums[:n_groups] = 0.0
    counts[:n_groups] = 0
    for i in range(values.shape[0]):
        if valid[i]:
            g = group[i]
            if g < 0:
                valid[i] = False
                continue
            sums[g] += values[i]
            counts[g] += 1
    for i in range(values.shape[0]):
        if valid[i]:
            g = group[i]
            values[i] -= sums[g] / counts[g]


@njit(cache=True)
def scale_row(values, valid, out):
    """out = values / sum|values| over valid (0 elsewhere); returns False when the sum is 0."""
    total = 0.0
    for i in range(values.shape[0]):
        if valid[i]:
            total += abs(values[i])
    if not total > 0.0 or np.isinf(total):
        out[:] = 0.0
        return False
    for i in range(values.shape[0]):
        out[i] = values[i] / total if valid[i] else 0.0
    return True


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


@njit(cache=True)
def _pearson(x, y, m):
    if m < 2:
        return np.nan
    mx = 0.0
    my = 0.0
    for k in range(m):
        mx += x[k]
        my += y[k]
    mx /= m
    my /= m
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for k in range(m):
        dx = x[k] - mx
        dy = y[k] - my
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    if sxx <= 0.0 or syy <= 0.0:
        return np.nan
    return sxy / np.sqrt(sxx * syy)


@njit(cache=True)
def average_ranks(x, order, m, out):
    """Ranks 1..m of the first m entries of x in ``order`` (ascending), ties get their average rank."""
    k = 0
    while k < m:
        j = k
        while j + 1 < m and x[order[j + 1]] == x[order[k]]:
            j += 1
        rank = 0.5 * (k + j) + 1.0
        for q in range(k, j + 1):
            out[order[q]] = rank
        k = j + 1


@njit(cache=True)
def rank_correlation_rows(x, y, order_x, order_y, out):
    """out[t] = Spearman correlation of rows x[t], y[t] over their non-NaN pairs.

    x and y are NaN at the same places; order_x / order_y are their row-wise argsorts with NaN
    last, made by numpy because its SIMD sort is ~6x numba's (callers sort with NaN -> +inf:
    NaN keys switch numpy off its SIMD path, ~6x slower).
    NaN when fewer than 2 pairs or a row is constant.
    """
    t_len, n = x.shape
    rx = np.empty(n)
    ry = np.empty(n)
    for t in range(t_len):
        m = 0
        for i in range(n):
            if not np.isnan(x[t, i]):
                m += 1
        if m < 2:
            out[t] = np.nan
            continue
        average_ranks(x[t], order_x[t], m, rx)
        average_ranks(y[t], order_y[t], m, ry)
        out[t] = _pearson_masked(rx, ry, x[t])


@njit(cache=True)
def _pearson_masked(a, b, mask_source):
    """Pearson correlation of a, b over the entries where mask_source is not NaN."""
    n = a.shape[0]
    xs = np.empty(n)
    ys = np.empty(n)
    m = 0
    for i in range(n):
        if not np.isnan(mask_source[i]):
            xs[m] = a[i]
            ys[m] = b[i]
            m += 1
    return _pearson(xs, ys, m)


@njit(cache=True)
def simulate_days(alpha, member, returns, group, n_groups, delay, decay, truncation, weights_out, figures):
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
        4 IC, 5 rank IC (left NaN: ``rank_correlation_rows`` fills it), 6 1.0 when the day's position (w[d-1]) is not empty, 7 max |w[d-1]|.
        Column d = pnl day d (d >= 1); a NaN return with a position contributes 0.
    """
    t_len, n = alpha.shape
    keep = weights_out.shape[0] == t_len
    row = np.empty(n)
    valid = np.empty(n, dtype=np.bool_)
    prev = np.zeros(n)
    cur = np.zeros(n)
    capped = np.empty(n, dtype=np.bool_)
    sums = np.empty(max(n_groups, 1))
    counts = np.empty(max(n_groups, 1), dtype=np.int64)
    xs = np.empty(n)
    ys = np.empty(n)
    figures[:, 0] = 0.0
    figures[4:6, 0] = np.nan
    for t in range(t_len):
        decay_row(alpha, t - delay, decay, row)
        for i in range(n):
            valid[i] = member[t, i] and np.isfinite(row[i])
        if n_groups > 0:
            neutralize_row(row, valid, group, n_groups, sums, counts)
        if scale_row(row, valid, cur) and truncation > 0.0:
            truncate_row(cur, truncation, capped)
        if keep:
            weights_out[t] = cur
        if t + 1 < t_len:
            _day_figures(alpha, t, delay, member, returns, prev, cur, xs, ys, figures[:, t + 1])
        prev, cur = cur, prev


@njit(cache=True)
def _day_figures(alpha, t, delay, member, returns, prev, cur, xs, ys, out):
    """Figures of pnl day t+1 from w[t] (cur), w[t-1] (prev), alpha[t-delay] and returns[t+1]."""
    n = cur.shape[0]
    pnl = 0.0
    traded = 0.0
    longs = 0
    shorts = 0
    largest = 0.0
    for i in range(n):
        w = cur[i]
        largest = max(largest, abs(w))
        r = returns[t + 1, i]
        if w != 0.0 and not np.isnan(r):
            pnl += w * r
        traded += abs(w - prev[i])
        if w > 0.0:
            longs += 1
        elif w < 0.0:
            shorts += 1
    out[0] = pnl
    out[1] = traded
    out[2] = longs
    out[3] = shorts
    out[6] = 1.0 if longs + shorts > 0 else 0.0
    out[7] = largest
    m = 0
    a = t - delay
    if a >= 0:
        for i in range(n):
            x = alpha[a, i]
            y = returns[t + 1, i]
            if member[t, i] and np.isfinite(x) and np.isfinite(y):
                xs[m] = x
                ys[m] = y
                m += 1
    out[4] = _pearson(xs, ys, m)
    out[5] = np.nan
