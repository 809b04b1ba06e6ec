"""Acceptance: a default ``once`` on a synthetic market recovers at least 3 of its 5 planted alphas.

The market is the default one's five planted alphas on 200 stocks x 600 days (CI time);
``bench/recovery.py`` runs the full-size market.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from miner.cli import main
from miner.recovery import recovery
from pipelines.synthetic import load_synthetic

RECOVERY_MARKET = Path(__file__).parent / "data" / "recovery_market.toml"
SMALL_MARKET = Path(__file__).parent / "data" / "small_market.toml"


@pytest.mark.slow
def test_a_default_once_finds_three_of_five_planted_alphas(tmp_path, capsys):
    config = tmp_path / "alphaminer.toml"
    config.write_text(f'db = "sqlite:///{tmp_path / "store.db"}"\n[data]\nsynthetic_config = "{RECOVERY_MARKET}"\n'
                      "[llm]\nenabled = false\n")
    assert main(["once", "--config", str(config), "--planted", "--json"]) == 0
    planted = json.loads(capsys.readouterr().out)["planted"]
    assert len(planted) == 5
    found = [row for row in planted if row["found"]]
    assert len(found) >= 3, planted
    assert all(row["correlation"] >= 0.8 for row in found)


def test_recovery_matches_a_planted_alpha_with_itself_and_not_with_noise():
    panel = load_synthetic(SMALL_MARKET)
    (first, ic), (second, _) = panel.planted
    matches = recovery(panel, panel.planted, [first, "ts_mean(volume, 3)", f"rank({second})"], universe="TOP50")
    assert matches[0].found and matches[0].best == first and matches[0].correlation == pytest.approx(1.0)
    assert matches[1].found and matches[1].best == f"rank({second})"  # a monotone transform is the same alpha
    assert matches[0].target_ic == ic


def test_recovery_takes_the_sign_into_account():
    panel = load_synthetic(SMALL_MARKET)
    first, _ = panel.planted[0]
    (match,) = recovery(panel, panel.planted[:1], [f"-({first})"], universe="TOP50")
    assert not match.found and match.correlation == pytest.approx(-1.0)
    assert np.isfinite(match.correlation)


def test_better_matches_keeps_the_closer_alpha_per_planted_one():
    from miner.recovery import Match, better_matches

    old = [Match("a", 0.05, "x", 0.9), Match("b", 0.04, None, -1.0)]
    new = [Match("a", 0.05, "y", 0.7), Match("b", 0.04, "z", 0.85)]
    assert [(m.best, m.correlation) for m in better_matches(old, new)] == [("x", 0.9), ("z", 0.85)]
