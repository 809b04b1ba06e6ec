"""Evaluator: values against hand-computed cases, CSE, broadcasting, pasteurization, guard rails."""

from __future__ import annotations

import numpy as np
import pytest

from expressions import registry
from expressions.ast import Call, Const, Field
from expressions.cache import ResultCache
from expressions.errors import EvaluationError, ExpressionTypeError
from expressions.evaluator import Evaluator, lookback
from expressions.parser import parse
from expressions.registry import OpSpec
from expressions.types import Group, Series, Window

CALLS: list[str] = []


def _recording(name):
    def fn(*args):
        CALLS.append(name)
        return np.asarray(args[0], dtype=np.float64) * 1.0

    return fn


def _writes_into_input(x):
    x[0, 0] = 0.0
    return x


@pytest.fixture
def test_ops():
    """Test-only operators that record their calls, see the universe, read groups, misbehave."""
    specs = [
        OpSpec(name="zz_test_count", args=(Series,), returns=Series, fn=_recording("count"),
               doc="identity that records its calls", category="arithmetic"),
        OpSpec(name="zz_test_xs", args=(Series,), returns=Series, fn=_recording("xs"),
               doc="identity, pasteurized", category="cross_sectional", pasteurize=True),
        OpSpec(name="zz_test_codes", args=(Series, Group), returns=Series,
               fn=lambda x, g: np.asarray(g, dtype=np.float64), doc="the group codes", category="group"),
        OpSpec(name="zz_test_bad", args=(Series,), returns=Series, fn=_writes_into_input,
               doc="writes into its input", category="arithmetic"),
        OpSpec(name="zz_test_short", args=(Series,), returns=Series, fn=lambda x: x[:-1],
               doc="returns the wrong shape", category="arithmetic"),
    ]
    for spec in specs:
        registry.add(spec)
    CALLS.clear()
    yield
    for spec in specs:
        registry.remove(spec.name)


def _small():
    # 3 days x 3 symbols, hand-checkable
    close = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 1.0], [3.0, np.nan, 5.0]])
    open_ = np.array([[1.0, 1.0, 1.0], [1.0, 4.0, 2.0], [2.0, 2.0, 2.0]])
    fields = {"close": close, "open": open_}
    groups = {"sector": np.array([0, 1, 0], dtype=np.int32)}
    return fields, groups


def test_hand_computed_values():
    fields, groups = _small()
    ev = Evaluator(fields, groups)
    out = ev.evaluate("(close - open) / open * -1")
    expected = np.array([[0.0, -1.0, -2.0], [-1.0, 0.5, 0.5], [-0.5, np.nan, -1.5]])
    np.testing.assert_allclose(out, expected)
    assert out.dtype == np.float64 and out.shape == (3, 3)
    assert not out.flags.writeable


def test_results_are_read_only_and_fields_are_not_copied(tiny_panel):
    ev = Evaluator(tiny_panel.fields, tiny_panel.groups)
    out = ev.evaluate("close")
    np.testing.assert_array_equal(out, tiny_panel.fields["close"])
    with pytest.raises(ValueError):
        out[0, 0] = 1.0


def test_scalar_in_series_slot_is_broadcast():
    fields, groups = _small()
    out = Evaluator(fields, groups).evaluate("3")
    np.testing.assert_array_equal(out, np.full((3, 3), 3.0))
    out = Evaluator(fields, groups).evaluate("close > 1.5 ? 1 : -1")
    np.testing.assert_array_equal(out, [[-1, 1, 1], [1, 1, -1], [1, np.nan, 1]])


def test_groups_are_broadcast_to_the_panel_shape(test_ops):
    fields, groups = _small()
    out = Evaluator(fields, groups).evaluate("zz_test_codes(close, sector)")
    np.testing.assert_array_equal(out, np.tile([0.0, 1.0, 0.0], (3, 1)))


def test_common_subexpressions_are_computed_once(test_ops):
    fields, groups = _small()
    ev = Evaluator(fields, groups)
    ev.evaluate("zz_test_count(close) * zz_test_count(close) + zz_test_count(close)")
    assert CALLS == ["count"]


def test_pasteurizing_ops_see_only_the_universe(test_ops):
    fields, groups = _small()
    universe = np.array([[True, True, False], [True, False, True], [False, True, True]])
    ev = Evaluator(fields, groups, universe=universe, universe_key="TOP2")
    out = ev.evaluate("zz_test_xs(close)")
    expected = np.where(universe, fields["close"], np.nan)
    np.testing.assert_array_equal(out, expected)
    # a non-pasteurizing op sees everything
    np.testing.assert_array_equal(ev.evaluate("zz_test_count(close)"), fields["close"])


def test_cache_is_shared_across_evaluations_and_keyed_by_universe(test_ops):
    fields, groups = _small()
    cache = ResultCache(max_bytes=10_000_000)
    top = np.ones((3, 3), dtype=bool)
    ev = Evaluator(fields, groups, universe=top, universe_key="ALL", cache=cache)
    ev.evaluate("zz_test_xs(zz_test_count(close)) + 1")
    ev.evaluate("zz_test_xs(zz_test_count(close)) + 2")
    assert CALLS == ["count", "xs"]  # second evaluation reused both subtrees
    keys = list(cache._items)
    assert "3x3|zz_test_count(close)" in keys
    assert "3x3|zz_test_xs(zz_test_count(close))@ALL" in keys
    other = Evaluator(fields, groups, universe=~top, universe_key="NONE", cache=cache)
    other.evaluate("zz_test_xs(zz_test_count(close))")
    assert CALLS == ["count", "xs", "xs"]  # universe-dependent subtree recomputed, count reused
    assert cache.hits == 2  # xs(...) in the 2nd evaluation, count(close) in the 3rd


def test_kernels_cannot_write_into_inputs(test_ops):
    fields, groups = _small()
    with pytest.raises(ValueError, match="read-only"):
        Evaluator(fields, groups).evaluate("zz_test_bad(close + 1)")
    with pytest.raises(ValueError, match="read-only"):
        Evaluator(fields, groups).evaluate("zz_test_bad(close)")
    assert fields["close"][0, 0] == 1.0


def test_wrong_result_shape_is_an_evaluation_error(test_ops):
    fields, groups = _small()
    with pytest.raises(EvaluationError, match=r"zz_test_short returned shape \(2, 3\), expected \(3, 3\)"):
        Evaluator(fields, groups).evaluate("zz_test_short(close)")


def test_guard_rails():
    fields, groups = _small()
    ev = Evaluator(fields, groups, max_nodes=7, max_depth=4)
    with pytest.raises(EvaluationError, match="9 nodes, more than the limit of 7"):
        ev.evaluate("close + open + close + open + close")
    with pytest.raises(EvaluationError, match="5 levels deep"):
        ev.evaluate("abs(abs(abs(abs(close))))")
    with pytest.raises(ExpressionTypeError, match="longer than the data"):
        ev.evaluate("ts_mean(close, 4)")
    with pytest.raises(EvaluationError, match="window 4 is longer than the data"):
        ev.evaluate(Call("ts_mean", (Field("close"), Const(4, Window))))
    with pytest.raises(EvaluationError, match="unknown field 'cap'"):
        ev.evaluate(Call("rank", (Field("cap"),)))
    with pytest.raises(ExpressionTypeError, match="unknown field 'cap'"):
        ev.evaluate("rank(cap)")


def test_real_operators_on_the_tiny_panel(tiny_panel):
    ev = Evaluator.from_panel(tiny_panel, universe="ALL", cache=ResultCache(50_000_000))
    close = tiny_panel.fields["close"]
    delta = ev.evaluate("ts_delta(close, 3)")
    np.testing.assert_allclose(delta[3:], close[3:] - close[:-3])
    assert np.isnan(delta[:3]).all()
    ranked = ev.evaluate("rank(close)")
    assert np.nanmin(ranked) >= 0 and np.nanmax(ranked) <= 1
    assert (np.isnan(ranked) == np.isnan(close)).all()
    neutral = ev.evaluate("group_neutralize(close, sector)")
    sector = tiny_panel.groups["sector"]
    row = 10
    for code in (0, 1):
        members = (sector == code) & ~np.isnan(close[row])
        np.testing.assert_allclose(neutral[row, members], close[row, members] - close[row, members].mean())


def test_evaluate_accepts_a_tree_and_text_alike(tiny_panel):
    ev = Evaluator(tiny_panel.fields, tiny_panel.groups)
    text = "rank(ts_mean(close, 5)) - 0.5"
    np.testing.assert_array_equal(ev.evaluate(text), ev.evaluate(parse(text)))


def test_lookback_adds_windows_along_the_deepest_path():
    assert lookback(parse("ts_mean(ts_delta(close, 3), 5) + ts_mean(close, 2)")) == lookback(
        parse("ts_delta(close, 3)")
    ) + lookback(parse("ts_mean(close, 5)"))
    assert lookback(parse("close + 1")) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pasteurization_kernel_matches_np_where(seed):
    from expressions.evaluator import _pasteurized

    rng = np.random.default_rng(seed)
    shape = (17, 23)
    values = rng.normal(size=shape)
    values[rng.random(shape) < 0.2] = np.nan
    values[0, :3] = [np.inf, -np.inf, -0.0]
    universe = rng.random(shape) < 0.6
    universe[0, :3] = True
    masked = _pasteurized(values, universe)
    np.testing.assert_array_equal(masked, np.where(universe, values, np.nan), err_msg=f"seed={seed}")
    assert np.signbit(masked[0, 2]) and not masked.flags.writeable
    # other dtypes (an int mask, a broadcast row) take numpy's path, same result
    np.testing.assert_array_equal(_pasteurized(values, universe.astype(int)), masked)
    np.testing.assert_array_equal(_pasteurized(values[:1], universe), np.where(universe, values[:1], np.nan))


def test_the_root_result_is_cached_as_least_recent(test_ops):
    fields, groups = _small()
    cache = ResultCache(max_bytes=10_000_000)
    Evaluator(fields, groups, cache=cache).evaluate("zz_test_count(close) + 1")
    assert list(cache._items) == ["3x3|1 + zz_test_count(close)", "3x3|zz_test_count(close)"]


def test_a_constant_in_a_series_slot_is_a_view_not_a_panel():
    from expressions.ast import Const
    from expressions.evaluator import _Run
    from expressions.types import Series

    fields, groups = _small()
    ev = Evaluator(fields, groups)
    value = _Run(ev, Const(2.0)).value(Const(2.0), Series)
    assert value.shape == (3, 3) and value.strides == (0, 0) and not value.flags.writeable
    out = ev.evaluate("2")  # the result handed out is a plain contiguous panel
    assert out.flags.c_contiguous and out.strides != (0, 0)
    np.testing.assert_array_equal(ev.evaluate("close * 2 - 2"), fields["close"] * 2 - 2)


def _fused_specs():
    from expressions.registry import operators

    return [spec for spec in operators() if spec.pasteurize and spec.takes_member]


def test_the_common_cross_sectional_operators_take_the_universe():
    names = {spec.name for spec in _fused_specs()}
    assert {"rank", "zscore", "quantile", "group_rank", "group_neutralize", "group_zscore"} <= names


@pytest.mark.parametrize("spec", _fused_specs(), ids=lambda spec: spec.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_passing_the_universe_equals_masking_first(spec, seed):
    from expressions.types import Group

    rng = np.random.default_rng(seed)
    shape = (25, 40)
    x = np.round(rng.normal(size=shape), 1)  # ties
    x[rng.random(shape) < 0.15] = np.nan
    x[3] = np.nan
    x[4, 1:] = np.nan  # one value in the row; not always a member
    x[5] = 2.0  # constant row
    universe = rng.random(shape) < 0.7
    universe[6] = False
    codes = rng.integers(-1, 5, size=shape[1])
    masked = np.where(universe, x, np.nan)
    raw = [x if tp is not Group else codes for tp in spec.args]
    pasteurized = [masked if tp is not Group else codes for tp in spec.args]
    np.testing.assert_array_equal(spec.fn(*raw, member=universe), spec.fn(*pasteurized), err_msg=f"{spec.name} seed={seed}")


def test_evaluator_results_agree_with_and_without_fusing(tiny_panel, monkeypatch):
    ev = Evaluator.from_panel(tiny_panel, universe="TOP3")
    texts = ["rank(close - open)", "group_rank(close, sector)", "zscore(volume)", "group_zscore(returns, sector)"]
    fused = [ev.evaluate(text) for text in texts]
    specs = _fused_specs()
    assert {"rank", "group_rank", "zscore", "group_zscore"} <= {spec.name for spec in specs}
    for spec in specs:  # the cached property reads the instance dict first
        monkeypatch.setitem(spec.__dict__, "takes_member", False)
    assert not any(spec.takes_member for spec in specs)
    for text, value in zip(texts, fused):
        np.testing.assert_array_equal(value, ev.evaluate(text), err_msg=text)
