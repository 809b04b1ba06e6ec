"""One mining cycle.

1. Generations (``run_generation``): select and vary the population (``miner.evolution``), evaluate
   the children under the bandit's settings arms (``miner.batch``: dedupe, simulate in-sample,
   sign-correct, score, record in one transaction, reward the bandit), keep the elites.
   A checkpoint follows every generation (``miner.checkpoint``).
2. Lateral moves (``miner.lateral``): one-step neighbours of the hall of fame, simulated under
   each elite's own settings; improvements replace the weakest individuals. Several rounds make
   it a hill climb: each round starts from the hall of fame the last one improved.
3. LLM ideas (``miner.llm``), when enabled: validated proposals, evaluated like the rest.
4. A final checkpoint.

The cycle checks ``ctx.stop`` between batches: a stop request abandons nothing half-written.
"""

from __future__ import annotations

import dataclasses
import random
import time
from typing import Any

import structlog

from miner.batch import Outcome, Proposal, evaluate_proposals
from miner.checkpoint import save_checkpoint
from miner.evolution import Individual, clone_scored, random_individual, select, vary
from miner.lateral import neighbours
from miner.seeds import seed_individuals

log = structlog.get_logger(__name__)


@dataclasses.dataclass
class CycleSummary:
    generations: int = 0
    evaluated: int = 0
    errors: int = 0
    lateral: int = 0
    llm_ideas: int = 0
    llm_error: str | None = None
    stopped: bool = False
    seconds: float = 0.0
    outcomes: list[Outcome] = dataclasses.field(default_factory=list, repr=False)

    def add(self, outcomes: list[Outcome]) -> None:
        self.outcomes.extend(outcomes)
        self.evaluated += sum(not o.cached for o in outcomes)
        self.errors += sum(o.error is not None for o in outcomes)


def run_cycle(ctx: Any, *, generations: int | None = None, lateral: int | None = None, llm: bool = True,
              ga: bool = True) -> CycleSummary:
    """Run one cycle on ``ctx`` (a ``MiningContext``); returns what happened."""
    start = time.perf_counter()
    summary = CycleSummary()
    n_generations = ctx.config.evolution.generations if generations is None else generations
    for _ in range(n_generations if ga else 0):
        if ctx.stop.is_set():
            summary.stopped = True
            break
        summary.add(run_generation(ctx))
        summary.generations += 1
        save_checkpoint(ctx)
    for _ in range(ctx.config.lateral.rounds if ga else 0):
        if ctx.stop.is_set():
            break
        outcomes = run_lateral(ctx, ctx.config.lateral.elites if lateral is None else lateral)
        summary.lateral += len(outcomes)
        summary.add(outcomes)
    if not ctx.stop.is_set() and llm and ctx.ideas is not None:
        outcomes, error = run_llm(ctx)
        summary.llm_ideas, summary.llm_error = len(outcomes), error
        summary.add(outcomes)
    summary.stopped = summary.stopped or ctx.stop.is_set()
    save_checkpoint(ctx)
    summary.seconds = time.perf_counter() - start
    log.info("cycle_done", generations=summary.generations, evaluated=summary.evaluated, errors=summary.errors,
             lateral=summary.lateral, llm_ideas=summary.llm_ideas, seconds=round(summary.seconds, 1))
    return summary


def run_generation(ctx: Any) -> list[Outcome]:
    """Breed (or initialise) one generation, evaluate the new individuals, keep the best."""
    ctx.refresh_field_weights()
    evo = ctx.config.evolution
    state = ctx.state
    if not state.population:
        children = initial_population(ctx)
        elites: list[Individual] = []
    else:
        ranked = sorted(state.population, key=_score_of, reverse=True)
        elites = [clone_scored(ind) for ind in ranked[: int(round(evo.elite * evo.population))]]
        n_immigrants = int(round(evo.immigrants * evo.population))
        parents = select(state.population, evo.population - len(elites) - n_immigrants, evo.tournament)
        children = vary(parents, ctx.pset, cxpb=evo.crossover, mutpb=evo.mutation, max_height=evo.max_height,
                        max_size=evo.max_size, mutate_params=lambda p: ctx.config.space().mutate(p, random))
        children += random_individuals(ctx, n_immigrants)
    outcomes = evaluate_individuals(ctx, children, origin="ga")
    state.population = elites + children
    state.generation += 1
    ctx.hooks.generation_done(state.generation, max((_score_of(i) for i in state.population), default=None))
    return outcomes


def initial_population(ctx: Any) -> list[Individual]:
    """Seeds first, then the template screen's best, then random trees up to the population."""
    size = ctx.config.evolution.population
    population = seed_individuals(ctx, limit=size)
    population += screened_individuals(ctx, limit=size - len(population))
    return population + random_individuals(ctx, size - len(population))


def screened_individuals(ctx: Any, limit: int) -> list[Individual]:
    """The template screen's strongest distinct templates, as trees with sampled parameters."""
    from miner.evolution import from_text
    from miner.screen import screen, templates

    config = ctx.config.screen
    if not config.enabled or limit <= 0:
        return []
    candidates = list(templates(ctx.pset, config.windows, config.max_fields))
    ctx.hooks.start("screen", len(candidates))
    kept = screen(ctx.panel, ctx.base_settings, candidates, top=min(limit, config.top),
                  max_corr=config.max_corr, stride=config.stride, progress=ctx.hooks.advance)
    space = ctx.config.space()
    trees = (from_text(s.expression, ctx.pset, space.sample(random)) for s in kept)
    return [tree for tree in trees if tree is not None]


def random_individuals(ctx: Any, n: int) -> list[Individual]:
    """Fresh small trees: the first generation, and each generation's immigrants (exploration)."""
    evo = ctx.config.evolution
    space = ctx.config.space()
    return [random_individual(ctx.pset, evo.init_min_height, evo.init_max_height, space.sample(random))
            for _ in range(n)]


def evaluate_individuals(ctx: Any, individuals: list[Individual], *, origin: str, settings: list | None = None) -> list[Outcome]:
    """Evaluate GA trees; each gets its score as fitness (negated trees replace losers in place)."""
    proposals = [
        Proposal(str(ind), dict(ind.params), origin, ctx.state.generation, size=len(ind),
                 settings=settings[i] if settings else None)
        for i, ind in enumerate(individuals)
    ]
    ctx.hooks.start(f"generation {ctx.state.generation + 1}" if origin == "ga" else origin, len(proposals))
    outcomes = evaluate_proposals(ctx, proposals, progress=ctx.hooks.advance)
    for i, (ind, outcome) in enumerate(zip(individuals, outcomes)):
        if outcome.negated:
            individuals[i] = ind = negate_tree(ind, ctx.pset)
        ind.fitness.values = (outcome.score,)
    ctx.save_bandit()
    return outcomes


def negate_tree(ind: Individual, pset: Any) -> Individual:
    """The tree of -ind (or ind's argument when its root already is a negation)."""
    scored = ind.fitness.values if ind.fitness.valid else None
    if ind[0].name == "reverse":
        twin = Individual(list(ind)[1:], ind.params)
    else:
        twin = Individual([pset.mapping["reverse"], *ind], ind.params)
    if scored:
        twin.fitness.values = scored
    return twin


def run_lateral(ctx: Any, n_elites: int) -> list[Outcome]:
    """Neighbours of the top ``n_elites`` of the hall of fame, under each elite's settings."""
    from miner.evolution import from_text
    from pipelines.settings import SimulationSettings

    trees, settings = [], []
    for entry in ctx.hall_of_fame.entries[:n_elites]:
        elite = from_text(entry.expression, ctx.pset, entry.params)
        if elite is None:
            continue
        for neighbour in neighbours(elite, ctx.pset, ctx.config.lateral.per_elite):
            trees.append(neighbour)
            settings.append(SimulationSettings.from_dict(entry.settings))
    if not trees:
        return []
    outcomes = evaluate_individuals(ctx, trees, origin="lateral", settings=settings)
    _adopt(ctx, trees)
    return outcomes


def run_llm(ctx: Any) -> tuple[list[Outcome], str | None]:
    """Ask the idea source for proposals and evaluate the valid ones (origin ``llm``)."""
    from miner.llm_ideas import llm_proposals

    proposals, error = llm_proposals(ctx)
    if not proposals:
        return [], error
    ctx.hooks.start("llm ideas", len(proposals))
    outcomes = evaluate_proposals(ctx, proposals, progress=ctx.hooks.advance)
    ctx.save_bandit()
    return outcomes, error


def _adopt(ctx: Any, candidates: list[Individual]) -> None:
    """Replace the weakest individuals by better scored candidates (lateral improvements)."""
    population = sorted(ctx.state.population, key=_score_of)
    better = sorted((c for c in candidates if c.fitness.valid), key=_score_of, reverse=True)
    for i, candidate in enumerate(better[: len(population)]):
        if _score_of(candidate) > _score_of(population[i]):
            population[i] = candidate
    ctx.state.population = population


def _score_of(ind: Individual) -> float:
    return ind.fitness.values[0] if ind.fitness.valid else float("-inf")

