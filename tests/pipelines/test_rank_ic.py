"""Rank IC by day: the packed-key sort + cached return ranks against pandas' rank, by hand and at random."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines import rank_ic
from pipelines.rank_ic import index_bits, rank_ic_by_day, return_order


def reference_rank_ic(alpha, member, returns, delay):
    """Slow twin: for each pnl day d, Spearman (pandas average ranks) of alpha[d-1-delay] vs returns[d]."""
    t_len = alpha.shape[0]
    out = np.full(t_len, np.nan)
    for d in range(1 + delay, t_len):
        x, y = alpha[d - 1 - delay], returns[d]
        ok = member[d - 1] & np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 2:
            continue
        rx, ry = pd.Series(x[ok]).rank().to_numpy(), pd.Series(y[ok]).rank().to_numpy()
        if np.std(rx) > 0 and np.std(ry) > 0:
            out[d] = np.corrcoef(rx, ry)[0, 1]
    return out


def nasty_panel(t: int, n: int, seed: int):
    """Random alpha/returns with NaN, inf, ties, +-0.0 and values a few ulps apart."""
    rng = np.random.default_rng(seed)
    alpha = rng.normal(size=(t, n))
    alpha[rng.random((t, n)) < 0.1] = np.nan
    alpha[rng.random((t, n)) < 0.02] = np.inf
    alpha[:, : n // 4] = np.round(alpha[:, : n // 4])  # ties (with -0.0 and 0.0 among them)
    near = rng.random((t, n)) < 0.1  # same high key bits: differ only in the cleared low bits
    alpha[near] = 1.0 + rng.integers(0, 64, near.sum()) * np.finfo(float).eps
    alpha[rng.random((t, n)) < 0.05] = -0.0
    returns = np.round(rng.normal(0, 0.02, size=(t, n)), 3)  # ties on the return side too
    returns[rng.random((t, n)) < 0.05] = np.nan
    member = rng.random((t, n)) < 0.85
    return alpha, member, returns


@pytest.mark.parametrize("n", [1, 2, 3, 17, 64, 65, 300])
@pytest.mark.parametrize("delay", [0, 1])
def test_matches_pandas_ranks_at_random(n, delay):
    alpha, member, returns = nasty_panel(30, n, seed=n * 7 + delay)
    got = rank_ic_by_day(alpha, member, returns, delay)
    expected = reference_rank_ic(alpha, member, returns, delay)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14, err_msg=f"n={n} delay={delay}")


def test_dense_days_use_the_cached_return_ranks():
    # No NaN alpha: every day takes the cached-ranks path; must equal the per-alpha walk.
    alpha, member, returns = nasty_panel(25, 40, seed=3)
    dense = np.nan_to_num(alpha, nan=0.5, posinf=2.0)
    got = rank_ic_by_day(dense, member, returns, 1, return_order(member, returns))
    np.testing.assert_allclose(got, reference_rank_ic(dense, member, returns, 1), rtol=1e-12, atol=1e-14)


def test_hand_computed_day():
    # day 1 pairs: alpha[0] = [3, 1, 2, 2] vs returns[1] = [0.1, -0.1, 0.0, 0.2] (all members)
    # ranks x = [4, 1, 2.5, 2.5], y = [3, 1, 2, 4]; deviations from 2.5: x [1.5, -1.5, 0, 0],
    # y [0.5, -1.5, -0.5, 1.5]; sxy = 0.75 + 2.25 = 3, sxx = 4.5, syy = 5 -> 3 / sqrt(22.5)
    alpha = np.array([[3.0, 1.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    returns = np.array([[np.nan] * 4, [0.1, -0.1, 0.0, 0.2]])
    member = np.ones((2, 4), dtype=bool)
    got = rank_ic_by_day(alpha, member, returns, delay=0)
    assert np.isnan(got[0])
    assert got[1] == pytest.approx(3 / np.sqrt(22.5), rel=1e-15)
    assert np.isnan(rank_ic_by_day(alpha, member, returns, delay=1)).all()  # day 1 needs alpha[-1]


def test_return_order_lists_members_with_returns_in_order():
    returns = np.array([[np.nan, np.nan, np.nan], [0.3, np.nan, -0.1], [0.2, 0.2, 0.1]])
    member = np.array([[True, True, True], [False, True, True], [True, True, True]])
    order, counts, ranks, spread = return_order(member, returns)
    assert counts.tolist() == [0, 2, 2]
    assert order[1, :2].tolist() == [2, 0]  # -0.1 then 0.3
    assert order[2, :2].tolist() == [2, 1]  # symbol 0 was not a member on day 1
    np.testing.assert_array_equal(ranks[2], [0, 4, 2])  # twice the ranks; 0 off the day's pairs
    assert spread.tolist() == [0.0, 0.5, 0.5]  # ranks 1, 2 about 1.5


def test_index_bits_cover_every_column():
    assert [index_bits(n) for n in (1, 2, 3, 4, 5, 505, 512, 513)] == [1, 1, 2, 2, 3, 9, 9, 10]


def test_crowded_buckets_resolve_on_the_true_values():
    # One huge value stretches the row's range: the rest share a few buckets (long runs, argsort).
    alpha, member, returns = nasty_panel(20, 200, seed=5)
    alpha[:, 0] = 1e300
    alpha[:, 1:150] = 1.0 + np.arange(149) * np.finfo(float).eps * 3
    alpha[::2, 150:] = -1e-300
    got = rank_ic_by_day(alpha, member, returns, 0)
    np.testing.assert_allclose(got, reference_rank_ic(alpha, member, returns, 0), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shift", [29, 30, 31])
def test_keys_with_little_or_no_room_for_the_value(shift):
    # Very wide panels leave few bits for the bucket: correctness then rests on resolve_runs.
    alpha, member, returns = nasty_panel(12, 40, seed=shift)
    order = return_order(member, returns)
    keys = np.empty(alpha.shape, dtype=np.int32)
    pairs = np.zeros(alpha.shape[0], dtype=np.int64)
    rank_ic.alpha_keys(alpha, member, returns, 1, shift, keys, pairs)
    keys.sort(axis=1)
    got = np.full(alpha.shape[0], np.nan)
    rank_ic.rank_ic_rows(keys, pairs, alpha, returns, 1, shift, *order, got)
    np.testing.assert_allclose(got, reference_rank_ic(alpha, member, returns, 0), rtol=1e-12, atol=1e-14)


def test_quantized_alphas_long_tied_runs():
    # ts_rank(x, 3)-like alphas take 3 values: runs of ~100 ties, mixed with a few distinct values.
    alpha, member, returns = nasty_panel(15, 300, seed=11)
    alpha = np.where(np.isnan(alpha), np.nan, np.random.default_rng(11).integers(0, 3, alpha.shape) / 2.0)
    alpha[:, :5] = np.random.default_rng(12).normal(size=(15, 5))
    got = rank_ic_by_day(alpha, member, returns, 1)
    np.testing.assert_allclose(got, reference_rank_ic(alpha, member, returns, 1), rtol=1e-12, atol=1e-14)
