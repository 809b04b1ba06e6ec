"""Shared fixtures: a tiny panel, paths to the real S&P data, a temporary SQLite URL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.panel import Panel

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SP500_DAILY = SHARED_DATA / "sp500_daily.parquet"
SP500_SECTORS = SHARED_DATA / "sp500_sectors.parquet"


def make_tiny_panel(t: int = 40, n: int = 6, seed: int = 0, nan_share: float = 0.05) -> Panel:
    """A small random market with NaNs sprinkled in and two groupings."""
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.02, size=(t, n)), axis=0))
    open_ = close * (1 + rng.normal(0, 0.005, size=(t, n)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, size=(t, n))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, size=(t, n))))
    volume = rng.lognormal(12, 0.5, size=(t, n))
    fields = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    holes = rng.random((t, n)) < nan_share
    for name in fields:
        fields[name] = np.where(holes, np.nan, fields[name])
    groups = {"sector": np.arange(n) % 2, "industry": np.arange(n) % 3}
    return Panel.from_arrays(fields, groups=groups, source="tiny")


@pytest.fixture
def tiny_panel() -> Panel:
    return make_tiny_panel()


@pytest.fixture
def sp500_paths() -> tuple[Path, Path]:
    """(daily, sectors) parquet paths; skips with a clear reason when ../shared/data is absent."""
    if not SP500_DAILY.exists():
        pytest.skip(f"S&P data not found at {SP500_DAILY} (expected ../shared/data beside the checkout)")
    return SP500_DAILY, SP500_SECTORS


@pytest.fixture
def tmp_sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(scope="session", autouse=True)
def isolated_cache_dir(tmp_path_factory) -> Path:
    """Every test run caches panels in its own directory, never in ~/.cache/alphaminer.

    A test that passes its own ``cache_dir`` (or sets ALPHAMINER_CACHE_DIR) still wins.
    """
    directory = tmp_path_factory.mktemp("alphaminer-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALPHAMINER_CACHE_DIR", str(directory))
        yield directory


@pytest.fixture(scope="session")
def sp500_panel(isolated_cache_dir) -> Panel:
    """The real S&P 500 panel with sector/industry/subindustry groups, loaded once per session."""
    if not SP500_DAILY.exists():
        pytest.skip(f"S&P data not found at {SP500_DAILY} (expected ../shared/data beside the checkout)")
    from pipelines.load import load_panel

    return load_panel(SP500_DAILY, SP500_SECTORS, cache_dir=isolated_cache_dir)
