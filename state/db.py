"""Engine and transactions: the only place that knows how to talk to the database driver.

SQLite gets, on every new connection: ``journal_mode=WAL`` (readers never block the writer),
``busy_timeout`` of 30 s (a writer waits for another writer instead of failing with "database is
locked"), ``synchronous=NORMAL`` (with WAL a killed process loses nothing committed; a power cut
may lose the commits since the last checkpoint: ~a second or 4,000 rows of batches with
``wal.WalCheckpointer`` running, at most one WAL of ~120 MiB without it; it never corrupts the
file), ``foreign_keys=ON``, a 64 MiB page cache (``cache_size``), reads through a memory map of
up to 2 GiB (``mmap_size``: index pages are read from the OS page cache without a ``pread`` and a
copy each), and SQLite's own checkpoint every 30,000 WAL pages (~120 MiB, ``wal_autocheckpoint``)
instead of its 1,000: the safety net behind the store's checkpoint thread.

pysqlite's own transaction handling is switched off (``isolation_level=None``) and the
``begin`` event emits ``BEGIN`` itself, as SQLAlchemy's pysqlite documentation recommends: reads
use ``BEGIN DEFERRED`` and writes ``BEGIN IMMEDIATE``, which takes the write lock up front, so a
read-then-write transaction (the daemon lock, an upsert) can never fail half-way on a stale
snapshot and two writers simply queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from state.errors import StoreError

DEFAULT_URL = "sqlite:///alphaminer.db"
BUSY_TIMEOUT_MS = 30_000
# SQLite's default 2 MiB page cache stops holding the hash and key indexes after ~50,000
# simulations; then every random-key insert reads its index pages back from the OS.
CACHE_KIB = 64 * 1024
MMAP_BYTES = 2 << 30  # Python builds of SQLite cap it just below 2 GiB (SQLITE_MAX_MMAP_SIZE)
# A batch dirties ~one random page of the hash key index per row: with a WAL of 1,000 pages every
# ~5th commit checkpointed (two fsyncs, each dirty page written twice). The store's checkpoint
# thread (wal.py) restarts the WAL past 16,000 pages; SQLite's own checkpoint is the safety net.
WAL_CHECKPOINT_PAGES = 30_000
_WRITE = "alphaminer_write"
_SINGLE_READ = "alphaminer_single_read"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for ``url``, or StoreError naming it."""
    try:
        return make_url(url)
    except ArgumentError as error:
        raise StoreError(f"bad database URL {url!r}: expected e.g. {DEFAULT_URL} ({error})") from None


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def make_engine(url: str) -> Engine:
    """An Engine for ``url`` with the SQLite pragmas and transaction modes described above."""
    parsed = parse_url(url)
    try:
        engine = create_engine(parsed)
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        raise StoreError(f"no database driver for {parsed.render_as_string()}: {error}") from None
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(_SINGLE_READ):
            return  # one statement in autocommit mode is its own consistent snapshot
        connection.exec_driver_sql(f"BEGIN {'IMMEDIATE' if options.get(_WRITE) else 'DEFERRED'}")


@contextmanager
def write_transaction(engine: Engine, *, foreign_keys: bool = True) -> Iterator[Connection]:
    """A connection inside a write transaction (SQLite: BEGIN IMMEDIATE); commits on success.

    ``foreign_keys=False`` (SQLite only; for migrations that rebuild a referenced table, and for
    batches whose writer makes its own references) turns enforcement off for this transaction;
    SQLite can only switch it outside a transaction.
    """
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        switch = not foreign_keys and engine.dialect.name == "sqlite"
        if switch:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                yield connection
        finally:
            if switch:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read transaction: one consistent snapshot (SQLite WAL: never blocks)."""
    with engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for ONE read statement (SQLite: no BEGIN/COMMIT round trip; the statement is
    atomic by itself). Use ``read_transaction`` when several statements must agree."""
    with engine.connect() as connection:
        connection.execution_options(**{_SINGLE_READ: True})
        yield connection
