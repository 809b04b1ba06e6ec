import numpy as np
import pytest

from miner.config import ScoringConfig
from miner.errors import ConfigError
from miner.scoring import ScoreInputs, default_score, max_abs_correlation, resolve_score_function


def inputs(metrics, pnl=None, size=5, hof=()):
    return ScoreInputs(metrics, pnl, size, list(hof))


def test_score_is_fitness_minus_complexity_when_nothing_else_applies():
    config = ScoringConfig(complexity_penalty=0.01)
    assert default_score(inputs({"fitness": 1.5, "turnover": 0.3}, size=10), config) == pytest.approx(1.4)


def test_turnover_above_limit_is_penalised_linearly():
    config = ScoringConfig(turnover_limit=0.7, turnover_penalty=2.0, complexity_penalty=0.0)
    assert default_score(inputs({"fitness": 1.0, "turnover": 0.9}), config) == pytest.approx(1.0 - 2.0 * 0.2)


def test_correlation_with_hall_of_fame_is_penalised():
    rng = np.random.default_rng(0)
    pnl = rng.normal(size=300)
    config = ScoringConfig(corr_limit=0.7, corr_penalty=1.0, complexity_penalty=0.0)
    twin = pnl + rng.normal(scale=0.1, size=300)
    unrelated = rng.normal(size=300)
    corr = abs(np.corrcoef(pnl, twin)[0, 1])
    expected = 2.0 * (1.0 - (corr - 0.7) / 0.3)
    assert default_score(inputs({"fitness": 2.0, "turnover": 0.2}, pnl, hof=[twin]), config) == pytest.approx(expected)
    assert default_score(inputs({"fitness": 2.0, "turnover": 0.2}, pnl, hof=[-pnl]), config) == pytest.approx(0.0)
    assert default_score(inputs({"fitness": 2.0, "turnover": 0.2}, pnl, hof=[unrelated]), config) == pytest.approx(2.0)


def test_max_abs_correlation_sees_negative_correlation():
    x = np.arange(50.0) % 7
    assert max_abs_correlation(x, [-x]) == pytest.approx(1.0)


def test_nan_fitness_scores_as_an_error():
    assert default_score(inputs({"fitness": float("nan")}), ScoringConfig()) < -5


def test_score_function_by_module_path():
    assert resolve_score_function("miner.scoring:default_score") is default_score
    with pytest.raises(ConfigError, match="cannot be loaded"):
        resolve_score_function("miner.scoring:nope")
    with pytest.raises(ConfigError, match="module:function"):
        resolve_score_function("just_a_name")


def test_a_fading_edge_is_worth_its_recent_sharpe():
    rng = np.random.default_rng(3)
    steady = rng.normal(0.1, 1.0, size=756)
    faded = np.concatenate([rng.normal(0.3, 1.0, size=504), rng.normal(0.0, 1.0, size=252)])
    config = ScoringConfig(complexity_penalty=0.0)

    def score(pnl):
        sharpe = np.sqrt(252) * pnl.mean() / pnl.std(ddof=1)
        return default_score(inputs({"fitness": 2.0, "sharpe": sharpe, "turnover": 0.2}, pnl), config), sharpe

    def slow_ladder(pnl):
        return min(np.sqrt(252) * p.mean() / p.std(ddof=1) for p in (pnl[-252:], pnl[-504:]))

    got, sharpe = score(faded)
    assert got == pytest.approx(2.0 * max(0.0, min(1.0, slow_ladder(faded) / sharpe)))
    assert got < 2.0 * 0.5
    got, sharpe = score(steady)
    assert got == pytest.approx(2.0 * max(0.0, min(1.0, slow_ladder(steady) / sharpe)))
    assert default_score(inputs({"fitness": 2.0, "sharpe": 1.0, "turnover": 0.2}, faded),
                         ScoringConfig(complexity_penalty=0.0, ladder=False)) == pytest.approx(2.0)


def test_less_than_a_year_of_pnl_is_not_judged_by_the_ladder():
    pnl = np.r_[np.ones(100), -np.ones(100)] + 0.01 * np.arange(200)
    config = ScoringConfig(complexity_penalty=0.0)
    assert default_score(inputs({"fitness": 1.0, "sharpe": 1.0, "turnover": 0.2}, pnl), config) == pytest.approx(1.0)


def test_an_alpha_on_a_handful_of_names_is_worth_its_share_of_min_positions():
    config = ScoringConfig(complexity_penalty=0.0, min_positions=20.0)
    narrow = {"fitness": 3.0, "turnover": 0.2, "long_count": 3.0, "short_count": 1.0}
    broad = {"fitness": 3.0, "turnover": 0.2, "long_count": 150.0, "short_count": 140.0}
    assert default_score(inputs(narrow), config) == pytest.approx(3.0 * 4 / 20)
    assert default_score(inputs(broad), config) == pytest.approx(3.0)
    assert default_score(inputs({"fitness": 3.0, "turnover": 0.2}), config) == pytest.approx(3.0)  # counts unknown
    assert default_score(inputs(narrow), ScoringConfig(complexity_penalty=0.0, min_positions=0.0)) == pytest.approx(3.0)


def test_an_alpha_that_barely_trades_is_worth_its_share_of_min_turnover():
    config = ScoringConfig(complexity_penalty=0.0, min_turnover=0.01)
    assert default_score(inputs({"fitness": 2.0, "turnover": 0.002}), config) == pytest.approx(2.0 * 0.2)
    assert default_score(inputs({"fitness": 2.0, "turnover": 0.3}), config) == pytest.approx(2.0)
    assert default_score(inputs({"fitness": 2.0}), config) == pytest.approx(2.0)  # turnover unknown
