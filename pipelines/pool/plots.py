"""PNG artifacts of a pool run: equity curves and a calibration plot (matplotlib, no display).

Figures are drawn on ``matplotlib.figure.Figure`` objects directly (Agg canvas), never through
pyplot's global state, so nothing depends on a display or on the process's backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

CALIBRATION_BINS = 10


def _figure():
    from matplotlib.figure import Figure

    return Figure(figsize=(8, 4.5), dpi=100)


def equity_plot(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], path: str | Path, title: str = "") -> Path:
    """Draw one line per name: (dates, cumulative return) of the long-short backtest."""
    figure = _figure()
    axes = figure.add_subplot()
    for name, (dates, equity) in curves.items():
        axes.plot(np.asarray(dates, dtype="datetime64[D]"), equity, label=name)
    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set_ylabel("cumulative return (per leg of capital)")
    axes.set_title(title or "out-of-sample long-short equity")
    axes.legend(loc="best")
    figure.autofmt_xdate()
    return _save(figure, path)


def calibration_plot(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], path: str | Path) -> Path:
    """Draw predicted probability vs observed frequency (deciles) per name: (labels, probabilities)."""
    from sklearn.calibration import calibration_curve

    figure = _figure()
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect")
    for name, (labels, probabilities) in curves.items():
        observed, predicted = calibration_curve(labels, probabilities, n_bins=CALIBRATION_BINS, strategy="quantile")
        axes.plot(predicted, observed, marker="o", label=name)
    axes.set_xlabel("predicted probability")
    axes.set_ylabel("observed frequency")
    axes.set_title("out-of-sample calibration")
    axes.legend(loc="best")
    return _save(figure, path)


def _save(figure, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target)
    return target
