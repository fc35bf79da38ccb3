"""The session book: the current state of every session, in step with the event store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from analytics.events import Event, SessionScheduled
from analytics.session import SessionState, apply, fold, start
from server.clock import Clock
from server.dispatcher import Dispatcher
from server.store import EventStore

__all__ = ["Decide", "SessionBook", "UnknownSession"]

# A rule applied to a session's state at a time: the events it leads to (one, several or
# none), or an :class:`analytics.rules.Rejected`.
Decide = Callable[[SessionState, float], Event | Sequence[Event]]


class UnknownSession(LookupError):
    """No session has this id."""


class SessionBook:
    """Records events and keeps each session's folded state in memory.

    Every change goes through :meth:`execute` (or :meth:`schedule`, :meth:`delete`), the
    only holders of the per-session lock, so that the order in the store, the order in
    which states are folded and the order in which the dispatcher publishes them is one
    order; and the only source of the times events record.
    """

    def __init__(self, store: EventStore, clock: Clock, dispatcher: Dispatcher) -> None:
        self._store = store
        self._clock = clock
        self._dispatcher = dispatcher
        self._states: dict[str, SessionState] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def dispatcher(self) -> Dispatcher:
        """Where every recorded event is published."""
        return self._dispatcher

    @asynccontextmanager
    async def _serialised(self, session_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(session_id, asyncio.Lock())
        async with lock:
            yield

    async def schedule(self, event: SessionScheduled) -> SessionState:
        """Record a new session."""
        async with self._serialised(event.session_id):
            await self._store.append(event.session_id, event)
            state = self._states[event.session_id] = start(event)
            self._dispatcher.publish(event.session_id, event, state)
        return state

    async def execute(self, session_id: str, decide: Decide) -> SessionState:
        """Apply ``decide`` to the session's state now, record what it decides, and return
        the new state.

        A :class:`analytics.rules.Rejected` from ``decide`` passes through, recording
        nothing; an unknown session raises :class:`UnknownSession`.
        """
        async with self._serialised(session_id):
            state = await self.get(session_id)
            decided = decide(state, self._clock.now())
            for event in (decided,) if isinstance(decided, Event) else decided:
                await self._store.append(session_id, event)
                state = self._states[session_id] = apply(state, event)
                self._dispatcher.publish(session_id, event, state)
            return state

    async def get(self, session_id: str) -> SessionState:
        """The current state of a session, loaded from the store on first use."""
        state = self._states.get(session_id)
        if state is None:
            events = await self._store.events(session_id)
            if not events:
                raise UnknownSession(session_id)
            state = self._states.setdefault(session_id, fold(events))
        return state

    async def delete(self, session_id: str) -> None:
        """Delete the session and all its events; the dispatcher's subscribers forget it
        after every event of it recorded before."""
        async with self._serialised(session_id):
            await self._store.delete(session_id)
            self._states.pop(session_id, None)
            self._dispatcher.publish_deletion(session_id)
        self._locks.pop(session_id, None)

    async def all(self) -> list[SessionState]:
        """Every session, most recently scheduled first."""
        return [await self.get(session_id) for session_id in await self._store.session_ids()]
