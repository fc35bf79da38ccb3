"""Which event store a database setting means: a ``postgresql://`` URL is PostgreSQL,
anything else a SQLite file."""

from __future__ import annotations

from pathlib import Path

from server.postgres_store import PostgresEventStore
from server.settings import POSTGRES_SCHEMES
from server.store import EventStore, SqliteEventStore

__all__ = ["is_postgres_url", "open_store"]


def is_postgres_url(database: str | Path) -> bool:
    """Whether ``database`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(database, str) and database.startswith(POSTGRES_SCHEMES)


async def open_store(database: str | Path) -> EventStore:
    """Open the event store ``database`` names: a PostgreSQL URL or a SQLite file path."""
    if is_postgres_url(database):
        return await PostgresEventStore(str(database)).open()
    return await SqliteEventStore(Path(database)).open()
