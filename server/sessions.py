"""The session book: the current state of every session, in step with the event store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from analytics.events import Event, SessionScheduled
from analytics.session import SessionState, apply, fold, start
from server.clock import Clock
from server.dispatcher import Dispatcher
from server.store import EventStore

__all__ = ["Decide", "SessionBook", "SessionExists", "UnknownSession"]

# A rule applied to a session's state at a time: the events it leads to (one, several or
# none), or an :class:`analytics.rules.Rejected`.
Decide = Callable[[SessionState, float], Event | Sequence[Event]]


class UnknownSession(LookupError):
    """No session has this id."""


class SessionExists(ValueError):
    """A session with this id is scheduled already."""


@dataclass(eq=False, slots=True)
class _SessionLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holding it or waiting for it


class SessionBook:
    """Records events and keeps each session's folded state in memory.

    Every change goes through :meth:`execute` (or :meth:`schedule`, :meth:`delete`), the
    only holders of the per-session lock, so that the order in the store, the order in
    which states are folded and the order in which the dispatcher publishes them is one
    order; and the only source of the times events record.

    Several instances may share one store (PostgreSQL): each decides on the whole record,
    because :meth:`execute` first reads what the others appended while it holds the
    session in the store, and :meth:`catch_up` publishes their events here as they come.
    """

    def __init__(self, store: EventStore, clock: Clock, dispatcher: Dispatcher) -> None:
        self._store = store
        self._clock = clock
        self._dispatcher = dispatcher
        self._states: dict[str, SessionState] = {}
        # How many of the session's events its state has folded: where the next read starts.
        self._folded: dict[str, int] = {}
        self._locks: dict[str, _SessionLock] = {}

    @property
    def dispatcher(self) -> Dispatcher:
        """Where every recorded event is published."""
        return self._dispatcher

    @asynccontextmanager
    async def _serialised(self, session_id: str) -> AsyncIterator[None]:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = _SessionLock()
        lock.users += 1
        try:
            async with lock.lock:
                yield
        finally:
            lock.users -= 1
            if not lock.users:  # nobody waits: an idle session keeps no lock
                del self._locks[session_id]

    async def schedule(self, event: SessionScheduled) -> SessionState:
        """Record a new session."""
        session_id = event.session_id
        async with self._serialised(session_id), self._store.session(session_id) as log:
            if await log.events(after=0):
                raise SessionExists(session_id)
            await log.append((event,))
            state = self._states[session_id] = start(event)
            self._folded[session_id] = 1
            self._dispatcher.publish(session_id, event, state)
        return state

    async def execute(self, session_id: str, decide: Decide) -> SessionState:
        """Apply ``decide`` to the session's state now, record what it decides, and return
        the new state.

        A :class:`analytics.rules.Rejected` from ``decide`` passes through, recording
        nothing; an unknown session raises :class:`UnknownSession`.
        """
        await self.get(session_id)
        async with self._serialised(session_id), self._store.session(session_id) as log:
            # What other instances recorded first: the decision rests on the whole record.
            state = self._fold(session_id, await log.events(self._folded.get(session_id, 0)))
            decided = decide(state, self._clock.now())
            events = (decided,) if isinstance(decided, Event) else tuple(decided)
            await log.append(events)
            # The store keeps them when the session is let go; if that fails, this raises
            # before anything below is folded or published.
        return self._fold(session_id, events)

    def _fold(self, session_id: str, events: Sequence[Event]) -> SessionState:
        """Apply events newly recorded (here or by another instance) to the session's
        state, publishing each; the state after them."""
        state = self._states.get(session_id)
        if state is None:
            raise UnknownSession(session_id)  # deleted while this waited for its lock
        for event in events:
            state = apply(state, event)
            self._dispatcher.publish(session_id, event, state)
        self._states[session_id] = state
        self._folded[session_id] += len(events)
        return state

    async def catch_up(self, session_id: str) -> None:
        """Fold and publish what other instances recorded in the session since we last
        read it (load it, if it is new here)."""
        async with self._serialised(session_id):
            if session_id not in self._states:
                with contextlib.suppress(UnknownSession):  # deleted since
                    await self._load(session_id)
                return
            self._fold(session_id, await self._store.events(session_id, self._folded[session_id]))

    async def get(self, session_id: str) -> SessionState:
        """The session's state as this instance knows it, loaded from the store on first
        use."""
        state = self._states.get(session_id)
        if state is None:
            async with self._serialised(session_id):
                state = self._states.get(session_id) or await self._load(session_id)
        return state

    async def _load(self, session_id: str) -> SessionState:
        events = await self._store.events(session_id)
        if not events:
            raise UnknownSession(session_id)
        # Not published: subscribers that must know every session look at all of them
        # when they start, and on every cluster tick (see server.neighbours).
        state = self._states[session_id] = fold(events)
        self._folded[session_id] = len(events)
        return state

    async def latest(self, session_id: str) -> SessionState:
        """The session's state with everything any instance has recorded so far."""
        await self.catch_up(session_id)
        return await self.get(session_id)

    async def delete(self, session_id: str) -> None:
        """Delete the session and all its events; the dispatcher's subscribers forget it
        after every event of it recorded before."""
        async with self._serialised(session_id):
            await self._store.delete(session_id)
            self._forget(session_id)

    async def deleted_elsewhere(self, session_id: str) -> None:
        """Another instance deleted the session: forget it here too."""
        async with self._serialised(session_id):
            self._forget(session_id)

    def _forget(self, session_id: str) -> None:
        self._states.pop(session_id, None)
        self._folded.pop(session_id, None)
        self._dispatcher.publish_deletion(session_id)

    def known(self) -> list[SessionState]:
        """Every session this instance holds in memory, without reading the store."""
        return list(self._states.values())

    async def all(self) -> list[SessionState]:
        """Every session, most recently scheduled first."""
        return [await self.get(session_id) for session_id in await self._store.session_ids()]
