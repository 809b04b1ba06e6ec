"""Writing one evaluated batch on SQLite: the fast path behind ``Store.record_batch``.

The caller's transaction began with BEGIN IMMEDIATE, so this process holds the only write lock
until it commits: the next ids are ``max(id) + 1 ...`` and both tables are filled with one
``executemany`` each on the sqlite3 connection itself (no RETURNING; ids are read back only for
alphas the batch did not add, ``_store_alphas``). Values are
converted here exactly as SQLAlchemy would bind them (JSON text via ``json.dumps``, dates as ISO
text), without SQLAlchemy's per-statement and per-row bookkeeping, which cost more than SQLite's
own work at this size. A batch's settings and params JSON is encoded once per key: a key is the
canonical text of its value.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Date, Table
from sqlalchemy.exc import DBAPIError

from state.models import Alpha, Simulation
from state.repo_batch import CHUNK, MakeSims, TripleKey, chunks, clash_error, triple_of
from state.repo_rows import hash_key


class _Insert:
    """The positional INSERT of every column of ``table`` but ``created`` (a server default),
    and how to turn row dicts into its parameter lists."""

    def __init__(self, table: Table) -> None:
        columns = [column for column in table.c if column.name != "created"]
        self.names = tuple(column.name for column in columns)
        self.pick = operator.itemgetter(*self.names)
        self.json = [(at, c.name) for at, c in enumerate(columns) if isinstance(c.type, JSON)]
        self.dates = [at for at, c in enumerate(columns) if isinstance(c.type, Date)]
        quoted = ", ".join(f'"{name}"' for name in self.names)
        self.sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(self.names))})"

    def params(self, rows: list[dict[str, Any]], memo_keys: dict[str, str]) -> list[list[Any]]:
        """Parameter lists of ``rows``; a JSON column named in ``memo_keys`` (column -> key
        column) is encoded once per distinct key."""
        values = [list(self.pick(row)) for row in rows]
        for at in self.dates:
            for value in values:
                value[at] = None if value[at] is None else value[at].isoformat()
        for at, name in self.json:
            key_name = memo_keys.get(name)
            if key_name is None:
                for value in values:
                    value[at] = None if value[at] is None else json.dumps(value[at])
                continue
            encoded: dict[str, str] = {}
            for row, value in zip(rows, values):
                text = encoded.get(row[key_name])
                if text is None:
                    text = encoded[row[key_name]] = json.dumps(value[at])
                value[at] = text
        return values


_ALPHAS = _Insert(Alpha.__table__)
_SIMULATIONS = _Insert(Simulation.__table__)
_SIM_MEMO = {"settings": "settings_key", "params": "params_key"}


def _in_list(count: int) -> str:
    return f"({', '.join('?' * count)})"


def _ids_by_hash(cursor: sqlite3.Cursor, hashes: Sequence[str]) -> dict[str, int]:
    """The stored id of each of ``hashes``; StoreError if another hash holds one's key."""
    found: dict[str, int] = {}
    for chunk in chunks(hashes, CHUNK):
        query = f"SELECT hash, id FROM alphas WHERE hash_key IN {_in_list(len(chunk))}"
        found.update(cursor.execute(query, [hash_key(key) for key in chunk]))
    lost = [key for key in hashes if key not in found]
    if lost:
        raise clash_error(lost[0])
    return {key: found[key] for key in hashes}


def _ids_of_alphas(cursor: sqlite3.Cursor, alpha_ids: Sequence[int]) -> dict[TripleKey, int]:
    found: dict[TripleKey, int] = {}
    for chunk in chunks(alpha_ids, CHUNK):
        query = (
            "SELECT alpha_id, settings_key, params_key, id FROM simulations"
            f" WHERE alpha_id IN {_in_list(len(chunk))}"
        )
        found.update(((a, s, p), id_) for a, s, p, id_ in cursor.execute(query, chunk))
    return found


def _number_rows(cursor: sqlite3.Cursor, table: str, rows: list[dict[str, Any]]) -> None:
    (last,) = cursor.execute(f"SELECT max(id) FROM {table}").fetchone()
    for offset, row in enumerate(rows, start=(last or 0) + 1):
        row["id"] = offset


def _store_alphas(cursor: sqlite3.Cursor, alphas: dict[str, dict[str, Any]]) -> tuple[dict[str, int], list[int]]:
    """Insert the batch's alphas whose hash is new; returns the id of every hash and the ids of
    the alphas that were stored before (their simulations may exist).

    The usual batch is all new alphas: numbered and inserted at once, and the hash key index
    checks uniqueness during the insert itself. Only when a row was skipped (its hash was stored) are
    the ids read back by hash.
    """
    rows = list(alphas.values())
    _number_rows(cursor, "alphas", rows)
    cursor.executemany(_ALPHAS.sql + " ON CONFLICT (hash_key) DO NOTHING", _ALPHAS.params(rows, {}))
    if cursor.rowcount == len(rows):
        return {row["hash"]: row["id"] for row in rows}, []
    known = _ids_by_hash(cursor, list(alphas))
    return known, sorted(id_ for key, id_ in known.items() if id_ != alphas[key]["id"])


def write_batch_sqlite(connection: Connection, alphas: dict[str, dict[str, Any]], make_sims: MakeSims) -> list[int]:
    """Store a batch inside the caller's BEGIN IMMEDIATE transaction; one simulation id per row.

    Parameters
    ----------
    connection : Connection
        A SQLite connection inside ``write_transaction``.
    alphas : dict
        The first alphas row (``repo_rows.alpha_row``) per hash of the batch.
    make_sims : callable
        ``make_sims(alpha ids by hash)`` -> the batch's simulations rows, in item order.
    """
    cursor = connection.connection.driver_connection.cursor()
    try:
        known, existed = _store_alphas(cursor, alphas)
        sim_rows = make_sims(known)
        ids = _ids_of_alphas(cursor, existed) if existed else {}
        fresh: dict[TripleKey, dict[str, Any]] = {}
        for row in sim_rows:
            key = triple_of(row)
            if key not in ids:
                fresh.setdefault(key, row)
        if fresh:
            rows = list(fresh.values())
            _number_rows(cursor, "simulations", rows)
            cursor.executemany(_SIMULATIONS.sql, _SIMULATIONS.params(rows, _SIM_MEMO))
            ids.update((key, row["id"]) for key, row in fresh.items())
        return [ids[triple_of(row)] for row in sim_rows]
    except sqlite3.Error as error:  # the same exception classes as every other store query
        raise DBAPIError.instance("record_batch", None, error, sqlite3.Error) from None
    finally:
        cursor.close()
