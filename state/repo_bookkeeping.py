"""Store queries for the miner's bookkeeping: checkpoints, bandit state, key-values,
submissions, LLM calls, counts, reset and the integrity check. Mixed into ``state.repo.Store``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Integer, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from state.db import read_transaction, single_read, write_transaction
from state.errors import StoreError
from state.models import (
    Alpha,
    BanditState,
    Checkpoint,
    DaemonLock,
    KeyValue,
    LlmCall,
    Run,
    Simulation,
    Submission,
)

# Children before parents, so that foreign keys hold at every step of a reset.
MINING_TABLES = (Submission, Simulation, Checkpoint, LlmCall, Alpha, BanditState, KeyValue, Run)


class BookkeepingQueries:
    """Queries on the miner's own state; needs ``self.engine`` and ``self._now()``."""

    engine: Engine

    # ------------------------------------------------------------------ GA checkpoints
    def save_checkpoint(
        self,
        run_id: int | None,
        generation: int,
        population: list[Any],
        hall_of_fame: list[Any],
        rng_state: dict[str, Any],
        *,
        keep: int = 5,
    ) -> int:
        """Store a GA checkpoint (JSON values) and prune that run's older ones beyond ``keep``."""
        values = {
            "run_id": run_id,
            "generation": int(generation),
            "population": population,
            "hall_of_fame": hall_of_fame,
            "rng_state": rng_state,
        }
        with write_transaction(self.engine) as connection:
            new_id = connection.execute(insert(Checkpoint).values(**values)).inserted_primary_key[0]
            same_run = Checkpoint.run_id.is_(None) if run_id is None else Checkpoint.run_id == run_id
            kept = select(Checkpoint.id).where(same_run).order_by(Checkpoint.id.desc()).limit(max(keep, 1))
            connection.execute(delete(Checkpoint).where(same_run, Checkpoint.id.not_in(kept.scalar_subquery())))
            return new_id

    def load_checkpoint(self, run_id: int | None = None) -> dict[str, Any] | None:
        """The latest checkpoint (of ``run_id`` when given) as a dict, or None."""
        query = select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)
        if run_id is not None:
            query = query.where(Checkpoint.run_id == run_id)
        with single_read(self.engine) as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else dict(row)

    # ------------------------------------------------------------------ bandit and key-values
    def save_bandit(self, name: str, state: dict[str, Any]) -> None:
        """Store (replace) the JSON state of bandit ``name``."""
        with write_transaction(self.engine) as connection:
            _upsert(connection, BanditState, {"name": name, "state": state}, key="name", changes=("state",))

    def load_bandit(self, name: str) -> dict[str, Any] | None:
        """The saved state of bandit ``name``, or None."""
        with single_read(self.engine) as connection:
            return connection.scalar(select(BanditState.state).where(BanditState.name == name))

    def save_value(self, key: str, value: Any) -> None:
        """Store (replace) a JSON value of miner state under ``key``."""
        with write_transaction(self.engine) as connection:
            _upsert(connection, KeyValue, {"key": key, "value": value}, key="key", changes=("value",))

    def load_value(self, key: str, default: Any = None) -> Any:
        """The value saved under ``key``, or ``default``."""
        with single_read(self.engine) as connection:
            row = connection.execute(select(KeyValue.value).where(KeyValue.key == key)).first()
        return default if row is None else row[0]

    # ------------------------------------------------------------------ submissions
    def record_submission(
        self,
        simulation_id: int,
        checks: list[dict[str, Any]],
        *,
        destination: str = "local",
        os_metrics: dict[str, Any] | None = None,
    ) -> int:
        """Record that simulation ``simulation_id`` was submitted, with its check results; the
        out-of-sample metrics computed by submit are stored on the simulation. Returns the id."""
        with write_transaction(self.engine) as connection:
            alpha_id = connection.scalar(select(Simulation.alpha_id).where(Simulation.id == simulation_id))
            if alpha_id is None:
                raise StoreError(f"no simulation with id {simulation_id} to submit")
            if os_metrics is not None:
                connection.execute(
                    update(Simulation).where(Simulation.id == simulation_id).values(os_metrics=os_metrics)
                )
            values = {"alpha_id": alpha_id, "simulation_id": simulation_id, "checks": checks, "destination": destination}
            return connection.execute(insert(Submission).values(**values)).inserted_primary_key[0]

    def submissions(self) -> list[dict[str, Any]]:
        """Every submission, oldest first, with the alpha's text and the simulation's metrics."""
        query = (
            select(
                Submission.id,
                Submission.alpha_id,
                Submission.simulation_id,
                Submission.checks,
                Submission.submitted,
                Submission.destination,
                Alpha.canonical,
                Alpha.hash,
                Simulation.settings_key,
                Simulation.sharpe,
                Simulation.fitness,
                Simulation.os_metrics,
            )
            .join(Alpha, Alpha.id == Submission.alpha_id)
            .join(Simulation, Simulation.id == Submission.simulation_id)
            .order_by(Submission.id)
        )
        with single_read(self.engine) as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    # ------------------------------------------------------------------ LLM calls
    def record_llm_call(
        self,
        model: str,
        latency: float,
        ok: bool,
        *,
        n_valid: int = 0,
        n_invalid: int = 0,
        n_duplicate: int = 0,
        error: str | None = None,
        prompt_id: str | None = None,
    ) -> int:
        """Record one LLM request (latency in seconds); returns its id."""
        values = {
            "model": model,
            "latency": float(latency),
            "ok": bool(ok),
            "n_valid": n_valid,
            "n_invalid": n_invalid,
            "n_duplicate": n_duplicate,
            "error": error,
            "prompt_id": prompt_id,
        }
        with write_transaction(self.engine) as connection:
            return connection.execute(insert(LlmCall).values(**values)).inserted_primary_key[0]

    def llm_stats(self) -> list[dict[str, Any]]:
        """Per model: calls, ok, failed, mean_latency (s), valid, invalid, duplicate."""
        query = (
            select(
                LlmCall.model,
                func.count().label("calls"),
                func.sum(func.cast(LlmCall.ok, Integer)).label("ok"),
                func.avg(LlmCall.latency).label("mean_latency"),
                func.sum(LlmCall.n_valid).label("valid"),
                func.sum(LlmCall.n_invalid).label("invalid"),
                func.sum(LlmCall.n_duplicate).label("duplicate"),
            )
            .group_by(LlmCall.model)
            .order_by(LlmCall.model)
        )
        with single_read(self.engine) as connection:
            found = [dict(row) for row in connection.execute(query).mappings()]
        for row in found:
            row["ok"] = int(row["ok"] or 0)
            row["failed"] = row["calls"] - row["ok"]
            row["mean_latency"] = float(row["mean_latency"])
        return found

    # ------------------------------------------------------------------ status, reset, integrity
    def counts(self) -> dict[str, Any]:
        """Figures for ``alphaminer status``: alphas, simulations, ok, errors, by_origin (alphas
        per origin), latest_generation (of the latest checkpoint, None without one),
        checkpoints, submissions, llm_calls, runs."""
        with read_transaction(self.engine) as connection:
            figures = {name: connection.scalar(select(func.count()).select_from(model)) for name, model in _COUNTED}
            figures["errors"] = connection.scalar(select(func.count()).where(Simulation.status == "error"))
            figures["ok"] = figures["simulations"] - figures["errors"]
            by_origin = select(Alpha.origin, func.count()).group_by(Alpha.origin).order_by(Alpha.origin)
            figures["by_origin"] = {origin: n for origin, n in connection.execute(by_origin)}
            latest = select(Checkpoint.generation).order_by(Checkpoint.id.desc()).limit(1)
            figures["latest_generation"] = connection.scalar(latest)
        return figures

    def reset(self) -> dict[str, int]:
        """Delete all mining state (rows of every table but the schema version); the tables stay.

        Returns ``{table name: rows removed}``. Refuse first, in the caller, while a daemon runs
        (see ``state.lock``).
        """
        removed: dict[str, int] = {}
        with write_transaction(self.engine) as connection:
            connection.execute(update(DaemonLock).values(run_id=None, acquired=None))
            for model in MINING_TABLES:
                removed[model.__tablename__] = connection.execute(delete(model)).rowcount
        return removed

    def check_integrity(self) -> list[str]:
        """Problems found by SQLite's ``PRAGMA integrity_check`` (empty: healthy; other databases: [])."""
        if self.engine.dialect.name != "sqlite":
            return []
        with single_read(self.engine) as connection:
            found = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
        return [] if found == ["ok"] else found


_COUNTED: Sequence[tuple[str, type]] = (
    ("alphas", Alpha),
    ("simulations", Simulation),
    ("checkpoints", Checkpoint),
    ("submissions", Submission),
    ("llm_calls", LlmCall),
    ("runs", Run),
)


def _upsert(connection: Any, model: type, values: dict[str, Any], key: str, changes: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE where the dialect has it; else update-or-insert."""
    table = model.__table__
    dialects = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    make_insert = dialects.get(connection.dialect.name)
    if make_insert is not None:
        statement = make_insert(table).values(**values)
        updates = {name: statement.excluded[name] for name in changes}
        updates["updated"] = func.now()
        connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates))
        return
    changed = connection.execute(update(table).where(table.c[key] == values[key]).values(**values)).rowcount
    if not changed:
        connection.execute(insert(table).values(**values))
