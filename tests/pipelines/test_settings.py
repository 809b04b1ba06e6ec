"""SimulationSettings: validation messages, canonical key, round trips."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pipelines.errors import SettingsError
from pipelines.settings import SimulationSettings, split_index


def test_defaults_and_canonical_key():
    settings = SimulationSettings()
    assert (settings.universe, settings.delay, settings.book, settings.os_fraction) == ("TOP500", 1, 20e6, 0.2)
    key = settings.key()
    assert list(json.loads(key)) == sorted(json.loads(key)) and " " not in key
    assert SimulationSettings(universe="top500", neutralization="market").key() == key


def test_round_trip_and_replace():
    settings = SimulationSettings(delay=0, decay=4, neutralization="SECTOR", truncation=0.05, cost_bps=2)
    assert SimulationSettings.from_dict(settings.to_dict()) == settings
    changed = settings.replace(decay=0, pasteurization="off")
    assert changed.decay == 0 and changed.pasteurization is False and settings.decay == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.decay = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"delay": 2}, "delay 2 is not allowed: use 0 or 1"),
        ({"decay": -1}, "decay -1 is not allowed"),
        ({"decay": 1.5}, "decay must be an integer"),
        ({"neutralization": "COUNTRY"}, "neutralization 'COUNTRY' is not one of NONE, MARKET, SECTOR"),
        ({"truncation": 1.5}, "truncation 1.5 is not allowed: use 0 <= truncation <= 1"),
        ({"universe": "TOPX"}, "unknown universe 'TOPX'"),
        ({"os_fraction": 1.0}, "os_fraction 1.0 is not allowed"),
        ({"book": 0}, "book 0.0 is not allowed"),
        ({"pasteurization": "maybe"}, "pasteurization must be on/off"),
        ({"colour": 1}, "unknown setting\\(s\\) colour"),
    ],
)
def test_invalid_settings_name_setting_and_allowed_values(changes, message):
    with pytest.raises(SettingsError, match=message):
        SimulationSettings.from_dict(changes)


def test_split_index_is_t_minus_rounded_tail():
    assert split_index(1259, 0.2) == 1259 - 252
    assert split_index(40, 0.2) == 32
    assert split_index(10, 0.0) == 10
