"""Instances sharing one PostgreSQL database: heartbeats, claims, relays and news.

Why PostgreSQL's ``LISTEN``/``NOTIFY`` rather than Redis pub/sub: the database is already
there and already the truth. A notice sent in the transaction that appends events is
delivered if and only if that transaction commits, and after it, so an instance never
hears of an event it cannot read yet nor misses one that was kept (while its listening
connection stays up; after a drop it reads every session again). Redis would be one more
service to run and secure, with no such tie to the commit.

- **Liveness.** Each instance writes a heartbeat row about once a second that says how
  long it stays alive without another (:data:`LAPSE_SECONDS`), in the database's time so
  that the machines' clocks need not agree. An instance whose row lapsed is dead: the
  others free the seats it held and take its claims over.
- **Claims.** Work that must be done by one instance at a time (a summary's delivery on
  one channel) is claimed with one upsert that succeeds when nobody holds it, this
  instance does, or its holder is dead. A holder that dies mid-delivery may have sent it:
  deliveries are at least once, and carry an idempotency key for that reason.
- **Relays.** A negotiation message for a browser connected elsewhere goes out as a
  notice on :data:`RELAY_CHANNEL`; one over a notice's 8,000 bytes (an SDP offer can be)
  goes in parts. One sender sends the notices queued meanwhile in one transaction that
  does not wait for the disk (a relay is not part of the record), so they arrive in the
  order they were relayed, parts together, and no socket waits for the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable

import asyncpg

from analytics.events import ROLES, Role
from server.clock import Clock, sleep
from server.cluster import ClusterListener, Tick
from server.postgres_store import EVENTS_CHANNEL, SessionNotice, open_pool

__all__ = ["HEARTBEAT_SECONDS", "LAPSE_SECONDS", "RELAY_CHANNEL", "PostgresCluster"]

log = logging.getLogger(__name__)

RELAY_CHANNEL = "mentormeet_relay"
HEARTBEAT_SECONDS = 1.0
# A heartbeat this old means the instance is gone: long enough for a busy event loop to
# miss a few beats, short enough that a dead instance's seats free up in seconds.
LAPSE_SECONDS = 5.0
# Notice payloads must stay under 8,000 bytes; a part leaves room for its header.
_PART_BYTES = 7000

_CONNECTION_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    alive_until DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    work TEXT PRIMARY KEY,
    holder TEXT NOT NULL
);
"""
_NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
_HEARTBEAT = f"""
INSERT INTO instances VALUES ($1, {_NOW} + $2)
ON CONFLICT (id) DO UPDATE SET alive_until = EXCLUDED.alive_until
"""
_ALIVE = f"SELECT id FROM instances WHERE alive_until > {_NOW}"
_CLAIM = f"""
INSERT INTO claims AS c VALUES ($1, $2)
ON CONFLICT (work) DO UPDATE SET holder = EXCLUDED.holder
WHERE c.holder = EXCLUDED.holder OR NOT EXISTS (
    SELECT 1 FROM instances i WHERE i.id = c.holder AND i.alive_until > {_NOW}
)
RETURNING holder
"""


class PostgresCluster:
    """This instance among those sharing a PostgreSQL database."""

    def __init__(self, url: str, clock: Clock, instance: str) -> None:
        self._url = url
        self._clock = clock
        self._instance = instance
        self._connections: asyncpg.Pool | None = None
        self._alive: frozenset[str] = frozenset({instance})
        self._parts: dict[str, list[str]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._news: set[asyncio.Task[None]] = set()
        # Relay notices waiting for the sender, and the sender while it runs.
        self._outgoing: list[tuple[str, str]] = []
        self._sender: asyncio.Task[None] | None = None

    @property
    def instance(self) -> str:
        return self._instance

    async def open(self) -> PostgresCluster:
        """Connect, create the tables if needed, and say this instance is alive."""
        self._connections = await open_pool(self._url, _SCHEMA, max_size=4)
        await self._beat()
        return self

    @property
    def _pool(self) -> asyncpg.Pool:
        if self._connections is None:
            raise RuntimeError("the cluster is not open")
        return self._connections

    def is_alive(self, instance: str) -> bool:
        return instance == self._instance or instance in self._alive

    async def claim(self, work: str) -> bool:
        return await self._pool.fetchval(_CLAIM, work, self._instance) is not None

    def relay(self, session_id: str, role: Role, message: bytes) -> None:
        """Queue the message's notices; one sender sends what is queued, in order, a
        batch to a transaction, so a socket never waits for the database to relay."""
        header = f"{self._instance} {secrets.token_hex(4)} {session_id} {role}"
        parts = _split(message)
        self._outgoing.extend((RELAY_CHANNEL, f"{header} {len(parts)}\n{p}") for p in parts)
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        try:
            while self._outgoing:
                notices, self._outgoing = self._outgoing, []
                try:
                    async with self._pool.acquire() as connection, connection.transaction():
                        # A relay need not outlive a crash: no waiting for the disk.
                        await connection.execute("SET LOCAL synchronous_commit = off")
                        await connection.executemany("SELECT pg_notify($1, $2)", notices)
                except _CONNECTION_ERRORS as error:
                    log.warning("%d negotiation messages not relayed: %s", len(notices), error)
        finally:
            self._sender = None

    def listen(self, listener: ClusterListener, tick: Tick) -> None:
        self._runner = asyncio.get_running_loop().create_task(self._run(listener, tick))

    async def _run(self, listener: ClusterListener, tick: Tick) -> None:
        """Listen for notices, beat the heart and tick, over and over; after a lost
        connection, connect again and tell the listener it may have missed news."""
        first = True
        while True:
            try:
                connection = await asyncpg.connect(self._url)
            except _CONNECTION_ERRORS as error:
                log.warning("cannot reach the database to listen (%s): trying again", error)
                await sleep(self._clock, HEARTBEAT_SECONDS)
                continue
            try:
                await connection.add_listener(EVENTS_CHANNEL, self._on_session(listener))
                await connection.add_listener(RELAY_CHANNEL, self._on_relay(listener))
                if not first:
                    self._parts.clear()  # messages cut off with the old connection
                    await listener.missed_news()
                first = False
                while not connection.is_closed():
                    await self._beat()
                    await self._tick(tick)
                    await sleep(self._clock, HEARTBEAT_SECONDS)
            except _CONNECTION_ERRORS as error:
                log.warning("lost the database's notices (%s): listening again", error)
            finally:
                with contextlib.suppress(*_CONNECTION_ERRORS):
                    await connection.close(timeout=2)

    async def _beat(self) -> None:
        await self._pool.execute(_HEARTBEAT, self._instance, LAPSE_SECONDS)
        alive = frozenset(row["id"] for row in await self._pool.fetch(_ALIVE))
        for gone in self._alive - alive:
            log.warning("instance %s stopped beating: taking over its seats and work", gone)
        self._alive = alive

    async def _tick(self, tick: Tick) -> None:
        try:
            await tick(self.is_alive)
        except Exception:  # the next tick tries again; listening must go on
            log.exception("a cluster tick failed")

    def _on_session(self, listener: ClusterListener) -> Callable[..., None]:
        def heard(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            notice = SessionNotice.decode(payload)
            if notice.origin == self._instance:
                return  # recorded here: published here already
            news = (
                listener.deleted_elsewhere(notice.session_id)
                if notice.deleted
                else listener.recorded_elsewhere(notice.session_id)
            )
            task = asyncio.ensure_future(news)
            self._news.add(task)
            task.add_done_callback(self._news.discard)

        return heard

    def _on_relay(self, listener: ClusterListener) -> Callable[..., None]:
        def heard(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            header, _, part = payload.partition("\n")
            origin, message_id, session_id, role, count = header.split(" ")
            if origin == self._instance or role not in ROLES:
                return
            parts = self._parts.setdefault(message_id, [])
            parts.append(part)
            if len(parts) < int(count):
                return
            del self._parts[message_id]
            listener.relayed(session_id, role, "".join(parts).encode())

        return heard

    async def close(self) -> None:
        """Stop listening, and leave: the others need not wait for the heartbeat to lapse."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        for news in self._news:
            news.cancel()
        await asyncio.gather(*self._news, return_exceptions=True)
        if self._sender is not None:
            await self._sender  # what was relayed before the end goes out
        if self._connections is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await self._pool.execute("DELETE FROM claims WHERE holder = $1", self._instance)
                await self._pool.execute("DELETE FROM instances WHERE id = $1", self._instance)
            await self._connections.close()
            self._connections = None


def _split(message: bytes) -> list[str]:
    """``message`` (UTF-8) in parts of at most :data:`_PART_BYTES`, cut between
    characters."""
    parts = []
    while len(message) > _PART_BYTES:
        cut = _PART_BYTES
        while message[cut] & 0xC0 == 0x80:  # a continuation byte: inside a character
            cut -= 1
        parts.append(message[:cut].decode())
        message = message[cut:]
    parts.append(message.decode())
    return parts
