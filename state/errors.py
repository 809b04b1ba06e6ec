"""Errors of the state store. All derive from ``StoreError``; the CLI prints them on one line."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error raised by ``state`` (bad URL, missing store, bad row values...)."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this alphaminer, or not an alphaminer database."""


class LockHeldError(StoreError):
    """Another live daemon holds this store's lock (its pid, host and heartbeat age are named)."""
