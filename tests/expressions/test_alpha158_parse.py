"""Every Alpha158 feature (Qlib syntax) parses in the qlib dialect and prints as canonical BRAIN text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from expressions.canonical import canonical
from expressions.evaluator import Evaluator
from expressions.parser import parse

FEATURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "alpha158_features.txt"


def _features() -> list[tuple[str, str]]:
    if not FEATURES.exists():
        return []
    return [tuple(line.split("\t", 1)) for line in FEATURES.read_text().splitlines() if line.strip()]


def test_the_file_has_158_features():
    if not FEATURES.exists():
        pytest.skip(f"feature file not found at {FEATURES}")
    assert len(_features()) == 158


@pytest.mark.parametrize(("name", "expression"), _features(), ids=[n for n, _ in _features()])
def test_every_feature_parses_and_round_trips(name, expression):
    tree = parse(expression, dialect="qlib")
    text = canonical(tree)
    assert "$" not in text
    assert parse(text) == tree  # canonical text is BRAIN syntax


def test_qlib_fields_and_infix_map_to_the_brain_tree():
    assert parse("($close-$open)/$open", dialect="qlib") == parse("(close - open) / open")
    assert parse("$close>$open", dialect="qlib") == parse("qlib_gt(close, open)")  # Qlib's NaN rule


def test_features_evaluate_on_the_tiny_panel(tiny_panel):
    ev = Evaluator(tiny_panel.fields, tiny_panel.groups)
    for name, expression in _features():
        if name.endswith("60"):
            continue  # the tiny panel has 40 days
        values = ev.evaluate(expression, dialect="qlib")
        assert np.isfinite(values).any(), name
