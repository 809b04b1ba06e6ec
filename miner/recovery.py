"""Planted-alpha recovery: did the miner find the alphas planted in a synthetic market?

A mined alpha *finds* a planted one when the daily cross-sectional rank correlation of their
values, over universe members and in-sample dates, averages >= ``threshold`` (0.8). Both are
evaluated with the same evaluator on the same panel; mined alphas are stored sign-corrected, so
the correlation is taken with its sign.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from expressions import Evaluator, ResultCache
from pipelines.panel import Panel
from pipelines.settings import split_index

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


def mean_rank_correlation(a: np.ndarray, b: np.ndarray, member: np.ndarray) -> float:
    """Mean over days of the Spearman correlation of a[t] and b[t] where both are defined."""
    values = []
    for t in range(a.shape[0]):
        ok = member[t] & np.isfinite(a[t]) & np.isfinite(b[t])
        if ok.sum() < 5:
            continue
        ra = _ranks(a[t, ok])
        rb = _ranks(b[t, ok])
        if ra.std() == 0 or rb.std() == 0:
            continue
        values.append(float(np.corrcoef(ra, rb)[0, 1]))
    return float(np.mean(values)) if values else 0.0


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    # ties get their average rank so constant stretches do not fake a correlation
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


def recovery(panel: Panel, planted: Sequence[tuple[str, float]], mined: Sequence[str], *,
             universe: str = "TOP500", os_fraction: float = 0.2, stride: int = 5) -> list[Match]:
    """For each planted alpha, the mined expression with the highest mean rank correlation.

    ``stride`` samples every n-th in-sample day (the mean is stable; the cost drops n-fold).
    """
    view = panel.head(split_index(panel.T, os_fraction))
    member = view.universe(universe)
    evaluator = Evaluator(view.fields, view.groups, universe=member, universe_key=universe, cache=ResultCache(1 << 30))
    days = slice(None, None, stride)
    mined_values = []
    for text in mined:
        try:
            mined_values.append((text, evaluator.evaluate(text)[days]))
        except Exception:  # noqa: BLE001 - an alpha that no longer evaluates cannot match
            continue
    matches = []
    for expression, ic in planted:
        target = evaluator.evaluate(expression)[days]
        best, best_corr = None, -1.0
        for text, values in mined_values:
            corr = mean_rank_correlation(values, target, member[days])
            if corr > best_corr:
                best, best_corr = text, corr
        matches.append(Match(expression, ic, best, best_corr))
    return matches
