"""The shipped Alpha158 list: 158 features, identical to the shared file, all parse as Qlib."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from expressions.evaluator import Evaluator
from expressions.parser import parse
from pipelines.pool.alpha158 import DIALECT, alpha158_features

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "alpha158_features.txt"


def test_158_features_that_parse_in_the_qlib_dialect():
    features = alpha158_features()
    assert len(features) == 158 and len({name for name, _ in features}) == 158
    assert features[0] == ("KMID", "($close-$open)/$open")
    for _, expression in features:
        parse(expression, dialect=DIALECT)


def test_same_list_as_the_shared_data_file():
    if SHARED.exists():
        shared = [tuple(line.split("\t", 1)) for line in SHARED.read_text().splitlines() if line.strip()]
        assert alpha158_features() == shared


def test_they_evaluate(tiny_panel):
    evaluator = Evaluator(tiny_panel.fields, tiny_panel.groups)
    values = evaluator.evaluate(dict(alpha158_features())["ROC5"], dialect=DIALECT)
    close = tiny_panel.field("close")
    np.testing.assert_allclose(values[10], close[5] / close[10], equal_nan=True)  # Ref($close, 5)/$close
