"""The on-disk panel cache: hit, miss, invalidation, memory mapping, atomic writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from structlog.testing import capture_logs

from pipelines import cache
from pipelines.load import load_panel

CSV = "date,symbol,open,high,low,close,volume,cap\n" + "".join(
    f"2020-01-{day:02d},{symbol},{10 + day},{11 + day},{9 + day},{10.5 + day + k},{100 * day},{k}\n"
    for day in range(2, 8)
    for k, symbol in enumerate(["AAA", "BBB", "CCC"])
)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def events(logs: list[dict]) -> list[str]:
    return [entry["event"] for entry in logs]


def assert_same_panel(a, b) -> None:
    assert list(a.symbols) == list(b.symbols)
    np.testing.assert_array_equal(a.dates, b.dates)
    assert list(a.fields) == list(b.fields)
    for name in a.fields:
        np.testing.assert_array_equal(a.field(name), b.field(name))
    assert {k: v.tolist() for k, v in a.groups.items()} == {k: v.tolist() for k, v in b.groups.items()}
    assert a.group_labels == b.group_labels


def test_miss_then_hit_memory_maps_the_same_panel(tmp_path, source):
    groups = tmp_path / "groups.csv"
    groups.write_text("symbol,sector\nAAA,Tech\nCCC,Oil\n", encoding="utf-8")
    with capture_logs() as first_logs:
        first = load_panel(source, groups, cache_dir=tmp_path / "cache")
    with capture_logs() as second_logs:
        second = load_panel(source, groups, cache_dir=tmp_path / "cache")
    assert "panel_loaded" in events(first_logs) and "panel_cached" in events(first_logs)
    assert "panel_loaded" not in events(second_logs) and "panel_cache_hit" in events(second_logs)
    assert first.cache_path == second.cache_path
    assert Path(second.cache_path).parent == tmp_path / "cache" / "panels"
    assert_same_panel(first, second)
    close = second.field("close")
    assert isinstance(close.base, np.memmap) and not close.flags.writeable
    assert type(close) is np.ndarray and close.flags.c_contiguous
    assert sorted(p.name for p in Path(second.cache_path).iterdir()) == [
        "00000_open.npy", "00001_high.npy", "00002_low.npy", "00003_close.npy", "00004_volume.npy",
        "00005_cap.npy", "manifest.json",
    ]


def test_changed_source_or_groups_is_a_miss_and_a_renamed_copy_is_a_hit(tmp_path, source):
    cache_dir = tmp_path / "cache"
    original = load_panel(source, cache_dir=cache_dir)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(source.read_bytes())
    assert load_panel(copy, cache_dir=cache_dir).cache_path == original.cache_path
    source.write_text(CSV.replace("2020-01-02,AAA,12,13,11,12.5", "2020-01-02,AAA,12,13,11,99.0"), encoding="utf-8")
    edited = load_panel(source, cache_dir=cache_dir)
    assert edited.cache_path != original.cache_path
    assert edited.field("close")[0, 0] == 99.0 and original.field("close")[0, 0] == 12.5
    groups = tmp_path / "groups.csv"
    groups.write_text("symbol,sector\nAAA,Tech\n", encoding="utf-8")
    assert load_panel(source, groups, cache_dir=cache_dir).cache_path not in (edited.cache_path, None)


def test_key_is_sha256_of_bytes_and_format_version(tmp_path, source, monkeypatch):
    key = cache.panel_key(source)
    assert len(key) == 64 and key == cache.panel_key(source)
    assert cache.file_digest(source) == __import__("hashlib").sha256(source.read_bytes()).hexdigest()
    monkeypatch.setattr(cache, "FORMAT_VERSION", cache.FORMAT_VERSION + 1)
    assert cache.panel_key(source) != key


def test_environment_variable_sets_the_default_directory(tmp_path, source, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "from_env"))
    panel = load_panel(source)
    assert Path(panel.cache_path).parent == tmp_path / "from_env" / "panels"
    monkeypatch.delenv(cache.ENV_VAR)
    assert cache.default_cache_dir() == Path.home() / ".cache" / "alphaminer"


def test_damaged_entry_is_logged_and_rebuilt(tmp_path, source):
    entry = Path(load_panel(source, cache_dir=tmp_path / "cache").cache_path)
    (entry / "00003_close.npy").unlink()
    with capture_logs() as logs:
        rebuilt = load_panel(source, cache_dir=tmp_path / "cache")
    assert "panel_cache_damaged" in events(logs) and "panel_loaded" in events(logs)
    assert rebuilt.cache_path == str(entry) and (entry / "00003_close.npy").is_file()
    assert cache.load_cached(entry.name, tmp_path / "cache") is not None


def test_failed_write_leaves_no_entry_and_no_temporary(tmp_path, source, monkeypatch):
    written = []

    def fail_on_third(path, array):
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(path)
        np.save(path, array)

    monkeypatch.setattr(cache, "_write_field", fail_on_third)
    with capture_logs() as logs:
        panel = load_panel(source, cache_dir=tmp_path / "cache")
    assert panel.cache_path is None and "panel_cache_write_failed" in events(logs)
    assert list((tmp_path / "cache" / "panels").iterdir()) == []
    np.testing.assert_array_equal(panel.field("cap")[0], [0, 1, 2])


def test_unwritable_cache_directory_still_returns_the_panel(tmp_path, source):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache directory should be")
    with capture_logs() as logs:
        panel = load_panel(source, cache_dir=blocker)
    assert panel.cache_path is None and "panel_cache_write_failed" in events(logs)
    assert panel.field("close").shape == (6, 3)


def test_open_panel_reopens_an_entry_from_its_path(tmp_path, source):
    panel = load_panel(source, cache_dir=tmp_path / "cache")
    reopened = cache.open_panel(panel.cache_path)
    assert_same_panel(panel, reopened)
    assert reopened.source == str(source)


KILLED_WRITER = """
import sys, time
import numpy as np
from pipelines import cache
from pipelines.load import read_panel

real = cache._write_field
def slow(path, array):
    real(path, array)
    print("wrote", path.name, flush=True)
    time.sleep(60)
cache._write_field = slow
panel = read_panel(sys.argv[1])
cache.store_panel(panel, cache.panel_key(sys.argv[1]), cache_dir=sys.argv[2])
"""


@pytest.mark.slow
def test_killed_writer_leaves_no_half_entry(tmp_path, source):
    cache_dir = tmp_path / "cache"
    root = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(source), str(cache_dir)],
        stdout=subprocess.PIPE, cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        lines = iter(writer.stdout.readline, b"")
        assert next(line for line in lines if line.startswith(b"wrote")) == b"wrote 00000_open.npy\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    key = cache.panel_key(source)
    leftovers = [p.name for p in (cache_dir / "panels").iterdir()]
    assert key not in leftovers and len(leftovers) == 1 and leftovers[0].startswith(".tmp-")
    assert cache.load_cached(key, cache_dir) is None
    stale = cache_dir / "panels" / leftovers[0]
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    panel = load_panel(source, cache_dir=cache_dir)
    assert panel.cache_path == str(cache_dir / "panels" / key)
    assert [p.name for p in (cache_dir / "panels").iterdir()] == [key]  # the stale temporary is gone


def fields_then_failure(fields):
    yield from fields
    raise RuntimeError("bad data after the fields")


def test_store_fields_records_counts_and_cleans_up_after_a_failing_source(tmp_path):
    nan = np.nan
    fields = [("a", np.array([[1.0, nan], [nan, nan]])), ("b", np.array([[nan, nan], [2.0, nan]]))]
    header = {"dates": np.array(["2020-01-02", "2020-01-03"], dtype="datetime64[D]"), "symbols": ["X", "Y"],
              "source": "by hand"}
    entry = cache.store_fields("k", iter(fields), **header, cache_dir=tmp_path)
    # a: 3 NaN cells, b: 3; cells with any value: (0, X) from a and (1, X) from b
    assert cache.entry_counts(entry) == cache.EntryCounts(shape=(2, 2), rows=2, nan_counts={"a": 3, "b": 3})
    panel = cache.open_panel(entry)
    np.testing.assert_array_equal(panel.field("b"), fields[1][1])
    assert panel.source == "by hand" and list(panel.groups) == ["market"]
    with pytest.raises(RuntimeError, match="bad data"):
        cache.store_fields("k2", fields_then_failure(fields), **header, cache_dir=tmp_path)
    assert [p.name for p in (tmp_path / "panels").iterdir()] == ["k"]  # no entry, no temporary


def test_entry_written_before_counts_existed_has_none(tmp_path, source):
    entry = Path(load_panel(source, cache_dir=tmp_path / "cache").cache_path)
    manifest = json.loads((entry / cache.MANIFEST).read_text())
    assert cache.entry_counts(entry) == cache.EntryCounts(
        shape=(6, 3), rows=18, nan_counts={name: 0 for name in ("open", "high", "low", "close", "volume", "cap")})
    del manifest["nan_counts"], manifest["rows"]
    (entry / cache.MANIFEST).write_text(json.dumps(manifest))
    assert cache.entry_counts(entry) is None
    assert load_panel(source, cache_dir=tmp_path / "cache").cache_path == str(entry)  # still a valid entry
