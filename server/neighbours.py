"""What this instance does with news from the other instances sharing its database."""

from __future__ import annotations

from collections.abc import Callable

from analytics.events import Role
from server.delivery import SummaryCourier
from server.sessions import SessionBook
from server.signalling import RoomHub
from server.timekeeper import Timekeeper

__all__ = ["Neighbours"]


class Neighbours:
    """The :class:`server.cluster.ClusterListener` of an instance, and its tick."""

    def __init__(
        self, book: SessionBook, hub: RoomHub, timekeeper: Timekeeper, courier: SummaryCourier
    ) -> None:
        self._book = book
        self._hub = hub
        self._timekeeper = timekeeper
        self._courier = courier

    async def recorded_elsewhere(self, session_id: str) -> None:
        await self._book.catch_up(session_id)

    async def deleted_elsewhere(self, session_id: str) -> None:
        await self._book.deleted_elsewhere(session_id)

    def relayed(self, session_id: str, role: Role, message: bytes) -> None:
        self._hub.relayed(session_id, role, message)

    async def missed_news(self) -> None:
        """Read every session again: catch up with the known, load the new, forget the
        deleted."""
        existing = {state.session_id for state in await self._book.all()}
        for state in self._book.known():
            if state.session_id in existing:
                await self._book.catch_up(state.session_id)
            else:
                await self._book.deleted_elsewhere(state.session_id)

    async def tick(self, is_alive: Callable[[str], bool]) -> None:
        """Free the seats of instances that died; keep time and deliver for every session
        this instance knows, so that whatever another instance did for one goes on here
        when it dies (each is done once: see the book, the timekeeper and the courier)."""
        states = self._book.known()
        await self._hub.vacate_orphaned_seats(states, is_alive)
        self._timekeeper.reconcile(states)
        self._courier.reconcile(states)
