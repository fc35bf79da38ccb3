"""What the PostgreSQL store does beyond the tests both stores pass (tests/test_store.py):
its races, its schema, its rows."""

import asyncio
import sqlite3
from pathlib import Path

import asyncpg

from server.postgres_store import PostgresEventStore
from server.store import SqliteEventStore, encode_event
from tests.test_store import JOINED, LEFT, SCHEDULED
from tests.utils import eventually


async def waiting_for_a_lock(connection: asyncpg.Connection) -> int:
    """How many connections of the database wait for a lock."""
    return await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )


async def test_an_append_that_loses_the_race_takes_the_next_number(postgres_url):
    store = await PostgresEventStore(postgres_url).open()
    rival = await asyncpg.connect(postgres_url)
    try:
        await store.append("s1", SCHEDULED)
        # Another process is about to commit number 2 when this one appends.
        rival_append = rival.transaction()
        await rival_append.start()
        await rival.execute(
            "INSERT INTO events VALUES ('s1', 2, $1, $2, $3, $4)", *encode_event(JOINED)
        )
        append = asyncio.create_task(store.append("s1", LEFT))
        # Number 2 is taken but not yet committed: the append waits to learn who wins.
        await eventually(lambda: waiting_for_a_lock(rival))
        await rival_append.commit()

        assert await append == 3
        assert await store.events("s1") == [SCHEDULED, JOINED, LEFT]
    finally:
        await rival.close()
        await store.close()


async def test_instances_opening_an_empty_database_at_once_create_its_table_once(
    postgres_url,
):
    stores = await asyncio.gather(*(PostgresEventStore(postgres_url).open() for _ in range(4)))
    try:
        assert await stores[0].append("s1", SCHEDULED) == 1
        assert await stores[3].events("s1") == [SCHEDULED]
    finally:
        for store in stores:
            await store.close()


async def test_a_row_holds_the_same_columns_as_in_sqlite(postgres_url, tmp_path: Path):
    postgres = await PostgresEventStore(postgres_url).open()
    sqlite = await SqliteEventStore(tmp_path / "events.db").open()
    for store in (postgres, sqlite):
        await store.append("s1", SCHEDULED)
        await store.close()

    connection = await asyncpg.connect(postgres_url)
    try:
        postgres_row = tuple(await connection.fetchrow("SELECT * FROM events"))
    finally:
        await connection.close()
    with sqlite3.connect(tmp_path / "events.db") as db:
        sqlite_row = db.execute("SELECT * FROM events").fetchone()
    db.close()

    assert postgres_row == sqlite_row
