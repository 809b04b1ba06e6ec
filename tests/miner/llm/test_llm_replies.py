"""Reading replies: think blocks, JSON or lines, type checks, duplicates; nothing is ever executed."""

from __future__ import annotations

import json

from expressions import expr_hash, parse
from miner.llm import read_reply, strip_thinking

FIELDS = {"open", "close", "high", "low", "volume", "vwap"}


def test_json_reply_gives_canonical_ideas_with_rationales():
    reply = json.dumps({"ideas": [
        {"expression": "rank( ts_delta(close,5) )*-1", "rationale": "short-term reversal"},
        {"expression": "ts_corr(close, volume, 10)", "rationale": "price-volume"},
    ]})
    parsed = read_reply(reply, fields=FIELDS)
    assert [i.expression for i in parsed.ideas] == [str(parse("rank(ts_delta(close, 5)) * -1")),
                                                  "ts_corr(close, volume, 10)"]
    assert [i.rationale for i in parsed.ideas] == ["short-term reversal", "price-volume"]
    assert parsed.ideas[1].hash == expr_hash(parse("ts_corr(close, volume, 10)"))
    assert (parsed.n_valid, parsed.n_invalid, parsed.n_duplicate) == (2, 0, 0)


def test_think_blocks_are_dropped_even_when_unclosed():
    assert strip_thinking("<think>rank(open)\nmaybe</think>\nrank(close)") == "\nrank(close)"
    assert strip_thinking("rank(close)\n<think>never finished rank(open)") == "rank(close)\n"
    parsed = read_reply("<think>I could use rank(open) or rank(high)</think>\n```json\n"
                        '{"ideas": [{"expression": "rank(low)", "rationale": "r"}]}\n```', fields=FIELDS)
    assert [i.expression for i in parsed.ideas] == ["rank(low)"]


def test_one_expression_per_line_with_numbering_bullets_and_backticks():
    reply = """Here are some ideas:
1. `rank(ts_delta(close, 5))` - reversal
2) -1 * ts_corr(open, volume, 10) -- price and volume disagree
- ts_rank(vwap, 20)
* 1.5 * zscore(high - low)
Expression 5: ts_std_dev(close, 20)
"""
    parsed = read_reply(reply, fields=FIELDS)
    assert [i.expression for i in parsed.ideas] == [
        "rank(ts_delta(close, 5))",
        str(parse("-1 * ts_corr(open, volume, 10)")),
        "ts_rank(vwap, 20)",
        str(parse("1.5 * zscore(high - low)")),
        "ts_std_dev(close, 20)",
    ]
    assert parsed.ideas[0].rationale == "reversal"
    assert parsed.ideas[1].rationale == "price and volume disagree"
    assert parsed.n_invalid == 0


def test_invalid_ideas_are_counted_with_their_error():
    reply = json.dumps({"ideas": [
        {"expression": "ts_mean(close, 0)", "rationale": ""},
        {"expression": "rank(market_cap)", "rationale": ""},
        {"expression": "rank(close", "rationale": ""},
        {"expression": "rank(close)", "rationale": "ok"},
    ]})
    parsed = read_reply(reply, fields=FIELDS)
    assert (parsed.n_valid, parsed.n_invalid) == (1, 3)
    errors = dict(parsed.invalid)
    assert "window" in errors["ts_mean(close, 0)"]
    assert "market_cap" in errors["rank(market_cap)"]
    assert "rank(close" in errors


def test_duplicates_within_the_reply_and_against_known_hashes_are_dropped():
    known = {expr_hash(parse("rank(open)"))}
    reply = "rank(close)\nrank( close )\nrank(open)\nts_rank(close, 5)\n"
    parsed = read_reply(reply, fields=FIELDS, known_hashes=known)
    assert [i.expression for i in parsed.ideas] == ["rank(close)", "ts_rank(close, 5)"]
    assert parsed.n_duplicate == 2


def test_garbage_gives_no_ideas_and_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    reply = f"__import__('os').system('touch {marker}')\nI cannot help with that.\n\x00\x01 {{not json"
    parsed = read_reply(reply, fields=FIELDS)
    assert parsed.ideas == [] and parsed.n_invalid == 3
    assert not marker.exists()
    assert read_reply("", fields=FIELDS).n_invalid == 0
    huge = "rank(" * 600 + "close" + ")" * 600
    assert read_reply(huge, fields=FIELDS).n_invalid == 1


def test_bare_json_list_and_json_inside_prose():
    assert [i.expression for i in read_reply('["rank(close)", "rank(open)"]', fields=FIELDS).ideas] == \
        ["rank(close)", "rank(open)"]
    prose = 'Sure! {"ideas": [{"expression": "rank(volume)", "rationale": "liquidity"}]} Hope it helps.'
    assert [i.rationale for i in read_reply(prose, fields=FIELDS).ideas] == ["liquidity"]
