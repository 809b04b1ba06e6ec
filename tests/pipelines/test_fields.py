"""Field metadata: coverage and update frequency against slow references; the fields file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.cache import store_panel, load_cached
from pipelines.errors import DataError
from pipelines.fields import (
    ONE_YEAR,
    field_metadata,
    field_names,
    field_stats,
    infer_category,
    panel_field_stats,
    read_fields_file,
    update_frequency,
)
from pipelines.panel import Panel
from tests.conftest import make_tiny_panel


def reference_stats(values: np.ndarray, members: np.ndarray) -> tuple[float, float, float | None]:
    """Slow and obvious: loop over every cell and every consecutive pair."""
    t, n = values.shape
    start = max(0, t - ONE_YEAR)
    member_cells = present = member_cells_1y = present_1y = pairs = changes = 0
    for i in range(t):
        for j in range(n):
            has_value = not np.isnan(values[i, j])
            if members[i, j]:
                member_cells += 1
                present += has_value
                if i >= start:
                    member_cells_1y += 1
                    present_1y += has_value
            if i > 0 and has_value and not np.isnan(values[i - 1, j]):
                pairs += 1
                changes += values[i, j] != values[i - 1, j]
    return (present / member_cells if member_cells else 0.0,
            present_1y / member_cells_1y if member_cells_1y else 0.0,
            changes / pairs if pairs else None)


def random_field(rng: np.random.Generator, t: int, n: int) -> np.ndarray:
    """Ties (repeated values, step changes) and NaN runs, the cases the counts must get right."""
    kind = rng.integers(3)
    if kind == 0:
        values = rng.normal(size=(t, n))
    elif kind == 1:
        values = np.repeat(rng.integers(0, 3, size=(t // 5 + 1, n)).astype(float), 5, axis=0)[:t]
    else:
        values = np.round(rng.normal(size=(t, n)))
    values[rng.random((t, n)) < rng.uniform(0, 0.6)] = np.nan
    return values


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("t", [1, 2, 30, ONE_YEAR, ONE_YEAR + 7])
def test_stats_match_the_slow_reference(seed: int, t: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    values = random_field(rng, t, n)
    members = rng.random((t, n)) < 0.7
    stats = field_stats("x", values, members)
    coverage, coverage_1y, change_share = reference_stats(values, members)
    assert stats.coverage == pytest.approx(coverage)
    assert stats.coverage_1y == pytest.approx(coverage_1y)
    assert stats.change_share == pytest.approx(change_share) if change_share is not None else stats.change_share is None


def test_hand_computed_case() -> None:
    # 3 dates x 2 symbols; symbol 1 is a member only on the first date.
    values = np.array([[1.0, 5.0], [1.0, np.nan], [2.0, 7.0]])
    members = np.array([[True, True], [True, False], [True, False]])
    stats = field_stats("x", values, members)
    assert stats.coverage == pytest.approx(4 / 4)  # every member cell has a value
    # pairs: (1,1) (1,2) for symbol 0; symbol 1 has no consecutive present pair; 1 change of 2
    assert stats.change_share == pytest.approx(0.5)
    assert stats.frequency == "daily"


def test_only_the_last_year_counts_for_coverage_1y() -> None:
    t = ONE_YEAR + 100
    values = np.ones((t, 4))
    values[: t - ONE_YEAR] = np.nan  # a field that started a year ago
    stats = field_stats("new", values, np.ones((t, 4), dtype=bool))
    assert stats.coverage == pytest.approx(ONE_YEAR / t)
    assert stats.coverage_1y == 1.0
    assert stats.frequency == "static"


@pytest.mark.parametrize("every, expected", [(1, "daily"), (5, "weekly"), (21, "monthly"), (63, "quarterly")])
def test_update_frequency_of_step_fields(every: int, expected: str) -> None:
    rng = np.random.default_rng(every)
    steps = rng.normal(size=(1260 // every + 1, 20))
    values = np.repeat(steps, every, axis=0)[:1260]
    assert field_stats("f", values, np.ones_like(values, dtype=bool)).frequency == expected


def test_frequency_names() -> None:
    assert [update_frequency(s) for s in (None, 0.0, 1.0, 0.6, 0.3, 0.05, 0.01)] == [
        "unknown", "static", "daily", "daily", "weekly", "monthly", "quarterly"]


def test_categories_are_inferred() -> None:
    assert [infer_category(n) for n in ("close", "VWAP", "volume", "adv20", "returns", "cap", "eps")] == [
        "price", "price", "volume", "volume", "derived", "derived", "other"]


def test_fields_file_csv(tmp_path: Path) -> None:
    path = tmp_path / "fields.csv"
    path.write_text("field,category,description\nclose,price,Closing price\neps, Fundamental ,Earnings per share\n")
    described = read_fields_file(path)
    assert described["eps"].category == "fundamental"
    assert described["close"].description == "Closing price"


def test_fields_file_parquet_without_descriptions(tmp_path: Path) -> None:
    path = tmp_path / "fields.parquet"
    pl.DataFrame({"Field": ["eps"], "Category": ["fundamental"]}).write_parquet(path)
    assert read_fields_file(path)["eps"].description == ""


@pytest.mark.parametrize("content, message", [
    ("field,description\nclose,x\n", "missing required column 'category'"),
    ("field,category\nclose,price\n,other\n", "column 'field': empty field at line 3"),
    ("field,category\nclose,price\neps,\n", "column 'category': empty category at line 3"),
    ("field,category\nclose,price\neps,a\nclose,b\n", "duplicate field 'close' at line 4 (first at line 2)"),
    ("", "empty"),
])
def test_bad_fields_file_names_file_column_and_row(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "fields.csv"
    path.write_text(content)
    with pytest.raises(DataError) as caught:
        read_fields_file(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_fields_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="fields file .* does not exist"):
        read_fields_file(tmp_path / "nope.csv")


def test_metadata_uses_file_then_inference(tmp_path: Path) -> None:
    panel = make_tiny_panel()
    path = tmp_path / "fields.csv"
    path.write_text("field,category,description\nclose,price,Close\nvolume,liquidity,Shares traded\nghost,x,y\n")
    infos = {i.name: i for i in field_metadata(panel, "ALL", path)}
    assert infos["volume"].category == "liquidity" and infos["volume"].description == "Shares traded"
    assert infos["open"].category == "price" and infos["returns"].category == "derived"
    assert "ghost" not in infos
    # ALL = cells with a close; every stored field shares close's holes in the tiny panel
    assert infos["open"].coverage == 1.0


def test_stats_are_cached_beside_the_panel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    fields = {name: rng.lognormal(3, 0.1, size=(30, 5)) for name in ("open", "high", "low", "close", "volume")}
    fields["eps"] = np.repeat(rng.normal(size=(3, 5)), 10, axis=0)
    store_panel(Panel.from_arrays(fields, source="t"), "k", cache_dir=tmp_path)
    panel = load_cached("k", cache_dir=tmp_path)
    first = panel_field_stats(panel, "ALL")
    saved = list(Path(panel.cache_path).glob("fields-ALL-T30.json"))
    assert len(saved) == 1 and "eps" in json.loads(saved[0].read_text())["fields"]
    assert list(first) == field_names(panel) == ["open", "high", "low", "close", "volume", "eps", "returns", "vwap", "adv20"]
    # a second panel object on the same entry reads the file instead of scanning
    again = panel_field_stats(load_cached("k", cache_dir=tmp_path), "ALL")
    assert again == first
    assert first["eps"].change_share == pytest.approx(2 / 29)
    # the in-sample head is its own entry (T differs)
    assert panel_field_stats(panel.head(20), "ALL")["eps"].change_share == pytest.approx(1 / 19)
