"""Planted-alpha recovery: did the miner find the alphas planted in a synthetic market?

A mined alpha *finds* a planted one when the daily cross-sectional rank correlation of their
values, over universe members and in-sample dates, averages >= ``threshold`` (0.8). Both are
evaluated with the same evaluator on the same panel; mined alphas are stored sign-corrected, so
the correlation is taken with its sign. The mined alphas that count are the miner's output:
those in the store that pass the in-sample Sharpe and fitness limits of a submission.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from expressions import Evaluator, ResultCache
from miner.rank_correlation import mean_rank_correlation
from pipelines.checks import FITNESS_LIMIT, SHARPE_LIMIT
from pipelines.panel import Panel
from pipelines.settings import split_index
from state import Store

FOUND_AT = 0.8


@dataclasses.dataclass(frozen=True)
class Match:
    planted: str
    target_ic: float
    best: str | None
    correlation: float

    @property
    def found(self) -> bool:
        return self.correlation >= FOUND_AT


def recovery(panel: Panel, planted: Sequence[tuple[str, float]], mined: Sequence[str], *,
             universe: str = "TOP500", os_fraction: float = 0.2, stride: int = 5) -> list[Match]:
    """For each planted alpha, the mined expression with the highest mean rank correlation.

    ``stride`` samples every n-th in-sample day (the mean is stable; the cost drops n-fold).
    """
    view = panel.head(split_index(panel.T, os_fraction))
    member = view.universe(universe)
    evaluator = Evaluator(view.fields, view.groups, universe=member, universe_key=universe, cache=ResultCache(1 << 28))
    days = slice(None, None, stride)
    targets = [evaluator.evaluate(expression)[days] for expression, _ in planted]
    best: list[tuple[str | None, float]] = [(None, -1.0)] * len(targets)
    for text in mined:
        try:
            values = evaluator.evaluate(text)[days]
        except Exception:  # noqa: BLE001 - an alpha that no longer evaluates cannot match
            continue
        for i, target in enumerate(targets):
            corr = mean_rank_correlation(values, target, member[days])
            if corr > best[i][1]:
                best[i] = (text, corr)
    return [Match(expression, ic, text, corr) for (expression, ic), (text, corr) in zip(planted, best)]


def recovery_from_store(store: Store, panel: Panel, *, universe: str = "TOP500", delay: int = 1,
                        os_fraction: float = 0.2) -> list[Match]:
    """``recovery`` over the store's alphas that pass the in-sample Sharpe and fitness limits."""
    return recovery(panel, panel.planted, passing_alphas(store, delay), universe=universe, os_fraction=os_fraction)


def passing_alphas(store: Store, delay: int = 1) -> list[str]:
    """Distinct expressions of the stored simulations passing the IS Sharpe and fitness limits."""
    rows = store.top_simulations(1_000_000, "fitness", min_sharpe=SHARPE_LIMIT[delay], min_fitness=FITNESS_LIMIT[delay])
    return list(dict.fromkeys(row["canonical"] for row in rows))


def better_matches(old: Sequence[Match], new: Sequence[Match]) -> list[Match]:
    """Per planted alpha, the closer of two matches (for checking only what is new since)."""
    return [b if a.best is None or b.correlation > a.correlation else a for a, b in zip(old, new)]
