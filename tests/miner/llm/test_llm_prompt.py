"""The prompt: operators derived from the registry, fields, figures, failures, a size bound."""

from __future__ import annotations

from expressions.registry import operators
from miner.llm import IDEAS_SCHEMA, IdeaContext, build_messages, operator_lines


def _text(messages):
    return "\n".join(m["content"] for m in messages)


def test_every_brain_operator_is_listed_with_its_arity_and_no_qlib_operator_is():
    lines = "\n".join(operator_lines())
    for spec in operators():
        if spec.dialect == "brain":
            assert f" {spec.name}(" in lines or f"{spec.category}: {spec.name}(" in lines, spec.name
        else:
            assert f"{spec.name}(" not in lines, spec.name
    assert "ts_corr(x, y, d)" in lines and "winsorize(x, std=4)" in lines and "group_rank(x, g)" in lines


def test_prompt_holds_fields_groups_best_figures_failures_and_the_diversity_goal():
    context = IdeaContext(
        fields={"close": "daily close", "volume": "shares traded"}, groups=["sector"],
        best=[{"expression": "rank(ts_delta(close, 5))", "sharpe": 1.234, "fitness": 0.875, "turnover": 0.3}],
        failures=[{"expression": "ts_mean(close, 0)", "error": "bad window 0"}], n_ideas=5, max_correlation=0.6,
    )
    messages = build_messages(context)
    assert [m["role"] for m in messages] == ["system", "user"]
    text = _text(messages)
    assert "- close: daily close" in text and "sector" in text
    assert "rank(ts_delta(close, 5))  sharpe 1.23, fitness 0.88, turnover 0.30" in text
    assert "ts_mean(close, 0)  -> bad window 0" in text
    assert "correlation below 0.6" in text and "exactly 5 ideas" in text


def test_prompt_is_bounded_by_dropping_failures_then_best_alphas():
    best = [{"expression": f"ts_rank(close, {d})", "sharpe": 1.0} for d in range(2, 400)]
    failures = [{"expression": f"ts_mean(close, {d})", "error": "x" * 50} for d in range(2, 400)]
    context = IdeaContext(fields=["close"], best=best, failures=failures)
    messages = build_messages(context, max_chars=6000)
    text = _text(messages)
    assert len(text) <= 6000
    assert "ts_rank(close, 2)" in text and "ts_mean(close, 2)" not in text
    assert "Operators" in text


def test_schema_asks_for_expression_and_rationale():
    item = IDEAS_SCHEMA["properties"]["ideas"]["items"]
    assert item["required"] == ["expression", "rationale"]


def test_context_from_a_mapping():
    context = IdeaContext.coerce({"fields": ["close"], "known_hashes": {"abc"}, "unrelated": 1})
    assert context.fields == ["close"] and context.known_hashes == {"abc"} and context.n_ideas == 8
    assert IdeaContext.coerce({"fields": ["close"]}, n_ideas=3).n_ideas == 3
    assert IdeaContext.coerce({"fields": ["close"], "n_ideas": 5}, n_ideas=3).n_ideas == 5
