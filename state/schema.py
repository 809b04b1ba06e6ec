"""Schema version and migrations.

The ``schema_version`` table holds one row with the version of the tables. Opening a store:

1. an empty database gets every table and the current version;
2. an older version is migrated step by step (``MIGRATIONS[v]`` takes v to v + 1) inside the
   same write transaction, so a failed migration leaves the old schema untouched;
3. a newer version, or a database with foreign tables and no version row, is refused with
   ``SchemaVersionError`` before anything is written.

History: v1 had no ``simulations.os_metrics`` column and no ``key_values`` table; v2 added them.
v3 dropped the unique constraint on ``alphas.canonical`` (the hash is the alpha's identity; the
index cost a random page write per inserted alpha). SQLite cannot drop a table constraint, so
its migration rebuilds ``alphas`` with the frozen v3 DDL below, foreign keys off, and then checks
every reference with ``PRAGMA foreign_key_check``. v4 indexes an alpha by ``hash_key``, an 8-byte
integer of its hash (``repo_rows.hash_key``), instead of the 40-character text: the index on the
text was the largest random-write index of ``record_batch``. SQLite rebuilds ``alphas`` again
(the key computed by a SQL function registered for the migration); PostgreSQL adds and fills the
column and swaps the unique constraints. v5 indexes the top-k by ``simulations.score_band``
(``repo_rows.score_band``, four bands per octave of |score|) instead of the score: rows of one band
are appended in id order, so a batch no longer dirties a random index page per row. Both
backends add and fill the column (``_fill_column``) and swap the indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Column, Connection, Engine, bindparam, func, inspect, insert, select, update

from state.db import write_transaction
from state.errors import SchemaVersionError
from state.models import Alpha, Base, DaemonLock, KeyValue, SchemaVersion, Simulation
from state.repo_rows import hash_key, score_band

SCHEMA_VERSION = 5
_PG_SCHEMA_LOCK = 0x616C706861  # any constant; serialises concurrent first opens on PostgreSQL

log = structlog.get_logger()


def _v1_to_v2(connection: Connection) -> None:
    """v2: OS metrics computed by submit live on the simulation; miner key-values get a table."""
    column = Simulation.__table__.c.os_metrics
    sql_type = column.type.compile(dialect=connection.dialect)
    connection.exec_driver_sql(f"ALTER TABLE simulations ADD COLUMN os_metrics {sql_type}")
    KeyValue.__table__.create(connection, checkfirst=True)


# Frozen: the migration must build the v3 table even after later versions change the model.
_SQLITE_V3_ALPHAS = (
    "CREATE TABLE alphas_v3 (id INTEGER NOT NULL, canonical TEXT NOT NULL, hash VARCHAR(64) NOT NULL,"
    " origin VARCHAR(16) NOT NULL, parents JSON NOT NULL, generation INTEGER,"
    " created DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, PRIMARY KEY (id), UNIQUE (hash))",
    "INSERT INTO alphas_v3 (id, canonical, hash, origin, parents, generation, created)"
    " SELECT id, canonical, hash, origin, parents, generation, created FROM alphas",
    "DROP TABLE alphas",
    "ALTER TABLE alphas_v3 RENAME TO alphas",
    "CREATE INDEX ix_alphas_origin ON alphas (origin)",
)


def _drop_unique(connection: Connection, column: str) -> None:
    for constraint in inspect(connection).get_unique_constraints("alphas"):
        if constraint["column_names"] == [column]:
            connection.exec_driver_sql(f'ALTER TABLE alphas DROP CONSTRAINT "{constraint["name"]}"')


def _rebuild_sqlite_alphas(connection: Connection, statements: tuple[str, ...], version: int) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise SchemaVersionError(f"v{version} migration would break {len(broken)} references, e.g. {tuple(broken[0])}")


def _v2_to_v3(connection: Connection) -> None:
    """v3: ``alphas.canonical`` is no longer unique."""
    if connection.dialect.name != "sqlite":
        _drop_unique(connection, "canonical")
        return
    _rebuild_sqlite_alphas(connection, _SQLITE_V3_ALPHAS, 3)


_SQLITE_V4_ALPHAS = (
    "CREATE TABLE alphas_v4 (id INTEGER NOT NULL, canonical TEXT NOT NULL, hash VARCHAR(64) NOT NULL,"
    " hash_key BIGINT NOT NULL, origin VARCHAR(16) NOT NULL, parents JSON NOT NULL, generation INTEGER,"
    " created DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, PRIMARY KEY (id), UNIQUE (hash_key))",
    "INSERT INTO alphas_v4 (id, canonical, hash, hash_key, origin, parents, generation, created)"
    " SELECT id, canonical, hash, alphaminer_hash_key(hash), origin, parents, generation, created FROM alphas",
    "DROP TABLE alphas",
    "ALTER TABLE alphas_v4 RENAME TO alphas",
    "CREATE INDEX ix_alphas_origin ON alphas (origin)",
)


def _v3_to_v4(connection: Connection) -> None:
    """v4: alphas are indexed by ``hash_key`` (unique) instead of ``hash``."""
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        driver.create_function("alphaminer_hash_key", 1, hash_key, deterministic=True)
        _rebuild_sqlite_alphas(connection, _SQLITE_V4_ALPHAS, 4)
        return
    connection.exec_driver_sql("ALTER TABLE alphas ADD COLUMN hash_key BIGINT")
    _fill_column(connection, Alpha.__table__.c.hash, Alpha.__table__.c.hash_key, hash_key)
    connection.exec_driver_sql("ALTER TABLE alphas ALTER COLUMN hash_key SET NOT NULL")
    _drop_unique(connection, "hash")
    connection.exec_driver_sql("ALTER TABLE alphas ADD CONSTRAINT alphas_hash_key_key UNIQUE (hash_key)")


def _fill_column(connection: Connection, source: Column, target: Column, compute: Callable[[Any], Any]) -> None:
    """Set ``target = compute(source)`` on every row of their table whose source is not NULL.

    SQLite runs ``compute`` as a SQL function inside one UPDATE (3x faster than sending the values
    back); other databases get the values 10,000 rows per statement.
    """
    table = source.table
    if connection.dialect.name == "sqlite":
        connection.connection.driver_connection.create_function("alphaminer_fill", 1, compute, deterministic=True)
        connection.execute(update(table).where(source.is_not(None)).values({target.name: func.alphaminer_fill(source)}))
        return
    fill = update(table).where(table.c.id == bindparam("row_id")).values({target.name: bindparam("value")})
    stored = connection.execute(select(table.c.id, source).where(source.is_not(None))).all()
    for start in range(0, len(stored), 10_000):
        chunk = stored[start : start + 10_000]
        connection.execute(fill, [{"row_id": id_, "value": compute(value)} for id_, value in chunk])


def _v4_to_v5(connection: Connection) -> None:
    """v5: the top-k index is on (status, score_band), not (status, score)."""
    column = Simulation.__table__.c.score_band
    connection.exec_driver_sql(f"ALTER TABLE simulations ADD COLUMN score_band {column.type.compile(dialect=connection.dialect)}")
    _fill_column(connection, Simulation.__table__.c.score, column, score_band)
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_simulations_status_score")  # the band index replaces it


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5}


def ensure_schema(engine: Engine, where: str) -> int:
    """Create, check or migrate the schema of ``engine``'s database; returns the version found.

    Parameters
    ----------
    engine : Engine
    where : str
        How to name the database in messages (its URL without password).

    Raises
    ------
    SchemaVersionError
        Newer schema, unknown database, or a version with no migration path.
    """
    # Foreign keys off: the v3 migration rebuilds a referenced table (checked before commit).
    with write_transaction(engine, foreign_keys=False) as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_SCHEMA_LOCK})")
        tables = set(inspect(connection).get_table_names())
        if SchemaVersion.__tablename__ not in tables:
            _create_fresh(connection, tables, where)
            return SCHEMA_VERSION
        found = connection.scalar(select(SchemaVersion.version).where(SchemaVersion.id == 1))
        if found is None:
            raise SchemaVersionError(f"{where}: schema_version table has no row; not a usable alphaminer store")
        _migrate(connection, found, where)
        return found


def _create_fresh(connection: Connection, tables: set[str], where: str) -> None:
    if tables:
        listed = ", ".join(sorted(tables)[:5])
        raise SchemaVersionError(f"{where} is not an alphaminer store (it has tables {listed} but no schema version)")
    Base.metadata.create_all(connection)
    connection.execute(insert(SchemaVersion).values(id=1, version=SCHEMA_VERSION))
    connection.execute(insert(DaemonLock).values(id=1, run_id=None))


def _migrate(connection: Connection, found: int, where: str) -> None:
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database schema v{found} is newer than this alphaminer (v{SCHEMA_VERSION}); upgrade alphaminer ({where})"
        )
    version = found
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise SchemaVersionError(f"database schema v{version} is too old to migrate ({where}); start a new store")
        step(connection)
        version += 1
        log.info("store_migrated", where=where, to_version=version)
    if version != found:
        connection.execute(update(SchemaVersion).where(SchemaVersion.id == 1).values(version=version))
    Base.metadata.create_all(connection)
    for table in Base.metadata.sorted_tables:  # create_all leaves existing tables' indexes alone
        for index in table.indexes:
            index.create(connection, checkfirst=True)
    if connection.scalar(select(DaemonLock.id).where(DaemonLock.id == 1)) is None:
        connection.execute(insert(DaemonLock).values(id=1, run_id=None))
