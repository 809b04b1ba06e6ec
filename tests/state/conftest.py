"""Store test backends: SQLite files always; PostgreSQL too when ALPHAMINER_PG_URL names a server.

ALPHAMINER_PG_URL is an admin URL, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``;
each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("ALPHAMINER_PG_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_sqlite: str) -> Iterator[str]:
    """A URL of an empty store on each configured backend."""
    if request.param == "sqlite":
        yield tmp_sqlite
        return
    name = f"alphaminer_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
