"""The dispatcher: recorded events go out to subscribers after the session lock, in order.

The book publishes each event with the state it led to while it holds the session's lock
(publishing only queues it, it never waits); one drainer hands them to every subscriber in
the order they were recorded, outside the lock, so a subscriber may record events itself
and nobody's slowness holds a session.

Events recorded by other instances sharing the database come through here too: the book
publishes them when it reads them (:meth:`server.sessions.SessionBook.catch_up`, on a
PostgreSQL notice), so every subscriber sees every instance's events, in the record's order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from analytics.events import Event
from analytics.session import SessionState

__all__ = ["Dispatcher", "Forget", "Subscriber"]

log = logging.getLogger(__name__)

# Called with each recorded event and the session's state just after it.
Subscriber = Callable[[SessionState, Event], Awaitable[None]]
# Called with the id of a deleted session, after every event of it recorded before.
Forget = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class _Recorded:
    state: SessionState
    event: Event


@dataclass(frozen=True, slots=True)
class _Deleted:
    session_id: str


class Dispatcher:
    """Publishes events to subscribers, one at a time, in the order they were published."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._forgetters: list[Forget] = []
        self._pending: deque[_Recorded | _Deleted] = deque()
        self._drainer: asyncio.Task[None] | None = None

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber(state, event)`` for every event published from now on."""
        self._subscribers.append(subscriber)

    def subscribe_deletions(self, forget: Forget) -> None:
        """Call ``forget(session_id)`` when a session is deleted."""
        self._forgetters.append(forget)

    def publish(self, session_id: str, event: Event, state: SessionState) -> None:
        """Queue ``event`` (recorded in ``session_id``, leading to ``state``) for every
        subscriber; returns at once."""
        assert state.session_id == session_id
        self._queue(_Recorded(state, event))

    def publish_deletion(self, session_id: str) -> None:
        """Queue the news that ``session_id`` is deleted; returns at once."""
        self._queue(_Deleted(session_id))

    async def settled(self) -> None:
        """Wait until everything published so far has reached every subscriber."""
        while self._drainer is not None:
            await asyncio.shield(self._drainer)

    def _queue(self, notice: _Recorded | _Deleted) -> None:
        self._pending.append(notice)
        if self._drainer is None:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._pending:
                notice = self._pending.popleft()
                if isinstance(notice, _Deleted):
                    for forget in self._forgetters:
                        self._guarded(forget, notice.session_id)
                    continue
                for subscriber in self._subscribers:
                    try:
                        await subscriber(notice.state, notice.event)
                    except Exception:
                        # The event is stored; a subscriber's failure must not hide it
                        # from the others.
                        log.exception(
                            "subscriber failed after %s in %s",
                            notice.event.type,
                            notice.state.session_id,
                        )
        finally:
            self._drainer = None

    @staticmethod
    def _guarded(forget: Forget, session_id: str) -> None:
        try:
            forget(session_id)
        except Exception:
            log.exception("forgetting %s failed", session_id)
