"""Regret on synthetic problems: a correctness property of the policies (not a timing).

10 Gaussian arms, means ~ N(0, 1), noise sd 1, 5,000 pulls, averaged over 20 seeds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bandit import SettingsSpace, make_policy, policy_names
from bandit.regret import gaussian_problem, mean_regret, run_policy, settings_problem, uniform_regret

PULLS, SEEDS = 5_000, 20


class AlwaysFirst:
    """A scripted policy for checking the regret arithmetic."""

    def select(self):
        return 0

    def update(self, arm, reward):
        self.last = (arm, reward)


def test_regret_arithmetic_by_hand():
    from bandit.regret import GaussianProblem

    problem = GaussianProblem(arms=(0, 1, 2), means=np.array([[0.0, 1.0, 3.0]]), noise_sd=0.0)
    assert run_policy(AlwaysFirst(), problem, 4).tolist() == [3.0, 6.0, 9.0, 12.0]
    assert uniform_regret(problem, 4) == pytest.approx(4 * (3.0 - 4.0 / 3.0))
    switching = GaussianProblem((0, 1), np.array([[0.0, 1.0], [1.0, 0.0]]), starts=(0, 2), noise_sd=0.0)
    assert run_policy(AlwaysFirst(), switching, 4).tolist() == [1.0, 2.0, 2.0, 2.0]


def test_change_swaps_the_best_and_the_worst_arm():
    problem = gaussian_problem(10, seed=4, change_at=100)
    before, after = problem.means_by_pull(101)[[99, 100]]
    assert np.argmax(after) == np.argmin(before) and np.argmin(after) == np.argmax(before)
    assert sorted(before) == sorted(after)


@pytest.fixture(scope="module")
def stationary():
    problems = [gaussian_problem(10, seed=seed) for seed in range(SEEDS)]
    return problems, float(np.mean([uniform_regret(p, PULLS) for p in problems]))


@pytest.mark.parametrize(("name", "limit"), [("ucb1", 0.20), ("thompson", 0.20), ("epsilon_greedy", 0.40)])
def test_regret_is_a_small_share_of_uniform_random(stationary, name, limit):
    problems, uniform = stationary
    regret = mean_regret(lambda i, p: make_policy(name, list(p.arms), seed=i), problems, PULLS)
    assert regret <= limit * uniform, f"{name}: regret {regret:.0f} vs uniform {uniform:.0f}"


def test_discounted_ucb_recovers_from_a_change_faster_than_ucb1():
    half = PULLS // 2
    problems = [gaussian_problem(10, seed=seed, change_at=half) for seed in range(10)]  # bench: 20 seeds

    def after_change(name):
        runs = [run_policy(make_policy(name, list(p.arms), seed=i), p, PULLS, seed=i) for i, p in enumerate(problems)]
        return float(np.mean([run[-1] - run[half - 1] for run in runs]))

    discounted, ucb1 = after_change("discounted_ucb"), after_change("ucb1")
    assert discounted < 0.6 * ucb1, f"discounted {discounted:.0f} vs ucb1 {ucb1:.0f}"


def test_factored_and_joint_both_learn_on_a_four_dimension_space():
    space = SettingsSpace({"universe": ["TOP500", "TOP1000", "TOP3000"], "neutralization": ["NONE", "MARKET", "SECTOR"],
                           "truncation": [0.01, 0.05, 0.1], "decay": [0, 4, 8]})
    problems = [settings_problem(space, seed=seed) for seed in range(3)]  # bench: 20 seeds, 5,000 pulls
    uniform = float(np.mean([uniform_regret(p, 1200) for p in problems]))
    for factored in (False, True):
        regret = mean_regret(lambda i, p: make_policy("thompson", space, seed=i, factored=factored), problems, 1200)
        assert regret < 0.6 * uniform, f"factored={factored}: {regret:.0f} vs uniform {uniform:.0f}"


def test_bench_script_prints_json_whose_uniform_figure_matches_the_hand_formula():
    script = Path(__file__).resolve().parents[2] / "bench" / "bandit_regret.py"
    done = subprocess.run([sys.executable, str(script), "--seeds", "2", "--pulls", "60", "--json"],
                          capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout)
    expected = np.mean([uniform_regret(gaussian_problem(10, seed=s), 60) for s in range(2)])
    assert report["stationary"][0] == {"policy": "uniform_random", "regret": pytest.approx(expected), "ratio": 1.0}
    assert {row["policy"] for row in report["stationary"]} == {"uniform_random", *policy_names()}
    assert all(row["after_change"] <= row["regret"] for row in report["change_half_way"])
