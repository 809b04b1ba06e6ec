"""Field draw weights: hand-computed cases, a planted useful field gaining draws, a 2,000-field once."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from miner.cli import main
from miner.cycle import run_cycle
from miner.evolution import _weighted_terminal
from miner.field_weights import (
    FieldPopularity,
    draw_shares,
    eligible_fields,
    field_popularity,
    field_weights,
    fields_of,
)
from miner.llm import IdeaContext
from miner.llm.prompt import build_messages
from miner.llm_ideas import idea_context
from miner.session import mining_session
from pipelines.fields import FieldInfo
from pipelines.panel import Panel
from pipelines.synthetic import SyntheticConfig, synthetic_panel
from tests.miner.conftest import SMALL_MARKET

ROOT = Path(__file__).resolve().parents[2]


def info(name: str, category: str, coverage: float = 1.0) -> FieldInfo:
    return FieldInfo(name, category, "", coverage, coverage, 1.0, "daily")


def market_parquet(path: Path, panel: Panel, extra: dict[str, np.ndarray]) -> Path:
    """The panel's OHLCV plus ``extra`` [T, N] fields, as a long-format parquet file."""
    t, n = panel.T, panel.N
    columns = {
        "date": np.repeat(panel.dates, n),
        "symbol": np.tile(np.asarray(panel.symbols, dtype=str), t),
    }
    for name in ("open", "high", "low", "close", "volume"):
        columns[name] = np.asarray(panel.fields[name]).reshape(-1)
    for name, values in extra.items():
        columns[name] = values.reshape(-1).astype(np.float32)
    pl.DataFrame(columns).write_parquet(path)
    return path


# ---- small hand-computed cases ---------------------------------------------------------------


def test_fields_of_walks_the_tree() -> None:
    assert fields_of("group_neutralize(rank(close / open), sector)") == {"close", "open"}
    assert fields_of("winsorize(ts_mean(eps, 5), std=3)") == {"eps"}
    assert fields_of("rank(") == frozenset()


def test_popularity_counts_distinct_passing_alphas_at_their_best_score() -> None:
    rows = [
        ("rank(close)", 2.0, 1.5, 0.8),
        ("rank(close)", 3.0, 2.0, 1.0),  # same alpha, other settings: counted once, best score
        ("rank(close - open)", 1.3, 1.1, 0.4),
        ("rank(eps)", 1.0, 2.0, 5.0),  # Sharpe under 1.25
        ("rank(volume)", 2.0, 0.5, 5.0),  # fitness under 1.0
        ("rank(vwap)", None, None, None),
    ]
    popularity = field_popularity(rows)
    assert popularity["close"] == FieldPopularity("close", 2, pytest.approx((1.0 + 0.4) / 2))
    assert popularity["open"] == FieldPopularity("open", 1, pytest.approx(0.4))
    assert set(popularity) == {"close", "open"}


def test_weights_without_popularity_balance_categories() -> None:
    metadata = [info("open", "price"), info("close", "price"), info("returns", "derived"),
                info("eps", "other", 0.9), info("thin", "other", 0.5)]
    weights = field_weights(metadata, {})
    assert "thin" not in weights  # under the 0.7 coverage limit
    assert eligible_fields(metadata) == ["open", "close", "returns", "eps"]
    shares = draw_shares(weights)
    # three categories, one third each, split by coverage inside price (equal)
    assert shares == pytest.approx({"open": 1 / 6, "close": 1 / 6, "returns": 1 / 3, "eps": 1 / 3})
    assert sum(weights.values()) == pytest.approx(len(weights))


def test_popularity_moves_weight_with_a_floor() -> None:
    metadata = [info("a", "other"), info("b", "other"), info("close", "price")]
    popularity = {"a": FieldPopularity("a", 3, 1.0)}
    shares = draw_shares(field_weights(metadata, popularity, floor=0.2))
    # categories: other p=1 -> 1.0, price p=0 -> 0.2; inside other: a 1.0, b 0.2
    other, price = 1.0 / 1.2, 0.2 / 1.2
    assert shares["close"] == pytest.approx(price)
    assert shares["a"] == pytest.approx(other * 1.0 / 1.2)
    assert shares["b"] == pytest.approx(other * 0.2 / 1.2)
    # the log scale: a field with 1 passing alpha next to one with 3
    popularity["b"] = FieldPopularity("b", 1, 1.0)
    weights = field_weights(metadata, popularity, floor=0.2)
    assert weights["b"] / weights["a"] == pytest.approx((0.2 + 0.8 * math.log(2) / math.log(4)) / 1.0)


def test_weighted_terminal_follows_the_weights() -> None:
    from deap import gp

    from expressions.types import Series

    terms = [gp.Terminal("a", True, Series), gp.Terminal("b", True, Series)]

    class Pset:
        terminal_weights = {"a": 3.0, "b": 1.0}

    random.seed(1)
    drawn = [_weighted_terminal(terms, Pset()).name for _ in range(4000)]
    assert drawn.count("a") / len(drawn) == pytest.approx(0.75, abs=0.03)


# ---- a planted useful field is drawn more once it has produced passing alphas ----------------


@pytest.fixture(scope="module")
def planted_market(tmp_path_factory) -> Path:
    """The small synthetic market plus ``signal`` (noisy two-day-ahead return: IC ~0.1) and four
    noise fields; all five land in the ``other`` category."""
    panel = synthetic_panel(SyntheticConfig.from_toml(SMALL_MARKET))
    rng = np.random.default_rng(5)
    returns = np.nan_to_num(np.asarray(panel.returns))
    ahead = np.zeros_like(returns)
    ahead[:-2] = returns[2:]
    scale = np.nanstd(returns)
    extra = {"signal": ahead + rng.normal(0, 10 * scale, returns.shape)}
    extra |= {f"noise{i}": rng.normal(size=returns.shape) for i in range(4)}
    return market_parquet(tmp_path_factory.mktemp("planted") / "market.parquet", panel, extra)


def test_a_useful_field_gains_draw_share(small_config, planted_market: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    small_config.data.path = str(planted_market)
    small_config.data.cache_dir = str(tmp_path / "cache")
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("rank(noise0)\nrank(signal)\nts_mean(noise1, 5)\nrank(noise2 - noise3)\n")
    small_config.evolution.seed_file = str(seeds)
    small_config.evolution.population = 12
    # no template screen: it seeds passing price/volume alphas from the market's own planted
    # signals, which would move the category shares this test does not look at
    small_config.screen.enabled = False
    with mining_session(small_config, mode="once", llm=False) as ctx:
        before = draw_shares(ctx.pset.terminal_weights)
        run_cycle(ctx, generations=3, llm=False)
        ctx.refresh_field_weights()
        after = draw_shares(ctx.pset.terminal_weights)
        popularity = ctx.field_popularity
        saved = ctx.store.load_value("fields.weights")
        prompt_fields = idea_context(ctx).fields
    # the LLM prompt lists the drawable fields, most weighted first, with what is known of them
    weights = ctx.pset.terminal_weights
    assert list(prompt_fields) == sorted(weights, key=lambda name: -weights[name])
    assert prompt_fields["signal"] == "other, daily"
    user = build_messages(IdeaContext(fields=prompt_fields, max_fields=3))[1]["content"]
    shown = [line[2:].split(":")[0] for line in user.splitlines() if line.startswith("- ")]
    assert shown == list(prompt_fields)[:3]
    assert f"(and {len(prompt_fields) - 3} more fields" in user
    assert before["signal"] == pytest.approx(before["noise0"])  # nothing known yet: equal
    assert popularity["signal"].passing >= 1
    assert after["signal"] > 1.5 * before["signal"]
    assert after["signal"] > 2 * max(after[f"noise{i}"] for i in range(4))
    assert saved == pytest.approx(ctx.pset.terminal_weights)
    # status shows the winners: fields by passing alphas, with the saved weights
    capsys.readouterr()
    assert main(["status", "--db", small_config.db, "--json"]) == 0
    rows = {row["field"]: row for row in json.loads(capsys.readouterr().out)["fields"]}
    assert rows["signal"]["passing"] == popularity["signal"].passing
    assert rows["signal"]["weight"] == pytest.approx(saved["signal"])
    assert rows["noise0"]["passing"] < rows["signal"]["passing"]
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["status", "--db", small_config.db]) == 0
    table = capsys.readouterr().out
    assert "winning fields" in table and "│ signal" in table


# ---- 2,000 fields: a once touches only the fields it draws -----------------------------------

_PEAK_RSS = """
import resource, sys
from miner.cli import main
code = main(sys.argv[1:])
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def _once_peak_rss_kib(data: Path, directory: Path) -> int:
    """Peak RSS of a small ``once`` in a fresh process (the panel already converted and cached)."""
    from tests.miner.conftest import write_small_config

    config = write_small_config(directory)
    args = ["once", "--config", str(config), "--data", str(data), "--cache-dir", str(directory.parent / "cache"),
            "--no-llm", "--generations", "2", "--population", "8", "--json"]
    done = subprocess.run([sys.executable, "-c", _PEAK_RSS, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[0])["evaluated"] > 0
    return int(done.stdout.split("PEAK_RSS_KIB")[1].split()[0])


@pytest.mark.slow
def test_two_thousand_fields_mine_within_a_memory_bound(tmp_path: Path) -> None:
    config = SyntheticConfig.from_dict({**SyntheticConfig.from_toml(SMALL_MARKET).__dict__, "n_stocks": 50,
                                        "n_days": 200, "planted": ()})
    panel = synthetic_panel(config)
    rng = np.random.default_rng(0)
    shape = (panel.T, panel.N)
    wide = {f"noise{i:04d}": rng.normal(size=shape) for i in range(1000)}
    wide |= {f"fund{i:04d}": np.repeat(rng.normal(size=(shape[0] // 63 + 1, shape[1])), 63, axis=0)[: shape[0]]
             for i in range(1000)}
    for name in list(wide)[::50]:  # every 50th field is mostly missing: left out of the GA
        wide[name][rng.random(shape) < 0.6] = np.nan
    narrow_file = market_parquet(tmp_path / "narrow.parquet", panel, {})
    wide_file = market_parquet(tmp_path / "wide.parquet", panel, wide)
    panel_bytes = len(wide) * panel.T * panel.N * 8
    del wide
    from pipelines.load import load_panel

    load_panel(wide_file, cache_dir=tmp_path / "cache")  # convert once, in this process
    (tmp_path / "narrow").mkdir()
    (tmp_path / "wide").mkdir()
    narrow = _once_peak_rss_kib(narrow_file, tmp_path / "narrow")
    wide_peak = _once_peak_rss_kib(wide_file, tmp_path / "wide")
    growth = (wide_peak - narrow) * 1024
    assert growth < 0.35 * panel_bytes, f"RSS grew {growth / 2**20:.0f} MiB for a {panel_bytes / 2**20:.0f} MiB panel"
    # the miner's figures cover the in-sample 160 of 200 dates only (os_fraction 0.2)
    stats = next(Path(tmp_path / "cache").glob("panels/*/fields-TOP50-T160.json"))
    figures = json.loads(stats.read_text())["fields"]
    assert len(figures) == 2000 + 5 + 3
    assert figures["fund0001"][2] == pytest.approx(2 / 159)  # steps on days 63 and 126


def test_popularity_fed_in_parts_equals_popularity_of_all_rows():
    rows = [("rank(close)", 2.0, 1.5, 1.2), ("rank(close)", 1.9, 1.4, 1.6), ("close / volume", 1.5, 1.2, 0.8),
            ("rank(volume)", 0.5, 0.2, 0.1), ("ts_mean(vwap, 5)", 1.4, 1.1, 0.5)]
    whole = field_popularity(rows)
    best: dict[str, float] = {}
    memo: dict = {}
    for part in (rows[:2], rows[2:3], [], rows[3:]):
        parts = field_popularity(part, parsed=memo, best=best)
    assert parts == whole
    assert whole["close"].passing == 2 and whole["close"].mean_score == pytest.approx((1.6 + 0.8) / 2)
