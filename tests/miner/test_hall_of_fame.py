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
