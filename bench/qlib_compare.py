"""Alpha158 with Qlib's own expression engine against our Qlib dialect, on the S&P data.

1. Both engines get the same float64 OHLCV(+vwap) of --symbols S&P stocks (the first ones
   alphabetically; vwap = (high + low + close) / 3 as our panel derives it).
2. Qlib (``pyqlib``, when importable): each of the 158 expressions is built as a tree of
   ``qlib.data.ops`` objects by a small parser here (Qlib's own ``parse_field`` works by regex
   rewrite plus ``eval``, which this project never does) and loaded per instrument with
   ``Expression.load``; leaves are a ``Feature`` subclass that serves the panel's columns, so no
   binary dump and no ``qlib.init`` (which imports mlflow) are needed. Qlib's in-memory
   expression cache is cleared before timing.
3. Ours: ``Evaluator.evaluate(expression, dialect="qlib")`` on the same stocks, one shared
   ResultCache across the 158 (as a feature pipeline would run them).
4. Per feature: max |ours - qlib| over cells where both are finite, the same relative to the
   largest |qlib| value, and the count of cells finite in one engine only.

Usage: .venv/bin/python bench/qlib_compare.py [--symbols 100] [--features 158] [--data ...] [--json]
Without pyqlib the script prints why (the import error and the install line) and our timing alone.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SHARED_DATA, SP500_DAILY, bench_main, fmt, print_table  # noqa: E402

from expressions import Evaluator, ResultCache  # noqa: E402
from pipelines.load import load_panel  # noqa: E402
from pipelines.panel import Panel  # noqa: E402

FEATURES = SHARED_DATA / "alpha158_features.txt"
FIELDS = ("open", "high", "low", "close", "volume", "vwap")
INSTALL = ".venv/bin/pip install --no-deps pyqlib ruamel.yaml pydantic-settings python-redis-lock redis"
TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?)|\$(\w+)|([A-Za-z_]\w*)|(>=|<=|==|!=|[-+*/(),<>&|]))")
BINARY = {"|": 1, "&": 2, ">": 3, "<": 3, ">=": 3, "<=": 3, "==": 3, "!=": 3, "+": 4, "-": 4, "*": 5, "/": 5}


def load_features(limit: int) -> list[tuple[str, str]]:
    lines = [line.split("\t", 1) for line in FEATURES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(name, expression) for name, expression in lines][:limit]


class QlibTreeBuilder:
    """Qlib expression text -> ``qlib.data.ops`` objects (precedence as in Python, which Qlib uses)."""

    def __init__(self, ops, feature_class) -> None:
        self.ops, self.feature_class = ops, feature_class
        self.names = {op.__name__: op for op in ops.OpsList}
        self.tokens: list[tuple[str, str]] = []
        self.i = 0

    def build(self, text: str):
        self.tokens, self.i = self._tokens(text), 0
        node = self._expression(0)
        if self.tokens[self.i][0] != "end":
            raise ValueError(f"unexpected {self.tokens[self.i]!r} in {text!r}")
        return node

    @staticmethod
    def _tokens(text: str) -> list[tuple[str, str]]:
        out, at = [], 0
        while at < len(text.rstrip()):
            match = TOKEN.match(text, at)
            if not match:
                raise ValueError(f"cannot read {text[at:]!r}")
            kind = ("number", "field", "name", "op")[next(i for i, g in enumerate(match.groups()) if g is not None)]
            out.append((kind, match.group(match.lastindex)))
            at = match.end()
        return out + [("end", "")]

    def _expression(self, floor: int):
        left = self._unary()
        while self.i < len(self.tokens) and self.tokens[self.i][1] in BINARY and BINARY[self.tokens[self.i][1]] > floor:
            op = self.tokens[self.i][1]
            self.i += 1
            left = self._apply(op, left, self._expression(BINARY[op]))
        return left

    def _apply(self, op: str, a, b):
        o = self.ops
        kinds = {"+": o.Add, "-": o.Sub, "*": o.Mul, "/": o.Div, ">": o.Gt, "<": o.Lt, ">=": o.Ge, "<=": o.Le,
                 "==": o.Eq, "!=": o.Ne, "&": o.And, "|": o.Or}
        return kinds[op](a, b)

    def _unary(self):
        kind, value = self.tokens[self.i]
        if kind == "end":
            raise ValueError("the expression ends too early")
        self.i += 1
        if value == "-":
            return self.ops.Mul(self._unary(), -1)
        if value == "(":
            node = self._expression(0)
            self._expect(")")
            return node
        if kind == "number":
            return float(value) if any(c in value for c in ".eE") else int(value)
        if kind == "field":
            return self.feature_class(value)
        args = []
        self._expect("(")
        while self.tokens[self.i][1] != ")" and self.tokens[self.i][0] != "end":
            args.append(self._expression(0))
            if self.tokens[self.i][1] == ",":
                self.i += 1
        self._expect(")")
        if kind != "name" or value not in self.names:
            raise ValueError(f"unknown Qlib operator {value!r}")
        return self.names[value](*args)

    def _expect(self, value: str) -> None:
        if self.tokens[self.i][1] != value:
            raise ValueError(f"expected {value!r}, found {self.tokens[self.i][1]!r}")
        self.i += 1


def qlib_engine(columns: dict[str, np.ndarray], symbols: list[str]):
    """(builder, evaluate(tree) -> [T, N]) over Qlib's engine, or raises ImportError."""
    import pandas as pd
    from qlib.data import ops
    from qlib.data.base import Feature
    from qlib.data.cache import H

    spans = {}
    for j, symbol in enumerate(symbols):
        listed = np.flatnonzero(np.isfinite(columns["close"][:, j]))
        spans[symbol] = (int(listed[0]), int(listed[-1])) if len(listed) else (0, -1)

    class PanelFeature(Feature):
        """A leaf that serves the panel's column for the instrument (instead of Qlib's bin files)."""

        def _load_internal(self, instrument, start_index, end_index, freq):
            j = symbols.index(instrument)
            return pd.Series(columns[self._name][start_index:end_index + 1, j],
                             index=pd.RangeIndex(start_index, end_index + 1), dtype=np.float64)

    def evaluate(tree) -> np.ndarray:
        t = next(iter(columns.values())).shape[0]
        out = np.full((t, len(symbols)), np.nan)
        for j, symbol in enumerate(symbols):
            first, last = spans[symbol]
            if last < first:
                continue
            series = tree.load(symbol, first, last, "day")
            out[series.index.to_numpy(), j] = series.to_numpy(dtype=np.float64)
        return out

    H["f"].clear()
    return QlibTreeBuilder(ops, PanelFeature), evaluate


def compare(ours: np.ndarray, theirs: np.ndarray) -> dict:
    both = np.isfinite(ours) & np.isfinite(theirs)
    diff = float(np.max(np.abs(ours[both] - theirs[both]))) if both.any() else float("nan")
    scale = float(np.max(np.abs(theirs[both]))) if both.any() else float("nan")
    return {"max_abs_diff": diff, "max_rel_diff": diff / scale if scale else float("nan"),
            "nan_mismatch": int(np.sum(np.isfinite(ours) != np.isfinite(theirs))), "cells": int(both.sum())}


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="alphaminer-qlib-") as tmp:
        full = load_panel(args.data, cache_dir=args.cache_dir or tmp)
        symbols = list(full.symbols)[: args.symbols]
        columns = {name: np.ascontiguousarray(np.asarray(full.field(name), dtype=np.float64)[:, : len(symbols)])
                   for name in FIELDS}
    panel = Panel.from_arrays({k: v for k, v in columns.items()}, symbols=symbols, dates=full.dates, source="qlib-bench")
    features = load_features(args.features)
    evaluator = Evaluator(panel.fields, panel.groups, cache=ResultCache(1 << 30))
    evaluator.evaluate(features[0][1], dialect="qlib")  # numba kernels loaded before timing
    evaluator = Evaluator(panel.fields, panel.groups, cache=ResultCache(1 << 30))
    ours, ours_s = {}, {}
    started = time.perf_counter()
    for name, expression in features:
        t0 = time.perf_counter()
        ours[name] = np.asarray(evaluator.evaluate(expression, dialect="qlib"))
        ours_s[name] = time.perf_counter() - t0
    ours_total = time.perf_counter() - started
    report = {"symbols": len(symbols), "dates": panel.T, "features": len(features), "ours_seconds": round(ours_total, 3)}
    try:
        builder, evaluate = qlib_engine(columns, symbols)
    except ImportError as error:
        return {**report, "qlib_error": f"pyqlib is not importable ({error}); install with: {INSTALL}", "rows": [
            {"name": n, "ours_ms": round(1000 * ours_s[n], 2)} for n, _ in features]}
    rows, qlib_total = [], 0.0
    for name, expression in features:
        t0 = time.perf_counter()
        theirs = evaluate(builder.build(expression))
        seconds = time.perf_counter() - t0
        qlib_total += seconds
        rows.append({"name": name, "ours_ms": round(1000 * ours_s[name], 2), "qlib_ms": round(1000 * seconds, 1),
                     **compare(ours[name], theirs)})
    return {**report, "qlib_seconds": round(qlib_total, 3), "ratio_qlib_over_ours": qlib_total / ours_total, "rows": rows}


def print_report(report: dict) -> None:
    title = f"Alpha158 on {report['symbols']} S&P stocks x {report['dates']} days"
    if "qlib_error" in report:
        print(report["qlib_error"])
        print_table(title + " (ours only)", ["feature", "ours ms"], [[r["name"], r["ours_ms"]] for r in report["rows"]])
        print(f"ours: {report['ours_seconds']}s for {report['features']} features")
        return
    print_table(title, ["feature", "max |diff|", "max rel diff", "NaN mismatches", "ours ms", "qlib ms"],
                [[r["name"], fmt(r["max_abs_diff"], ".2e"), fmt(r["max_rel_diff"], ".2e"), r["nan_mismatch"],
                  r["ours_ms"], r["qlib_ms"]] for r in report["rows"]])
    exact = sum(r["max_rel_diff"] <= 1e-9 for r in report["rows"])
    print(f"{exact}/{len(report['rows'])} features agree to 1e-9 (relative); "
          f"time: ours {report['ours_seconds']}s, qlib {report['qlib_seconds']}s, "
          f"ratio qlib / ours {report['ratio_qlib_over_ours']:.1f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100, help="first N symbols (default 100; Qlib loops per stock)")
    parser.add_argument("--features", type=int, default=158, help="first K Alpha158 features (default all 158)")
    parser.add_argument("--data", default=str(SP500_DAILY), help="daily data (default ../shared/data/sp500_daily.parquet)")
    parser.add_argument("--cache-dir", help="panel cache (default: a temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return bench_main("qlib_compare", args, run, print_report, (("--data", args.data), ("the Alpha158 list", FEATURES)))


if __name__ == "__main__":
    sys.exit(main())
