"""simulate(): hand-computed cases for each step, the numba pass against a slow numpy twin, IS/OS."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from pipelines.errors import SettingsError
from pipelines.kernels import decay_row, neutralize_row, truncate_row
from pipelines.panel import Panel
from pipelines.settings import SimulationSettings, split_index
from pipelines.simulate import negated, simulate

BOOK = 20e6


# ---------------------------------------------------------------- slow, obvious reference twin


def reference_truncate(w: np.ndarray, limit: float) -> np.ndarray:
    """Clip |w| at limit, rescale to sum|w| = 1, repeat until it holds (cap wins if infeasible)."""
    w = w.copy()
    if np.count_nonzero(w) * limit < 1.0:
        return np.clip(w, -limit, limit)
    for _ in range(100_000):
        if np.max(np.abs(w)) <= limit * (1 + 1e-13):
            break
        w = np.clip(w, -limit, limit)
        w = w / np.sum(np.abs(w))
    return w


def reference_weights(alpha, member, groups, delay, decay, truncation):
    """Weights [T, N] day by day with plain numpy."""
    t_len, n = alpha.shape
    weights = np.zeros((t_len, n))
    for t in range(t_len):
        a = t - delay
        if a < 0:
            continue
        rows = [(max(decay, 1) - k, alpha[a - k]) for k in range(max(decay, 1)) if a - k >= 0]
        num = sum(wt * np.nan_to_num(x) for wt, x in rows)
        den = sum(wt * ~np.isnan(x) for wt, x in rows)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        valid = member[t] & np.isfinite(v)
        if groups is not None:
            valid &= groups >= 0
            for g in np.unique(groups[valid]):
                sel = valid & (groups == g)
                v[sel] -= v[sel].mean()
        total = np.abs(v[valid]).sum()
        if not total > 0:
            continue
        w = np.zeros(n)
        w[valid] = v[valid] / total
        weights[t] = reference_truncate(w, truncation) if truncation > 0 else w
    return weights


def reference_days(alpha, member, returns, weights, delay):
    """pnl/book, traded/book, IC and rank IC of each pnl day d >= 1 (from w[d-1])."""
    t_len = alpha.shape[0]
    pnl, traded, ic, ric = (np.full(t_len, np.nan) for _ in range(4))
    for d in range(1, t_len):
        pnl[d] = np.sum(weights[d - 1] * np.nan_to_num(returns[d]))
        traded[d] = np.sum(np.abs(weights[d - 1] - (weights[d - 2] if d >= 2 else 0.0)))
        a = d - 1 - delay
        if a < 0:
            continue
        x, y = alpha[a], returns[d]
        ok = member[d - 1] & np.isfinite(x) & np.isfinite(y)
        if ok.sum() >= 2 and np.std(x[ok]) > 0 and np.std(y[ok]) > 0:
            ic[d] = np.corrcoef(x[ok], y[ok])[0, 1]
            rx, ry = pd.Series(x[ok]).rank(), pd.Series(y[ok]).rank()
            if rx.std() > 0 and ry.std() > 0:
                ric[d] = np.corrcoef(rx, ry)[0, 1]
    return pnl, traded, ic, ric


def random_panel(t: int, n: int, seed: int) -> tuple[Panel, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.02, (t, n)), axis=0))
    close[rng.random((t, n)) < 0.05] = np.nan
    volume = rng.lognormal(10, 1, (t, n))
    sector = rng.integers(-1, 3, n)
    panel = Panel.from_arrays({"close": close, "volume": volume}, groups={"sector": sector})
    alpha = rng.normal(size=(t, n))
    alpha[rng.random((t, n)) < 0.1] = np.nan
    alpha[:, 0] = np.round(alpha[:, 0])  # ties for the rank IC
    alpha[:, 1] = alpha[:, 0]
    return panel, alpha


# ---------------------------------------------------------------- hand-computed cases


def test_decay_averages_available_values_with_their_weights():
    alpha = np.array([[1.0, 2.0], [np.nan, 4.0], [4.0, np.nan]])
    out, scratch = np.empty(2), np.empty(2)
    decay_row(alpha, 2, 3, out, scratch)
    # instrument 0: weights 1 (row 0), 2 (row 1, NaN), 3 (row 2) -> (1*1 + 3*4) / (1 + 3)
    # instrument 1: (1*2 + 2*4) / (1 + 2)
    np.testing.assert_allclose(out, [13 / 4, 10 / 3])
    decay_row(alpha, 0, 3, out, scratch)  # window edge: only row 0 exists
    np.testing.assert_allclose(out, [1.0, 2.0])
    decay_row(alpha, 1, 0, out, scratch)  # 0 = off
    np.testing.assert_array_equal(np.isnan(out), [True, False])


@pytest.mark.parametrize("n_groups", [2, 1, 0])
def test_neutralize_subtracts_group_mean_over_valid_members(n_groups):
    values = np.array([1.0, 2.0, 3.0, 4.0, 9.0, 5.0, np.nan])
    member = np.array([True, True, True, True, False, True, True])
    group = np.array([0, 0, 1, 1, 1, -1, 0]) if n_groups == 2 else np.array([0, 0, 0, 0, 0, -1, 0])
    valid = np.empty(7, dtype=np.bool_)
    total = neutralize_row(values, values, member, group, n_groups, valid, np.empty(2), np.empty(2, dtype=np.int64))
    expected = {
        2: [-0.5, 0.5, -0.5, 0.5],  # group means 1.5 and 3.5
        1: [-1.5, -0.5, 0.5, 1.5],  # one market mean 2.5 (the non-member 9 and no-group 5 left out)
        0: [1.0, 2.0, 3.0, 4.0],
    }[n_groups]
    np.testing.assert_allclose(values[:4], expected)
    assert total == pytest.approx(np.sum(np.abs(expected)) + (5.0 if n_groups == 0 else 0.0))
    assert values[4] == 0.0 and not valid[4]  # not a member: out of the mean, no position
    assert valid[5] == (n_groups == 0)  # no group -> no position when neutralizing
    assert not valid[6] and values[6] == 0.0  # NaN -> no position


@pytest.mark.parametrize(
    ("weights", "limit", "expected"),
    [
        ([0.7, 0.1, 0.1, 0.1], 0.4, [0.4, 0.2, 0.2, 0.2]),  # 0.6 left over 0.3 -> x2
        ([0.5, -0.3, 0.1, 0.1], 0.3, [0.3, -0.3, 0.2, 0.2]),  # second round caps -0.3*1.4
        ([0.5, -0.3, 0.2, 0.0], 0.2, [0.2, -0.2, 0.2, 0.0]),  # 3 * 0.2 < 1: the cap wins
        ([0.25, -0.25, 0.25, -0.25], 0.25, [0.25, -0.25, 0.25, -0.25]),  # exactly at the limit
    ],
)
def test_truncation_hand_cases(weights, limit, expected):
    w = np.array(weights)
    truncate_row(w, limit, np.empty(len(w), dtype=np.bool_))
    np.testing.assert_allclose(w, expected, atol=1e-15)


def test_tiny_panel_by_hand():
    close = np.array([[10.0, 20.0, 40.0], [11.0, 19.0, 40.0], [11.0, 19.0, 44.0], [12.1, np.nan, 44.0]])
    panel = Panel.from_arrays({"close": close, "volume": np.ones_like(close)})
    alpha = np.array([[3.0, 1.0, np.nan], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [9.0, 9.0, 9.0]])
    settings = SimulationSettings(universe="ALL", delay=0, neutralization="NONE", truncation=0)
    result = simulate(alpha, panel, settings, is_end=4, keep_weights=True)
    # w[0] = [3, 1, -] / 4; w[1] = [1, 2, 3] / 6; w[2] all zero (sum 0 -> no position)
    np.testing.assert_allclose(result.weights[:3], [[0.75, 0.25, 0], [1 / 6, 2 / 6, 3 / 6], [0, 0, 0]])
    # returns day 1 = [0.1, -0.05, 0]; day 2 = [0, 0, 0.1]; day 3 = [0.1, NaN, 0]
    expected = BOOK * np.array([0.75 * 0.1 + 0.25 * -0.05, 0.5 * 0.1, 0.0])
    np.testing.assert_allclose(result.daily_pnl, expected)
    m = result.is_metrics
    assert m.days == 3
    # traded: day 1 the entry |w[0]| = 1; day 2 |w[1] - w[0]|; day 3 the exit |w[1]| = 1
    np.testing.assert_allclose(m.turnover, np.mean([1.0, abs(1 / 6 - 0.75) + abs(2 / 6 - 0.25) + 0.5, 1.0]))
    np.testing.assert_allclose(m.long_count, (2 + 3 + 0) / 3)
    assert m.short_count == 0
    # IC day 1: corr([3, 1], [0.1, -0.05]) = 1; day 2: corr([1,2,3],[0,0,.1]) = sqrt(3)/2; day 3 constant
    np.testing.assert_allclose(m.ic, (1.0 + math.sqrt(3) / 2) / 2)
    assert result.max_weight == 0.75


def test_delay_one_uses_yesterdays_alpha_and_skips_days_before_first_position():
    close = np.array([[10.0, 10.0], [11.0, 9.0], [12.1, 9.9], [12.1, 9.9]])
    panel = Panel.from_arrays({"close": close, "volume": np.ones_like(close)})
    alpha = np.array([[1.0, -1.0], [-1.0, 1.0], [5.0, 5.0], [0.0, 0.0]])
    settings = SimulationSettings(universe="ALL", delay=1, neutralization="NONE", truncation=0)
    result = simulate(alpha, panel, settings, is_end=4, keep_weights=True)
    # w[0] nothing (no alpha[-1]); w[1] from alpha[0] = [.5, -.5]; w[2] from alpha[1] = [-.5, .5]
    np.testing.assert_allclose(result.weights[:3], [[0, 0], [0.5, -0.5], [-0.5, 0.5]])
    # pnl day 1 is before the first position: not counted. day 2: .5*.1 - .5*.1; day 3: zero returns
    np.testing.assert_allclose(result.daily_pnl, [BOOK * (0.5 * 0.1 - 0.5 * 0.1), 0.0], atol=1e-6)
    assert str(result.dates[0]) == str(panel.dates[2])


# ---------------------------------------------------------------- numba pass == slow twin


@pytest.mark.parametrize(
    ("delay", "decay", "neutralization", "truncation", "universe", "n"),
    [
        (1, 0, "NONE", 0.0, "ALL", 16),
        (0, 3, "SECTOR", 0.08, "TOP12", 16),
        (1, 5, "MARKET", 0.15, "TOP9", 16),
        (1, 2, "SECTOR", 0.05, "ALL", 16),  # infeasible cap on small days
        # wide: the vectorized loop bodies run, not only their scalar tails
        (1, 4, "MARKET", 0.03, "TOP90", 100),
        (0, 0, "SECTOR", 0.0, "ALL", 100),
    ],
)
def test_simulate_matches_reference(delay, decay, neutralization, truncation, universe, n):
    panel, alpha = random_panel(60, n, seed=delay * 10 + decay)
    settings = SimulationSettings(
        universe=universe, delay=delay, decay=decay, neutralization=neutralization, truncation=truncation
    )
    result = simulate(alpha, panel, settings, is_end=60, keep_weights=True)
    member = panel.universe(universe)
    groups = None if neutralization == "NONE" else panel.groups[neutralization.lower()]
    weights = reference_weights(alpha, member, groups, delay, decay, truncation)
    np.testing.assert_allclose(result.weights, weights, atol=1e-12, err_msg=f"{settings}")
    pnl, traded, ic, ric = reference_days(alpha, member, panel.returns, weights, delay)
    first = int(np.flatnonzero(np.abs(weights).sum(axis=1) > 0)[0]) + 1
    np.testing.assert_allclose(result.daily_pnl, BOOK * pnl[first:], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(result.is_metrics.turnover, np.mean(traded[first:]), rtol=1e-9)
    np.testing.assert_allclose(result.is_metrics.ic, np.nanmean(ic[first:]), rtol=1e-9)
    np.testing.assert_allclose(result.is_metrics.rank_ic, np.nanmean(ric[first:]), rtol=1e-9)
    assert result.max_weight == pytest.approx(np.abs(weights[first - 1 : 59]).max())


# ---------------------------------------------------------------- in-sample / out-of-sample


def test_garbage_in_the_os_tail_leaves_is_figures_bit_identical(tiny_panel):
    settings = SimulationSettings(universe="ALL", decay=2, neutralization="SECTOR", truncation=0.4)
    is_end = split_index(tiny_panel.T, settings.os_fraction)
    fields = {name: np.array(tiny_panel.fields[name]) for name in ("open", "high", "low", "close", "volume")}
    garbage = {k: v.copy() for k, v in fields.items()}
    rng = np.random.default_rng(5)
    for value in garbage.values():
        value[is_end:] = rng.lognormal(3, 2, value[is_end:].shape)
    results = []
    for data in (fields, garbage):
        panel = Panel.from_arrays(data, groups=tiny_panel.groups)
        alpha = -np.asarray(panel.returns)  # causal: uses data through day t
        results.append(simulate(alpha, panel, settings))
    clean, dirty = results
    assert clean.is_metrics.to_dict() == dirty.is_metrics.to_dict()
    assert [y.to_dict() for y in clean.years] == [y.to_dict() for y in dirty.years]
    np.testing.assert_array_equal(clean.daily_pnl, dirty.daily_pnl)
    assert clean.is_metrics.days == is_end - 3  # returns[0] is NaN: first position w[2] earns day 3
    assert clean.os_metrics is None and clean.dates[-1] < tiny_panel.dates[is_end]


def test_include_os_keeps_is_figures_and_adds_the_tail(tiny_panel):
    settings = SimulationSettings(universe="ALL", truncation=0.5)
    alpha = np.asarray(tiny_panel.field("close")) * -1.0
    is_only = simulate(alpha, tiny_panel, settings)
    both = simulate(alpha, tiny_panel, settings, include_os=True)
    # equal up to the last bits: the day kernels' sums are reassociated (vectorised) by length
    got, want = both.is_metrics.to_dict(), is_only.is_metrics.to_dict()
    numbers = {k for k, v in want.items() if isinstance(v, float)}
    assert {k: got[k] for k in numbers} == pytest.approx({k: want[k] for k in numbers}, rel=1e-12, abs=1e-9)
    assert {k: got[k] for k in got if k not in numbers} == {k: want[k] for k in want if k not in numbers}
    assert both.os_metrics.days == tiny_panel.T - both.is_end == 8
    assert both.os_dates[0] == tiny_panel.dates[both.is_end]


def test_costs_lower_net_figures_by_cost_bps_of_traded_dollars(tiny_panel):
    alpha = np.asarray(tiny_panel.field("close"))
    gross = simulate(alpha, tiny_panel, SimulationSettings(universe="ALL")).is_metrics
    net = simulate(alpha, tiny_panel, SimulationSettings(universe="ALL", cost_bps=5)).is_metrics
    assert net.sharpe == gross.sharpe and net.net_sharpe < gross.sharpe
    traded = gross.turnover * BOOK * gross.days
    assert net.net_pnl == pytest.approx(gross.pnl - traded * 5e-4)


def test_bad_inputs_are_settings_errors(tiny_panel):
    with pytest.raises(SettingsError, match="shape"):
        simulate(np.zeros((3, 3)), tiny_panel, SimulationSettings())
    with pytest.raises(SettingsError, match="SUBINDUSTRY.*available: NONE, INDUSTRY, MARKET, SECTOR"):
        simulate(np.zeros((40, 6)), tiny_panel, SimulationSettings(neutralization="SUBINDUSTRY"))


def test_result_is_frozen(tiny_panel):
    result = simulate(np.ones((40, 6)), tiny_panel, SimulationSettings(universe="ALL"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.max_weight = 1.0  # type: ignore[misc]


# ---------------------------------------------------------------- the negated alpha without simulating it


@pytest.mark.parametrize(
    ("delay", "decay", "neutralization", "truncation", "universe", "cost_bps"),
    [
        (1, 0, "NONE", 0.0, "ALL", 0.0),
        (0, 3, "SECTOR", 0.08, "TOP12", 5.0),
        (1, 5, "MARKET", 0.15, "TOP90", 0.0),
        (1, 2, "SECTOR", 0.05, "ALL", 2.0),  # infeasible cap on small days
    ],
)
def test_negated_equals_simulating_the_negated_alpha(delay, decay, neutralization, truncation, universe, cost_bps):
    panel, alpha = random_panel(300, 100, seed=decay + 7)
    settings = SimulationSettings(universe=universe, delay=delay, decay=decay, neutralization=neutralization,
                                  truncation=truncation, cost_bps=cost_bps)
    result = simulate(alpha, panel, settings, is_end=240, include_os=True, keep_weights=True)
    derived, direct = negated(result), simulate(-alpha, panel, settings, is_end=240, include_os=True, keep_weights=True)
    assert direct.is_metrics.sharpe == pytest.approx(-result.is_metrics.sharpe, rel=1e-12)
    for got, expected in [(derived.is_metrics, direct.is_metrics), (derived.os_metrics, direct.os_metrics),
                          *zip(derived.years, direct.years, strict=True)]:
        for name, value in dataclasses.asdict(expected).items():
            if isinstance(value, float):
                np.testing.assert_allclose(getattr(got, name), value, rtol=1e-12, atol=1e-12, err_msg=name)
            else:
                assert getattr(got, name) == value, name
    np.testing.assert_array_equal(derived.weights, direct.weights)
    np.testing.assert_allclose(derived.daily_pnl, direct.daily_pnl, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(derived.os_daily_pnl, direct.os_daily_pnl, rtol=1e-12, atol=1e-9)
    assert derived.max_weight == direct.max_weight
    assert derived.is_metrics.long_count == result.is_metrics.short_count


def test_negating_a_result_without_daily_figures_is_an_error():
    panel, alpha = random_panel(40, 8, seed=1)
    result = dataclasses.replace(simulate(alpha, panel, SimulationSettings(universe="ALL")), days=None)
    with pytest.raises(SettingsError, match="no daily figures"):
        negated(result)
