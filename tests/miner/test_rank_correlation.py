import numpy as np
import pytest

from miner.rank_correlation import mean_rank_correlation, mean_row_correlation


def slow_mean_row_correlation(a, b):
    values = []
    for x, y in zip(a, b):
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 5 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
            continue
        values.append(np.corrcoef(x[ok], y[ok])[0, 1])
    return float(np.mean(values)) if values else 0.0


@pytest.mark.parametrize("seed", range(5))
def test_mean_row_correlation_matches_a_slow_twin(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(30, 12))
    b = 0.5 * a + rng.normal(size=a.shape)
    a[rng.random(a.shape) < 0.2] = np.nan
    b[rng.random(b.shape) < 0.2] = np.nan
    a[3] = 1.0  # a constant row has no correlation and is left out
    b[7, :8] = np.nan  # a row with fewer than 5 common values is left out
    a[11] = np.round(a[11])  # ties
    assert mean_row_correlation(a, b) == pytest.approx(slow_mean_row_correlation(a, b), abs=1e-12)


def slow_spearman_by_day(a, b, member):
    values = []
    for x, y, m in zip(a, b, member):
        ok = m & np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 5:
            continue
        rx, ry = average_ranks(x[ok]), average_ranks(y[ok])
        if np.std(rx) == 0 or np.std(ry) == 0:
            continue
        values.append(np.corrcoef(rx, ry)[0, 1])
    return float(np.mean(values)) if values else 0.0


def average_ranks(x):
    return np.array([np.sum(x < v) + (np.sum(x == v) + 1) / 2 for v in x])


@pytest.mark.parametrize("seed", range(5))
def test_mean_rank_correlation_matches_a_slow_twin(seed):
    rng = np.random.default_rng(seed)
    a = np.round(rng.normal(size=(25, 15)), 1)  # ties
    b = a ** 3 + rng.normal(size=a.shape)
    a[rng.random(a.shape) < 0.15] = np.nan
    b[rng.random(b.shape) < 0.15] = np.nan
    member = rng.random(a.shape) < 0.8
    assert mean_rank_correlation(a, b, member) == pytest.approx(slow_spearman_by_day(a, b, member), abs=1e-12)
