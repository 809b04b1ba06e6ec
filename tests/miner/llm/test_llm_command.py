"""``alphaminer llm check`` as a real process against the fake server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ollama_server import OllamaServer, unused_url

from miner.llm import Fleet
from state import Store

ROOT = Path(__file__).resolve().parents[3]


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "miner.cli", "llm", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_check_lists_models_and_the_saved_fleet_state(tmp_path, tmp_sqlite):
    server = OllamaServer(models={"deepseek-r1:7b": 4_683_075_271, "deepseek-r1:1.5b": 1_117_322_599}).start()
    try:
        fleet = Fleet(["deepseek-r1:8b", "deepseek-r1:7b", "deepseek-r1:1.5b"])
        fleet.step_down("deepseek-r1:8b: out of memory")
        with Store(tmp_sqlite) as store:
            store.save_value("llm.fleet", fleet.state())
        done = _check("--url", server.url, "--db", tmp_sqlite, "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert [m["name"] for m in report["models"]] == ["deepseek-r1:7b", "deepseek-r1:1.5b"]
        assert report["models"][0]["size_gib"] == round(4_683_075_271 / 2**30, 2) == 4.36
        assert report["fleet"]["current"] == "deepseek-r1:7b" and report["fleet"]["missing"] == ["deepseek-r1:8b"]
        assert report["fleet"]["last_error"] == "deepseek-r1:8b: out of memory"
        text = _check("--url", server.url, "--db", tmp_sqlite, cwd=tmp_path)
        assert text.returncode == 0
        assert "deepseek-r1:7b (current)" in text.stdout and "missing: ollama pull deepseek-r1:8b" in text.stdout
    finally:
        server.stop()


def test_check_with_no_server_is_one_line_and_exit_1(tmp_path):
    done = _check("--url", unused_url(), "--timeout", "2", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("alphaminer: error: no Ollama server answers at http://127.0.0.1:")
    assert "Traceback" not in done.stderr
