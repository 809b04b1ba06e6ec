"""Rows and tables the mining commands show: best alphas, bandit arms, store status."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table


def best_rows(store: Any, k: int) -> list[dict[str, Any]]:
    """The top ``k`` simulations by score as plain rows (id, expression, settings, figures)."""
    rows = []
    for sim in store.top_simulations(k, metric="score"):
        metrics = sim.get("metrics") or {}
        settings = sim.get("settings") or {}
        rows.append({
            "id": sim["id"], "alpha_id": sim.get("alpha_id"), "expression": sim["canonical"],
            "origin": sim.get("origin"), "settings": settings, "params": sim.get("params") or {},
            "score": sim.get("score"), "sharpe": metrics.get("sharpe"), "fitness": metrics.get("fitness"),
            "turnover": metrics.get("turnover"), "returns": metrics.get("returns"),
        })
    return rows


def bandit_rows(policy: Any) -> list[dict[str, Any]]:
    """Each arm with its pulls and mean reward (per dimension for a factored policy)."""
    if hasattr(policy, "policies_"):
        out = []
        for name, inner in policy.policies_.items():
            out += [{**row, "arm": f"{name}={row['arm']}"} for row in bandit_rows(inner)]
        return out
    if not hasattr(policy, "pulls_"):
        return [{"arm": _arm_text(arm), "pulls": 0, "mean_reward": None} for arm in policy.arms]
    means = _means(policy)
    return [
        {"arm": _arm_text(arm), "pulls": int(policy.pulls_[i]), "mean_reward": None if np.isnan(means[i]) else float(means[i])}
        for i, arm in enumerate(policy.arms)
    ]


def _means(policy: Any) -> np.ndarray:
    pulls = policy.pulls_.astype(float)
    if hasattr(policy, "means_"):
        return np.where(pulls > 0, np.asarray(policy.means_, dtype=float), np.nan)
    if hasattr(policy, "sums_") and hasattr(policy, "weights_"):
        weights = np.asarray(policy.weights_, dtype=float)
        return np.where(weights > 0, np.asarray(policy.sums_, dtype=float) / np.maximum(weights, 1e-12), np.nan)
    if hasattr(policy, "recent_arms_"):
        sums = np.zeros(len(policy.arms))
        counts = np.zeros(len(policy.arms))
        for arm, reward in zip(policy.recent_arms_, policy.recent_rewards_):
            sums[arm] += reward
            counts[arm] += 1
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return np.full(len(policy.arms), np.nan)


def _arm_text(arm: Any) -> str:
    if hasattr(arm, "items"):
        return ", ".join(f"{k}={v}" for k, v in sorted(arm.items()))
    return json.dumps(arm) if not isinstance(arm, str) else arm


def _fmt(value: Any, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def settings_text(settings: dict[str, Any]) -> str:
    """Compact BRAIN-style settings: ``TOP500 MARKET t=0.08 decay=0 d1``."""
    parts = [str(settings.get("universe", "")), str(settings.get("neutralization", ""))]
    if "truncation" in settings:
        parts.append(f"t={settings['truncation']:g}")
    if "decay" in settings:
        parts.append(f"decay={settings['decay']}")
    if "delay" in settings:
        parts.append(f"d{settings['delay']}")
    return " ".join(p for p in parts if p)


def print_best(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    table = Table(title="best alphas (in-sample)", expand=False)
    table.add_column("id", justify="right")
    table.add_column("expression / settings / params", overflow="fold", ratio=1)
    for column in ("sharpe", "fitness", "turnover", "score"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        params = " ".join(f"{k.split('.')[-1]}={v}" for k, v in sorted(row["params"].items()))
        described = f"{row['expression']}\n[dim]{settings_text(row['settings'])} {params}[/dim]"
        table.add_row(str(row["id"]), described, _fmt(row["sharpe"]), _fmt(row["fitness"]),
                      _fmt(row["turnover"], ".1%"), _fmt(row["score"]))
    (console or Console()).print(table)


def print_bandit(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    table = Table(title="bandit arms")
    for column in ("arm", "pulls", "mean reward"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["arm"], str(row["pulls"]), _fmt(row["mean_reward"]))
    (console or Console()).print(table)


def field_rows(store: Any, weights: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Fields by passing alphas, then draw weight: ``{field, passing, mean_score, weight}``.

    ``weights`` default to those the miner saved last (``fields.weights``; None when it never ran).
    """
    from miner.field_weights import field_popularity
    from pipelines.checks import SHARPE_LIMIT
    from state.repo_fields import ok_simulation_figures

    popularity = field_popularity(ok_simulation_figures(store, min_sharpe=SHARPE_LIMIT[1]))
    weights = (store.load_value("fields.weights") or {}) if weights is None else weights
    rows = []
    for name in set(weights) | set(popularity):
        known = popularity.get(name)
        rows.append({"field": name, "passing": known.passing if known else 0,
                     "mean_score": known.mean_score if known else None, "weight": weights.get(name)})
    return sorted(rows, key=lambda row: (-row["passing"], -(row["weight"] or 0.0), row["field"]))


def print_fields(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    table = Table(title="winning fields")
    for column in ("field", "passing", "mean score", "weight"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for row in rows:
        table.add_row(row["field"], str(row["passing"]), _fmt(row["mean_score"]), _fmt(row["weight"]))
    (console or Console()).print(table)


def print_planted(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    """Which planted alphas of a synthetic market the miner recovered (rank correlation >= 0.8)."""
    console = console or Console()
    if not rows:
        console.print("planted alphas: none (the data is not a synthetic market)")
        return
    table = Table(title=f"planted alphas found: {sum(r['found'] for r in rows)} of {len(rows)}")
    for column in ("planted", "found", "closest mined alpha", "rank corr"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["planted"], "yes" if row["found"] else "no", row["best"] or "-", _fmt(row["correlation"]))
    console.print(table)
