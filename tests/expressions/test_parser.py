"""Parser: BRAIN syntax, Alpha101 spellings, Qlib dialect, type checking and error positions."""

from __future__ import annotations

import numpy as np
import pytest

from expressions import registry
from expressions.ast import Call, Const, Field
from expressions.canonical import canonical
from expressions.errors import ExpressionError, ExpressionTypeError, ParseError
from expressions.parser import parse
from expressions.registry import OpSpec, Param
from expressions.types import Group, Scalar, Series, Text, Window

FIELDS = ["close", "open", "high", "low", "volume", "returns", "vwap", "adv20"]
GROUPS = ["sector", "industry", "subindustry", "market"]


@pytest.fixture
def test_ops():
    """Test-only operators (optional params of every literal type, a Qlib name), removed after."""
    specs = [
        OpSpec(name="zz_test_opts", args=(Series, Window), returns=Series, fn=lambda x, w, **kw: x,
               doc="test op", category="time_series",
               params=(Param("k", Scalar, 1.0), Param("mode", Text, "a"), Param("lag", Window, 2))),
        OpSpec(name="zz_test_qmean", args=(Series, Window), returns=Series, fn=lambda x, w: x,
               doc="test op", category="qlib", dialect="qlib", qlib_name="ZzTestMean"),
    ]
    for spec in specs:
        registry.add(spec)
    yield
    for spec in specs:
        registry.remove(spec.name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rank(ts_delta(close, 5)) * -1", "-1 * rank(ts_delta(close, 5))"),
        ("close+open", "close + open"),
        ("open + close", "close + open"),  # commutative: ordered
        ("(close - open) / (high - low + 0.001)", "(close - open) / (0.001 + (high - low))"),
        ("close - (open - high)", "close - (open - high)"),
        ("(close - open) - high", "close - open - high"),
        ("close ^ 2 ^ 3", "close ^ 2 ^ 3"),
        ("(close ^ 2) ^ 3", "(close ^ 2) ^ 3"),
        ("-close ^ 2", "-close ^ 2"),
        ("(-1) ^ close", "(-1) ^ close"),
        ("-(2)", "-2"),
        ("--close", "--close"),
        ("close - -1", "close - -1"),
        ("close < open && high >= low || !(volume == 1)", "!(1 == volume) || close < open && high >= low"),
        ("close != open", "close != open"),
        ("close > open ? 1 : -1", "close > open ? 1 : -1"),
        ("close > open ? (high > low ? 1 : 2) : 3", "close > open ? high > low ? 1 : 2 : 3"),
        ("close > 0 ? 1 : open > 0 ? 2 : 3", "close > 0 ? 1 : open > 0 ? 2 : 3"),
        ("volume * (close > open ? 1 : 2)", "(close > open ? 1 : 2) * volume"),
        ("1e-3 * close", "0.001 * close"),
        ("2. * close", "2 * close"),
        (".5 * close", "0.5 * close"),
        ("close * 1e6", "1000000 * close"),
        ("winsorize(close, std=4)", "winsorize(close)"),
        ("winsorize(close, std=3)", "winsorize(close, std=3)"),
        ("scale(close, 2)", "scale(close, scale=2)"),
        ('bucket(rank(close), range="0,1,0.2")', 'bucket(rank(close), range="0,1,0.2")'),
        ("bucket(rank(close), range='0,1,0.1')", "bucket(rank(close))"),
    ],
)
def test_brain_syntax_prints_canonically_and_round_trips(text, expected):
    tree = parse(text)
    assert canonical(tree) == expected
    assert parse(expected) == tree


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ts_Rank(close, 9)", "ts_rank(close, 9)"),
        ("correlation(open, volume, 10)", "ts_corr(open, volume, 10)"),
        ("SignedPower(close, 2.)", "signed_power(close, 2)"),
        ("IndNeutralize(close, IndClass.sector)", "group_neutralize(close, sector)"),
        ("indneutralize(close, IndClass.subindustry)", "group_neutralize(close, subindustry)"),
        ("sum(adv20, 22.4101)", "ts_sum(adv20, 22)"),
        ("Ts_ArgMax(close, 30)", "ts_arg_max(close, 30)"),
        ("decay_linear(close, 16.9)", "ts_decay_linear(close, 16)"),
        ("stddev(returns, 20)", "ts_std_dev(returns, 20)"),
        ("Log(volume)", "log(volume)"),
        ("delay(close, 1.06157)", "ts_delay(close, 1)"),
    ],
)
def test_alpha101_spellings(text, expected):
    assert canonical(parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min(close, 5)", "ts_min(close, 5)"),  # the paper's min(x, d)
        ("max(-close, 5)", "ts_max(-close, 5)"),
        ("max(close, 5.0)", "max(5, close)"),  # written as a float: elementwise
        ("max(close, 0)", "max(0, close)"),  # 0 is no window: elementwise
        ("max(close, open)", "max(close, open)"),
        ("min(5, close)", "min(5, close)"),  # literal first: elementwise
    ],
)
def test_paper_min_max_rule(text, expected):
    tree = parse(text)
    assert canonical(tree) == expected
    assert parse(canonical(tree)) == tree


def test_tree_shape_and_types():
    tree = parse("group_rank(ts_mean(close, 5.7), IndClass.industry) > 0.5")
    assert tree == Call(
        "greater",
        (Call("group_rank", (Call("ts_mean", (Field("close"), Const(5, Window))), Field("industry", Group))), Const(0.5)),
        type=tree.type,
    )
    assert tree.type.__name__ == "Bool"
    assert tree.args[1].type is Scalar


def test_positional_params_fill_in_order_and_defaults_drop(test_ops):
    assert canonical(parse('zz_test_opts(close, 3, 2, "b", 4)')) == 'zz_test_opts(close, 3, k=2, mode="b", lag=4)'
    assert canonical(parse('zz_test_opts(close, 3, 1, "a", 2)')) == "zz_test_opts(close, 3)"
    assert parse("zz_test_opts(close, 3, lag=5, k=-2)") == parse("zz_test_opts(close, 3, -2, lag=5.5)")


def test_qlib_dialect(test_ops):
    tree = parse("(ZzTestMean($close, 5) - $open) / ($high - $low + 1e-12)", dialect="qlib")
    text = canonical(tree)
    assert text == "(zz_test_qmean(close, 5) - open) / (1e-12 + (high - low))"
    assert parse(text) == tree  # prints in canonical BRAIN syntax
    # Qlib's comparisons (a NaN compares false), not BRAIN's
    assert canonical(parse("$close > $open", dialect="qlib")) == "qlib_gt(close, open)"
    # Python precedence: '&' binds tighter than comparisons
    assert canonical(parse("($close > $open) & ($high > $low)", dialect="qlib")) == (
        "qlib_and(qlib_gt(close, open), qlib_gt(high, low))")
    assert canonical(parse("-$close ** 2", dialect="qlib")) == "-close ^ 2"
    with pytest.raises(ExpressionTypeError, match="ZzTestMean"):
        parse("ZzTestMean(close, 5)")  # Qlib names are not BRAIN names


def test_known_names_are_checked(tiny_panel):
    panel_fields, panel_groups = tiny_panel.fields, tiny_panel.groups
    assert parse("adv20 + adv5", fields=panel_fields, groups=panel_groups) is not None
    with pytest.raises(ExpressionTypeError, match=r"unknown field 'clse' \(did you mean: close\?\)") as err:
        parse("rank(clse)", fields=panel_fields, groups=panel_groups)
    assert err.value.position == 5
    with pytest.raises(ExpressionTypeError, match="unknown group 'sectr'.*sector") as err:
        parse("group_rank(close, IndClass.sectr)", fields=panel_fields, groups=panel_groups)
    assert err.value.position == 18


@pytest.mark.parametrize(
    ("text", "error", "position", "message"),
    [
        ("rank(close", ParseError, 4, "unbalanced parentheses: '(' is never closed"),
        ("rank(close))", ParseError, 11, "unbalanced parentheses: unexpected ')'"),
        ("(close + open", ParseError, 0, "never closed"),
        ("rnak(close)", ExpressionTypeError, 0, "unknown operator 'rnak' (did you mean: rank"),
        ("ts_mean(close)", ExpressionTypeError, 0, "ts_mean takes 2 arguments (ts_mean(series, window) -> series), got 1"),
        ("rank(close, open)", ExpressionTypeError, 0, "rank takes 1 argument"),
        ("ts_mean(close, open)", ExpressionTypeError, 15, "argument 2 of ts_mean must be a window"),
        ("ts_mean(close, 0.5)", ExpressionTypeError, 15, "bad window 0.5"),
        ("ts_mean(close, -3)", ExpressionTypeError, 15, "bad window -3"),
        ("ts_mean(close, 5000)", ExpressionTypeError, 15, "longer than the data (100 days)"),
        ("group_rank(close, open)", ExpressionTypeError, 18, "must be a group (a group field such as sector, or a call returning a group), got the field 'open'"),
        ("rank(IndClass.sector)", ExpressionTypeError, 5, "must be a series, got the group 'sector'"),
        ("winsorize(close, sd=3)", ExpressionTypeError, 17, "winsorize has no argument 'sd' (did you mean: std?)"),
        ("winsorize(close, std=3, std=4)", ExpressionTypeError, 24, "given twice"),
        ("winsorize(close, std=open)", ExpressionTypeError, 21, "must be a number literal"),
        ("winsorize(std=3, close)", ParseError, 17, "positional argument after a keyword"),
        ("close > open ? 1", ParseError, 16, "expected ':'"),
        ("close ? 1 : 2", ExpressionTypeError, 0, "argument 1 of if_else must be a boolean"),
        ("rank(close,)", ParseError, 10, "expected an argument"),
        ("close +", ParseError, 7, "unexpected end of expression"),
        ("close open", ParseError, 6, "unexpected 'open'"),
        ("close # open", ParseError, 6, "unexpected character '#'"),
        ('bucket(close, range="0,1', ParseError, 20, "unterminated string"),
        ("__import__('os')", ExpressionTypeError, 0, "unknown operator '__import__'"),
        ("", ParseError, 0, "empty expression"),
        ("close & open", ParseError, 6, "unexpected '&'"),
        ("12abc", ParseError, 0, "malformed number"),
    ],
)
def test_errors_name_the_problem_and_its_position(text, error, position, message):
    with pytest.raises(error) as caught:
        parse(text, fields=FIELDS, groups=GROUPS, max_window=100)
    assert caught.value.position == position
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.pointer().splitlines()[1] == " " * position + "^"


def test_errors_are_expression_errors():
    assert issubclass(ParseError, ExpressionError) and issubclass(ExpressionTypeError, ExpressionError)
    with pytest.raises(ExpressionError, match="unknown dialect"):
        parse("close", dialect="sql")


def test_deep_nesting_is_an_error_not_a_crash():
    text = "(" * 500 + "close" + ")" * 500
    with pytest.raises(ParseError, match="nested more than"):
        parse(text)


def test_parser_never_evaluates_text():
    # A name that is a Python builtin is only ever a field name.
    assert parse("open") == Field("open")
    assert parse("exit") == Field("exit")
    assert np.isfinite(1.0)  # no side effect happened above: the interpreter is still here
