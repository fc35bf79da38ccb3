"""The database setting picks the store, and the whole server runs on PostgreSQL."""

import dataclasses

import asyncpg
import pytest

from server.app import make_app
from server.config import Config
from server.database import is_postgres_url, open_store
from server.postgres_store import PostgresEventStore
from server.store import SqliteEventStore


@pytest.mark.parametrize(
    ("database", "postgres"),
    [
        ("postgresql://mentormeet:secret@db.example.org:5432/mentormeet", True),
        ("postgres://db.example.org/mentormeet", True),
        ("postgresql:///mentormeet?host=/run/postgresql", True),
        ("data/mentormeet.db", False),
        ("/var/lib/mentormeet/postgresql.db", False),
    ],
)
def test_a_postgresql_url_names_postgresql_and_anything_else_a_sqlite_file(database, postgres):
    assert is_postgres_url(database) is postgres


async def test_a_path_opens_a_sqlite_store_there(tmp_path):
    store = await open_store(str(tmp_path / "nested" / "events.db"))
    await store.close()

    assert isinstance(store, SqliteEventStore)
    assert (tmp_path / "nested" / "events.db").is_file()


async def test_a_postgresql_url_opens_a_postgresql_store(postgres_url):
    store = await open_store(postgres_url)
    await store.close()

    assert isinstance(store, PostgresEventStore)


@pytest.fixture
def config(config: Config, postgres_url: str) -> Config:
    return dataclasses.replace(config, database=postgres_url)


async def test_a_session_is_scheduled_and_read_back_on_postgresql(
    client, session, admin_headers, config
):
    response = await client.get(f"/api/sessions/{session.id}", headers=admin_headers)

    assert response.status == 200
    assert (await response.json())["participants"]["mentor"]["name"] == "Ada Lovelace"
    connection = await asyncpg.connect(config.database)
    try:
        recorded = await connection.fetch(
            "SELECT seq, type FROM events WHERE session_id = $1", session.id
        )
    finally:
        await connection.close()
    assert [tuple(row) for row in recorded] == [(1, "session_scheduled")]
    assert not config.database_path.exists()


async def test_a_restarted_server_finds_its_sessions_in_postgresql(
    aiohttp_client, client, session, admin_headers, config
):
    await client.close()

    restarted = await aiohttp_client(make_app(config))
    response = await restarted.get(f"/api/sessions/{session.id}", headers=admin_headers)

    assert response.status == 200
    assert await response.json() == {
        key: value for key, value in session.body.items() if key != "links"
    }
