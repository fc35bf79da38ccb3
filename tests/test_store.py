import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from analytics.events import (
    AgendaDraftItem,
    ParticipantJoined,
    ParticipantLeft,
    Person,
    SessionEnded,
    SessionScheduled,
)
from server.database import open_store
from server.store import EventStore, SqliteEventStore, decode_event, encode_event

SCHEDULED = SessionScheduled(
    at=1_900_000_000.5,
    actor="mpm",
    session_id="s1",
    mentor=Person(name="Ada Lovelace", email="ada@example.org"),
    mentoree=Person(name="Grace Hopper"),
    scheduled_start=1_900_003_600.0,
    allotted_minutes=45,
    agenda=(AgendaDraftItem(text="Career goals", minutes=10), AgendaDraftItem(text="Habits")),
)
JOINED = ParticipantJoined(at=1_900_003_601.25, actor="mentor", role="mentor")
LEFT = ParticipantLeft(at=1_900_003_700.0, actor="mentor", role="mentor")
ENDED = SessionEnded(at=1_900_006_000.0, actor="mentoree", reason="ended_by_participant")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, path: Path) -> str | Path:
    """Where a store is kept, once for each backend: a SQLite file or a PostgreSQL URL."""
    if request.param == "sqlite":
        return path
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def store(database: str | Path) -> AsyncIterator[EventStore]:
    store = await open_store(database)
    yield store
    await store.close()


def scheduled(session_id: str, at: float) -> SessionScheduled:
    return SessionScheduled(
        at=at,
        actor="mpm",
        session_id=session_id,
        mentor=Person(name="M"),
        mentoree=Person(name="E"),
        scheduled_start=at,
        allotted_minutes=30,
    )


def test_an_event_survives_encoding_and_decoding_unchanged():
    decoded = decode_event(*encode_event(SCHEDULED))

    assert decoded == SCHEDULED
    assert isinstance(decoded.mentor, Person)
    assert isinstance(decoded.agenda, tuple)
    assert isinstance(decoded.agenda[0], AgendaDraftItem)


async def test_append_numbers_a_sessions_events_from_one(store):
    assert await store.append("s1", SCHEDULED) == 1
    assert await store.append("s1", JOINED) == 2
    assert await store.append("s1", LEFT) == 3


async def test_each_session_has_its_own_sequence(store):
    await store.append("s1", SCHEDULED)
    await store.append("s1", JOINED)

    assert await store.append("s2", scheduled("s2", 1.0)) == 1


async def test_events_come_back_equal_and_in_order(store):
    for event in (SCHEDULED, JOINED, LEFT, ENDED):
        await store.append("s1", event)

    assert await store.events("s1") == [SCHEDULED, JOINED, LEFT, ENDED]


async def test_events_of_an_unknown_session_are_empty(store):
    await store.append("s1", SCHEDULED)

    assert await store.events("nope") == []


async def test_events_of_other_sessions_do_not_mix_in(store):
    await store.append("s1", SCHEDULED)
    await store.append("s2", scheduled("s2", 2.0))
    await store.append("s1", JOINED)

    assert await store.events("s1") == [SCHEDULED, JOINED]


async def test_reopening_the_database_keeps_the_events(database):
    first = await open_store(database)
    await first.append("s1", SCHEDULED)
    await first.append("s1", JOINED)
    await first.close()

    second = await open_store(database)
    try:
        assert await second.events("s1") == [SCHEDULED, JOINED]
        assert await second.append("s1", LEFT) == 3
    finally:
        await second.close()


async def test_sqlite_runs_in_wal_mode(path):
    store = await SqliteEventStore(path).open()
    await store.append("s1", SCHEDULED)
    await store.close()

    with sqlite3.connect(path) as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    db.close()

    assert mode == "wal"


async def test_session_ids_lists_scheduled_sessions_newest_first(store):
    await store.append("old", scheduled("old", 100.0))
    await store.append("new", scheduled("new", 300.0))
    await store.append("middle", scheduled("middle", 200.0))
    await store.append("new", JOINED)

    assert await store.session_ids() == ["new", "middle", "old"]


async def test_session_ids_is_empty_for_a_new_store(store):
    assert await store.session_ids() == []


async def test_a_closed_store_refuses_to_append(database):
    store = await open_store(database)
    await store.close()

    with pytest.raises(RuntimeError):
        await store.append("s1", SCHEDULED)


async def test_delete_removes_a_sessions_events_and_keeps_the_others(store):
    await store.append("s1", SCHEDULED)
    await store.append("s1", JOINED)
    await store.append("s2", scheduled("s2", 2.0))

    await store.delete("s1")

    assert await store.events("s1") == []
    assert await store.session_ids() == ["s2"]
    assert await store.append("s1", scheduled("s1", 3.0)) == 1


def joined(at: float) -> ParticipantJoined:
    return ParticipantJoined(at=at, actor="mentor", role="mentor")


async def test_concurrent_appends_from_several_stores_number_every_event_once(database):
    """Several stores on one database stand for several processes: each has its own
    connections (and, on PostgreSQL, a pool of them), all appending to one session."""
    stores = [await open_store(database) for _ in range(3)]
    try:
        appends = [
            (store, joined(float(1000 * number + i)))
            for number, store in enumerate(stores)
            for i in range(20)
        ]
        seqs = await asyncio.gather(*(store.append("s1", event) for store, event in appends))
        recorded = await stores[0].events("s1")
    finally:
        for store in stores:
            await store.close()

    assert sorted(seqs) == list(range(1, len(appends) + 1))
    event_at = dict(zip(seqs, (event for _, event in appends), strict=True))
    assert recorded == [event_at[seq] for seq in range(1, len(appends) + 1)]
