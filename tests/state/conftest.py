"""Store test backends: SQLite files and PostgreSQL, a database per test.

PostgreSQL is the server named by ALPHAMINER_PG_URL (an admin URL, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) or else a throwaway server this test
session starts itself (``_postgres.py``: initdb + pg_ctl, a few seconds). Its tests are skipped,
with the reason, only when there is no psycopg driver or no PostgreSQL server binary.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.state._postgres import PostgresUnavailableError, ThrowawayPostgres

PG_ADMIN_URL = os.environ.get("ALPHAMINER_PG_URL")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server: ALPHAMINER_PG_URL, or a throwaway server."""
    if PG_ADMIN_URL:
        yield PG_ADMIN_URL
        return
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("PostgreSQL tests need the psycopg driver: pip install -e '.[postgres]'")
    try:
        server = ThrowawayPostgres().start()
    except PostgresUnavailableError as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}; or set ALPHAMINER_PG_URL to a running server")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_sqlite: str) -> Iterator[str]:
    """A URL of an empty store on each backend."""
    if request.param == "sqlite":
        yield tmp_sqlite
        return
    yield from _new_pg_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def pg_store_url(pg_admin_url: str) -> Iterator[str]:
    """A URL of an empty PostgreSQL database (for what only PostgreSQL does)."""
    yield from _new_pg_database(pg_admin_url)


def _new_pg_database(admin_url: str) -> Iterator[str]:
    name = f"alphaminer_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
