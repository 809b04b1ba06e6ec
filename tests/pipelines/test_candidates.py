"""Running one candidate: params, in-sample view, parse/evaluate/simulate, errors as results."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from expressions import Evaluator, ResultCache, canonical, expr_hash, parse
from pipelines.candidates import Candidate, CandidateResult, negated_candidate, run_candidate
from pipelines.panel import Panel
from pipelines.settings import SimulationSettings, split_index
from pipelines.simulate import simulate
from pipelines.synthetic import SyntheticConfig, synthetic_panel

EXPRESSION = "-rank(ts_delta(close, 3))"


@pytest.fixture(scope="module")
def panel() -> Panel:
    config = {"n_stocks": 40, "n_days": 150, "seed": 2, "n_sectors": 3,
              "planted": [{"expression": EXPRESSION, "ic": 0.05}]}
    return synthetic_panel(SyntheticConfig.from_dict(config))


def test_ok_result_matches_evaluating_and_simulating_by_hand(panel):
    settings = SimulationSettings(universe="TOP30", decay=2)
    result = run_candidate(Candidate(EXPRESSION, settings, alpha_id=7), panel, ResultCache(10**8))
    assert result.status == "ok" and result.error is None and result.ok
    node = parse(EXPRESSION)
    assert (result.canonical, result.expr_hash) == (canonical(node), expr_hash(node))
    is_end = split_index(panel.T, settings.os_fraction)
    head = panel.head(is_end)
    alpha = Evaluator(head.fields, head.groups, universe=head.universe("TOP30")).evaluate(EXPRESSION)
    expected = simulate(alpha, head, settings, is_end=is_end)
    assert result.is_metrics == expected.is_metrics.to_dict()
    np.testing.assert_array_equal(result.daily_pnl, expected.daily_pnl)
    assert result.years == [row.to_dict() for row in expected.years]
    assert result.os_metrics is None and result.duration_s > 0
    assert result.candidate.alpha_id == 7


def test_params_are_applied_before_simulation(panel):
    plain = run_candidate(Candidate(f"rank({EXPRESSION})", SimulationSettings(decay=3)), panel)
    with_params = run_candidate(
        Candidate(EXPRESSION, SimulationSettings(), {"post.transform": "rank", "settings.decay": 3}), panel
    )
    assert with_params.canonical == plain.canonical
    assert with_params.is_metrics == plain.is_metrics


def test_out_of_sample_tail_is_never_read_in_sample(panel):
    settings = SimulationSettings()
    is_end = split_index(panel.T, settings.os_fraction)
    rng = np.random.default_rng(9)
    spoiled = {}
    for name in panel.fields.stored_names():
        values = np.array(panel.fields[name])
        values[is_end:] = rng.lognormal(5, 3, size=values[is_end:].shape)
        spoiled[name] = values
    garbage = Panel.from_arrays(spoiled, dates=panel.dates, symbols=panel.symbols, groups=panel.groups)
    for expression in (EXPRESSION, "group_rank(ts_corr(close, volume, 10), sector)", "zscore(adv20)"):
        clean = run_candidate(Candidate(expression, settings), panel)
        dirty = run_candidate(Candidate(expression, settings), garbage)
        assert clean.status == dirty.status == "ok"
        assert clean.is_metrics == dirty.is_metrics
        np.testing.assert_array_equal(clean.daily_pnl, dirty.daily_pnl)
    full_clean = run_candidate(Candidate(EXPRESSION, settings), panel, include_os=True)
    full_dirty = run_candidate(Candidate(EXPRESSION, settings), garbage, include_os=True)
    assert full_clean.os_metrics is not None and full_clean.os_metrics["days"] > 0
    assert full_clean.os_metrics != full_dirty.os_metrics


@pytest.mark.parametrize(
    ("candidate", "named"),
    [
        (Candidate("rank(close"), "position"),
        (Candidate("rank(colse)"), "colse"),
        (Candidate("ts_mean(close, 0)"), "window"),
        (Candidate("close", params={"post.colour": 1}), "post.colour"),
        (Candidate("close", params={"settings.delay": 5}), "delay"),
        (Candidate("close", SimulationSettings(neutralization="SECTOR"), {"settings.universe": "BEST9"}), "universe"),
    ],
)
def test_bad_candidates_become_one_line_error_results(panel, candidate, named):
    result = run_candidate(candidate, panel)
    assert result.status == "error" and not result.ok
    assert named in result.error and "\n" not in result.error
    assert result.is_metrics is None and result.daily_pnl is None and result.years == []


def test_cache_is_shared_across_candidates(panel):
    cache = ResultCache(10**8)
    run_candidate(Candidate(EXPRESSION), panel, cache)
    hits = cache.hits
    run_candidate(Candidate(f"{EXPRESSION} * 2"), panel, cache)
    assert cache.hits > hits


def test_candidates_and_results_pickle(panel):
    candidate = Candidate(EXPRESSION, SimulationSettings(decay=1), {"post.transform": "zscore"}, alpha_id=3)
    result = run_candidate(candidate, panel)
    back = pickle.loads(pickle.dumps(result))
    assert isinstance(back, CandidateResult) and back.candidate == candidate
    assert back.is_metrics == result.is_metrics
    np.testing.assert_array_equal(back.daily_pnl, result.daily_pnl)


LOSING = "rank(ts_delta(close, 3))"  # the planted alpha is its negation


@pytest.mark.parametrize(("expression", "params"), [
    (LOSING, {}), (LOSING, {"post.transform": "zscore"}), (LOSING, {"post.transform": "winsorize"}),
    (EXPRESSION, {"post.flip": True}), (LOSING, {"settings.neutralization": "NONE", "settings.decay": 3}),
])
def test_a_losing_candidate_brings_its_negation_as_if_simulated(panel, expression, params):
    candidate = Candidate(expression, SimulationSettings(universe="TOP30"), params, negate_losing=True)
    result = run_candidate(candidate, panel, ResultCache(10**8))
    assert result.is_metrics["sharpe"] < 0
    twin = result.negated
    expected = run_candidate(negated_candidate(candidate), panel, ResultCache(10**8))
    assert twin.candidate == expected.candidate
    assert (twin.canonical, twin.expr_hash, twin.status) == (expected.canonical, expected.expr_hash, "ok")
    for name, value in expected.is_metrics.items():
        close = pytest.approx(value, rel=1e-12, abs=1e-12) if isinstance(value, float) else value
        assert twin.is_metrics[name] == close, name
    np.testing.assert_allclose(twin.daily_pnl, expected.daily_pnl, rtol=1e-12, atol=1e-9)
    assert len(twin.years) == len(expected.years) and twin.negated is None
    assert pickle.loads(pickle.dumps(result)).negated.is_metrics == twin.is_metrics  # crosses process pools


def test_no_negation_unless_asked_losing_and_odd(panel):
    settings = SimulationSettings(universe="TOP30")
    assert run_candidate(Candidate(LOSING, settings), panel).negated is None  # not asked
    winning = Candidate(EXPRESSION, settings, negate_losing=True)
    assert run_candidate(winning, panel).negated is None
    ranked = Candidate("ts_delta(close, 3)", settings, {"post.transform": "rank"}, negate_losing=True)
    result = run_candidate(ranked, panel)
    assert result.is_metrics["sharpe"] < 0 and result.negated is None  # rank(-x) is not -rank(x)


def test_negated_candidate_removes_a_leading_negation():
    assert negated_candidate(Candidate("-(close)")).expression == "close"
    assert negated_candidate(Candidate("close - open")).expression == canonical(parse("-(close - open)"))
