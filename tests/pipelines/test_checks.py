"""Submission checks and the deflated Sharpe ratio, against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.checks import SubmittedPnl, pnl_correlation, run_checks, sub_universe
from pipelines.deflated_sharpe import deflated_sharpe, deflated_sharpe_from_moments, expected_max_sharpe
from pipelines.metrics import DailyFigures, compute_metrics, sharpe_ratio
from pipelines.settings import SimulationSettings
from pipelines.simulate import SimulationResult

BOOK = 20e6
START = np.datetime64("2018-01-01")


def make_result(pnl, *, traded=0.2, max_weight=0.05, delay=1, universe="TOP500", os_pnl=None):
    pnl = np.asarray(pnl, dtype=float)
    dates = np.arange(START, START + len(pnl))
    days = _days(dates, pnl, traded)
    os_metrics = None
    if os_pnl is not None:
        os_dates = np.arange(dates[-1] + 1, dates[-1] + 1 + len(os_pnl))
        os_metrics = compute_metrics(_days(os_dates, np.asarray(os_pnl, dtype=float), traded), BOOK)
    return SimulationResult(
        settings=SimulationSettings(delay=delay, universe=universe),
        is_metrics=compute_metrics(days, BOOK),
        os_metrics=os_metrics,
        years=[],
        daily_pnl=pnl,
        dates=dates,
        max_weight=max_weight,
        is_end=len(pnl),
    )


def _days(dates, pnl, traded):
    n = len(pnl)
    return DailyFigures(dates, pnl, np.full(n, traded * BOOK), np.zeros(n), np.ones(n), np.ones(n),
                        np.full(n, np.nan), np.full(n, np.nan))


def steady_pnl(days, mean, std, seed=0):
    """Daily PnL with exactly this mean and sample std."""
    noise = np.random.default_rng(seed).normal(size=days)
    noise = (noise - noise.mean()) / noise.std(ddof=1)
    return mean + std * noise


def by_name(checks):
    return {c.name: c for c in checks}


def test_brain_thresholds_at_delay_one():
    pnl = steady_pnl(600, 20_000, 200_000)  # Sharpe sqrt(252) * 0.1 = 1.587
    checks = by_name(run_checks(make_result(pnl, traded=0.3, max_weight=0.12)))
    assert checks["LOW_SHARPE"].result == "PASS" and checks["LOW_SHARPE"].limit == 1.25
    assert checks["LOW_SHARPE"].value == pytest.approx(math.sqrt(252) * 0.1)
    # returns = 252 * 20000 / 1e7 = 0.504; fitness = 1.587 * sqrt(0.504 / 0.3) = 2.057
    assert checks["LOW_FITNESS"].value == pytest.approx(math.sqrt(252) * 0.1 * math.sqrt(0.504 / 0.3))
    assert checks["LOW_TURNOVER"].result == "PASS" and checks["HIGH_TURNOVER"].result == "PASS"
    assert checks["CONCENTRATED_WEIGHT"].result == "FAIL" and checks["CONCENTRATED_WEIGHT"].limit == 0.1
    assert checks["LOW_SUB_UNIVERSE_SHARPE"].result == "PENDING"
    assert checks["OUT_OF_SAMPLE"].result == "PENDING"
    assert checks["SELF_CORRELATION"].result == "PASS"
    assert list(checks) == [
        "LOW_SHARPE", "LOW_FITNESS", "LOW_TURNOVER", "HIGH_TURNOVER", "CONCENTRATED_WEIGHT",
        "LOW_SUB_UNIVERSE_SHARPE", "SELF_CORRELATION", "IS_LADDER_SHARPE", "OUT_OF_SAMPLE", "DEFLATED_SHARPE",
    ]


def test_delay_zero_is_stricter_and_turnover_bounds():
    pnl = steady_pnl(300, 20_000, 200_000)
    checks = by_name(run_checks(make_result(pnl, delay=0, traded=0.8)))
    assert checks["LOW_SHARPE"].limit == 2.0 and checks["LOW_SHARPE"].result == "FAIL"
    assert checks["LOW_FITNESS"].limit == 1.3
    assert checks["HIGH_TURNOVER"].result == "FAIL"
    low = by_name(run_checks(make_result(pnl, traded=0.005)))
    assert low["LOW_TURNOVER"].result == "FAIL" and low["LOW_TURNOVER"].limit == 0.01


def test_sub_universe_limit():
    pnl = steady_pnl(300, 20_000, 200_000)
    main = make_result(pnl, universe="TOP500")
    limit = 0.75 * math.sqrt(250 / 500) * main.is_metrics.sharpe
    weaker = make_result(steady_pnl(300, 10_000, 200_000, seed=1), universe="TOP250")  # Sharpe 0.794
    check = by_name(run_checks(main, sub_universe_result=weaker))["LOW_SUB_UNIVERSE_SHARPE"]
    assert check.limit == pytest.approx(limit) and check.result == "FAIL"  # 0.794 < 0.842
    stronger = make_result(steady_pnl(300, 12_000, 200_000, seed=1), universe="TOP250")  # 0.952
    assert by_name(run_checks(main, sub_universe_result=stronger))["LOW_SUB_UNIVERSE_SHARPE"].result == "PASS"
    assert sub_universe("TOP500", 505) == "TOP250" and sub_universe("ALL", 505) == "TOP252"


def test_self_correlation_fails_unless_sharpe_is_ten_percent_higher():
    pnl = steady_pnl(300, 20_000, 200_000)
    result = make_result(pnl)
    dates = result.dates
    twin = SubmittedPnl("twin", dates, pnl * 2 + 1.0, sharpe=result.is_metrics.sharpe)
    check = by_name(run_checks(result, submitted_pnls=[twin]))["SELF_CORRELATION"]
    assert check.result == "FAIL" and check.value == pytest.approx(1.0) and "twin" in check.detail
    weaker_twin = SubmittedPnl("weak", dates, pnl, sharpe=result.is_metrics.sharpe / 1.1)
    assert by_name(run_checks(result, submitted_pnls=[weaker_twin]))["SELF_CORRELATION"].result == "PASS"
    unrelated = SubmittedPnl("other", dates, steady_pnl(300, 0, 1, seed=9), sharpe=5.0)
    assert by_name(run_checks(result, submitted_pnls=[unrelated]))["SELF_CORRELATION"].result == "PASS"


def test_pnl_correlation_aligns_on_common_dates():
    dates_a = np.arange(START, START + 30)
    a = np.arange(30.0) ** 2
    # b is a on days 5..29 (shifted in its own array), plus 10 days that a does not have
    dates_b = np.arange(START + 5, START + 40)
    b = np.concatenate([a[5:], np.full(10, -1e9)])
    assert pnl_correlation(dates_a, a, dates_b, b) == pytest.approx(1.0)
    assert math.isnan(pnl_correlation(dates_a[:10], a[:10], dates_a[:10], a[:10]))  # < 20 days


def test_ladder_uses_the_last_one_and_two_years():
    strong_then_flat = np.concatenate([steady_pnl(504, 30_000, 200_000), steady_pnl(252, 0, 200_000, seed=3)])
    check = by_name(run_checks(make_result(strong_then_flat)))["IS_LADDER_SHARPE"]
    assert check.limit == pytest.approx(1.0) and check.result == "FAIL"
    assert check.value == pytest.approx(0.0, abs=1e-9)  # the last year has mean 0
    steady = steady_pnl(756, 20_000, 200_000)
    check = by_name(run_checks(make_result(steady)))["IS_LADDER_SHARPE"]
    assert check.result == "PASS"
    assert check.value == pytest.approx(min(sharpe_ratio(steady[-252:]), sharpe_ratio(steady[-504:])))
    short = by_name(run_checks(make_result(steady[:100])))["IS_LADDER_SHARPE"]
    assert short.result == "PENDING"


def test_out_of_sample_needs_half_the_is_sharpe_and_positive():
    pnl = steady_pnl(300, 20_000, 200_000)  # IS Sharpe 1.587 -> limit 0.794
    good = make_result(pnl, os_pnl=steady_pnl(60, 11_000, 200_000, seed=2))  # 0.873
    check = by_name(run_checks(good))["OUT_OF_SAMPLE"]
    assert check.limit == pytest.approx(0.5 * math.sqrt(252) * 0.1)
    assert check.value == pytest.approx(math.sqrt(252) * 0.055) and check.result == "PASS"
    bad = make_result(pnl, os_pnl=steady_pnl(60, 5_000, 200_000, seed=2))
    assert by_name(run_checks(bad))["OUT_OF_SAMPLE"].result == "FAIL"
    negative_is = make_result(-pnl, os_pnl=steady_pnl(60, -1_000, 200_000, seed=2))
    assert by_name(run_checks(negative_is))["OUT_OF_SAMPLE"].result == "FAIL"  # must be > 0


def test_deflated_sharpe_paper_example():
    # Bailey & Lopez de Prado (2014): SR 2.5 a year, T = 1250 days, skew -3, kurtosis 10,
    # N = 100 trials with Sharpe variance 0.5 a year. Paper: SR0 ~ 0.1132 a day, DSR ~ 0.9004
    # (it rounds its intermediates; the unrounded figures are 0.11272 and 0.89967).
    variance = 0.5 / 252
    assert expected_max_sharpe(100, variance) == pytest.approx(0.1132, abs=6e-4)
    dsr = deflated_sharpe_from_moments(2.5 / math.sqrt(252), 1250, -3.0, 10.0, 100, variance)
    assert dsr == pytest.approx(0.9004, abs=1e-3)


def test_deflated_sharpe_hand_case_and_moments():
    # N = 1 -> SR0 = 0. SR 0.1, T = 101, normal moments: z = 0.1 * 10 / sqrt(1 + 2/4 * 0.01) = 0.997509
    # Phi(0.997509) = Phi(1) - 0.002491 * phi(1) = 0.841345 - 0.000603 = 0.840742
    assert deflated_sharpe_from_moments(0.1, 101, 0.0, 3.0, 1, 0.01) == pytest.approx(0.840742, abs=2e-6)
    # pnl 1, 2, 3, 4, 10: mean 4, sample std sqrt(12.5) -> SR 1.131371; central moments m2 10,
    # m3 36, m4 278.8 -> skew 36 / 10**1.5 = 1.138420, kurtosis 2.788
    pnl = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    expected = deflated_sharpe_from_moments(1.131371, 5, 1.138420, 2.788, 7, 1 / 4)
    assert deflated_sharpe(pnl, n_trials=7) == pytest.approx(expected, abs=1e-6)
    assert deflated_sharpe(pnl, n_trials=1000) < deflated_sharpe(pnl, n_trials=2)
    assert math.isnan(deflated_sharpe(np.ones(10)))


def test_deflated_sharpe_check_uses_n_trials():
    pnl = steady_pnl(500, 20_000, 200_000)
    one = by_name(run_checks(make_result(pnl), n_trials=1))["DEFLATED_SHARPE"]
    many = by_name(run_checks(make_result(pnl), n_trials=10**6))["DEFLATED_SHARPE"]
    assert one.result == "PASS" and many.result == "FAIL" and one.limit == 0.95
    assert one.to_dict()["name"] == "DEFLATED_SHARPE"
