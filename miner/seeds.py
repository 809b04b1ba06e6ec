"""Seed expressions for the first population: ``--seed-file FILE`` and ``--seed-library alpha101``.

A seed file has one expression per line (``name<TAB>expression`` also accepted; blank lines and
``#`` comments skipped). The ``alpha101`` library is the 101 formulas of Kakushadze (2016),
shipped in ``miner/libraries/alpha101.txt``. Seeds that the GA cannot represent (keyword
arguments, over the height/size limits) or that do not type-check on the panel are skipped with
a count in the log.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import structlog

from miner.errors import ConfigError
from miner.evolution import Individual, from_text, within_limits

log = structlog.get_logger(__name__)
LIBRARIES = ("alpha101",)


def read_expressions(text: str) -> list[str]:
    """Expressions from seed-file text: bare lines or ``name<TAB>expression``."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.append(line.split("\t", 1)[1].strip() if "\t" in line else line)
    return out


def library_expressions(name: str) -> list[str]:
    if name not in LIBRARIES:
        raise ConfigError(f"unknown seed library {name!r} (known: {', '.join(LIBRARIES)})")
    return read_expressions(resources.files("miner").joinpath("libraries", f"{name}.txt").read_text(encoding="utf-8"))


def seed_expressions(seed_file: str | None, seed_library: str | None) -> list[str]:
    expressions: list[str] = []
    if seed_file:
        path = Path(seed_file)
        if not path.exists():
            raise ConfigError(f"seed file {path} does not exist")
        expressions += read_expressions(path.read_text(encoding="utf-8"))
    if seed_library:
        expressions += library_expressions(seed_library)
    return expressions


def seed_individuals(ctx: Any, limit: int) -> list[Individual]:
    """GA individuals for the configured seeds (at most ``limit``), parameters sampled."""
    evo = ctx.config.evolution
    texts = seed_expressions(evo.seed_file, evo.seed_library)
    if not texts:
        return []
    import random

    space = ctx.config.space()
    seeds, skipped = [], 0
    for text in texts:
        ind = from_text(text, ctx.pset, space.sample(random))
        if ind is None or not within_limits(ind, evo.max_height, evo.max_size) or not _valid_on_panel(str(ind), ctx):
            skipped += 1
            continue
        seeds.append(ind)
        if len(seeds) == limit:
            break
    log.info("seeds", used=len(seeds), skipped=skipped)
    return seeds


def _valid_on_panel(text: str, ctx: Any) -> bool:
    from expressions import parse

    try:
        parse(text, fields=ctx.panel.fields, groups=ctx.panel.groups)
    except Exception:  # noqa: BLE001 - an invalid seed is skipped and counted
        return False
    return True
