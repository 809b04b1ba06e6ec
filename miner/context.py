"""The mining context: everything one cycle needs, built once from the configuration.

``open_context(config, mode)`` loads the panel, opens the store and starts a run, builds the
executor, the bandit policy (restored from the store), the primitive set, the hall of fame and
the population (restored from the last checkpoint). It is a context manager: leaving it closes
the executor and ends the run.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import random
import threading
from typing import Any

import structlog

from bandit import Reward, make_policy, policy_from_state
from miner.config import MinerConfig
from miner.evolution import Individual, build_pset
from miner.field_weights import eligible_fields
from miner.hall_of_fame import HallOfFame
from miner.scoring import ScoreFunction, resolve_score_function
from pipelines.candidates import CandidateResult
from pipelines.checks import SHARPE_LIMIT
from pipelines.executors import make_executor
from pipelines.fields import field_metadata
from pipelines.panel import Panel
from pipelines.settings import SimulationSettings
from state import Store

log = structlog.get_logger(__name__)
BANDIT_NAME = "settings"


class NoHooks:
    """Progress hooks that do nothing (the CLI passes a rich progress bar instead)."""

    def start(self, description: str, total: int) -> None: ...

    def advance(self, done: int = 1, total: int | None = None) -> None: ...

    def generation_done(self, generation: int, best: float | None) -> None: ...


@dataclasses.dataclass
class PopulationState:
    generation: int = 0
    population: list[Individual] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class MiningContext:
    config: MinerConfig
    panel: Panel
    store: Store
    run_id: int
    executor: Any
    policy: Any
    reward_function: Reward
    score_function: ScoreFunction
    base_settings: SimulationSettings
    pset: Any
    hall_of_fame: HallOfFame
    state: PopulationState
    ideas: Any = None
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    hooks: Any = dataclasses.field(default_factory=NoHooks)
    recent_failures: collections.deque = dataclasses.field(default_factory=lambda: collections.deque(maxlen=10))
    field_metadata: list = dataclasses.field(default_factory=list)  # pipelines.fields.FieldInfo
    field_popularity: dict = dataclasses.field(default_factory=dict)  # name -> FieldPopularity
    _arm: Any = None
    _fields_of: dict = dataclasses.field(default_factory=dict, repr=False)
    _best_passing: dict = dataclasses.field(default_factory=dict, repr=False)  # expression -> best score
    _figures_read_to: int = 0  # simulations up to this id are in _best_passing

    def arm_for(self, index: int) -> Any:
        """The bandit's arm for the proposal at ``index``: one pull per sub-batch."""
        if self._arm is None or index % max(1, self.config.bandit.batch) == 0:
            self._arm = self.policy.select()
        return self._arm

    def reward(self, arm: Any, result: CandidateResult) -> None:
        if arm is None:
            return
        error = result.error if result.status != "ok" else None
        self.policy.update(arm, self.reward_function(result.is_metrics, error=error))

    def refresh_field_weights(self) -> None:
        """Re-weight the field terminals from the store's passing alphas (start of each generation);
        the weights are saved under ``fields.weights`` for ``status``."""
        from miner.field_weights import field_popularity, field_weights
        from state.repo_fields import ok_simulation_figures_after

        if not self.field_metadata:
            return
        rows, self._figures_read_to = ok_simulation_figures_after(self.store, self._figures_read_to,
                                                                  min_sharpe=SHARPE_LIMIT[1])
        self.field_popularity = field_popularity(rows, parsed=self._fields_of, best=self._best_passing)
        weights = field_weights(self.field_metadata, self.field_popularity,
                                min_coverage=self.config.evolution.min_field_coverage)
        self.pset.terminal_weights = weights
        self.store.save_value("fields.weights", weights)

    def prompt_fields(self) -> dict[str, str]:
        """Drawable fields, most weighted first, with their descriptions (the LLM prompt's list)."""
        weights = getattr(self.pset, "terminal_weights", {}) or {}
        infos = [i for i in self.field_metadata if i.name in weights] or self.field_metadata
        ranked = sorted(infos, key=lambda i: -weights.get(i.name, 0.0))
        return {i.name: i.description or f"{i.category}, {i.frequency}" for i in ranked}

    def save_bandit(self) -> None:
        self.store.save_bandit(BANDIT_NAME, self.policy.state())

    def close(self, status: str = "done") -> None:
        try:
            self.executor.close()
        finally:
            self.store.end_run(self.run_id, status)

    def __enter__(self) -> "MiningContext":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        self.close("failed" if exc_type and exc_type is not KeyboardInterrupt else "done")


def build_policy(config: MinerConfig, store: Store) -> Any:
    """The configured bandit, restored from the store when its policy and arms are unchanged."""
    space = {k: list(v) for k, v in config.bandit.space.items()} or {"neutralization": ["MARKET"]}
    fresh = make_policy(config.bandit.policy, space, seed=config.evolution.seed, factored=config.bandit.factored)
    saved = store.load_bandit(BANDIT_NAME)
    if not saved:
        return fresh
    try:
        restored = policy_from_state(saved)
    except Exception as error:  # noqa: BLE001 - an unreadable state restarts the bandit, loudly
        log.warning("bandit_state_discarded", reason=str(error))
        return fresh
    if _shape(restored) != _shape(fresh):
        log.warning("bandit_restarted", reason="the configured policy or settings space changed")
        return fresh
    return restored


def _shape(policy: Any) -> tuple:
    """What must match for a saved bandit to continue: policy name, params, arms (or space)."""
    state = policy.state()
    return state["policy"], json.dumps(state.get("params"), sort_keys=True), json.dumps(state.get("arms", state.get("space")), sort_keys=True)


def build_pset_for(config: MinerConfig, panel: Panel, eligible: list[str] | None = None) -> Any:
    """The primitive set; ``eligible`` (names) leaves out fields under the coverage limit."""
    fields = [name for name in panel.fields if name != "returns"] + ["returns"]
    if eligible is not None:
        fields = [name for name in fields if name in set(eligible)]
    groups = [g for g in panel.groups if g != "market"]
    return build_pset(fields, groups, config.evolution.windows, config.evolution.constants,
                      config.evolution.operator_weights)


def open_context(config: MinerConfig, panel: Panel, panel_source: Any, *, mode: str, store: Store | None = None,
                 ideas: Any = None) -> MiningContext:
    """Everything a cycle needs; the caller closes it (``with open_context(...) as ctx``)."""
    from miner.checkpoint import restore_state

    store = store or Store(config.db)
    run_id = store.start_run(mode)
    base = SimulationSettings.from_dict(config.settings)
    executor = make_executor(config.executor.kind, panel if config.executor.kind == "local" else panel_source,
                             workers=config.executor.workers,
                             scheduler=config.executor.scheduler)
    metadata = _field_metadata(config, panel)
    pset = build_pset_for(config, panel, eligible_fields(metadata, config.evolution.min_field_coverage))
    ctx = MiningContext(
        config=config, panel=panel, store=store, run_id=run_id, executor=executor,
        policy=build_policy(config, store), reward_function=Reward(metric="fitness") if config.bandit.reward == "default" else Reward(metric=config.bandit.reward),
        score_function=resolve_score_function(config.scoring.function), base_settings=base, pset=pset,
        hall_of_fame=HallOfFame(config.lateral.hall_of_fame, config.scoring.corr_limit), state=PopulationState(), ideas=ideas,
        field_metadata=metadata,
    )
    ctx.refresh_field_weights()
    restore_state(ctx)
    if ctx.state.generation == 0 and not ctx.state.population:
        random.seed(config.evolution.seed)
    return ctx


def _field_metadata(config: MinerConfig, panel: Panel) -> list:
    """Coverage, category and rhythm of every field over the in-sample dates (the search never
    reads the out-of-sample tail), cached beside the panel; fails loudly when no field reaches
    the configured coverage."""
    from miner.errors import ConfigError
    from pipelines.settings import split_index

    universe = str(config.settings.get("universe", "TOP500"))
    in_sample = panel.head(split_index(panel.T, SimulationSettings.from_dict(config.settings).os_fraction))
    metadata = field_metadata(in_sample, universe, config.data.fields_file)
    if not eligible_fields(metadata, config.evolution.min_field_coverage):
        raise ConfigError(f"{config.source}: no data field covers {config.evolution.min_field_coverage:.0%} of "
                          f"{universe}; lower [evolution] min_field_coverage")
    return metadata
