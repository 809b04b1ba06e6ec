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
    config.screen.windows = [5, 20]
    config.llm.enabled = False
    config.daemon.heartbeat_s = 0.2
    config.settings = {"universe": "TOP50"}
    config.bandit.space = {"neutralization": ["MARKET", "SECTOR"]}
    return config.validate()


def write_small_config(directory: Path, **sections: str) -> Path:
    """An alphaminer.toml for the small market in ``directory`` (extra TOML per section name)."""
    path = directory / "alphaminer.toml"
    extra = {name: text for name, text in sections.items()}
    path.write_text(f"""
db = "sqlite:///{directory / 'store.db'}"
settings = {{ universe = "TOP50" }}
[data]
synthetic_config = "{SMALL_MARKET}"
[evolution]
population = 8
generations = 2
windows = [2, 5, 10, 20]
[lateral]
elites = 2
per_elite = 3
rounds = 1
[screen]
windows = [5, 20]
[llm]
enabled = false
[daemon]
heartbeat_s = 0.2
stale_after_s = 30.0
log_file = "{directory / 'daemon.log'}"
[bandit.space]
neutralization = ["MARKET", "SECTOR"]
{extra.get("tail", "")}
""")
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_small_config(tmp_path)
