"""Submission: the only place where the miner looks at out-of-sample figures.

For a stored simulation: re-create its expression and settings (``pipelines.params``), evaluate
on the full panel, simulate in- and out-of-sample, simulate the next smaller universe, and run
every check (``pipelines.checks``) with SELF_CORRELATION against the alphas already submitted and
DEFLATED_SHARPE given the number of distinct alphas the store has tried.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from expressions import parse
from pipelines.candidates import alpha_values
from pipelines.checks import PASS, CheckResult, SubmittedPnl, run_checks, sub_universe
from pipelines.panel import Panel
from pipelines.params import apply_params
from pipelines.settings import SimulationSettings
from pipelines.simulate import SimulationResult, simulate

IS_CHECKS = ("LOW_SHARPE", "LOW_FITNESS", "LOW_TURNOVER", "HIGH_TURNOVER", "CONCENTRATED_WEIGHT",
             "LOW_SUB_UNIVERSE_SHARPE", "SELF_CORRELATION", "IS_LADDER_SHARPE")


@dataclasses.dataclass
class Verdict:
    simulation: dict[str, Any]
    expression: str
    settings: SimulationSettings
    result: SimulationResult
    checks: list[CheckResult]

    @property
    def passed(self) -> bool:
        return all(c.result == PASS for c in self.checks)

    @property
    def passed_in_sample(self) -> bool:
        return all(c.result == PASS for c in self.checks if c.name in IS_CHECKS)

    def failures(self) -> list[str]:
        return [f"{c.name} ({c.value:.3g} vs limit {c.limit:.3g})" if c.value is not None and c.limit is not None
                else f"{c.name} ({c.result})" for c in self.checks if c.result != PASS]

    def export(self) -> dict[str, Any]:
        return {
            "simulation_id": self.simulation["id"], "alpha_id": self.simulation.get("alpha_id"),
            "expression": self.simulation["canonical"], "simulated_expression": self.expression,
            "settings": self.settings.to_dict(), "params": self.simulation.get("params") or {},
            "is": self.result.is_metrics.to_dict(),
            "os": self.result.os_metrics.to_dict() if self.result.os_metrics else None,
            "checks": [c.to_dict() for c in self.checks], "passed": self.passed,
        }


def judge(simulation: dict[str, Any], panel: Panel, submitted: list[SubmittedPnl], n_trials: int) -> Verdict:
    """All checks of one stored simulation, OS figures included."""
    settings = SimulationSettings.from_dict(simulation["settings"])
    text, settings = apply_params(simulation["canonical"], settings, simulation.get("params") or {})
    result = simulate(_alpha(text, panel, settings), panel, settings, include_os=True)
    smaller = settings.replace(universe=sub_universe(settings.universe, panel.N))
    sub = simulate(_alpha(text, panel, smaller), panel, smaller)
    checks = run_checks(result, panel=panel, sub_universe_result=sub, submitted_pnls=submitted,
                        n_trials=max(1, n_trials), os_result=result)
    return Verdict(simulation, text, settings, result, checks)


def _alpha(text: str, panel: Panel, settings: SimulationSettings) -> np.ndarray:
    return alpha_values(parse(text, fields=panel.fields, groups=panel.groups), panel, settings)


def submitted_pnls(store: Any, panel: Panel) -> list[SubmittedPnl]:
    """Daily in-sample PnL of every submitted alpha, dated on the panel's calendar."""
    submissions = store.submissions()
    series = store.pnl_series([s["simulation_id"] for s in submissions])
    out = []
    for sub in submissions:
        found = series.get(sub["simulation_id"])
        if found is None or found[0] is None:
            continue
        start, pnl = found
        first = int(np.searchsorted(panel.dates, np.datetime64(start, "D")))
        dates = panel.dates[first:first + len(pnl)]
        out.append(SubmittedPnl(sub["canonical"], dates, pnl[: len(dates)], float(sub.get("sharpe") or 0.0)))
    return out


def as_submitted(verdict: Verdict) -> SubmittedPnl:
    return SubmittedPnl(verdict.simulation["canonical"], verdict.result.dates, verdict.result.daily_pnl,
                        verdict.result.is_metrics.sharpe)
