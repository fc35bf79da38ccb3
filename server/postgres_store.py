"""The event store in PostgreSQL, for a database that outlives one machine.

The driver is asyncpg: it speaks PostgreSQL's protocol on the event loop itself (no
thread, no libpq to install), brings its own connection pool, and can hold a connection
for ``LISTEN``, which is what several instances will share their events through. psycopg
3 would need psycopg-pool and libpq (or its binary wheel) beside it for the same.

Every event gets the next number of its session's sequence, and ``(session_id, seq)`` is
the primary key. An append reads the session's last number and inserts the next in one
statement, holding no lock: when two processes append to one session at once, both pick
the same number, PostgreSQL's unique index lets the first commit and refuses the second,
and the second tries again with the number after the winner's (optimistic concurrency).
Every lost race means another append succeeded, so appends always make progress; the
sequence has no gaps and no duplicates, whichever process wrote what.

A server's book writes through :meth:`PostgresEventStore.session` instead: it holds a
transaction-scoped advisory lock on the session, so that reading the events other
instances appended, deciding, and appending what was decided is one step that no other
instance interleaves with (each decides on the whole record). At commit PostgreSQL
sends a notice on :data:`EVENTS_CHANNEL` naming the session, and the other instances
listening there (:mod:`server.postgres_cluster`) read what is new.

An append returns once PostgreSQL has committed it; with the server's default
``synchronous_commit = on`` that means flushed to its write-ahead log, as SQLite's is.
Events are encoded as in SQLite (:func:`server.store.encode_event`), so the two hold the
same columns and the same JSON.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from analytics.events import Event
from server.store import SessionLog, decode_event, encode_event

__all__ = [
    "APPEND_ATTEMPTS",
    "EVENTS_CHANNEL",
    "PostgresEventStore",
    "SessionNotice",
    "open_pool",
    "session_notice",
]

# Where every append and deletion is announced, to every instance sharing the database.
EVENTS_CHANNEL = "mentormeet_events"

# A lost race means another process appended to the same session; this many in a row
# means something is wrong (a runaway writer), not contention.
APPEND_ATTEMPTS = 100

# Any fixed number: instances opening the same database at once create the schema in
# turn, because concurrent CREATE ... IF NOT EXISTS may still collide in the catalog.
_SCHEMA_LOCK = 0x6D656E746F72

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    payload TEXT NOT NULL,
    CONSTRAINT events_session_seq PRIMARY KEY (session_id, seq)
);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, at);
"""

_APPEND = """
INSERT INTO events VALUES (
    $1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE session_id = $1), $2, $3, $4, $5
)
RETURNING seq
"""


@dataclass(frozen=True, slots=True)
class SessionNotice:
    """What a notice on :data:`EVENTS_CHANNEL` says: ``origin`` (an instance) appended to
    the session, or deleted it."""

    origin: str
    session_id: str
    deleted: bool = False

    @classmethod
    def decode(cls, payload: str) -> SessionNotice:
        fields = json.loads(payload)
        return cls(fields["origin"], fields["session"], bool(fields.get("deleted")))


def session_notice(origin: str, session_id: str, *, deleted: bool = False) -> str:
    """The payload of a notice on :data:`EVENTS_CHANNEL` (well under PostgreSQL's 8,000
    bytes: session ids and instance names are short)."""
    return json.dumps({"origin": origin, "session": session_id, "deleted": deleted})


async def open_pool(url: str, schema: str, *, max_size: int) -> asyncpg.Pool:
    """A pool of connections to ``url``, after creating ``schema`` (``CREATE … IF NOT
    EXISTS`` statements) unless it is there."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=max_size)
    try:
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
            await connection.execute(schema)
    except BaseException:
        await pool.close()
        raise
    return pool


class PostgresEventStore:
    """An :class:`~server.store.EventStore` in a PostgreSQL database, through a pool of
    connections that several tasks (and processes) may append through at once.

    ``origin`` names this instance in the notices it sends.
    """

    def __init__(self, url: str, *, origin: str = "", max_connections: int = 10) -> None:
        self._url = url
        self._origin = origin
        self._max_connections = max_connections
        self._connections: asyncpg.Pool | None = None

    async def open(self) -> PostgresEventStore:
        """Connect, and create the schema if the database has none yet."""
        self._connections = await open_pool(self._url, _SCHEMA, max_size=self._max_connections)
        return self

    @property
    def _pool(self) -> asyncpg.Pool:
        if self._connections is None:
            raise RuntimeError("the event store is not open")
        return self._connections

    async def append(self, session_id: str, event: Event) -> int:
        """Append ``event`` to the session's log; return its sequence number (from 1)."""
        columns = encode_event(event)
        for _ in range(APPEND_ATTEMPTS):
            try:
                seq: int = await self._pool.fetchval(_APPEND, session_id, *columns)
                return seq
            except asyncpg.UniqueViolationError as error:
                if error.constraint_name != "events_session_seq":
                    raise
        raise RuntimeError(
            f"session {session_id}: {APPEND_ATTEMPTS} appends in a row lost the race for the "
            "next sequence number"
        )

    @asynccontextmanager
    async def session(self, session_id: str) -> AsyncIterator[SessionLog]:
        """Hold one session's log in a transaction under the session's advisory lock; what
        is appended commits, and is announced, when the holder lets go."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", session_id
            )
            log = _PostgresSessionLog(connection, session_id)
            yield log
            if log.appended:
                await connection.execute(
                    "SELECT pg_notify($1, $2)",
                    EVENTS_CHANNEL,
                    session_notice(self._origin, session_id),
                )

    async def events(self, session_id: str, after: int = 0) -> list[Event]:
        """The session's events numbered after ``after`` (all by default), in order; empty
        if there is no such session."""
        return await _events(self._pool, session_id, after)

    async def session_ids(self) -> list[str]:
        """Ids of every scheduled session, most recently scheduled first."""
        rows = await self._pool.fetch(
            "SELECT session_id FROM events WHERE type = 'session_scheduled' ORDER BY at DESC"
        )
        return [row["session_id"] for row in rows]

    async def delete(self, session_id: str) -> None:
        """Delete every event of a session, and tell the other instances."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("DELETE FROM events WHERE session_id = $1", session_id)
            await connection.execute(
                "SELECT pg_notify($1, $2)",
                EVENTS_CHANNEL,
                session_notice(self._origin, session_id, deleted=True),
            )

    async def close(self) -> None:
        """Close every connection of the pool."""
        if self._connections is not None:
            await self._connections.close()
            self._connections = None

    async def ping(self) -> None:
        """Return once the database answers a trivial query; raise if it cannot."""
        await self._pool.fetchval("SELECT 1")


async def _events(
    connection: asyncpg.Pool | PoolConnectionProxy[asyncpg.Record], session_id: str, after: int
) -> list[Event]:
    rows = await connection.fetch(
        "SELECT type, actor, at, payload FROM events WHERE session_id = $1 AND seq > $2 "
        "ORDER BY seq",
        session_id,
        after,
    )
    return [decode_event(*row) for row in rows]


class _PostgresSessionLog:
    def __init__(self, connection: PoolConnectionProxy[asyncpg.Record], session_id: str) -> None:
        self._connection = connection
        self._session_id = session_id
        self.appended = False

    async def events(self, after: int) -> list[Event]:
        return await _events(self._connection, self._session_id, after)

    async def append(self, events: Sequence[Event]) -> None:
        # Under the session's lock no other writer competes for the numbers.
        for event in events:
            await self._connection.execute(_APPEND, self._session_id, *encode_event(event))
        self.appended = self.appended or bool(events)
