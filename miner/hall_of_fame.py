"""The hall of fame: the best distinct alphas seen so far, with their daily PnL.

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
    """At most ``size`` entries, best score first, one per expression."""

    def __init__(self, size: int = 10):
        self.size = size
        self.entries: list[Entry] = []

    def consider(self, entry: Entry) -> bool:
        """Add ``entry`` if it ranks; an expression already present keeps its best score."""
        for i, existing in enumerate(self.entries):
            if existing.expression == entry.expression:
                if entry.score <= existing.score:
                    return False
                del self.entries[i]
                break
        self.entries.append(entry)
        self.entries.sort(key=lambda e: e.score, reverse=True)
        kept = entry in self.entries[: self.size]
        del self.entries[self.size :]
        return kept

    def pnls(self) -> list[np.ndarray]:
        return [e.daily_pnl for e in self.entries if e.daily_pnl is not None]

    def records(self) -> list[dict[str, Any]]:
        return [e.record() for e in self.entries]

    @classmethod
    def from_records(cls, records: list[dict[str, Any]], size: int = 10) -> "HallOfFame":
        hof = cls(size)
        hof.entries = [Entry(**r) for r in records]
        return hof
