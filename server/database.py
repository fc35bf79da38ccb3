"""Which event store and cluster a database setting means: a ``postgresql://`` URL is
PostgreSQL, shared by any number of instances; anything else a SQLite file, one
instance's own."""

from __future__ import annotations

from pathlib import Path

from server.clock import Clock
from server.cluster import Cluster, SoleInstance, new_instance_id
from server.postgres_cluster import PostgresCluster
from server.postgres_store import PostgresEventStore
from server.settings import POSTGRES_SCHEMES
from server.store import EventStore, SqliteEventStore

__all__ = ["is_postgres_url", "open_database", "open_store"]


def is_postgres_url(database: str | Path) -> bool:
    """Whether ``database`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(database, str) and database.startswith(POSTGRES_SCHEMES)


async def open_store(database: str | Path, *, origin: str = "") -> EventStore:
    """Open the event store ``database`` names: a PostgreSQL URL or a SQLite file path.

    ``origin`` names this instance in what a shared store tells the others.
    """
    if is_postgres_url(database):
        return await PostgresEventStore(str(database), origin=origin).open()
    return await SqliteEventStore(Path(database)).open()


async def open_database(database: str | Path, clock: Clock) -> tuple[EventStore, Cluster]:
    """Open the event store and join the instances that share it."""
    instance = new_instance_id()
    store = await open_store(database, origin=instance)
    if not is_postgres_url(database):
        return store, SoleInstance(instance)
    try:
        return store, await PostgresCluster(str(database), clock, instance).open()
    except BaseException:
        await store.close()
        raise
