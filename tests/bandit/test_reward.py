"""The reward: clipped fitness by default, a fixed penalty for errors, configurable by name or import path."""

from __future__ import annotations

import dataclasses
import math

import pytest

from bandit import Reward, RewardError, reward


@dataclasses.dataclass
class FakeMetrics:
    fitness: float
    sharpe: float


@pytest.mark.parametrize(("fitness", "expected"), [(1.25, 1.25), (7.0, 4.0), (-3.5, -2.0), (4.0, 4.0), (-2.0, -2.0)])
def test_default_reward_is_fitness_clipped_to_minus_2_and_4(fitness, expected):
    assert reward({"fitness": fitness, "sharpe": 0.0}) == expected
    assert reward(FakeMetrics(fitness=fitness, sharpe=0.0)) == expected


def test_errors_missing_and_non_finite_metrics_get_the_penalty():
    assert reward(None) == -2.0
    assert reward({"fitness": 3.0}, error="division by zero") == -2.0
    assert reward({"fitness": math.nan}) == -2.0
    assert reward({"fitness": None}) == -2.0
    custom = Reward(error_penalty=-5.0, low=-1.0, high=1.0)
    assert custom(None, error="boom") == -5.0
    assert custom({"fitness": -3.0}) == -1.0


def test_of_result_reads_error_and_metrics_from_objects_and_mappings():
    @dataclasses.dataclass
    class Result:
        metrics: object
        error: str | None

    assert Reward().of_result(Result(FakeMetrics(2.5, 1.0), None)) == 2.5
    assert Reward().of_result(Result(None, "lookback too long")) == -2.0
    assert Reward().of_result({"metrics": {"fitness": 9.0}, "error": None}) == 4.0


def test_named_metrics():
    metrics = FakeMetrics(fitness=-1.5, sharpe=-3.0)
    assert Reward("sharpe")(metrics) == -2.0
    assert Reward("abs_sharpe")(metrics) == 3.0
    assert Reward("abs_fitness")(metrics) == 1.5


def test_module_function_metric_is_imported_not_evaluated(tmp_path, monkeypatch):
    (tmp_path / "my_rewards.py").write_text("def half_sharpe(metrics):\n    return metrics['sharpe'] / 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert Reward("my_rewards:half_sharpe")({"sharpe": 3.0}) == 1.5
    assert Reward("my_rewards:half_sharpe", high=1.0)({"sharpe": 3.0}) == 1.0


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("fitnes", "unknown metric 'fitnes'"),
        ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
        ("math:no_such_function", "'math' has no function 'no_such_function'"),
        ("__import__('os').system('true')", "unknown metric"),
    ],
)
def test_bad_reward_specs_are_one_line_errors(spec, fragment):
    with pytest.raises(RewardError) as raised:
        Reward(spec)
    assert fragment in str(raised.value)


def test_bad_bounds_and_bad_metric_objects():
    with pytest.raises(RewardError, match="low=5.0 is above high=4.0"):
        Reward(low=5.0)
    with pytest.raises(RewardError, match="no 'fitness'"):
        reward({"sharpe": 1.0})
