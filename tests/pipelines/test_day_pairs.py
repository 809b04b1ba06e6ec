"""The pairs of a pnl day: one read gives the Pearson IC and the rank keys; keys never invert values."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.day_pairs import NOT_A_KEY, pair_figures
from tests.pipelines.test_rank_ic import nasty_panel


def masked_pearson(x, member, y):
    """The IC alone: no keys asked for."""
    return pair_figures(x, member, y, 0, np.empty(0, dtype=np.int32))[0]


def slow_pearson(x, member, y):
    ok = member & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return np.nan
    return np.corrcoef(x[ok], y[ok])[0, 1]


@pytest.mark.parametrize("n", [1, 2, 5, 64, 300])
@pytest.mark.parametrize("shift", [9, 20, 31])
def test_keys_and_ic_of_nasty_rows(n, shift):
    alpha, member, returns = nasty_panel(12, n, seed=n + shift)
    mask = (1 << shift) - 1
    for x, ok_member, y in zip(alpha, member, returns):
        keys = np.empty(n, dtype=np.int32)
        ic, m = pair_figures(x, ok_member, y, shift, keys)
        pairs = ok_member & np.isfinite(x) & np.isfinite(y)
        assert m == pairs.sum()
        np.testing.assert_allclose(ic, slow_pearson(x, ok_member, y), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ic, masked_pearson(x, ok_member, y), rtol=1e-14)  # keys change nothing
        assert (keys[~pairs] == NOT_A_KEY).all()
        ordered = np.sort(keys[pairs])
        assert sorted(ordered & mask) == np.flatnonzero(pairs).tolist()  # each pair's own column
        values = x[ordered & mask]
        buckets = ordered >> shift
        # A later bucket never holds a smaller value: ties and near values only share a bucket.
        later = buckets[1:] > buckets[:-1]
        assert (values[1:][later] > values[:-1][later]).all()


def test_no_room_for_the_value_puts_every_pair_in_one_bucket():
    x = np.array([3.0, -1.0, 2.0, np.nan])
    keys = np.empty(4, dtype=np.int32)
    _ic, m = pair_figures(x, np.ones(4, dtype=bool), np.ones(4), 31, keys)
    assert m == 3
    assert keys.tolist() == [0, 1, 2, int(NOT_A_KEY)]


def test_buckets_follow_sign_and_magnitude():
    x = np.array([-1e3, -2.0, -1e-3, -0.0, 0.0, 1e-300, 1e-3, 2.0, 1e3])  # 1e-3: 20 binades below 1e3
    keys = np.empty(len(x), dtype=np.int32)
    pair_figures(x, np.ones(len(x), dtype=bool), np.zeros(len(x)), 4, keys)
    buckets = keys >> 4
    assert (np.diff(buckets) >= 0).all()
    assert buckets[3] == buckets[4] == buckets[5]  # +-0 and magnitudes 24 binades below the top tie
    assert len(set(buckets[[0, 1, 2, 6, 7, 8]])) == 6


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 37, 100])
def test_masked_pearson_matches_numpy(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        x, y = rng.normal(size=n), np.round(rng.normal(size=n), 1)  # ties on one side
        x[rng.random(n) < 0.1], y[rng.random(n) < 0.1] = np.nan, np.inf
        member = rng.random(n) < 0.8
        ok = member & np.isfinite(x) & np.isfinite(y)
        expected = np.nan
        if ok.sum() >= 2 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
            expected = np.corrcoef(x[ok], y[ok])[0, 1]
        np.testing.assert_allclose(masked_pearson(x, member, y), expected, rtol=1e-12, err_msg=f"n={n}")
    constant = np.ones(n)
    assert np.isnan(masked_pearson(constant, np.ones(n, dtype=bool), rng.normal(size=n)))


def test_masked_pearson_of_tiny_values_is_a_correlation_not_an_error():
    # Tiny alphas (a 120-day product of returns) once made sxx * syy underflow to 0.0
    rng = np.random.default_rng(5)
    x = rng.normal(size=50) * 1e-150  # squares ~1e-300 are fine; their product ~1e-600 is not
    y = rng.normal(size=50) * 1e-150
    member = np.ones(50, dtype=bool)
    expected = np.corrcoef(x * 1e150, y * 1e150)[0, 1]
    np.testing.assert_allclose(masked_pearson(x, member, y), expected, rtol=1e-10)
