"""load_panel / read_panel / load_groups on real files: the S&P data and small hand-made ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from structlog.testing import capture_logs

from pipelines.errors import DataError
from pipelines.load import load_groups, load_panel, read_panel

NAN = np.nan
HEADER = "date,symbol,open,high,low,close,volume"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def small_csv(tmp_path: Path) -> Path:
    """3 dates x 2 symbols, rows unsorted, one (date, symbol) missing, one null open, extra fields."""
    return write(tmp_path, "small.csv", "\n".join([
        HEADER + ",cap,note",
        "2020-01-03,BBB,20,21,19,20.5,200,7,x",
        "2020-01-02,AAA,10,11,9,10.5,100,5,y",
        "2020-01-02,BBB,20,22,18,21,300,6,z",
        "2020-01-06,AAA,,12,10,11,150,5.5,",
        "2020-01-03,AAA,10.5,11.5,10,11,120,NA,w",
    ]) + "\n")


# ------------------------------------------------------------------ the real S&P 500 file


@pytest.mark.sp500
def test_real_sp500_shape_values_and_groups(sp500_paths):
    daily, sectors = sp500_paths
    panel = read_panel(daily, sectors)
    assert (panel.T, panel.N) == (1259, 505)
    assert str(panel.dates[0]) == "2013-02-08" and str(panel.dates[-1]) == "2018-02-07"
    assert list(panel.symbols) == sorted(panel.symbols)
    symbols = list(panel.symbols)
    close = panel.field("close")
    assert close.dtype == np.float64 and close.flags.c_contiguous and not close.flags.writeable
    assert close[0, symbols.index("AAPL")] == 67.8542  # README: 474.98 / 7 after the 7:1 split
    aptv = close[:, symbols.index("APTV")]
    assert np.isnan(aptv[:1215]).all() and not np.isnan(aptv[1215:]).any()  # 44 days from 2017-12-05
    assert str(panel.dates[1215]) == "2017-12-05"
    assert np.isnan(close[:, symbols.index("GOOG")]).sum() == 1259 - 975
    assert int((~np.isnan(close)).sum()) == 619_040
    # BHF 2017-07-26: null open/high/low, close present (README "Null OHLC rows")
    day = int(np.flatnonzero(panel.dates == np.datetime64("2017-07-26"))[0])
    bhf = symbols.index("BHF")
    assert np.isnan(panel.field("open")[day, bhf]) and not np.isnan(close[day, bhf])
    assert int(np.isnan(panel.field("open")).sum() - np.isnan(close).sum()) == 11
    sector = panel.groups["sector"]
    assert len(panel.group_labels["sector"]) == 11 and sector.dtype == np.int32
    assert panel.group_labels["sector"][sector[symbols.index("AAPL")]] == "Information Technology"
    tech = panel.group_labels["sector"].index("Information Technology")
    assert int((sector == tech).sum()) == 70
    assert len(panel.group_labels["industry"]) == 60 and len(panel.group_labels["subindustry"]) == 127


@pytest.mark.sp500
def test_real_sp500_top100_has_100_members_once_adv20_exists(sp500_panel):
    mask = sp500_panel.universe("TOP100")
    counts = mask.sum(axis=1)
    assert (counts[:19] == 0).all() and (counts[19:] == 100).all()
    assert sp500_panel.cache_path is not None


# ------------------------------------------------------------------ hand-made files


def test_csv_pivots_sorted_with_nan_holes_and_extra_fields(tmp_path):
    with capture_logs() as logs:
        panel = read_panel(small_csv(tmp_path))
    assert [str(d) for d in panel.dates] == ["2020-01-02", "2020-01-03", "2020-01-06"]
    assert list(panel.symbols) == ["AAA", "BBB"]
    np.testing.assert_array_equal(panel.field("close"), [[10.5, 21], [11, 20.5], [11, NAN]])
    np.testing.assert_array_equal(panel.field("open"), [[10, 20], [10.5, 20], [NAN, NAN]])
    np.testing.assert_array_equal(panel.field("cap"), [[5, 6], [NAN, 7], [5.5, NAN]])
    assert "note" not in panel.fields
    assert any(e["event"] == "column_ignored" and e["column"] == "note" for e in logs)
    # derived fields on the loaded panel, by hand
    np.testing.assert_allclose(panel.returns, [[NAN, NAN], [11 / 10.5 - 1, 20.5 / 21 - 1], [0, NAN]])
    np.testing.assert_allclose(panel.field("vwap")[0], [(11 + 9 + 10.5) / 3, (22 + 18 + 21) / 3])
    np.testing.assert_allclose(panel.field("adv2")[1], [(10.5 * 100 + 11 * 120) / 2, (21 * 300 + 20.5 * 200) / 2])


def test_parquet_gives_the_same_panel_as_csv(tmp_path):
    csv = small_csv(tmp_path)
    frame = pl.read_csv(csv, try_parse_dates=True).drop("note")
    frame.write_parquet(tmp_path / "small.parquet")
    from_csv, from_parquet = read_panel(csv), read_panel(tmp_path / "small.parquet")
    assert list(from_parquet.fields) == list(from_csv.fields)
    for name in from_csv.fields.stored_names():
        np.testing.assert_array_equal(from_parquet.field(name), from_csv.field(name))
    np.testing.assert_array_equal(from_parquet.dates, from_csv.dates)


def test_column_names_are_case_insensitive_and_datetimes_read_as_days(tmp_path):
    path = write(tmp_path, "caps.csv", "Date,Symbol,Open,High,Low,Close,Volume\n"
                 "2021-03-04 00:00:00,X,1,2,0.5,1.5,10\n2021-03-05 00:00:00,X,1,2,0.5,1.7,10\n")
    panel = read_panel(path)
    assert [str(d) for d in panel.dates] == ["2021-03-04", "2021-03-05"]
    np.testing.assert_array_equal(panel.field("close")[:, 0], [1.5, 1.7])


def test_non_positive_prices_become_nan_with_a_count(tmp_path):
    path = write(tmp_path, "neg.csv", "\n".join([
        HEADER, "2020-01-02,A,0,1,1,1,5", "2020-01-03,A,1,1,-2,-1,5", "2020-01-06,A,1,1,1,1,0",
    ]) + "\n")
    with capture_logs() as logs:
        panel = read_panel(path)
    assert np.isnan(panel.field("open")[0, 0]) and np.isnan(panel.field("close")[1, 0])
    assert panel.field("volume")[2, 0] == 0  # volume is not a price: zero volume is kept
    warning = next(e for e in logs if e["event"] == "non_positive_prices_set_to_nan")
    assert warning["counts"] == {"open": 1, "low": 1, "close": 1} and warning["total"] == 3


def test_groups_codes_labels_and_absent_symbols(tmp_path):
    data = small_csv(tmp_path)
    groups = write(tmp_path, "groups.csv", "Symbol,sector,industry\nBBB,Tech,Chips\nZZZ,Energy,Oil\n")
    with capture_logs() as logs:
        panel = read_panel(data, groups)
    assert panel.group_labels["sector"] == ["Energy", "Tech"]  # sorted, ZZZ's label kept
    np.testing.assert_array_equal(panel.groups["sector"], [-1, 1])  # AAA absent -> -1
    np.testing.assert_array_equal(panel.groups["industry"], [-1, 0])
    assert panel.groups["market"].tolist() == [0, 0]
    warning = next(e for e in logs if e["event"] == "symbols_without_groups")
    assert warning["count"] == 1 and warning["examples"] == ["AAA"]


def test_empty_group_label_is_no_group(tmp_path):
    groups = write(tmp_path, "g.csv", "symbol,sector\nAAA,\nBBB,Tech\n")
    codes, labels = load_groups(groups, np.array(["AAA", "BBB"], dtype=object))
    assert labels["sector"] == ["Tech"] and codes["sector"].tolist() == [-1, 0]


# ------------------------------------------------------------------ bad input: one line each

BAD_CSV = [
    ("missing_volume", f"{HEADER.replace(',volume', '')}\n2020-01-02,A,1,1,1,1\n",
     ["missing required column 'volume'"]),
    ("duplicates", f"{HEADER}\n2020-01-02,A,1,1,1,1,1\n2020-01-03,A,1,1,1,1,1\n2020-01-02,A,2,2,2,2,2\n",
     ["1 duplicate (date, symbol) row,", "(2020-01-02, A)", "line 2, line 4"]),
    ("bad_date", f"{HEADER}\n2020-01-02,A,1,1,1,1,1\n2020-13-45,A,1,1,1,1,1\n",
     ["column 'date'", "'2020-13-45'", "line 3"]),
    ("non_numeric", f"{HEADER}\n2020-01-02,A,1,1,1,1,1\n2020-01-03,A,1,1,1,abc,1\n",
     ["column 'close'", "'abc'", "line 3"]),
    ("empty_symbol", f"{HEADER}\n2020-01-02,,1,1,1,1,1\n", ["column 'symbol'", "line 2"]),
    ("header_only", f"{HEADER}\n", ["no data rows"]),
    ("zero_bytes", "", ["is empty"]),
]


@pytest.mark.parametrize("name, text, expected", BAD_CSV, ids=[case[0] for case in BAD_CSV])
def test_bad_csv_raises_one_line_naming_file_column_rows(tmp_path, name, text, expected):
    path = write(tmp_path, f"{name}.csv", text)
    with pytest.raises(DataError) as raised:
        read_panel(path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message
    for part in expected:
        assert part in message


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"unknown file type '\.txt'"):
        read_panel(write(tmp_path, "prices.txt", HEADER + "\n"))
    with pytest.raises(DataError, match="does not exist"):
        load_panel(tmp_path / "nope.parquet", cache_dir=tmp_path / "cache")
    with pytest.raises(DataError, match="groups file .* does not exist"):
        load_panel(small_csv(tmp_path), groups=tmp_path / "nope.csv", cache_dir=tmp_path / "cache")


def test_corrupt_parquet_is_a_data_error(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not a parquet file at all")
    with pytest.raises(DataError, match="cannot read it as parquet"):
        read_panel(path)


def test_parquet_text_column_with_a_bad_number_names_the_row(tmp_path):
    frame = pl.DataFrame({"date": ["2020-01-02", "2020-01-03", "2020-01-06"], "symbol": ["A"] * 3,
                          "open": [1.0] * 3, "high": [1.0] * 3, "low": [1.0] * 3,
                          "close": ["1", "2", "n.a."], "volume": [1, 2, 3]})
    frame.write_parquet(tmp_path / "p.parquet")
    with pytest.raises(DataError, match=r"column 'close': non-numeric value 'n\.a\.' at row 3"):
        read_panel(tmp_path / "p.parquet")


def test_groups_file_errors(tmp_path):
    symbols = np.array(["A", "B"], dtype=object)
    no_symbol = write(tmp_path, "nosym.csv", "ticker,sector\nA,Tech\n")
    with pytest.raises(DataError, match=r"nosym\.csv: missing required column 'symbol'"):
        load_groups(no_symbol, symbols)
    repeated = write(tmp_path, "rep.csv", "symbol,sector\nA,Tech\nB,Oil\nA,Oil\n")
    with pytest.raises(DataError, match=r"rows share a symbol, e\.g\. 'A' at line 2, line 4"):
        load_groups(repeated, symbols)


# ------------------------------------------------------------------ wide files, streamed


def wide_frame(n_fields: int, n_symbols: int, n_days: int, seed: int = 0) -> pl.DataFrame:
    """Long rows in shuffled order, OHLCV with a few non-positive prices, float32 extras with NaNs."""
    rng = np.random.default_rng(seed)
    dates = np.repeat(np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-01-01") + n_days), n_symbols)
    columns = {"date": dates, "symbol": np.tile([f"S{i:03d}" for i in range(n_symbols)], n_days)}
    for name in ("open", "high", "low", "close", "volume"):
        columns[name] = rng.uniform(-0.05, 1.0, size=len(dates))
    for i in range(n_fields):
        values = rng.normal(size=len(dates)).astype(np.float32)
        values[rng.random(len(dates)) < 0.1] = np.nan
        columns[f"f{i:04d}"] = values
    return pl.DataFrame(columns).sample(fraction=1.0, shuffle=True, seed=seed)


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_streamed_load_equals_the_in_memory_conversion(tmp_path, monkeypatch, suffix):
    from pipelines import source_columns

    path = tmp_path / f"wide.{suffix}"
    frame = wide_frame(40, 7, 30)
    frame.write_parquet(path) if suffix == "parquet" else frame.write_csv(path)
    in_memory = read_panel(path)  # every column in one batch
    monkeypatch.setattr(source_columns, "PARQUET_BATCH_BYTES", 3 * 7 * 30 * 8)  # 3 columns a batch
    monkeypatch.setattr(source_columns, "CSV_BATCH_BYTES", path.stat().st_size * 3 // 45)
    assert source_columns.SourceColumns(path)._batch_size(45, 7 * 30) == 3
    with capture_logs() as logs:
        streamed = load_panel(path, cache_dir=tmp_path / "cache")
    assert streamed.cache_path is not None and isinstance(streamed.field("close").base, np.memmap)
    assert list(streamed.fields) == list(in_memory.fields) and len(streamed.fields.stored_names()) == 45
    for name in ("returns", "vwap", "adv20", *in_memory.fields.stored_names()):
        np.testing.assert_array_equal(streamed.field(name), in_memory.field(name))
    np.testing.assert_array_equal(streamed.dates, in_memory.dates)
    assert list(streamed.symbols) == list(in_memory.symbols)
    row = frame.filter((pl.col("date") == np.datetime64("2020-01-05")) & (pl.col("symbol") == "S003"))
    assert streamed.field("f0017")[4, 3] == pytest.approx(float(row["f0017"][0]), rel=1e-6)
    loaded = next(e for e in logs if e["event"] == "panel_loaded")
    assert loaded["fields"] == 45 and loaded["first_fields"] == ["open", "high", "low", "close", "volume"]
    blanked = next(e for e in logs if e["event"] == "non_positive_prices_set_to_nan")
    by_hand = {name: int((frame[name] <= 0).sum()) for name in ("open", "high", "low", "close")}
    assert blanked["counts"] == by_hand and all(by_hand.values())


def test_bad_value_in_a_late_column_leaves_no_cache_entry(tmp_path, monkeypatch):
    from pipelines import source_columns

    frame = wide_frame(6, 3, 4).with_columns(pl.col("f0005").cast(pl.String))
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("oops")).otherwise(pl.col("f0005"))
                               .alias("f0005"))
    path = tmp_path / "late.parquet"
    frame.write_parquet(path)
    monkeypatch.setattr(source_columns, "PARQUET_BATCH_BYTES", 2 * 12 * 8)
    with pytest.raises(DataError, match=r"column 'f0005': non-numeric value 'oops' at row 8 \(1 bad row in all\)"):
        load_panel(path, cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache" / "panels").iterdir()) == []


def test_header_only_file_missing_a_column_says_it_has_no_rows(tmp_path):
    path = write(tmp_path, "h.csv", "date,symbol,open\n")
    with pytest.raises(DataError, match="the file has no data rows"):
        load_panel(path, cache_dir=tmp_path / "cache")


MEASURE_RSS = """
import json, sys
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
from pipelines import source_columns
from pipelines.load import load_panel, read_panel

def peak_rss_bytes():
    status = open("/proc/self/status").read()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024

source_columns.PARQUET_BATCH_BYTES = 1 << 20  # a batch budget scaled to this small file
load_panel(sys.argv[1], cache_dir=sys.argv[3])  # warm up: libraries, thread pools, allocators
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # reset the peak (VmHWM) to the current RSS: imports peaked higher
before = peak_rss_bytes()
panel = load_panel(sys.argv[2], cache_dir=sys.argv[3]) if sys.argv[4] == "stream" else read_panel(sys.argv[2])
print(json.dumps({"growth_bytes": peak_rss_bytes() - before, "fields": len(panel.fields.stored_names())}))
"""


@pytest.mark.slow
def test_wide_parquet_converts_without_holding_every_field(tmp_path):
    """300 fields, N=50, T=400: 48 MB of float64 in all. Streamed into the cache, peak RSS grows
    by a fraction of that; the in-memory conversion (the peer) grows by at least all of it."""
    import json
    import subprocess
    import sys

    wide_frame(0, 50, 20).write_parquet(tmp_path / "narrow.parquet")
    wide_frame(295, 50, 400, seed=1).write_parquet(tmp_path / "wide.parquet")
    all_fields = 300 * 400 * 50 * 8
    root = Path(__file__).resolve().parents[2]
    growth = {}
    for mode in ("stream", "memory"):
        done = subprocess.run(
            [sys.executable, "-c", MEASURE_RSS, str(tmp_path / "narrow.parquet"), str(tmp_path / "wide.parquet"),
             str(tmp_path / f"cache-{mode}"), mode], capture_output=True, text=True, cwd=root, check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        assert figures["fields"] == 300
        growth[mode] = figures["growth_bytes"]
    assert growth["memory"] >= all_fields
    assert growth["stream"] < all_fields / 4, growth
