"""Regret of the settings-bandit policies on synthetic problems, as ratios to uniform random.

Three tables, each averaged over --seeds problems (pseudo-regret: best mean - pulled mean):
  1. stationary: --arms Gaussian arms, means ~ N(0, 1), noise sd 1, --pulls pulls;
  2. change half-way: the same, with the best and the worst arm swapping means at pulls/2
     (regret after the change is what discounting is for);
  3. factored vs joint on a 4-dimension settings space (3 x 4 x 3 x 4 = 144 arms): mean = sum of
     per-dimension effects ~ N(0, 0.5) + interactions ~ N(0, 0.2), noise sd 1.

Usage: .venv/bin/python bench/bandit_regret.py [--seeds 20] [--pulls 5000] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bandit import SettingsSpace, make_policy, policy_names  # noqa: E402
from bandit.regret import gaussian_problem, run_policy, settings_problem, uniform_regret  # noqa: E402

SPACE = SettingsSpace({
    "universe": ["TOP500", "TOP1000", "TOP3000"],
    "neutralization": ["NONE", "MARKET", "SECTOR", "INDUSTRY"],
    "truncation": [0.01, 0.05, 0.1],
    "decay": [0, 2, 4, 8],
})
FACTORED_POLICIES = ("epsilon_greedy", "ucb1", "thompson")


def _runs(name, problems, pulls, **options):
    return [run_policy(make_policy(name, p.arms if isinstance(p.arms[0], int) else SPACE, seed=i, **options),
                       p, pulls, seed=10_000 + i) for i, p in enumerate(problems)]


def stationary(args) -> list[dict]:
    problems = [gaussian_problem(args.arms, seed=s) for s in range(args.seeds)]
    uniform = float(np.mean([uniform_regret(p, args.pulls) for p in problems]))
    rows = [{"policy": "uniform_random", "regret": uniform, "ratio": 1.0}]
    for name in policy_names():
        totals = np.array([run[-1] for run in _runs(name, problems, args.pulls)])
        rows.append({"policy": name, "regret": float(totals.mean()), "ratio": float(totals.mean() / uniform),
                     "sem": float(totals.std(ddof=1) / np.sqrt(len(totals)))})
    return rows


def drifting(args) -> list[dict]:
    half = args.pulls // 2
    problems = [gaussian_problem(args.arms, seed=s, change_at=half) for s in range(args.seeds)]
    uniform = float(np.mean([uniform_regret(p, args.pulls) for p in problems]))
    rows = [{"policy": "uniform_random", "regret": uniform, "after_change": uniform / 2, "ratio": 1.0}]
    for name in policy_names():
        runs = _runs(name, problems, args.pulls)
        total = float(np.mean([run[-1] for run in runs]))
        after = float(np.mean([run[-1] - run[half - 1] for run in runs]))
        rows.append({"policy": name, "regret": total, "after_change": after, "ratio": total / uniform})
    return rows


def factored(args) -> list[dict]:
    problems = [settings_problem(SPACE, seed=s) for s in range(args.seeds)]
    uniform = float(np.mean([uniform_regret(p, args.pulls) for p in problems]))
    rows = [{"policy": "uniform_random", "joint": uniform, "factored": uniform,
             "joint_ratio": 1.0, "factored_ratio": 1.0}]
    for name in FACTORED_POLICIES:
        joint = float(np.mean([run[-1] for run in _runs(name, problems, args.pulls)]))
        split = float(np.mean([run[-1] for run in _runs(name, problems, args.pulls, factored=True)]))
        rows.append({"policy": name, "joint": joint, "factored": split,
                     "joint_ratio": joint / uniform, "factored_ratio": split / uniform})
    return rows


def _print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    print(f"\n{title}")
    print("  " + "".join(f"{c:>16}" if i else f"{c:<20}" for i, c in enumerate(columns)))
    for row in rows:
        cells = [f"{row['policy']:<20}"] + [f"{row[c]:>16.3f}" if c in row else f"{'':>16}" for c in columns[1:]]
        print("  " + "".join(cells))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--pulls", type=int, default=5000)
    parser.add_argument("--arms", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = {"seeds": args.seeds, "pulls": args.pulls, "arms": args.arms, "space_size": SPACE.size,
              "stationary": stationary(args), "change_half_way": drifting(args), "factored_vs_joint": factored(args)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"bandit regret: {args.arms} Gaussian arms, {args.pulls} pulls, mean over {args.seeds} seeds "
          f"(ratio = regret / uniform random's)")
    _print_table("stationary", report["stationary"], ["policy", "regret", "sem", "ratio"])
    _print_table(f"best arm changes at pull {args.pulls // 2}", report["change_half_way"],
                 ["policy", "regret", "after_change", "ratio"])
    _print_table(f"4-dimension space ({SPACE.size} arms): joint vs factored", report["factored_vs_joint"],
                 ["policy", "joint", "factored", "joint_ratio", "factored_ratio"])
    print(f"\n({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
