"""The Store: every query of alphaminer lives here (and in ``repo_batch*.py``, ``repo_bookkeeping.py``).

The Store speaks plain values (str, int, float, dict, list, bytes, numpy arrays for PnL), never
GA objects. Every method runs in its own transaction; ``record_batch`` writes a whole batch of
evaluated candidates (alphas upserted + simulations inserted) in ONE transaction, so a killed
process leaves each batch either fully stored or absent.

Re-recording is idempotent: an alpha (by hash) keeps the origin, parents and generation of its
first record, and a simulation triple (alpha, settings key, params key) already stored keeps its
first result; its id is returned again.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection, Select, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from state import repo_rows as rows
from state.repo_batch import chunks as _chunks
from state.repo_batch import hash_in as _hash_in
from state.repo_batch import write_batch_returning
from state.repo_batch_sqlite import write_batch_sqlite
from state.codec import decode_pnl
from state.db import DEFAULT_URL, make_engine, parse_url, read_transaction, single_read, sqlite_path, write_transaction
from state.errors import StoreError
from state.models import METRIC_COLUMNS, Alpha, DaemonLock, Run, Simulation
from state.repo_bookkeeping import BookkeepingQueries
from state.schema import ensure_schema
from state.wal import WalCheckpointer

_SUMMARY_COLUMNS = [c for c in Simulation.__table__.c if c.name not in ("daily_pnl", "score_band")]

Triple = tuple[str, str, str]

# Built once: constructing a statement costs more than SQLite's index lookups.
_IS_SIMULATED = (
    select(Simulation.id)
    .join(Alpha, Alpha.id == Simulation.alpha_id)
    .where(
        Alpha.hash_key == bindparam("hash_key"),
        Alpha.hash == bindparam("hash"),
        Simulation.settings_key == bindparam("settings_key"),
        Simulation.params_key == bindparam("params_key"),
    )
    .limit(1)
)

_RUN_ID = select(Run.id).where(Run.id == bindparam("run_id"))


class Store(BookkeepingQueries):
    """The alphaminer database.

    Parameters
    ----------
    url : str
        Any SQLAlchemy URL; default ``sqlite:///alphaminer.db`` (relative to the working folder).
    create : bool
        Create a missing SQLite file (False: StoreError "no store at ...").
    clock : callable
        Seconds since the epoch (injected for tests); used for heartbeats.

    Attributes
    ----------
    wal_checkpointer : state.wal.WalCheckpointer or None
        The thread that checkpoints a SQLite file's WAL beside ``record_batch`` (None for other
        databases); it starts with the first batch and stops with ``close``.

    Raises
    ------
    StoreError
        Bad URL, missing driver or file, unreachable database.
    SchemaVersionError
        The schema is newer than this alphaminer, or the database is not an alphaminer store.
    """

    def __init__(self, url: str = DEFAULT_URL, *, create: bool = True, clock: Callable[[], float] = time.time):
        parsed = parse_url(url)
        self.url = parsed.render_as_string(hide_password=True)
        self.path = sqlite_path(parsed)
        if self.path is not None and not self.path.exists():
            if not create:
                raise StoreError(f"no store at {self.path} (check --db)")
            if not self.path.parent.is_dir():
                raise StoreError(f"cannot create store {self.path}: folder {self.path.parent} does not exist")
        self._clock = clock
        self._batch_lock = threading.Lock()
        self.wal_checkpointer = None if self.path is None else WalCheckpointer(self.path.resolve(), self._batch_lock)
        self.engine = make_engine(url)
        self._write_batch = write_batch_sqlite if self.engine.dialect.name == "sqlite" else write_batch_returning
        try:
            self.schema_version = ensure_schema(self.engine, self.url)
        except DBAPIError as error:
            self.engine.dispose()
            raise StoreError(f"cannot open store {self.url}: {error.orig}") from None
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Stop the WAL checkpoint thread and close every pooled connection."""
        if self.wal_checkpointer is not None:
            self.wal_checkpointer.close()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def _now(self):  # noqa: ANN202 - naive UTC datetime
        return rows.utc_datetime(self._clock())

    # ------------------------------------------------------------------ runs and the lock row
    def start_run(self, mode: str, *, pid: int | None = None, host: str | None = None) -> int:
        """Record a new run (status "running", heartbeat now); returns its id."""
        now = self._now()
        values = {"mode": mode, "pid": pid or os.getpid(), "host": host or socket.gethostname(), "heartbeat": now}
        with write_transaction(self.engine) as connection:
            return connection.execute(insert(Run).values(status="running", started=now, **values)).inserted_primary_key[0]

    def heartbeat(self, run_id: int) -> None:
        """Mark ``run_id`` alive now."""
        with write_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            connection.execute(update(Run).where(Run.id == run_id).values(heartbeat=self._now()))

    def end_run(self, run_id: int, status: str = "stopped") -> None:
        """Mark ``run_id`` ended with ``status`` and free the daemon lock if it held it."""
        with write_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            connection.execute(update(Run).where(Run.id == run_id).values(ended=self._now(), status=status))
            connection.execute(update(DaemonLock).where(DaemonLock.run_id == run_id).values(run_id=None))

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """The run's row as a dict (``heartbeat_age_s`` added), or None."""
        with single_read(self.engine) as connection:
            row = connection.execute(select(Run).where(Run.id == run_id)).mappings().first()
        return None if row is None else self._run_dict(row)

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent runs, newest first."""
        with single_read(self.engine) as connection:
            found = connection.execute(select(Run).order_by(Run.id.desc()).limit(limit)).mappings().all()
        return [self._run_dict(row) for row in found]

    def _run_dict(self, row: Any) -> dict[str, Any]:
        run = dict(row)
        beat = run["heartbeat"] or run["started"]
        run["heartbeat_age_s"] = None if beat is None else max(0.0, self._clock() - rows.epoch_seconds(beat))
        return run

    @staticmethod
    def _require_run(connection: Connection, run_id: int) -> None:
        if connection.scalar(_RUN_ID, {"run_id": run_id}) is None:
            raise StoreError(f"no run with id {run_id} in this store")

    def lock_holder(self) -> dict[str, Any] | None:
        """The run holding the daemon lock (as ``get_run`` returns it), or None when free."""
        with single_read(self.engine) as connection:
            return self._holder(connection)

    def _holder(self, connection: Connection) -> dict[str, Any] | None:
        query = select(Run).join(DaemonLock, DaemonLock.run_id == Run.id).where(DaemonLock.id == 1)
        if connection.dialect.name == "postgresql":
            query = select(Run).where(Run.id == select(DaemonLock.run_id).where(DaemonLock.id == 1).scalar_subquery())
        row = connection.execute(query).mappings().first()
        return None if row is None else self._run_dict(row)

    def take_lock(self, run_id: int, may_take: Callable[[dict[str, Any] | None], bool]) -> bool:
        """Atomically give the daemon lock to ``run_id`` if ``may_take(current holder)`` agrees.

        The holder is read and replaced in one write transaction (SQLite: BEGIN IMMEDIATE;
        PostgreSQL: the lock row is read FOR UPDATE), so of two processes taking the lock at
        once the second sees the first as holder. ``may_take`` may raise to refuse loudly.
        """
        with write_transaction(self.engine) as connection:
            self._require_run(connection, run_id)
            connection.execute(select(DaemonLock.id).where(DaemonLock.id == 1).with_for_update()).first()
            if not may_take(self._holder(connection)):
                return False
            connection.execute(update(DaemonLock).where(DaemonLock.id == 1).values(run_id=run_id, acquired=self._now()))
            connection.execute(update(Run).where(Run.id == run_id).values(heartbeat=self._now()))
            return True

    def release_lock(self, run_id: int) -> bool:
        """Free the daemon lock if ``run_id`` holds it (one conditional UPDATE); True if it did."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(update(DaemonLock).where(DaemonLock.run_id == run_id).values(run_id=None))
            return result.rowcount > 0

    # ------------------------------------------------------------------ simulations
    def record_batch(self, run_id: int | None, items: Sequence[dict[str, Any]]) -> list[int]:
        """Store one evaluated batch in ONE transaction; returns one simulation id per item.

        Parameters
        ----------
        run_id : int or None
            The run that evaluated the batch.
        items : sequence of dict
            Each: ``canonical, hash, origin`` (ga/lateral/llm/seed/user), ``parents`` (list of
            hashes), ``generation``, ``settings_key, settings`` (JSON dict), ``params_key,
            params``, ``status`` (ok/error), ``error``, ``metrics`` (dict: the metric columns
            plus any extras), ``daily_pnl`` (1-D array or None; ``pnl_dtype`` float32 default),
            ``pnl_start`` (date or ISO text), ``duration`` (s), ``score``. A settings or
            params key names its value: items of one batch with equal keys must carry equal
            values (SQLite stores the key's first value once encoded).

        Returns
        -------
        list of int
        """
        for index, item in enumerate(items):
            rows.check_item(item, index)
        if not items:
            return []
        alphas: dict[str, dict[str, Any]] = {}
        for item in items:
            alphas.setdefault(item["hash"], rows.alpha_row(item))

        def make_sims(alpha_ids: dict[str, int]) -> list[dict[str, Any]]:
            return [
                rows.simulation_row(item, alpha_ids[item["hash"]], run_id, f"batch item {index}")
                for index, item in enumerate(items)
            ]

        # Foreign keys off for the batch (SQLite only): the writer itself numbers the alphas it
        # links to and checks the run below; SQLite's two lookups per row cost ~10% of a batch.
        with self._batch_lock, write_transaction(self.engine, foreign_keys=False) as connection:
            if run_id is not None:
                self._require_run(connection, run_id)
            ids = self._write_batch(connection, alphas, make_sims)
        if self.wal_checkpointer is not None:
            self.wal_checkpointer.wrote(len(items))
        return ids

    def is_simulated(self, hash: str, settings_key: str, params_key: str) -> bool:  # noqa: A002
        """True when this alpha was already simulated with these settings and params (ok or error)."""
        with single_read(self.engine) as connection:
            keys = {"hash_key": rows.hash_key(hash), "hash": hash, "settings_key": settings_key, "params_key": params_key}
            found = connection.scalar(_IS_SIMULATED, keys)
        return found is not None

    def simulated_keys(self, keys: Iterable[str | Triple]) -> set[str | Triple]:
        """The subset of ``keys`` already simulated.

        A key is an alpha hash (simulated with any settings) or a triple
        ``(hash, settings_key, params_key)`` (simulated exactly so). Errors count as simulated:
        a deterministic failure is not retried.
        """
        keys = list(keys)
        hashes = [key for key in keys if isinstance(key, str)]
        triples = {tuple(key) for key in keys if not isinstance(key, str)}
        found: set[str | Triple] = set()
        with read_transaction(self.engine) as connection:
            for chunk in _chunks(sorted(set(hashes))):
                has_sim = exists().where(Simulation.alpha_id == Alpha.id)
                found.update(connection.scalars(select(Alpha.hash).where(_hash_in(chunk), has_sim)))
            for chunk in _chunks(sorted({key[0] for key in triples})):
                query = select(Alpha.hash, Simulation.settings_key, Simulation.params_key).join(
                    Simulation, Simulation.alpha_id == Alpha.id
                )
                for row in connection.execute(query.where(_hash_in(chunk))):
                    if tuple(row) in triples:
                        found.add(tuple(row))
        return found

    def lookup_simulations(self, triples: Iterable[Triple]) -> dict[Triple, dict[str, Any]]:
        """Stored simulations for ``(hash, settings_key, params_key)`` triples, as
        ``get_simulation``-style dicts (id, score, metrics, status, error; no PnL). Missing
        triples are absent from the result: this is how the miner never simulates twice."""
        wanted = {tuple(t) for t in triples}
        found: dict[Triple, dict[str, Any]] = {}
        with single_read(self.engine) as connection:
            for chunk in _chunks(sorted({t[0] for t in wanted})):
                query = self._summary_query().where(_hash_in(chunk))
                for row in connection.execute(query).mappings():
                    key = (row["hash"], row["settings_key"], row["params_key"])
                    if key in wanted:
                        found[key] = self._simulation_dict(row)
        return found

    def top_simulations(
        self,
        k: int = 20,
        metric: str = "score",
        *,
        status: str | None = "ok",
        min_sharpe: float | None = None,
        min_fitness: float | None = None,
        origin: str | None = None,
        settings_key: str | None = None,
        run_id: int | None = None,
        ascending: bool = False,
    ) -> list[dict[str, Any]]:
        """The best ``k`` simulations by ``metric`` (highest first), as ``get_simulation`` dicts
        without the PnL. Rows whose metric is NULL are left out; ``status=None`` keeps errors."""
        if metric not in METRIC_COLUMNS:
            raise StoreError(f"unknown metric {metric!r} to rank by; choose one of {', '.join(METRIC_COLUMNS)}")
        column = Simulation.__table__.c[metric]
        # The score's index holds its band (ordered like the score, NULL with it): bands come from
        # the index, a small sort orders the rows of the bands the limit reaches.
        keys = [Simulation.score_band, column] if metric == "score" else [column]
        conditions = [key.is_not(None) for key in keys]
        for value, condition in (
            (status, lambda: Simulation.status == status),
            (min_sharpe, lambda: Simulation.sharpe >= min_sharpe),
            (min_fitness, lambda: Simulation.fitness >= min_fitness),
            (origin, lambda: Alpha.origin == origin),
            (settings_key, lambda: Simulation.settings_key == settings_key),
            (run_id, lambda: Simulation.run_id == run_id),
        ):
            if value is not None:
                conditions.append(condition())
        order = [key.asc() if ascending else key.desc() for key in keys]
        query = self._summary_query().where(and_(*conditions)).order_by(*order, Simulation.id).limit(k)
        with single_read(self.engine) as connection:
            return [self._simulation_dict(row) for row in connection.execute(query).mappings()]

    @staticmethod
    def _summary_query() -> Select:
        alpha_columns = (Alpha.canonical, Alpha.hash, Alpha.origin, Alpha.parents, Alpha.generation)
        return select(*_SUMMARY_COLUMNS, *alpha_columns).join(Alpha, Alpha.id == Simulation.alpha_id)

    @staticmethod
    def _simulation_dict(row: Any) -> dict[str, Any]:
        found = {key: row[key] for key in row.keys() if key not in METRIC_COLUMNS and key != "extra_metrics"}
        found["metrics"] = rows.metrics_of(row)
        found["score"] = row["score"]
        return found

    def get_simulation(self, sim_id: int) -> dict[str, Any] | None:
        """One simulation with its alpha's canonical text, hash and origin (no PnL), or None."""
        with single_read(self.engine) as connection:
            row = connection.execute(self._summary_query().where(Simulation.id == sim_id)).mappings().first()
        return None if row is None else self._simulation_dict(row)

    def get_alpha(self, alpha_id: int | str) -> dict[str, Any] | None:
        """One alpha by id (int) or hash (str), with its number of simulations, or None."""
        key = _hash_in([alpha_id]) if isinstance(alpha_id, str) else Alpha.id == alpha_id
        with read_transaction(self.engine) as connection:
            row = connection.execute(select(Alpha).where(key)).mappings().first()
            if row is None:
                return None
            count = connection.scalar(select(func.count()).where(Simulation.alpha_id == row["id"]))
        return {**row, "simulations": count}

    def pnl_series(self, sim_ids: Iterable[int]) -> dict[int, tuple[date | None, np.ndarray]]:
        """``{simulation id: (pnl start date, float64 daily PnL)}`` for those that stored a PnL."""
        ids = sorted(set(sim_ids))
        found: dict[int, tuple[date | None, np.ndarray]] = {}
        with read_transaction(self.engine) as connection:
            for chunk in _chunks(ids):
                query = select(Simulation.id, Simulation.pnl_start, Simulation.daily_pnl).where(
                    Simulation.id.in_(chunk), Simulation.daily_pnl.is_not(None)
                )
                for sim_id, start, blob in connection.execute(query):
                    found[sim_id] = (start, decode_pnl(blob))
        return found
