"""A small market whose next-day returns carry a known signal: the ``signal`` field."""

from __future__ import annotations

import numpy as np

from pipelines.panel import Panel


def planted_panel(t: int = 160, n: int = 30, strength: float = 0.01, seed: int = 5, shuffle: bool = False) -> Panel:
    """close[t+1] / close[t] - 1 = strength * signal[t] + noise.

    ``shuffle`` permutes each day's future returns across the symbols: the same returns, no link.
    """
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(t, n))
    returns = np.zeros((t, n))
    returns[1:] = strength * signal[:-1] + rng.normal(0, 0.01, size=(t - 1, n))
    if shuffle:
        returns[1:] = rng.permuted(returns[1:], axis=1)
    close = 100.0 * np.cumprod(1.0 + returns, axis=0)
    volume = rng.lognormal(12, 0.3, size=(t, n))
    fields = {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": volume,
              "signal": signal, "noise": rng.normal(size=(t, n))}
    return Panel.from_arrays(fields, source=f"planted-{seed}-{shuffle}")
