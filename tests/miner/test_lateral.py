import random

from expressions import canonical, parse
from miner.evolution import build_pset, from_text
from miner.lateral import neighbours, subtrees


def test_neighbours_are_distinct_single_steps_that_parse():
    pset = build_pset(["close", "volume", "returns"], ["sector"], [2, 5, 10, 20], [1.0])
    elite = from_text("ts_corr(close, volume, 10)", pset, {"settings.decay": 2})
    random.seed(0)
    found = neighbours(elite, pset, per_elite=500)
    texts = [canonical(parse(str(n))) for n in found]
    assert len(texts) == len(set(texts))
    assert canonical(parse(str(elite))) not in texts
    assert "ts_corr(close, volume, 5)" in texts and "ts_corr(close, volume, 20)" in texts
    assert any(t.startswith("ts_covariance(") for t in texts)  # operator swap, same signature
    assert "ts_corr(returns, volume, 10)" in texts  # field substitution
    assert any(t.startswith("rank(") for t in texts)  # wrapper
    assert all(n.params == {"settings.decay": 2} for n in found)


def test_per_elite_bounds_the_sample():
    pset = build_pset(["close", "volume"], [], [2, 5, 10], [1.0])
    elite = from_text("ts_mean(close, 5)", pset)
    assert len(neighbours(elite, pset, per_elite=3)) == 3


def test_an_elites_parts_come_first():
    pset = build_pset(["close", "volume", "returns"], [], [2, 5, 10, 20], [1.0])
    elite = from_text("add(ts_mean(returns, 5), rank(ts_corr(close, volume, 10)))", pset)
    parts = {canonical(parse(str(p))) for p in subtrees(elite)}
    assert parts == {canonical(parse(t)) for t in
                     ("ts_mean(returns, 5)", "rank(ts_corr(close, volume, 10))", "ts_corr(close, volume, 10)")}
    random.seed(1)
    found = neighbours(elite, pset, per_elite=6)
    assert len(found) == 6
    first = {canonical(parse(str(n))) for n in found[:2]}
    assert first <= parts  # a third of the sample are parts, ahead of the one-step changes
