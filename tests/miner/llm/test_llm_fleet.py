"""The fleet's rules: step down on trouble, back up after N successes or T seconds, skip missing models."""

from __future__ import annotations

import json

import pytest

from miner.errors import ConfigError
from miner.llm import Fleet

MODELS = ["big", "mid", "small"]


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_steps_down_in_order_and_stays_at_the_smallest():
    fleet = Fleet(MODELS, clock=Clock())
    assert fleet.current() == "big"
    assert fleet.step_down("out of memory") == "mid"
    assert fleet.step_down("timeout") == "small"
    assert fleet.step_down("timeout") == "small"
    assert fleet.last_error == "timeout"


def test_steps_back_up_after_n_successes():
    fleet = Fleet(MODELS, step_up_after=3, step_up_after_s=1e9, clock=Clock())
    fleet.step_down("oom")
    fleet.step_down("oom")
    assert [fleet.record_success() for _ in range(3)] == ["small", "small", "mid"]
    assert [fleet.record_success() for _ in range(3)] == ["mid", "mid", "big"]
    assert fleet.stepped_down_at is None and fleet.record_success() == "big"


def test_steps_back_up_after_t_seconds():
    clock = Clock()
    fleet = Fleet(MODELS, step_up_after=100, step_up_after_s=60, clock=clock)
    fleet.step_down("oom")
    clock.now += 59
    assert fleet.record_success() == "mid"
    clock.now += 1
    assert fleet.record_success() == "big"


def test_missing_models_are_skipped_both_ways():
    fleet = Fleet(MODELS, step_up_after=1, clock=Clock())
    fleet.set_server_models(["mid", "small", "llama3:8b"])
    assert fleet.missing == ["big"] and fleet.current() == "mid"
    assert fleet.step_down("oom") == "small"
    assert fleet.record_success() == "mid"
    assert fleet.stepped_down_at is None  # mid is the top of what the server has
    fleet.set_server_models([])
    assert fleet.current() is None


def test_state_is_plain_json_and_round_trips():
    clock = Clock()
    fleet = Fleet(MODELS, step_up_after=4, clock=clock)
    fleet.set_server_models(["big", "mid", "small"])
    fleet.step_down("mid-run OOM")
    fleet.record_success()
    restored = Fleet.from_state(json.loads(json.dumps(fleet.state())), clock=clock)
    assert restored.state() == fleet.state()
    assert restored.current() == "mid" and restored.successes == 1
    changed = Fleet.from_state(fleet.state(), models=["other"], clock=clock)
    assert changed.current() == "other" and changed.level == 0


@pytest.mark.parametrize("models", [[], "big", ["a", "a"], [""]])
def test_bad_model_lists_are_config_errors(models):
    with pytest.raises(ConfigError, match="llm.models"):
        Fleet(models)
