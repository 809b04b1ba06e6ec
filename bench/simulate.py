"""Speed of ``pipelines.simulate.simulate`` against a plain, vectorised numpy version of the same steps.

Both run in this process, with the default settings and then with decay 4 and sector
neutralization (more work per day), on the S&P panel (505 symbols x 1259 days, ../shared/data) or, when it is
absent, a random panel of that size; they are checked to agree before being timed. Prints ms per
alpha for each and the ratio numpy / ours (goal: ours <= 3 ms per alpha).

Times are the best of ``--repeat`` runs of each, in CPU time of this process (``time.process_time``)
and in wall time: on a box shared with other jobs, CPU time does not count the time the job waits
for a core, so the figures of two runs agree; the wall column shows what a free core gives.

    .venv/bin/python bench/simulate.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from pipelines.panel import Panel
from pipelines.settings import SimulationSettings, split_index
from pipelines.simulate import neutralization_groups, simulate

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load() -> Panel:
    daily, sectors = DATA / "sp500_daily.parquet", DATA / "sp500_sectors.parquet"
    if daily.exists():
        from pipelines.load import load_panel

        return load_panel(str(daily), groups=str(sectors) if sectors.exists() else None)
    rng = np.random.default_rng(0)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (1259, 505)), axis=0))
    return Panel.from_arrays({"close": close, "volume": rng.lognormal(14, 1, close.shape)},
                             groups={"sector": rng.integers(0, 11, 505)}, source="random")


def numpy_simulate(alpha, member, returns, group, n_groups, settings):
    """The same steps with whole-matrix numpy: (daily pnl / book, traded / book, ic, rank ic)."""
    t_len, n = alpha.shape
    signal = np.full_like(alpha, np.nan)
    signal[settings.delay:] = alpha[: t_len - settings.delay]
    if settings.decay > 1:
        num, den = np.zeros_like(signal), np.zeros_like(signal)
        for k in range(settings.decay):
            shifted = np.full_like(signal, np.nan)
            shifted[k:] = signal[: t_len - k]
            ok = ~np.isnan(shifted)
            num += np.where(ok, shifted, 0.0) * (settings.decay - k)
            den += ok * (settings.decay - k)
        with np.errstate(invalid="ignore", divide="ignore"):
            signal = np.where(den > 0, num / den, np.nan)
    valid = member & np.isfinite(signal)
    x = np.where(valid, signal, 0.0)
    if n_groups:
        valid &= group[None, :] >= 0
        for g in range(n_groups):
            in_group = valid & (group[None, :] == g)
            count = in_group.sum(axis=1, keepdims=True)
            mean = np.where(in_group, x, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
            x = np.where(in_group, x - mean, x)
    x = np.where(valid, x, 0.0)
    total = np.abs(x).sum(axis=1, keepdims=True)
    w = np.divide(x, total, out=np.zeros_like(x), where=total > 0)
    if settings.truncation > 0:
        w = _numpy_truncate(w, settings.truncation)
    prev = np.vstack([np.zeros((1, n)), w[:-1]])
    pnl = np.zeros(t_len)
    pnl[1:] = np.sum(w[:-1] * np.nan_to_num(returns[1:]), axis=1)
    traded = np.zeros(t_len)
    traded[1:] = np.abs(w - prev).sum(axis=1)[:-1]
    y = returns[1:]
    s = signal_ic = alpha[: t_len - 1 - settings.delay]
    pair = member[settings.delay : t_len - 1] & np.isfinite(s) & np.isfinite(y[settings.delay :])
    ic = _row_corr(np.where(pair, signal_ic, np.nan), np.where(pair, y[settings.delay :], np.nan))
    rx = _row_ranks(np.where(pair, signal_ic, np.nan))
    ry = _row_ranks(np.where(pair, y[settings.delay :], np.nan))
    return pnl, traded, ic, _row_corr(rx, ry)


def _numpy_truncate(w, limit):
    capped = np.zeros(w.shape, dtype=bool)
    scale = np.ones((w.shape[0], 1))
    feasible = (np.count_nonzero(w, axis=1) * limit >= 1.0)[:, None]
    for _ in range(w.shape[1] + 1):
        free = np.where(capped, 0.0, np.abs(w)).sum(axis=1, keepdims=True)
        remaining = 1.0 - capped.sum(axis=1, keepdims=True) * limit
        scale = np.divide(remaining, free, out=np.zeros_like(free), where=free > 0)
        grow = feasible & ~capped & (np.abs(w) * scale > limit)
        if not grow.any():
            break
        capped |= grow
    out = np.where(capped, np.sign(w) * limit, w * scale)
    return np.where(feasible, out, np.clip(w, -limit, limit))


def _row_ranks(x):
    """Average ranks per row (ties averaged), NaN kept."""
    order = np.argsort(np.where(np.isnan(x), np.inf, x), axis=1)
    sorted_x = np.take_along_axis(x, order, axis=1)
    ranks = np.empty_like(x)
    pos = np.arange(1, x.shape[1] + 1, dtype=float)
    for t in range(x.shape[0]):  # tie runs: average position within each run of equal values
        values = sorted_x[t]
        _, start, counts = np.unique(values, return_index=True, return_counts=True)
        average = np.repeat(start + (counts + 1) / 2.0, counts)
        ranks[t, order[t]] = average if len(average) == len(pos) else pos
    return np.where(np.isnan(x), np.nan, ranks)


def _row_corr(x, y):
    ok = ~np.isnan(x) & ~np.isnan(y)
    m = ok.sum(axis=1)
    xm = np.where(ok, x, 0).sum(axis=1) / np.maximum(m, 1)
    ym = np.where(ok, y, 0).sum(axis=1) / np.maximum(m, 1)
    dx, dy = np.where(ok, x - xm[:, None], 0), np.where(ok, y - ym[:, None], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))


def alphas(panel: Panel) -> list[np.ndarray]:
    close = np.asarray(panel.field("close"))
    returns = np.asarray(panel.returns)
    delta5 = np.full_like(close, np.nan)
    delta5[5:] = close[5:] - close[:-5]
    return [-returns, -delta5 / close, np.random.default_rng(1).normal(size=close.shape)]


def timed(fn, repeat):
    """(best CPU ms, best wall ms) over ``repeat`` calls after one warm-up call."""
    fn()
    cpu, wall = [], []
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return min(cpu) * 1e3, min(wall) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    panel = load()
    sector = "SECTOR" if "sector" in panel.groups else "MARKET"
    for settings in (SimulationSettings(), SimulationSettings(decay=4, neutralization=sector)):
        compare(panel, settings, args.repeat)


def compare(panel: Panel, settings: SimulationSettings, repeat: int) -> None:
    """Check that both agree on each alpha, then print their times."""
    is_end = split_index(panel.T, settings.os_fraction)
    member = np.ascontiguousarray(panel.universe(settings.universe)[:is_end])
    returns = np.ascontiguousarray(panel.returns[:is_end])
    group, n_groups = neutralization_groups(panel, settings.neutralization)
    print(f"panel {panel.source}: {panel.N} symbols x {panel.T} days (IS {is_end}), {settings.key()}")
    for i, alpha in enumerate(alphas(panel)):
        ours = simulate(alpha, panel, settings)
        pnl, traded, ic, ric = numpy_simulate(alpha[:is_end], member, returns, group, n_groups, settings)
        first = is_end - ours.is_metrics.days
        np.testing.assert_allclose(ours.daily_pnl, pnl[first:] * settings.book, rtol=1e-8, atol=1e-4)
        np.testing.assert_allclose(ours.is_metrics.rank_ic, np.nanmean(ric[first - 1 - settings.delay :]), rtol=1e-8)
        ours, wall = timed(lambda: simulate(alpha, panel, settings), repeat)
        fast, _ = timed(lambda: simulate(alpha, panel, settings, rank_ic=False), repeat)
        peer, peer_wall = timed(lambda: numpy_simulate(alpha[:is_end], member, returns, group, n_groups, settings),
                                max(repeat // 4, 1))
        print(f"alpha {i}: simulate {ours:6.2f} ms (wall {wall:6.2f}) | without rank IC {fast:6.2f} ms | "
              f"numpy {peer:7.2f} ms (wall {peer_wall:7.2f}) | numpy / simulate = {peer / ours:5.1f}x")

if __name__ == "__main__":
    main()
