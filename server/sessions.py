"""The session book: the current state of every session, in step with the event store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from analytics.events import Event, SessionScheduled
from analytics.session import SessionState, apply, fold, start
from server.clock import Clock
from server.store import EventStore

__all__ = ["Decide", "Listener", "SessionBook", "UnknownSession"]

log = logging.getLogger(__name__)

Listener = Callable[[SessionState, Event], Awaitable[None]]
# A rule applied to a session's state at a time: the events it leads to (one, several or
# none), or an :class:`analytics.rules.Rejected`.
Decide = Callable[[SessionState, float], Event | Sequence[Event]]


class UnknownSession(LookupError):
    """No session has this id."""


class SessionBook:
    """Records events and keeps each session's folded state in memory.

    Every change goes through :meth:`execute` (or :meth:`schedule`, :meth:`delete`), the
    only holders of the per-session lock, so that the order in the store, the order in
    which states are folded and the order in which listeners see them is one order; and
    the only source of the times events record.
    """

    def __init__(self, store: EventStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._states: dict[str, SessionState] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._listeners: list[Listener] = []
        self._forgetters: list[Callable[[str], None]] = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(state, event)`` after every recorded event, in order."""
        self._listeners.append(listener)

    def add_forgetter(self, forget: Callable[[str], None]) -> None:
        """Call ``forget(session_id)`` when a session is deleted, before anything else of
        that session may run."""
        self._forgetters.append(forget)

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
            await self._notify(state, event)
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
                await self._notify(state, event)
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
        """Delete the session and all its events; everything that keeps something of it
        forgets it, before anything else of that session may run."""
        async with self._serialised(session_id):
            await self._store.delete(session_id)
            self._states.pop(session_id, None)
            for forget in self._forgetters:
                forget(session_id)
        self._locks.pop(session_id, None)

    async def _notify(self, state: SessionState, event: Event) -> None:
        for listener in self._listeners:
            try:
                await listener(state, event)
            except Exception:
                # The event is stored; a listener's failure must not undo or hide that.
                log.exception("listener failed after %s in %s", event.type, state.session_id)

    async def all(self) -> list[SessionState]:
        """Every session, most recently scheduled first."""
        return [await self.get(session_id) for session_id in await self._store.session_ids()]
