"""Qlib's Alpha158 feature set, shipped with the package (``alpha158.txt``: ``NAME<TAB>expr``).

The expressions are in Qlib's syntax; evaluate them with ``dialect="qlib"`` (Qlib semantics:
time-series windows with min_periods = 1). Source: pyqlib 0.9.7,
``Alpha158DL.get_feature_config()`` with its default config.
"""

from __future__ import annotations

from importlib import resources

from pipelines.pool.errors import PoolError

DIALECT = "qlib"


def alpha158_features() -> list[tuple[str, str]]:
    """The 158 (name, Qlib expression) pairs in Qlib's order."""
    text = resources.files("pipelines.pool").joinpath("alpha158.txt").read_text(encoding="utf-8")
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, tab, expression = line.partition("\t")
        if not tab:
            raise PoolError(f"alpha158.txt:{number}: expected NAME<TAB>expression")
        found.append((name.strip(), expression.strip()))
    return found
