"""SQLAlchemy 2.0 typed models of the store: tables and indexes only, no queries.

Times are UTC. ``created`` columns use ``server_default=func.now()`` (evaluated by the database at
insert time). Heartbeats are written by the Store from its injected clock.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy import UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ORIGINS = ("ga", "lateral", "llm", "seed", "user")
SIM_STATUSES = ("ok", "error")
METRIC_COLUMNS = (
    "sharpe",
    "returns",
    "turnover",
    "fitness",
    "margin",
    "drawdown",
    "ic",
    "rank_ic",
    "long_count",
    "short_count",
    "days",
    "score",
)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON(none_as_null=True), list[Any]: JSON(none_as_null=True)}


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(32))
    pid: Mapped[int]
    host: Mapped[str] = mapped_column(String(255))
    started: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    heartbeat: Mapped[Optional[datetime]] = mapped_column(DateTime)
    ended: Mapped[Optional[datetime]] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(32), default="running")


class DaemonLock(Base):
    """One row (id = 1): the run that holds the store, or NULL when free."""

    __tablename__ = "daemon_lock"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    acquired: Mapped[Optional[datetime]] = mapped_column(DateTime)


class Alpha(Base):
    __tablename__ = "alphas"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Not unique: an alpha is its hash (of the canonical form); the text is what was written.
    # A unique index here would duplicate every text and cost a random page write per insert.
    canonical: Mapped[str] = mapped_column(Text)
    # The hash is found through its 8-byte key (repo_rows.hash_key), whose index is ~4x smaller
    # than one on the hex text; queries compare both.
    hash: Mapped[str] = mapped_column(String(64))
    hash_key: Mapped[int] = mapped_column(BigInteger, unique=True)
    origin: Mapped[str] = mapped_column(String(16), index=True)
    parents: Mapped[list[Any]] = mapped_column(default=list)
    generation: Mapped[Optional[int]]
    created: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Simulation(Base):
    __tablename__ = "simulations"
    __table_args__ = (
        UniqueConstraint("alpha_id", "settings_key", "params_key", name="uq_simulation_triple"),
        # Only the default ranking is indexed, and by band, not score (repo_rows.score_band):
        # an index on a random-valued column dirties ~one page per inserted row, and
        # record_batch throughput is what the daemon lives on.
        Index("ix_simulations_status_score_band", "status", "score_band"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    alpha_id: Mapped[int] = mapped_column(ForeignKey("alphas.id"))
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    settings_key: Mapped[str] = mapped_column(Text)
    settings: Mapped[dict[str, Any]]
    params_key: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(8))
    error: Mapped[Optional[str]] = mapped_column(Text)
    sharpe: Mapped[Optional[float]] = mapped_column(Float)
    returns: Mapped[Optional[float]] = mapped_column(Float)
    turnover: Mapped[Optional[float]] = mapped_column(Float)
    fitness: Mapped[Optional[float]] = mapped_column(Float)
    margin: Mapped[Optional[float]] = mapped_column(Float)
    drawdown: Mapped[Optional[float]] = mapped_column(Float)
    ic: Mapped[Optional[float]] = mapped_column(Float)
    rank_ic: Mapped[Optional[float]] = mapped_column(Float)
    long_count: Mapped[Optional[float]] = mapped_column(Float)
    short_count: Mapped[Optional[float]] = mapped_column(Float)
    days: Mapped[Optional[int]] = mapped_column(Integer)
    score: Mapped[Optional[float]] = mapped_column(Float)
    score_band: Mapped[Optional[int]] = mapped_column(Integer)
    extra_metrics: Mapped[Optional[dict[str, Any]]]
    os_metrics: Mapped[Optional[dict[str, Any]]]
    daily_pnl: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    pnl_start: Mapped[Optional[date]] = mapped_column(Date)
    duration: Mapped[Optional[float]] = mapped_column(Float)
    created: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class BanditState(Base):
    __tablename__ = "bandit_state"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]]
    updated: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


class Checkpoint(Base):
    __tablename__ = "checkpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    generation: Mapped[int]
    population: Mapped[list[Any]]
    hall_of_fame: Mapped[list[Any]]
    rng_state: Mapped[dict[str, Any]]
    created: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    alpha_id: Mapped[int] = mapped_column(ForeignKey("alphas.id"))
    simulation_id: Mapped[int] = mapped_column(ForeignKey("simulations.id"))
    checks: Mapped[list[Any]]
    submitted: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    destination: Mapped[str] = mapped_column(String(255))


class LlmCall(Base):
    __tablename__ = "llm_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(255), index=True)
    latency: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool]
    n_valid: Mapped[int] = mapped_column(default=0)
    n_invalid: Mapped[int] = mapped_column(default=0)
    n_duplicate: Mapped[int] = mapped_column(default=0)
    error: Mapped[Optional[str]] = mapped_column(Text)
    prompt_id: Mapped[Optional[str]] = mapped_column(String(128))
    created: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class KeyValue(Base):
    """Miner state that is neither a row of its own nor GA state (fleet state, cursors...)."""

    __tablename__ = "key_values"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True))
    updated: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
