import numpy as np

from miner.hall_of_fame import Entry, HallOfFame


def entry(score, text):
    return Entry(score, text, {"universe": "TOP500"}, {}, {"sharpe": score})


def test_keeps_the_best_distinct_expressions_in_order():
    hof = HallOfFame(size=2)
    assert hof.consider(entry(1.0, "a"))
    assert hof.consider(entry(3.0, "b"))
    assert hof.consider(entry(2.0, "c"))
    assert not hof.consider(entry(0.5, "d"))
    assert [e.expression for e in hof.entries] == ["b", "c"]


def test_an_expression_keeps_its_best_score_once():
    hof = HallOfFame(size=3)
    hof.consider(entry(1.0, "a"))
    assert not hof.consider(entry(0.5, "a"))
    assert hof.consider(entry(2.0, "a"))
    assert [(e.expression, e.score) for e in hof.entries] == [("a", 2.0)]


def test_records_round_trip():
    hof = HallOfFame(size=3)
    hof.consider(entry(1.0, "a"))
    again = HallOfFame.from_records(hof.records())
    assert again.entries[0].expression == "a" and again.entries[0].score == 1.0


def priced(score, text, pnl):
    return Entry(score, text, {"universe": "TOP500"}, {}, {"sharpe": score}, daily_pnl=np.asarray(pnl, dtype=float))


def test_one_entry_per_niche_the_better_one():
    rng = np.random.default_rng(0)
    base, other = rng.normal(size=200), rng.normal(size=200)
    twin = base + 0.1 * rng.normal(size=200)  # correlation ~0.99: the same bet
    hof = HallOfFame(size=5, corr_limit=0.7)
    assert hof.consider(priced(2.0, "a", base))
    assert not hof.consider(priced(1.5, "a_twin", twin))  # worse than its niche's member
    assert hof.consider(priced(1.0, "b", other))  # another niche, kept although weaker
    assert hof.consider(priced(3.0, "a_better", -twin))  # sign does not make a new bet
    assert [e.expression for e in hof.entries] == ["a_better", "b"]


def test_without_a_correlation_limit_niches_are_not_checked():
    pnl = np.arange(10.0)
    hof = HallOfFame(size=5)
    hof.consider(priced(2.0, "a", pnl))
    assert hof.consider(priced(1.0, "b", pnl))
    assert len(hof.entries) == 2
