"""The embedded synthetic market: OHLCV that looks like a market, with planted alphas.

Method
------
1. Noise, drawn once from ``seed`` (:func:`_draw_market`): a market factor, sector factors and
   industry factors (Student-t shocks, GARCH(1,1) volatility), per-stock betas, idiosyncratic
   Student-t shocks with per-stock GARCH volatility, volume noise (AR(1) in logs), open-gap and
   intraday-range noise, a few late listings. Summed, they give the plain close-to-close returns
   ``r0`` [T, N].
2. Planting (:func:`_plant`). For the simulator with delay ``d`` the weight of day t comes from
   the alpha row t-d and earns the return row t+1, so the return row ``s`` carries the alpha row
   ``s - 1 - d``. On each day, ``Z`` holds the planted alphas standardised across the universe
   members where all of them are finite, ``C = Z'Z/n`` their correlation and ``D`` the
   cross-sectional std of ``r0``. With ``b = C^-1 ic`` the return becomes
   ``r = sqrt(1 - b'Cb) * r0 + D * Z b``, so that ``corr(r, z_k) = ic_k`` in expectation for
   every k, even when the planted alphas are correlated with one another.
3. Prices read the returns the alphas read, so 1-2 is solved by fixed-point passes
   (:func:`synthetic_panel`): build the panel from ``r`` (close = cumulative product, open/high/low
   around it, volume linked to |r|), evaluate the planted expressions with our evaluator, plant
   again from ``r0``; stop when the RMS change of ``r`` is below ``tolerance`` times the RMS of
   the planted part ``r - r0``, or after ``max_passes``. Row ``s`` only depends on alpha rows
   ``<= s-1-d``, so each pass fixes a longer prefix exactly and the rest converges geometrically
   (about 2.5x per pass on the default market; ranks make it stepwise). The passes and the last
   relative change are logged: a relative change c costs about c of each planted IC.

Everything is deterministic by ``seed``. ``load_synthetic`` caches the panel on disk keyed by
the config's content, so repeated CLI calls are fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from pipelines.errors import PipelineError
from pipelines.panel import Panel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = structlog.get_logger()

DEFAULT_CONFIG = Path(__file__).with_name("synthetic_default.toml")
GENERATOR_VERSION = 1  # bump when the generator changes, so cached panels are rebuilt


class SyntheticConfigError(PipelineError, ValueError):
    """A bad synthetic-market config (names the file and key)."""


@dataclasses.dataclass(frozen=True)
class PlantedAlpha:
    """An expression whose standardised value carries ``ic`` into the returns it predicts."""

    expression: str
    ic: float
    name: str = ""


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """Parameters of the synthetic market (all volatilities are daily)."""

    n_stocks: int = 500
    n_days: int = 1260
    seed: int = 7
    start_date: str = "2015-01-02"
    n_sectors: int = 10
    n_industries: int = 3
    n_subindustries: int = 2
    delay: int = 1
    universe: str = "TOP500"
    market_vol: float = 0.009
    sector_vol: float = 0.005
    industry_vol: float = 0.004
    idio_vol: float = 0.015
    tail_df: float = 4.0
    garch_alpha: float = 0.08
    garch_beta: float = 0.9
    volume_persistence: float = 0.8
    volume_noise: float = 0.25
    volume_return_link: float = 0.25
    late_listing_share: float = 0.03
    max_passes: int = 8
    tolerance: float = 0.02
    planted: tuple[PlantedAlpha, ...] = ()

    @classmethod
    def from_toml(cls, path: str | Path) -> "SyntheticConfig":
        """Read a config; unknown keys or bad values raise a one-line SyntheticConfigError."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except OSError as error:
            raise SyntheticConfigError(f"{path}: cannot read synthetic config ({error.strerror})") from None
        except tomllib.TOMLDecodeError as error:
            raise SyntheticConfigError(f"{path}: invalid TOML ({error})") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "config") -> "SyntheticConfig":
        """A config from a plain mapping (the TOML document), validated."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise SyntheticConfigError(f"{source}: unknown key {key!r}; known: {', '.join(known)}")
            if key == "planted":
                values[key] = tuple(_planted(item, source, i) for i, item in enumerate(value))
            else:
                values[key] = _coerce(value, type(getattr(cls, key)), source, key)
        config = cls(**values)
        config.validate(source)
        return config

    def validate(self, source: str = "config") -> None:
        """Raise SyntheticConfigError naming the first key with a bad value."""
        checks = [
            ("n_stocks", self.n_stocks >= 10),
            ("n_days", self.n_days >= 100),
            ("n_sectors", 1 <= self.n_sectors <= self.n_stocks),
            ("n_industries", self.n_industries >= 1),
            ("n_subindustries", self.n_subindustries >= 1),
            ("delay", self.delay in (0, 1)),
            ("tail_df", self.tail_df > 2),
            ("garch_beta", 0 <= self.garch_alpha and 0 <= self.garch_beta and self.garch_alpha + self.garch_beta < 1),
            ("volume_persistence", 0 <= self.volume_persistence < 1),
            ("late_listing_share", 0 <= self.late_listing_share <= 0.5),
            ("max_passes", self.max_passes >= 1),
        ]
        for key, ok in (c for c in checks if not c[1]):
            raise SyntheticConfigError(f"{source}: bad value for {key!r}: {getattr(self, key)!r}")
        if sum(p.ic**2 for p in self.planted) >= 0.5:
            raise SyntheticConfigError(f"{source}: planted ICs too large (sum of squares must be < 0.5)")

    def key(self) -> str:
        """Hex digest of the config's content and the generator's version (the cache key)."""
        content = {"generator": GENERATOR_VERSION, **dataclasses.asdict(self)}
        text = json.dumps(content, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def _planted(item: Any, source: str, index: int) -> PlantedAlpha:
    where = f"{source}: planted[{index}]"
    if not isinstance(item, dict):
        raise SyntheticConfigError(f"{where}: must be a table with expression and ic")
    unknown = set(item) - {"expression", "ic", "name"}
    if unknown:
        raise SyntheticConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}; known: expression, ic, name")
    if not isinstance(item.get("expression"), str) or not item["expression"].strip():
        raise SyntheticConfigError(f"{where}: 'expression' must be a non-empty string")
    if not -0.5 < (ic := _coerce(item.get("ic"), float, where, "ic")) < 0.5:
        raise SyntheticConfigError(f"{where}: bad value for 'ic': {ic!r} (use -0.5 < ic < 0.5)")
    return PlantedAlpha(item["expression"], ic, str(item.get("name", "")))


def _coerce(value: Any, kind: type, source: str, key: str) -> Any:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if (kind is float and number) or (kind is int and number and isinstance(value, int)):
        return kind(value)
    if kind is str and isinstance(value, str):
        return value
    raise SyntheticConfigError(f"{source}: bad value for {key!r}: {value!r} (expected {kind.__name__})")



@dataclasses.dataclass
class _Market:
    """Everything random, drawn once; returns and prices are rebuilt from it on each pass."""

    r0: np.ndarray  # [T, N] returns without planted alphas
    idio_scale: np.ndarray  # [T, N] idiosyncratic volatility (for the volume link)
    listed: np.ndarray  # [T, N] bool
    groups: dict[str, np.ndarray]
    start_price: np.ndarray  # [N]
    shares: np.ndarray  # [N] typical shares traded per day
    volume_noise: np.ndarray  # [T, N] AR(1) log-volume noise
    gap: np.ndarray  # [T, N] share of the day's move that happens overnight
    gap_noise: np.ndarray  # [T, N]
    high_range: np.ndarray  # [T, N] >= 0, the day's high above max(open, close)
    low_range: np.ndarray  # [T, N] >= 0, the day's low below min(open, close)


def _student_t(rng: np.random.Generator, df: float, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance (fat tails, same volatility)."""
    return rng.standard_t(df, size=shape) / np.sqrt(df / (df - 2.0))


def _draw_groups(rng: np.random.Generator, config: SyntheticConfig) -> dict[str, np.ndarray]:
    weights = rng.dirichlet(np.full(config.n_sectors, 4.0))
    sector = rng.choice(config.n_sectors, size=config.n_stocks, p=weights)
    industry = sector * config.n_industries + rng.integers(0, config.n_industries, config.n_stocks)
    subindustry = industry * config.n_subindustries + rng.integers(0, config.n_subindustries, config.n_stocks)
    return {"sector": sector, "industry": industry, "subindustry": subindustry}


def _draw_market(config: SyntheticConfig) -> _Market:
    rng = np.random.default_rng(config.seed)
    t, n, df = config.n_days, config.n_stocks, config.tail_df
    groups = _draw_groups(rng, config)
    n_industries = config.n_sectors * config.n_industries

    def factor(count: int, vol: float) -> np.ndarray:
        shocks = _student_t(rng, df, (t, count))
        return vol * np.sqrt(_garch_variance(shocks, config)) * shocks

    market = factor(1, config.market_vol)
    sectors = factor(config.n_sectors, config.sector_vol)
    industries = factor(n_industries, config.industry_vol)
    beta = np.clip(rng.normal(1.0, 0.3, (3, n)), 0.2, 2.0)
    stock_vol = config.idio_vol * rng.lognormal(0.0, 0.35, n)
    idio_shocks = _student_t(rng, df, (t, n))
    idio_scale = stock_vol * np.sqrt(_garch_variance(idio_shocks, config))
    idio = idio_scale * idio_shocks
    systematic = beta[0] * market + beta[1] * sectors[:, groups["sector"]]
    systematic += beta[2] * industries[:, groups["industry"]]
    r0 = np.clip(systematic + idio + rng.normal(0.0002, 0.0002, n), -0.6, 1.5)
    return _Market(
        r0=r0,
        idio_scale=idio_scale,
        listed=_draw_listings(rng, config),
        groups={k: v.astype(np.int32) for k, v in groups.items()},
        start_price=rng.lognormal(np.log(40.0), 0.8, n),
        shares=rng.lognormal(np.log(2e6), 1.0, n),
        volume_noise=_ar1(rng, config, (t, n)),
        gap=rng.uniform(0.1, 0.5, (t, n)),
        gap_noise=rng.normal(0.0, 0.002, (t, n)),
        high_range=np.abs(rng.normal(0.0, 0.006, (t, n))),
        low_range=np.abs(rng.normal(0.0, 0.006, (t, n))),
    )


def _garch_variance(shocks: np.ndarray, config: SyntheticConfig) -> np.ndarray:
    """The conditional variance path of GARCH(1,1) driven by ``shocks`` (mean 1)."""
    variance = np.ones_like(shocks)
    omega = 1.0 - config.garch_alpha - config.garch_beta
    for t in range(1, shocks.shape[0]):
        previous = variance[t - 1]
        variance[t] = omega + config.garch_alpha * previous * shocks[t - 1] ** 2 + config.garch_beta * previous
    return variance


def _ar1(rng: np.random.Generator, config: SyntheticConfig, shape: tuple[int, int]) -> np.ndarray:
    phi = config.volume_persistence
    shocks = rng.normal(0.0, config.volume_noise * np.sqrt(1 - phi**2), shape)
    out = np.empty(shape)
    out[0] = rng.normal(0.0, config.volume_noise, shape[1])
    for t in range(1, shape[0]):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def _draw_listings(rng: np.random.Generator, config: SyntheticConfig) -> np.ndarray:
    """Bool [T, N]: a few stocks list late (nothing before their first day)."""
    listed = np.ones((config.n_days, config.n_stocks), dtype=bool)
    late = rng.choice(config.n_stocks, size=int(round(config.late_listing_share * config.n_stocks)), replace=False)
    for stock in late:
        listed[: rng.integers(40, config.n_days // 2), stock] = False
    return listed



def _build_panel(market: _Market, returns: np.ndarray, config: SyntheticConfig) -> Panel:
    """OHLCV consistent with ``returns`` (low <= open, close <= high), NaN before listing."""
    moves = np.vstack([np.zeros((1, config.n_stocks)), returns[1:]])
    close = market.start_price * np.cumprod(1.0 + moves, axis=0)
    previous = np.vstack([close[:1], close[:-1]])
    open_ = previous * (1.0 + market.gap * moves + market.gap_noise)
    high = np.maximum(open_, close) * (1.0 + market.high_range)
    low = np.minimum(open_, close) * (1.0 - market.low_range)
    surprise = np.abs(returns) / market.idio_scale - np.sqrt(2.0 / np.pi)
    volume = np.round(market.shares * np.exp(market.volume_noise + config.volume_return_link * surprise))
    fields = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    fields = {name: np.where(market.listed, value, np.nan) for name, value in fields.items()}
    dates = np.busday_offset(np.datetime64(config.start_date, "D"), np.arange(config.n_days), roll="forward")
    symbols = [f"SYN{i:04d}" for i in range(config.n_stocks)]
    source = f"synthetic:{config.key()}"
    panel = Panel.from_arrays(fields, dates=dates, symbols=symbols, groups=market.groups, source=source)
    panel.group_labels.update(_group_labels(config))
    panel.planted = [(p.expression, p.ic) for p in config.planted]
    return panel


def _group_labels(config: SyntheticConfig) -> dict[str, list[str]]:
    """Labels whose dotted codes show the nesting: "Sector 03", "Industry 03.1", "Subindustry 03.1.0"."""
    sectors = [f"{s:02d}" for s in range(config.n_sectors)]
    industries = [f"{s}.{i}" for s in sectors for i in range(config.n_industries)]
    subindustries = [f"{i}.{k}" for i in industries for k in range(config.n_subindustries)]
    labels = {"sector": sectors, "industry": industries, "subindustry": subindustries}
    return {name: [f"{name.capitalize()} {code}" for code in codes] for name, codes in labels.items()}


def _evaluate_planted(panel: Panel, config: SyntheticConfig) -> list[np.ndarray]:
    """Each planted expression's value [T, N], computed by our evaluator on the universe."""
    from expressions import Evaluator

    evaluator = Evaluator(panel.fields, panel.groups, panel.universe(config.universe), config.universe)
    return [np.asarray(evaluator.evaluate(p.expression), dtype=np.float64) for p in config.planted]


def _plant(market: _Market, alphas: list[np.ndarray], universe: np.ndarray, config: SyntheticConfig) -> np.ndarray:
    """Returns ``r0`` with each day's row carrying the planted alphas of row ``s - 1 - delay``."""
    returns = market.r0.copy()
    target = np.array([p.ic for p in config.planted])
    lag = 1 + config.delay
    stacked = np.stack(alphas, axis=2)  # [T, N, K]
    tradable = market.listed & np.vstack([market.listed[:1], market.listed[:-1]])
    for day in range(lag, config.n_days):
        values = stacked[day - lag]
        # As the simulator's IC: members of the day the position is held (day - 1).
        members = universe[day - 1] & tradable[day]
        active = np.count_nonzero(np.isfinite(values[members]), axis=0) >= 10
        if not active.any():
            continue
        members &= np.isfinite(values[:, active]).all(axis=1)
        if np.count_nonzero(members) < 10:
            continue
        returns[day, members] = _carry(market.r0[day, members], values[members][:, active], target[active])
    return returns


def _carry(noise: np.ndarray, values: np.ndarray, ic: np.ndarray) -> np.ndarray:
    """One day's returns whose correlation with each column of ``values`` is ``ic`` (expected)."""
    spread = values.std(axis=0)
    if not (live := spread > 0).any():
        return noise
    z, ic = (values[:, live] - values[:, live].mean(axis=0)) / spread[live], ic[live]
    corr = z.T @ z / len(z)
    weights = np.linalg.lstsq(corr, ic, rcond=None)[0]
    share = float(weights @ corr @ weights)
    if share > 0.5:  # nearly collinear planted alphas: cap the planted share of variance
        weights *= np.sqrt(0.5 / share)
        share = 0.5
    return np.sqrt(1.0 - share) * noise + noise.std() * (z @ weights)



def synthetic_panel(config: SyntheticConfig) -> Panel:
    """Generate the synthetic market (see the module docstring for the method).

    Parameters
    ----------
    config : the market's parameters and planted alphas.

    Returns
    -------
    Panel : with groups sector/industry/subindustry and ``panel.planted`` = list of
        (expression, ic) pairs, the ground truth the miner should find.
    """
    market = _draw_market(config)
    returns = market.r0
    panel = _build_panel(market, returns, config)
    passes, change = 0, 0.0
    while config.planted and passes < config.max_passes:
        planted = _plant(market, _evaluate_planted(panel, config), panel.universe(config.universe), config)
        change = _relative_change(planted, returns, market)
        returns, passes = planted, passes + 1
        panel = _build_panel(market, returns, config)
        if change < config.tolerance:
            break
    log.info("synthetic_market_built", planted=len(config.planted), passes=passes, relative_change=round(change, 6))
    return panel


def _relative_change(new: np.ndarray, old: np.ndarray, market: _Market) -> float:
    """RMS change of the returns over the RMS of the planted part (what moves the ICs)."""
    planted = np.sqrt(np.mean((new - market.r0)[market.listed] ** 2))
    return float(np.sqrt(np.mean((new - old)[market.listed] ** 2)) / planted) if planted > 0 else 0.0


def load_synthetic(config_path: str | Path | None = None, cache_dir: str | Path | None = None) -> Panel:
    """The synthetic market of ``config_path`` (default: the packaged config), cached on disk.

    The cache entry is keyed by the config's content, so an edited config is a miss. Fields of
    a cached panel are memory-mapped. ``panel.planted`` lists the planted (expression, ic).
    """
    from pipelines.cache import load_cached, store_panel

    path = Path(config_path) if config_path is not None else DEFAULT_CONFIG
    config = SyntheticConfig.from_toml(path)
    key = f"synthetic-{config.key()}"
    panel = load_cached(key, cache_dir)
    if panel is None:
        panel = synthetic_panel(config)
        entry = store_panel(panel, key, cache_dir)
        if entry is not None:
            panel = load_cached(key, cache_dir) or panel
    panel.planted = [(p.expression, p.ic) for p in config.planted]
    return panel
