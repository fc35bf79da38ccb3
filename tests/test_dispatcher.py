"""The dispatcher: events reach subscribers after the lock, in the order they were recorded."""

import asyncio

from analytics.events import ParticipantJoined, ParticipantLeft
from server.clock import ManualClock
from server.dispatcher import Dispatcher
from server.sessions import SessionBook
from server.store import SqliteEventStore
from tests.events import SCHEDULED, T0


async def test_events_reach_every_subscriber_in_order_outside_the_lock(tmp_path):
    store = await SqliteEventStore(tmp_path / "events.sqlite").open()
    dispatcher = Dispatcher()
    book = SessionBook(store, ManualClock(T0), dispatcher)
    seen: list[tuple[str, str]] = []

    async def first(state, event):
        seen.append(("first", event.type))
        if isinstance(event, ParticipantJoined):
            # Recording from a subscriber would deadlock under the lock; here it may.
            await book.execute(
                state.session_id,
                lambda s, at: ParticipantLeft(at=at, actor="mentor", role="mentor"),
            )

    async def second(state, event):
        seen.append(("second", event.type))

    dispatcher.subscribe(first)
    dispatcher.subscribe(second)
    await book.schedule(SCHEDULED)
    await book.execute(
        SCHEDULED.session_id, lambda s, at: ParticipantJoined(at=at, actor="mentor", role="mentor")
    )
    await asyncio.wait_for(dispatcher.settled(), 5)

    assert seen == [
        ("first", "session_scheduled"),
        ("second", "session_scheduled"),
        ("first", "participant_joined"),
        ("second", "participant_joined"),
        ("first", "participant_left"),
        ("second", "participant_left"),
    ]
    await store.close()


async def test_a_deleted_session_is_forgotten_after_its_earlier_events(tmp_path):
    store = await SqliteEventStore(tmp_path / "events.sqlite").open()
    dispatcher = Dispatcher()
    book = SessionBook(store, ManualClock(T0), dispatcher)
    seen: list[str] = []

    async def subscriber(state, event):
        seen.append(event.type)

    dispatcher.subscribe(subscriber)
    dispatcher.subscribe_deletions(lambda session_id: seen.append(f"forget {session_id}"))
    await book.schedule(SCHEDULED)
    await book.delete(SCHEDULED.session_id)
    await dispatcher.settled()

    assert seen == ["session_scheduled", f"forget {SCHEDULED.session_id}"]
    await store.close()


async def test_a_failing_subscriber_does_not_keep_the_event_from_the_others(tmp_path, caplog):
    store = await SqliteEventStore(tmp_path / "events.sqlite").open()
    dispatcher = Dispatcher()
    book = SessionBook(store, ManualClock(T0), dispatcher)
    seen: list[str] = []

    async def failing(state, event):
        raise RuntimeError("broken")

    async def working(state, event):
        seen.append(event.type)

    dispatcher.subscribe(failing)
    dispatcher.subscribe(working)
    await book.schedule(SCHEDULED)
    await dispatcher.settled()

    assert seen == ["session_scheduled"]
    assert "subscriber failed after session_scheduled" in caplog.text
    await store.close()
