"""The session book: the current state of every session, in step with the event store."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from analytics.events import Event, SessionScheduled
from analytics.session import SessionState, apply, fold, start
from server.store import EventStore

__all__ = ["Listener", "SessionBook", "UnknownSession"]

log = logging.getLogger(__name__)

Listener = Callable[[SessionState, Event], Awaitable[None]]


class UnknownSession(LookupError):
    """No session has this id."""


class SessionBook:
    """Records events and keeps each session's folded state in memory.

    Recording goes through a per-session lock so that the order in the store, the order
    in which states are folded and the order in which callers see them is one order.
    """

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._states: dict[str, SessionState] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(state, event)`` after every recorded event, in order, under the lock."""
        self._listeners.append(listener)

    def lock(self, session_id: str) -> asyncio.Lock:
        """The lock that serialises changes to one session."""
        return self._locks[session_id]

    async def schedule(self, event: SessionScheduled) -> SessionState:
        """Record a new session."""
        async with self.lock(event.session_id):
            await self._store.append(event.session_id, event)
            state = self._states[event.session_id] = start(event)
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

    async def record(self, session_id: str, event: Event) -> SessionState:
        """Append ``event`` and return the new state. Hold :meth:`lock` around the call."""
        state = await self.get(session_id)
        await self._store.append(session_id, event)
        state = self._states[session_id] = apply(state, event)
        await self._notify(state, event)
        return state

    async def delete(self, session_id: str) -> None:
        """Delete the session and all its events. Hold :meth:`lock` around the call."""
        await self._store.delete(session_id)
        self._states.pop(session_id, None)

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
