"""alphaminer state: the SQLite/SQLAlchemy store, the only package that touches the database.

Public names: ``Store`` (all queries), ``acquire_lock`` / ``refresh_lock`` / ``release_lock``
(one daemon per store), ``encode_pnl`` / ``decode_pnl`` (PnL blobs), ``DEFAULT_URL``,
``SCHEMA_VERSION`` and the errors ``StoreError``, ``SchemaVersionError``, ``LockHeldError``.
"""

from state.codec import decode_pnl, encode_pnl
from state.db import DEFAULT_URL
from state.errors import LockHeldError, SchemaVersionError, StoreError
from state.lock import acquire_lock, refresh_lock, release_lock
from state.repo import Store
from state.schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "LockHeldError",
    "SchemaVersionError",
    "Store",
    "StoreError",
    "acquire_lock",
    "decode_pnl",
    "encode_pnl",
    "refresh_lock",
    "release_lock",
]
