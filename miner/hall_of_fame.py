"""The hall of fame: the best *distinct* alphas seen so far, with their daily PnL.

Distinct twice over: one entry per expression, and one entry per niche — an alpha whose daily
PnL correlates at ``corr_limit`` or more with a member is the same bet, so only the better of
the two stays. Without the niche rule the hall fills with variants of the first strong signal
found, and lateral moves (which start from its members) climb that one hill over and over.
Selection penalises correlation with its members (diversity), lateral moves start from them,
and the LLM prompt shows them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class Entry:
    score: float
    expression: str
    settings: dict[str, Any]
    params: dict[str, Any]
    metrics: dict[str, Any]
    simulation_id: int | None = None
    daily_pnl: np.ndarray | None = dataclasses.field(default=None, repr=False)

    def record(self) -> dict[str, Any]:
        """JSON-able form for checkpoints (PnL is reloaded from the store by simulation id)."""
        out = dataclasses.asdict(self)
        out.pop("daily_pnl")
        return out


class HallOfFame:
    """At most ``size`` entries, best score first, one per expression and one per niche."""

    def __init__(self, size: int = 10, corr_limit: float = 1.0):
        self.size = size
        self.corr_limit = corr_limit
        self.entries: list[Entry] = []

    def consider(self, entry: Entry) -> bool:
        """Add ``entry`` if it ranks and beats every member of its niche (which it then replaces)."""
        rivals = [e for e in self.entries if e.expression == entry.expression or self._same_niche(e, entry)]
        if any(rival.score >= entry.score for rival in rivals):
            return False
        self.entries = [e for e in self.entries if not any(e is rival for rival in rivals)]
        self.entries.append(entry)
        self.entries.sort(key=lambda e: e.score, reverse=True)
        kept = entry in self.entries[: self.size]
        del self.entries[self.size :]
        return kept

    def _same_niche(self, a: Entry, b: Entry) -> bool:
        if self.corr_limit >= 1.0 or a.daily_pnl is None or b.daily_pnl is None:
            return False
        return abs_correlation(a.daily_pnl, b.daily_pnl) >= self.corr_limit

    def pnls(self) -> list[np.ndarray]:
        return [e.daily_pnl for e in self.entries if e.daily_pnl is not None]

    def records(self) -> list[dict[str, Any]]:
        return [e.record() for e in self.entries]

    @classmethod
    def from_records(cls, records: list[dict[str, Any]], size: int = 10, corr_limit: float = 1.0) -> HallOfFame:
        hof = cls(size, corr_limit)
        hof.entries = [Entry(**r) for r in records]
        return hof


def abs_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """|Pearson correlation| of two daily PnL series aligned on their common tail (0 if undefined)."""
    n = min(len(a), len(b))
    if n < 3:
        return 0.0
    a, b = a[-n:], b[-n:]
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return abs(float(np.corrcoef(a, b)[0, 1]))
