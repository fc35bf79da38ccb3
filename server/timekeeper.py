"""The timekeeper: sends time warnings and ends sessions that must end, on time.

It keeps one timer per live session, set for the next deadline that
:func:`analytics.clock.next_deadline` names, and re-arms it after every recorded event.
Deadlines come from the events, so after a restart :meth:`Timekeeper.resume` picks up
where the previous process stopped.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from analytics.clock import ClockPolicy, due_events, next_deadline
from analytics.events import Event
from analytics.session import SessionState
from server.clock import Clock, Timer
from server.sessions import SessionBook, UnknownSession

__all__ = ["Timekeeper"]

log = logging.getLogger(__name__)


class Timekeeper:
    """Fires the clock's due events for every live session."""

    def __init__(self, book: SessionBook, policy: ClockPolicy, clock: Clock) -> None:
        self._book = book
        self._policy = policy
        self._clock = clock
        self._timers: dict[str, Timer] = {}
        self._ticks: set[asyncio.Task[None]] = set()

    async def resume(self) -> None:
        """Arm timers for every session that was live when the server last stopped."""
        for state in await self._book.all():
            self.arm(state)

    def reconcile(self, states: list[SessionState]) -> None:
        """Arm timers for those of these sessions that have none (new to this instance,
        recorded by another)."""
        for state in states:
            if state.session_id not in self._timers:
                self.arm(state)

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Dispatcher subscriber: the session changed, so its next deadline may have too."""
        self.arm(state)

    def arm(self, state: SessionState) -> None:
        """Set the session's timer for its next deadline (or clear it if it has none)."""
        timer = self._timers.pop(state.session_id, None)
        if timer is not None:
            timer.cancel()
        deadline = next_deadline(state, self._policy)
        if deadline is None:
            return
        self._timers[state.session_id] = self._clock.call_at(
            deadline, partial(self._start_tick, state.session_id)
        )

    def forget(self, session_id: str) -> None:
        """The session is deleted: drop its timer."""
        timer = self._timers.pop(session_id, None)
        if timer is not None:
            timer.cancel()

    def _start_tick(self, session_id: str) -> None:
        self._timers.pop(session_id, None)
        task = asyncio.create_task(self._tick(session_id))
        self._ticks.add(task)
        task.add_done_callback(self._ticks.discard)

    async def _tick(self, session_id: str) -> None:
        due: list[Event] = []

        def decide(state: SessionState, at: float) -> list[Event]:
            due.extend(due_events(state, at, self._policy))
            return due

        try:
            state = await self._book.execute(session_id, decide)
        except UnknownSession:
            return  # deleted while this tick waited
        if not due:
            self.arm(state)  # woke a little early: wait for the real deadline

    async def close(self) -> None:
        """Stop every timer and wait for ticks under way."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._ticks:
            await asyncio.gather(*self._ticks, return_exceptions=True)
