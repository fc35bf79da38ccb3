"""The session book: one order for store, state and publication; the record read whole
before every decision; other books' events caught up with."""

from __future__ import annotations

import asyncio

import pytest

from analytics.events import Event
from analytics.rules import Rejected
from analytics.session import SessionState
from server.clock import ManualClock
from server.dispatcher import Dispatcher
from server.sessions import SessionBook, SessionExists, UnknownSession
from tests.events import SCHEDULED, T0, joined, left

SESSION = SCHEDULED.session_id


class Published:
    """A subscriber that keeps what it is told."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        self.events.append(event)


def book_on(store, published: Published | None = None) -> SessionBook:
    dispatcher = Dispatcher()
    if published is not None:
        dispatcher.subscribe(published.on_recorded)
    return SessionBook(store, ManualClock(T0), dispatcher)


async def test_what_a_rule_decides_is_stored_folded_and_published_in_one_order(store):
    published = Published()
    book = book_on(store, published)
    await book.schedule(SCHEDULED)

    state = await book.execute(SESSION, lambda s, at: (joined("mentor", at), left("mentor", at)))
    await book.dispatcher.settled()

    assert published.events == await store.events(SESSION)
    assert published.events[1:] == [joined("mentor", T0), left("mentor", T0)]
    assert state.presence["mentor"].joins == 1
    assert not state.presence["mentor"].present


async def test_a_refusal_records_nothing_and_a_session_is_scheduled_once(store):
    book = book_on(store)
    await book.schedule(SCHEDULED)

    def refuse(state, at):
        raise Rejected("no", "not now")

    with pytest.raises(Rejected):
        await book.execute(SESSION, refuse)
    with pytest.raises(SessionExists):
        await book.schedule(SCHEDULED)
    with pytest.raises(UnknownSession):
        await book.execute("nobody", lambda s, at: ())
    assert await store.events(SESSION) == [SCHEDULED]


async def test_decisions_on_one_session_wait_for_each_other(store):
    book = book_on(store)
    await book.schedule(SCHEDULED)

    # Each decides on the state the one before it left: nobody joins twice in a row.
    def join_or_leave(state, at):
        return left("mentor", at) if state.presence["mentor"].present else joined("mentor", at)

    await asyncio.gather(*(book.execute(SESSION, join_or_leave) for _ in range(20)))

    kinds = [event.type for event in (await store.events(SESSION))[1:]]
    assert kinds == ["participant_joined", "participant_left"] * 10


async def test_a_book_decides_on_what_another_recorded_and_publishes_it(store):
    here_published, there_published = Published(), Published()
    here, there = book_on(store, here_published), book_on(store, there_published)
    await here.schedule(SCHEDULED)
    await there.get(SESSION)

    await here.execute(SESSION, lambda s, at: joined("mentor", at))
    # The other book decides on the whole record, and publishes what it had not seen.
    state = await there.execute(
        SESSION, lambda s, at: left("mentor", at) if s.presence["mentor"].present else ()
    )
    await there.dispatcher.settled()

    assert not state.presence["mentor"].present
    assert there_published.events == [joined("mentor", T0), left("mentor", T0)]
    await here.catch_up(SESSION)
    await here.dispatcher.settled()
    assert here_published.events == await store.events(SESSION)
    assert (await here.get(SESSION)) == state


async def test_a_session_deleted_through_another_book_is_forgotten(store):
    here, there = book_on(store), book_on(store)
    await here.schedule(SCHEDULED)
    await there.get(SESSION)

    await here.delete(SESSION)
    await there.deleted_elsewhere(SESSION)

    assert there.known() == []
    with pytest.raises(UnknownSession):
        await there.get(SESSION)
