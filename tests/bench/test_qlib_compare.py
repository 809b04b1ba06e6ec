"""bench/qlib_compare.py: Alpha158 in Qlib's engine vs ours, or ours alone with the reason."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.bench._run import BENCH, run_bench

KBAR = ("KMID", "KLEN", "KMID2", "KUP", "KUP2", "KLOW", "KLOW2", "KSFT", "KSFT2")


@pytest.mark.slow
@pytest.mark.sp500
def test_alpha158_against_qlib_or_ours_alone(sp500_paths):
    daily, _ = sp500_paths
    report = run_bench("qlib_compare.py", "--symbols", "5", "--features", "20", "--data", str(daily))
    assert report["features"] == 20 and report["symbols"] == 5 and report["dates"] == 1259
    assert report["ours_seconds"] > 0 and len(report["rows"]) == 20
    if importlib.util.find_spec("qlib") is None:
        assert "pyqlib is not importable" in report["qlib_error"]
        return
    rows = {r["name"]: r for r in report["rows"]}
    for name in KBAR:  # plain arithmetic on the day's bar: both engines must agree to rounding
        assert rows[name]["max_rel_diff"] < 1e-12 and rows[name]["nan_mismatch"] == 0, rows[name]
    assert all(r["cells"] > 0 for r in report["rows"])


def test_tree_builder_follows_python_precedence():
    ops = pytest.importorskip("qlib.data.ops", reason="pyqlib is optional (see bench/README.md)")
    from qlib.data.base import Feature

    sys.path.insert(0, str(BENCH))
    from qlib_compare import QlibTreeBuilder

    builder = QlibTreeBuilder(ops, Feature)
    tree = builder.build("Greater($high-$low, 2*$open)/$close>Ref($close, 1)")
    assert isinstance(tree, ops.Gt)
    assert str(tree) == str(ops.Gt(ops.Div(ops.Greater(ops.Sub(Feature("high"), Feature("low")),
                                                       ops.Mul(2, Feature("open"))), Feature("close")),
                                   ops.Ref(Feature("close"), 1)))
    with pytest.raises(ValueError):
        builder.build("Mean($close, 5")
