"""The timekeeper through the server, on a clock the test moves: warnings, automatic ends,
and what else the passing of time decides (invite expiry, rate limits)."""

from datetime import UTC, datetime

import pytest

from server.clock import ManualClock
from server.keys import DISPATCHER
from server.throttle import ADMIN_GUESS_BURST, ADMIN_GUESSES_PER_MINUTE
from tests.room_client import closed, join, receive_error, receive_state, started
from tests.utils import ADMIN_TOKEN, api_state, bearer, eventually

MINUTE = 60.0
START = float(int(datetime(2031, 3, 4, 15, 0, tzinfo=UTC).timestamp()))


@pytest.fixture
def clock():
    """The app's clock (see conftest): at the sessions' scheduled start, moved by hand."""
    return ManualClock(START)


@pytest.fixture
async def session(schedule):
    return await schedule(
        scheduled_start=datetime.fromtimestamp(START, UTC).isoformat(), allotted_minutes=15
    )


async def advance(client, clock, seconds):
    """Move time on; let what the test did before reach every subscriber first (the
    timekeeper arms its timers from the events it is sent)."""
    await client.server.app[DISPATCHER].settled()
    clock.advance(seconds)


async def status(client, session):
    return (await api_state(client, session))["status"]


async def test_warnings_come_at_ten_five_one_and_no_minutes_left(client, session, clock):
    mentor, mentoree = await started(client, session)

    await advance(client, clock, 5 * MINUTE)
    warned = await receive_state(mentor, lambda s: s["warnings_sent"])
    assert warned["warnings_sent"] == [10]
    assert warned["remaining_seconds"] == 10 * MINUTE

    await advance(client, clock, 9 * MINUTE)
    warned = await receive_state(mentoree, lambda s: 1 in s["warnings_sent"])
    assert warned["warnings_sent"] == [10, 5, 1]
    await advance(client, clock, MINUTE)
    warned = await receive_state(mentoree, lambda s: 0 in s["warnings_sent"])
    assert warned["warnings_sent"] == [10, 5, 1, 0]
    assert await status(client, session) == "live"  # time is up, the session is not over


async def test_a_session_is_ended_at_its_hard_maximum(client, session, clock):
    mentor, _ = await started(client, session)

    await advance(client, clock, (15 + 30) * MINUTE - 1)
    assert await status(client, session) == "live"
    await advance(client, clock, 1)

    ended = await receive_state(mentor, lambda s: s["status"] == "ended")
    assert ended["end_reason"] == "hard_maximum"
    assert ended["elapsed_seconds"] == (15 + 30) * MINUTE


async def test_an_emptied_room_ends_after_its_grace_as_of_when_it_emptied(client, session, clock):
    mentor, mentoree = await started(client, session)
    await advance(client, clock, 3 * MINUTE)
    for ws in (mentor, mentoree):
        await ws.close()
    await eventually(lambda: _nobody_present(client, session))

    await advance(client, clock, 10 * MINUTE)

    state = await eventually(lambda: _ended(client, session))
    assert state["end_reason"] == "room_empty"
    assert state["elapsed_seconds"] == 3 * MINUTE


async def test_a_session_nobody_came_to_ends_by_itself(client, session, clock):
    await advance(client, clock, (15 + 30) * MINUTE)

    state = await eventually(lambda: _ended(client, session))
    assert state["end_reason"] == "nobody_came"


async def test_an_invite_expires_with_its_validity_and_the_room_says_so(client, session, clock):
    mentor, _ = await started(client, session)
    expires = START + 15 * MINUTE + 14 * 24 * 3600  # the scheduled end plus the validity

    await advance(client, clock, expires - clock.now() + 1)

    await mentor.send_json({"type": "speaking", "speaking": True})
    assert await receive_error(mentor) == "unauthorized"
    assert await closed(mentor) == 4003
    response = await client.get(f"/api/sessions/{session.id}", headers=session.headers("mentor"))
    assert response.status == 401


async def test_wrong_admin_tokens_are_refused_until_time_gives_one_back(client, clock):
    wrong = bearer("not-" + ADMIN_TOKEN)
    for _ in range(ADMIN_GUESS_BURST):
        assert (await client.get("/api/sessions", headers=wrong)).status == 403
    assert (await client.get("/api/sessions", headers=bearer(ADMIN_TOKEN))).status == 429

    clock.advance(60 / ADMIN_GUESSES_PER_MINUTE)

    assert (await client.get("/api/sessions", headers=bearer(ADMIN_TOKEN))).status == 200


async def test_someone_who_came_late_and_alone_gets_a_whole_sessions_wait(client, session, clock):
    await advance(client, clock, 20 * MINUTE)
    mentor, _ = await join(client, session, "mentor")

    await advance(client, clock, (15 + 30) * MINUTE - 1)  # past when nobody_came would be
    assert await status(client, session) == "live"
    await advance(client, clock, 1)

    ended = await receive_state(mentor, lambda s: s["status"] == "ended")
    assert ended["end_reason"] == "hard_maximum"


async def _nobody_present(client, session):
    state = await api_state(client, session)
    return not any(p["present"] for p in state["participants"].values())


async def _ended(client, session):
    state = await api_state(client, session)
    return state if state["status"] == "ended" else None
