"""Fixtures for the miner: a small synthetic market, a miner config on it, a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from miner.config import MinerConfig

SMALL_MARKET = Path(__file__).parent / "data" / "small_market.toml"


@pytest.fixture
def small_config(tmp_path: Path) -> MinerConfig:
    """A quick miner: 8 individuals, 2 generations, 2 elites laterally, no LLM, a temp store."""
    config = MinerConfig()
    config.db = f"sqlite:///{tmp_path / 'store.db'}"
    config.data.synthetic_config = str(SMALL_MARKET)
    config.evolution.population = 8
    config.evolution.generations = 2
    config.evolution.windows = [2, 5, 10, 20]
    config.lateral.elites = 2
    config.lateral.per_elite = 3
    config.llm.enabled = False
    config.daemon.heartbeat_s = 0.2
    config.settings = {"universe": "TOP50"}
    config.bandit.space = {"neutralization": ["MARKET", "SECTOR"]}
    return config.validate()
