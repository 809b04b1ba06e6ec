"""Rendering a simulation as BRAIN-like text tables (rich) or one JSON-ready dict; no printing.

Percent columns (returns, turnover, drawdown) are the fractions x 100; margin is in bps.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from pipelines.checks import CheckResult
from pipelines.metrics import Metrics
from pipelines.settings import SimulationSettings

IS_KEYS = ("sharpe", "returns", "turnover", "fitness", "margin", "drawdown", "ic", "rank_ic",
           "long_count", "short_count", "days", "pnl", "net_sharpe", "net_returns", "net_fitness",
           "net_margin", "net_drawdown", "net_pnl", "start", "end")
_COLUMNS = (  # (title, metric, format)
    ("Sharpe", "sharpe", "{:.2f}"),
    ("Returns", "returns", "pct"),
    ("Turnover", "turnover", "pct"),
    ("Fitness", "fitness", "{:.2f}"),
    ("Margin", "margin", "{:.2f}bps"),
    ("Drawdown", "drawdown", "pct"),
    ("IC", "ic", "{:.4f}"),
    ("Rank IC", "rank_ic", "{:.4f}"),
    ("Long", "long_count", "{:.0f}"),
    ("Short", "short_count", "{:.0f}"),
)


def report_dict(
    expression: str,
    settings: SimulationSettings,
    is_metrics: Metrics,
    years: Sequence[Metrics],
    checks: Sequence[CheckResult],
    os_metrics: Metrics | None = None,
) -> dict[str, Any]:
    """One JSON-ready object: expression, settings, is, years, checks (and os when given)."""
    out: dict[str, Any] = {
        "expression": expression,
        "settings": settings.to_dict(),
        "is": _metrics_dict(is_metrics),
        "years": [{"year": row.start[:4], **_metrics_dict(row)} for row in years],
        "checks": [{k: v for k, v in c.to_dict().items() if k != "detail"} for c in checks],
    }
    if os_metrics is not None:
        out["os"] = _metrics_dict(os_metrics)
    return out


def render_text(
    expression: str,
    settings: SimulationSettings,
    is_metrics: Metrics,
    years: Sequence[Metrics],
    checks: Sequence[CheckResult],
    os_metrics: Metrics | None = None,
    *,
    width: int = 120,
) -> str:
    """The report as text: settings, IS (and OS) figures, per-year rows, checks."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False)
    console.print(f"Alpha: {expression}")
    console.print(_settings_table(settings))
    summary = _figures_table("Summary")
    _add_row(summary, "In sample", is_metrics)
    if os_metrics is not None:
        _add_row(summary, "Out of sample", os_metrics)
    console.print(summary)
    if settings.cost_bps > 0:
        console.print(
            f"After {settings.cost_bps:g} bps costs: Sharpe {is_metrics.net_sharpe:.2f}, "
            f"returns {100 * is_metrics.net_returns:.2f}%, fitness {is_metrics.net_fitness:.2f}, "
            f"margin {is_metrics.net_margin:.2f}bps"
        )
    by_year = _figures_table("In sample by year")
    for row in years:
        _add_row(by_year, row.start[:4], row)
    console.print(by_year)
    console.print(_checks_table(checks))
    return buffer.getvalue()


def _metrics_dict(metrics: Metrics) -> dict[str, Any]:
    values = metrics.to_dict()
    return {key: values[key] for key in IS_KEYS}


def _settings_table(settings: SimulationSettings) -> Table:
    table = Table(title="Settings")
    values = settings.to_dict()
    for name in values:
        table.add_column(name)
    table.add_row(*(_setting_text(v) for v in values.values()))
    return table


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _figures_table(title: str) -> Table:
    table = Table(title=title)
    table.add_column("Period")
    for name, _, _ in _COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("Days", justify="right")
    return table


def _add_row(table: Table, label: str, metrics: Metrics) -> None:
    table.add_row(label, *(_figure(getattr(metrics, key), fmt) for _, key, fmt in _COLUMNS), str(metrics.days))


def _figure(value: float, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if fmt == "pct":
        return f"{100 * value:.2f}%"
    return fmt.format(value)


def _checks_table(checks: Sequence[CheckResult]) -> Table:
    table = Table(title="Checks")
    for name in ("Check", "Result", "Limit", "Value", "Detail"):
        table.add_column(name)
    for check in checks:
        table.add_row(check.name, check.result, _number(check.limit), _number(check.value), check.detail)
    return table


def _number(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.4g}"
