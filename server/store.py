"""The event store: an append-only log of events per session, kept in SQLite.

SQLite runs in WAL mode with ``synchronous=FULL`` so that an event is on disk before
:meth:`SqliteEventStore.append` returns: whatever a client was told has happened
survives a crash. All database work runs on one dedicated thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import msgspec

from analytics.events import EVENT_TYPES, Event
from server.private import FILE_MODE, private_dir, private_file

__all__ = ["EventStore", "SessionLog", "SqliteEventStore", "decode_event", "encode_event"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    at REAL NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, at);
"""


def encode_event(event: Event) -> tuple[str, str, float, str]:
    """Split an event into the store's columns: type, actor, time and JSON payload."""
    fields = msgspec.to_builtins(event)
    del fields["at"], fields["actor"]
    return event.type, event.actor, event.at, msgspec.json.encode(fields).decode()


def decode_event(type_: str, actor: str, at: float, payload: str) -> Event:
    """Rebuild an event from the store's columns."""
    fields = msgspec.json.decode(payload)
    return msgspec.convert({**fields, "at": at, "actor": actor}, EVENT_TYPES[type_])


class SessionLog(Protocol):
    """One session's log while :meth:`EventStore.session` holds it."""

    async def events(self, after: int) -> list[Event]:
        """The events numbered after ``after``, in order."""
        ...

    async def append(self, events: Sequence[Event]) -> None:
        """Append ``events`` after the last; they are kept when the holder lets go."""
        ...


class EventStore(Protocol):
    """What the server needs from a store; SQLite is the embedded implementation."""

    def session(self, session_id: str) -> AbstractAsyncContextManager[SessionLog]:
        """Hold one session's log: nobody else appends to it, in this process or any other
        sharing the store, until the holder lets go."""
        ...

    async def append(self, session_id: str, event: Event) -> int: ...
    async def events(self, session_id: str, after: int = 0) -> list[Event]: ...
    async def session_ids(self) -> list[str]: ...
    async def delete(self, session_id: str) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None: ...


class SqliteEventStore:
    """An :class:`EventStore` in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-store")
        self._path = path
        self._db: sqlite3.Connection | None = None

    async def open(self) -> SqliteEventStore:
        """Open (and if needed create) the database."""
        await self._run(self._open)
        return self

    def _open(self) -> None:
        private_dir(self._path.parent)
        # SQLite gives the WAL and shared-memory files the database file's mode.
        private_file(self._path)
        for suffix in ("-wal", "-shm"):
            leftover = Path(f"{self._path}{suffix}")
            if leftover.exists():
                leftover.chmod(FILE_MODE)
        db = sqlite3.connect(self._path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        # Deleted events are overwritten, not left readable in free pages.
        db.execute("PRAGMA secure_delete=ON")
        db.executescript(_SCHEMA)
        self._db = db

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the event store is not open")
        return self._db

    @asynccontextmanager
    async def session(self, session_id: str) -> AsyncIterator[SessionLog]:
        """Hold one session's log. One process owns a SQLite file, and its book holds each
        session's lock already: nothing more to take."""
        yield _SqliteSessionLog(self, session_id)

    async def append(self, session_id: str, event: Event) -> int:
        """Append ``event`` to the session's log; return its sequence number (from 1)."""
        return await self.append_all(session_id, (event,))

    async def append_all(self, session_id: str, events: Sequence[Event]) -> int:
        """Append ``events`` in one transaction; return the last one's sequence number."""
        rows = [encode_event(event) for event in events]

        def write() -> int:
            db = self._connection
            with db:
                db.execute("BEGIN IMMEDIATE")
                (last,) = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?",
                    (session_id,),
                ).fetchone()
                db.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                    [(session_id, last + n, *row) for n, row in enumerate(rows, start=1)],
                )
            return int(last) + len(rows)

        return await self._run(write)

    async def events(self, session_id: str, after: int = 0) -> list[Event]:
        """The session's events numbered after ``after`` (all by default), in order; empty
        if there is no such session."""
        rows = await self._run(
            lambda: self._connection.execute(
                "SELECT type, actor, at, payload FROM events WHERE session_id = ? AND seq > ? "
                "ORDER BY seq",
                (session_id, after),
            ).fetchall()
        )
        return [decode_event(*row) for row in rows]

    async def session_ids(self) -> list[str]:
        """Ids of every scheduled session, most recently scheduled first."""
        rows = await self._run(
            lambda: self._connection.execute(
                "SELECT session_id FROM events WHERE type = 'session_scheduled' ORDER BY at DESC"
            ).fetchall()
        )
        return [session_id for (session_id,) in rows]

    async def delete(self, session_id: str) -> None:
        """Delete every event of a session, and leave no copy in the write-ahead log."""

        def delete() -> None:
            db = self._connection
            with db:
                db.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await self._run(delete)

    async def close(self) -> None:
        """Close the database and its thread."""
        if self._db is not None:
            await self._run(self._connection.close)
            self._db = None
        self._executor.shutdown(wait=True)

    async def ping(self) -> None:
        """Return once the database answers a trivial query; raise if it cannot."""
        await self._run(lambda: self._connection.execute("SELECT 1").fetchone())


class _SqliteSessionLog:
    def __init__(self, store: SqliteEventStore, session_id: str) -> None:
        self._store = store
        self._session_id = session_id

    async def events(self, after: int) -> list[Event]:
        return await self._store.events(self._session_id, after)

    async def append(self, events: Sequence[Event]) -> None:
        await self._store.append_all(self._session_id, events)
