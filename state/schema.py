"""Schema version and migrations.

The ``schema_version`` table holds one row with the version of the tables. Opening a store:

1. an empty database gets every table and the current version;
2. an older version is migrated step by step (``MIGRATIONS[v]`` takes v to v + 1) inside the
   same write transaction, so a failed migration leaves the old schema untouched;
3. a newer version, or a database with foreign tables and no version row, is refused with
   ``SchemaVersionError`` before anything is written.

History: v1 had no ``simulations.os_metrics`` column and no ``key_values`` table; v2 added them.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import Connection, Engine, inspect, insert, select, update

from state.db import write_transaction
from state.errors import SchemaVersionError
from state.models import Base, DaemonLock, KeyValue, SchemaVersion, Simulation

SCHEMA_VERSION = 2
_PG_SCHEMA_LOCK = 0x616C706861  # any constant; serialises concurrent first opens on PostgreSQL

log = structlog.get_logger()


def _v1_to_v2(connection: Connection) -> None:
    """v2: OS metrics computed by submit live on the simulation; miner key-values get a table."""
    column = Simulation.__table__.c.os_metrics
    sql_type = column.type.compile(dialect=connection.dialect)
    connection.exec_driver_sql(f"ALTER TABLE simulations ADD COLUMN os_metrics {sql_type}")
    KeyValue.__table__.create(connection, checkfirst=True)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2}


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
    with write_transaction(engine) as connection:
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
    if connection.scalar(select(DaemonLock.id).where(DaemonLock.id == 1)) is None:
        connection.execute(insert(DaemonLock).values(id=1, run_id=None))
