"""Writing one evaluated batch: the generic path behind ``Store.record_batch`` and its helpers.

Both paths run inside the caller's write transaction and return one simulation id per item:
SQLite's is ``repo_batch_sqlite.write_batch_sqlite`` (one writer at a time, next ids, plain
executemany); every other database uses ``write_batch_returning`` here: several writers may run
at once, so rows are inserted with ``ON CONFLICT DO NOTHING RETURNING`` (a row another writer
stored first is skipped, not an error) and the ids of skipped rows are read back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, insert, select

from state.errors import StoreError
from state.models import Alpha, Simulation
from state.repo_rows import hash_key

CHUNK = 500  # bound on IN (...) list sizes: far below every driver's parameter limit
_KEY_COLUMNS = (Simulation.alpha_id, Simulation.settings_key, Simulation.params_key)

TripleKey = tuple[int, str, str]
MakeSims = Callable[[dict[str, int]], list[dict[str, Any]]]


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def triple_of(row: dict[str, Any]) -> TripleKey:
    return row["alpha_id"], row["settings_key"], row["params_key"]


def hash_in(hashes: Sequence[str]) -> ColumnElement[bool]:
    """Alphas whose hash is one of ``hashes``, found through the ``hash_key`` index."""
    return and_(Alpha.hash_key.in_([hash_key(key) for key in hashes]), Alpha.hash.in_(hashes))


def alpha_ids_by_hash(connection: Connection, hashes: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(hashes):
        query = select(Alpha.hash, Alpha.id).where(hash_in(chunk))
        found.update((key, id_) for key, id_ in connection.execute(query))
    return found


def simulation_ids_of_alphas(connection: Connection, alpha_ids: Sequence[int]) -> dict[TripleKey, int]:
    found: dict[TripleKey, int] = {}
    for chunk in chunks(alpha_ids):
        query = select(*_KEY_COLUMNS, Simulation.id).where(Simulation.alpha_id.in_(chunk))
        found.update(((a, s, p), id_) for a, s, p, id_ in connection.execute(query))
    return found


def clash_error(hash_: str) -> StoreError:
    return StoreError(
        f"alpha hash {hash_} not stored: a stored row holds its key (another writer's, or another hash's"
        " 64-bit hash_key)"
    )


def write_batch_returning(connection: Connection, alphas: dict[str, dict[str, Any]], make_sims: MakeSims) -> list[int]:
    """Generic path (see module docstring); same arguments as ``write_batch_sqlite``."""
    inserted = _insert_new(connection, Alpha, list(alphas.values()), (Alpha.hash, Alpha.id))
    known = {key: id_ for key, id_ in inserted}
    known.update(alpha_ids_by_hash(connection, [key for key in alphas if key not in known]))
    lost = [key for key in alphas if key not in known]
    if lost:
        raise clash_error(lost[0])
    sim_rows = make_sims(known)
    first: dict[TripleKey, dict[str, Any]] = {}
    for row in sim_rows:
        first.setdefault(triple_of(row), row)
    returning = (*_KEY_COLUMNS, Simulation.id)
    ids = {(a, s, p): id_ for a, s, p, id_ in _insert_new(connection, Simulation, list(first.values()), returning)}
    skipped = sorted({key[0] for key in first if key not in ids})
    for key, id_ in simulation_ids_of_alphas(connection, skipped).items():
        ids.setdefault(key, id_)
    return [ids[triple_of(row)] for row in sim_rows]


def _insert_new(connection: Connection, model: type, values: list[dict[str, Any]], returning: tuple) -> list[tuple]:
    """INSERT the rows that hit no unique constraint; returns ``returning`` of the inserted ones.

    PostgreSQL (and SQLite) do it in one multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING``;
    other databases insert the rows whose ``returning[0]`` value is not stored yet and return [],
    so the caller reads every id back.
    """
    table = model.__table__
    if connection.dialect.name in ("sqlite", "postgresql"):
        if connection.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        statement = dialect_insert(table).on_conflict_do_nothing().returning(*returning)
        return [tuple(row) for row in connection.execute(statement, values)]
    key = returning[0]
    stored = set(connection.scalars(select(key).where(key.in_({row[key.key] for row in values}))))
    fresh = [row for row in values if row[key.key] not in stored]
    if fresh:
        connection.execute(insert(table), fresh)
    return []
