import pytest

from miner.config import MinerConfig, load_config
from miner.errors import ConfigError


def test_defaults_match_the_documented_ga_defaults():
    evo = MinerConfig().evolution
    assert (evo.population, evo.crossover, evo.mutation, evo.elite, evo.tournament) == (30, 0.8, 0.15, 0.2, 3)
    assert (evo.max_height, evo.max_size) == (8, 40)
    assert evo.windows == [2, 3, 5, 10, 20, 40, 60, 120, 250]


def test_file_overrides_defaults(tmp_path):
    path = tmp_path / "alphaminer.toml"
    path.write_text('db = "sqlite:///x.db"\n[evolution]\npopulation = 12\n[bandit.space]\nuniverse = ["TOP200"]\n')
    config = load_config(path)
    assert config.db == "sqlite:///x.db"
    assert config.evolution.population == 12
    assert config.bandit.space == {"universe": ["TOP200"]}
    assert config.evolution.generations == MinerConfig().evolution.generations


def test_unknown_key_names_file_and_key(tmp_path):
    path = tmp_path / "alphaminer.toml"
    path.write_text("[evolution]\npopulaton = 12\n")
    with pytest.raises(ConfigError, match=r"alphaminer.toml: unknown key 'evolution.populaton'"):
        load_config(path)


def test_wrong_type_is_named(tmp_path):
    path = tmp_path / "alphaminer.toml"
    path.write_text('[evolution]\npopulation = "many"\n')
    with pytest.raises(ConfigError, match="evolution.population should be int"):
        load_config(path)


def test_a_setting_searched_by_bandit_and_ga_is_a_config_error(tmp_path):
    path = tmp_path / "alphaminer.toml"
    path.write_text('[bandit.space]\ndecay = [0, 5]\n[search_space]\n"settings.decay" = { int = [0, 8] }\n')
    with pytest.raises(ConfigError, match="decay are searched by both the bandit"):
        load_config(path)


def test_invalid_toml_is_one_line(tmp_path):
    path = tmp_path / "alphaminer.toml"
    path.write_text("[evolution\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
