"""Universe masks: TOP-n by 20-day average dollar volume, recomputed each day, or ALL."""

from __future__ import annotations

import re

import numpy as np

from pipelines.errors import SettingsError

_TOP = re.compile(r"^TOP(\d+)$")


def universe_size(name: str) -> int | None:
    """n for ``TOPn``, None for ``ALL``; raises SettingsError otherwise."""
    key = name.upper()
    if key == "ALL":
        return None
    match = _TOP.match(key)
    if not match or int(match.group(1)) <= 0:
        raise SettingsError(f"unknown universe {name!r}: use ALL or TOPn (e.g. TOP500)")
    return int(match.group(1))


def universe_mask(panel, name: str) -> np.ndarray:
    """Boolean [T, N]: the n symbols with the largest adv20 each day (ties by column order).

    A symbol with NaN adv20 on a day (not yet 20 days of history) is not a member that day.
    ``ALL`` keeps every symbol that has a close price that day.
    """
    n = universe_size(name)
    close = panel.field("close")
    if n is None:
        return ~np.isnan(close)
    adv = panel.field("adv20")
    valid = ~np.isnan(adv)
    if n >= panel.N:
        return valid
    # argsort on -adv with NaN pushed last; stable so ties keep column order.
    key = np.where(valid, -adv, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    mask = np.zeros_like(valid)
    rows = np.arange(panel.T)[:, None]
    mask[rows, order[:, :n]] = True
    return mask & valid
