"""Miner configuration: ``alphaminer.toml`` (all keys optional), overridden by command-line flags.

Every section is a dataclass; unknown sections or keys are a ConfigError naming the file and key.
Defaults follow what users of the open-source WorldQuant miner know (population 30, crossover 0.8,
mutation 0.15, elite 20%, tournament 3).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from miner.errors import ConfigError
from miner.search_space import DEFAULT_SPACE, SearchSpace

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_CONFIG_FILE = "alphaminer.toml"


@dataclasses.dataclass
class DataConfig:
    path: str = "synthetic"
    groups: str | None = None
    synthetic_config: str | None = None
    cache_dir: str | None = None
    fields_file: str | None = None  # CSV/parquet: field, category, description (pipelines.fields)


@dataclasses.dataclass
class ExecutorConfig:
    kind: str = "local"
    workers: int = 2
    scheduler: str | None = None


@dataclasses.dataclass
class EvolutionConfig:
    population: int = 30
    generations: int = 12
    crossover: float = 0.8
    mutation: float = 0.15
    elite: float = 0.2
    tournament: int = 3
    max_height: int = 8
    max_size: int = 40
    init_min_height: int = 1
    init_max_height: int = 3
    immigrants: float = 0.2
    operator_weights: dict[str, float] = dataclasses.field(default_factory=dict)
    windows: list[int] = dataclasses.field(default_factory=lambda: [2, 3, 5, 10, 20, 40, 60, 120, 250])
    constants: list[float] = dataclasses.field(default_factory=lambda: [0.5, 1.0, 2.0])
    seed: int = 0
    seed_file: str | None = None
    seed_library: str | None = None
    min_field_coverage: float = 0.7  # fields covering less of the universe are not drawn


@dataclasses.dataclass
class LateralConfig:
    elites: int = 8
    per_elite: int = 12
    rounds: int = 3
    hall_of_fame: int = 20


@dataclasses.dataclass
class ScreenConfig:
    """The template screen before the first generation (``miner.screen``)."""

    enabled: bool = True
    top: int = 20
    windows: list[int] = dataclasses.field(default_factory=lambda: [3, 5, 10, 20, 60, 120])
    max_fields: int = 12
    max_corr: float = 0.9
    stride: int = 3


@dataclasses.dataclass
class BanditConfig:
    policy: str = "ucb1"
    factored: bool = False
    reward: str = "default"
    batch: int = 5
    space: dict[str, list[Any]] = dataclasses.field(
        default_factory=lambda: {"neutralization": ["MARKET", "SECTOR", "INDUSTRY"], "truncation": [0.05, 0.08]}
    )


@dataclasses.dataclass
class ScoringConfig:
    function: str = "default"
    turnover_limit: float = 0.7
    turnover_penalty: float = 2.0
    corr_limit: float = 0.7
    corr_penalty: float = 1.0
    complexity_penalty: float = 0.01
    ladder: bool = True
    min_positions: float = 20.0
    min_turnover: float = 0.01


@dataclasses.dataclass
class LLMConfig:
    enabled: bool = True
    url: str = "http://127.0.0.1:11434"
    models: list[str] = dataclasses.field(default_factory=lambda: ["deepseek-r1:8b", "deepseek-r1:7b", "deepseek-r1:1.5b"])
    timeout_s: float = 120.0
    ideas: int = 8
    step_up_after: int = 5
    step_up_after_s: float = 1800.0
    retry_unreachable_s: float = 300.0
    max_prompt_chars: int = 12_000
    options: dict[str, Any] = dataclasses.field(default_factory=lambda: {"temperature": 0.8, "top_p": 0.95})


@dataclasses.dataclass
class DaemonConfig:
    every: str | None = None
    heartbeat_s: float = 5.0
    stale_after_s: float = 60.0
    log_file: str | None = "alphaminer.log"


@dataclasses.dataclass
class MinerConfig:
    db: str = "sqlite:///alphaminer.db"
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    executor: ExecutorConfig = dataclasses.field(default_factory=ExecutorConfig)
    evolution: EvolutionConfig = dataclasses.field(default_factory=EvolutionConfig)
    lateral: LateralConfig = dataclasses.field(default_factory=LateralConfig)
    screen: ScreenConfig = dataclasses.field(default_factory=ScreenConfig)
    bandit: BanditConfig = dataclasses.field(default_factory=BanditConfig)
    scoring: ScoringConfig = dataclasses.field(default_factory=ScoringConfig)
    llm: LLMConfig = dataclasses.field(default_factory=LLMConfig)
    daemon: DaemonConfig = dataclasses.field(default_factory=DaemonConfig)
    settings: dict[str, Any] = dataclasses.field(default_factory=lambda: {"universe": "TOP500"})
    search_space: dict[str, dict[str, Any]] = dataclasses.field(default_factory=lambda: dict(DEFAULT_SPACE))
    source: str = "defaults"

    def space(self) -> SearchSpace:
        return SearchSpace(self.search_space, source=f"{self.source}: [search_space]")

    def validate(self) -> MinerConfig:
        """Cross-section rules: a settings dimension is the bandit's or the GA's, never both."""
        both = set(self.bandit.space) & self.space().settings_names()
        if both:
            raise ConfigError(
                f"{self.source}: setting(s) {', '.join(sorted(both))} are searched by both the bandit "
                "([bandit.space]) and the GA ([search_space]); choose one"
            )
        if self.executor.kind not in ("local", "process", "dask"):
            raise ConfigError(f"{self.source}: executor.kind must be local, process or dask, not {self.executor.kind!r}")
        evo = self.evolution
        if evo.population < 2 or evo.generations < 0 or not 0 <= evo.elite < 1:
            raise ConfigError(f"{self.source}: [evolution] needs population >= 2, generations >= 0, 0 <= elite < 1")
        if any(w <= 0 for w in evo.windows) or not evo.windows:
            raise ConfigError(f"{self.source}: [evolution] windows must be positive integers")
        if any(w <= 0 for w in self.screen.windows) or self.screen.top < 0 or self.screen.stride < 1 or self.screen.max_fields < 1:
            raise ConfigError(f"{self.source}: [screen] needs positive windows, top >= 0, stride >= 1 and max_fields >= 1")
        return self


def load_config(path: str | Path | None = None) -> MinerConfig:
    """Read ``path`` (or ./alphaminer.toml when it exists) over the defaults."""
    if path is None:
        if not Path(DEFAULT_CONFIG_FILE).exists():
            return MinerConfig().validate()
        path = DEFAULT_CONFIG_FILE
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    config = _build(MinerConfig, raw, str(path), "")
    config.source = str(path)
    return config.validate()


def _build(cls: type, raw: dict[str, Any], source: str, prefix: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            where = f"[{prefix.rstrip('.')}]" if prefix else "top level"
            raise ConfigError(f"{source}: unknown key '{prefix}{key}' ({where}); known: {', '.join(known)}")
        default = known[key].default_factory() if known[key].default_factory is not dataclasses.MISSING else known[key].default
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [{prefix}{key}] must be a table")
            values[key] = _build(type(default), value, source, f"{prefix}{key}.")
        else:
            values[key] = _check_type(value, default, f"{prefix}{key}", source)
    return cls(**values)


def _check_type(value: Any, default: Any, key: str, source: str) -> Any:
    if default is None or isinstance(value, type(default)):
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ConfigError(f"{source}: {key} should be {type(default).__name__}, got {value!r}")
