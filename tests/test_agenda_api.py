"""The agenda, the clock and talk time through the server: the HTTP API and the room's socket."""

import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from analytics.clock import ClockPolicy
from server.app import make_app
from server.clock import ManualClock, SystemClock
from tests.room_client import hello, join, receive_error, receive_state, started
from tests.utils import (
    ADMIN_TOKEN,
    SESSION_REQUEST,
    ScheduledSession,
    api_state,
    bearer,
    token_of,
)

AGENDA = {"items": [{"text": "Goals for the term"}, {"text": "Feedback on my CV", "minutes": 10}]}


@pytest.fixture
def wall_clock():
    """A clock the test moves: event timestamps and API reads in step with it."""
    return ManualClock(float(int(time.time())))  # whole seconds: exact in ISO timestamps


@pytest.fixture
def clock(request):
    """The app's clock: the test's own when it asks for ``wall_clock``."""
    if "wall_clock" in request.fixturenames:
        return request.getfixturevalue("wall_clock")
    return SystemClock()


async def put_agenda(client, session, body, headers):
    return await client.put(f"/api/sessions/{session.id}/agenda", json=body, headers=headers)


def items(state):
    """Id, text, time budget, done flag and note of each agenda item in a session's JSON."""
    return [
        (item["id"], item["text"], item["minutes"], item["done"], item["note"])
        for item in state["agenda"]
    ]


def at(iso):
    return datetime.fromisoformat(iso)


def item(state, item_id):
    (found,) = (item for item in state["agenda"] if item["id"] == item_id)
    return found


async def settled(ws, session, role):
    """Wait until the server has handled everything sent on ``ws`` so far.

    The hub handles one socket's messages in order, and answers a second hello with an
    error without changing anything, so that answer comes after every earlier effect.
    """
    await hello(ws, session.tokens[role], f"{role}-tab-1")
    assert await receive_error(ws) == "already_joined"


async def test_the_mentoree_sends_the_agenda_before_the_start_and_the_api_shows_it(client, session):
    response = await put_agenda(client, session, AGENDA, session.headers("mentoree"))

    assert response.status == 200
    assert items(await response.json()) == [
        (1, "Goals for the term", None, False, ""),
        (2, "Feedback on my CV", 10, False, ""),
    ]
    state = await api_state(client, session)
    assert items(state) == items(await response.json())
    assert state["agenda_progress"]["sent_at"] is not None
    assert state["agenda_progress"]["covered"] == 0
    assert state["agenda_progress"]["total"] == 2


async def test_the_agenda_from_scheduling_is_a_draft_not_yet_sent(client, session):
    state = await api_state(client, session)

    assert [item["text"] for item in state["agenda"]] == SESSION_REQUEST["agenda"]
    assert state["agenda_progress"]["sent_at"] is None


async def test_resending_the_agenda_keeps_when_it_was_sent_and_records_the_update(
    client, session, wall_clock
):
    first = await put_agenda(client, session, AGENDA, session.headers("mentoree"))
    wall_clock.advance(60)
    second = await put_agenda(
        client, session, {"items": [{"text": "Only this"}]}, session.headers("mentoree")
    )

    sent = (await first.json())["agenda_progress"]
    resent = (await second.json())["agenda_progress"]
    assert resent["sent_at"] == sent["sent_at"] == sent["updated_at"]
    resent_after = at(resent["updated_at"]) - at(sent["sent_at"])
    assert resent_after == timedelta(seconds=60)
    assert items(await api_state(client, session)) == [(1, "Only this", None, False, "")]


async def test_items_are_trimmed(client, session):
    response = await put_agenda(
        client, session, {"items": [{"text": "  Goals  "}]}, session.headers("mentoree")
    )

    assert items(await response.json()) == [(1, "Goals", None, False, "")]


async def test_the_mentoree_may_change_the_agenda_while_the_mentor_waits_and_the_mentor_sees_it(
    client, session
):
    mentor, _ = await join(client, session, "mentor")

    response = await put_agenda(client, session, AGENDA, session.headers("mentoree"))

    assert response.status == 200
    pushed = await receive_state(mentor, lambda s: s["agenda_progress"]["sent_at"] is not None)
    assert items(pushed) == items(await response.json())


async def test_the_mentor_may_not_write_the_agenda(client, session):
    response = await put_agenda(client, session, AGENDA, session.headers("mentor"))

    assert response.status == 403
    assert response.content_type == "application/json"
    assert "mentoree" in (await response.json())["error"]
    state = await api_state(client, session)
    assert [item["text"] for item in state["agenda"]] == SESSION_REQUEST["agenda"]
    assert state["agenda_progress"]["updated_at"] is None


async def test_the_program_manager_may_not_write_the_agenda(client, session):
    response = await put_agenda(client, session, AGENDA, bearer(ADMIN_TOKEN))

    assert response.status == 403
    assert (await response.json())["error"]


async def test_writing_the_agenda_needs_a_token(client, session):
    response = await put_agenda(client, session, AGENDA, {})

    assert response.status == 401
    assert (await response.json())["error"]


async def test_the_mentoree_of_another_session_may_not_write_this_agenda(client, session, schedule):
    other = await schedule()

    response = await put_agenda(client, session, AGENDA, other.headers("mentoree"))

    assert response.status == 403


async def test_the_agenda_cannot_be_written_once_the_session_started(client, session):
    await started(client, session)

    response = await put_agenda(client, session, AGENDA, session.headers("mentoree"))

    assert response.status == 409
    assert "started" in (await response.json())["error"]
    assert (await api_state(client, session))["agenda_progress"]["updated_at"] is None


async def test_the_agenda_cannot_be_written_after_the_end(client, session):
    mentor, _ = await started(client, session)
    await mentor.send_json({"type": "end"})
    await receive_state(mentor, lambda s: s["status"] == "ended")

    response = await put_agenda(client, session, AGENDA, session.headers("mentoree"))

    assert response.status == 409
    assert "ended" in (await response.json())["error"]


async def test_an_item_of_200_characters_is_accepted_and_one_of_201_is_not(client, session):
    longest = await put_agenda(
        client, session, {"items": [{"text": "x" * 200}]}, session.headers("mentoree")
    )
    too_long = await put_agenda(
        client, session, {"items": [{"text": "x" * 201}]}, session.headers("mentoree")
    )

    assert longest.status == 200
    assert too_long.status == 400
    assert "error" in await too_long.json()
    assert items(await api_state(client, session)) == [(1, "x" * 200, None, False, "")]


async def test_an_agenda_of_30_items_is_accepted_and_one_of_31_is_not(client, session):
    thirty = {"items": [{"text": f"Item {n}"} for n in range(30)]}
    thirty_one = {"items": [{"text": f"Item {n}"} for n in range(31)]}

    assert (await put_agenda(client, session, thirty, session.headers("mentoree"))).status == 200
    response = await put_agenda(client, session, thirty_one, session.headers("mentoree"))

    assert response.status == 400
    assert len((await api_state(client, session))["agenda"]) == 30


@pytest.mark.parametrize(
    "body",
    [
        {**AGENDA, "sent": True},
        {"items": [{"text": "Goals", "done": True}]},
        {"items": [{"text": "   "}]},
        {"items": [{"text": "Goals", "minutes": 0}]},
        {"items": ["Goals"]},
        {},
    ],
    ids=["unknown-field", "unknown-item-field", "blank-text", "zero-minutes", "bare-text", "empty"],
)
async def test_a_malformed_agenda_is_refused_with_400(client, session, body):
    response = await put_agenda(client, session, body, session.headers("mentoree"))

    assert response.status == 400
    assert (await response.json())["error"].startswith("invalid request body")


async def test_checking_an_item_that_does_not_exist_is_refused_as_unknown_item(client, session):
    mentor, _ = await started(client, session)

    await mentor.send_json({"type": "agenda_check", "item_id": 99, "done": True})

    assert await receive_error(mentor) == "unknown_item"


async def test_a_note_on_an_item_that_does_not_exist_is_refused_as_unknown_item(client, session):
    _, mentoree = await started(client, session)

    await mentoree.send_json({"type": "agenda_note", "item_id": 3, "note": "lost"})

    assert await receive_error(mentoree) == "unknown_item"


async def test_an_item_id_that_is_not_positive_is_an_invalid_message(client, session):
    mentor, _ = await started(client, session)

    await mentor.send_json({"type": "agenda_check", "item_id": 0, "done": True})

    assert await receive_error(mentor) == "invalid_message"


async def test_an_added_item_over_200_characters_is_an_invalid_message(client, session):
    mentor, _ = await started(client, session)

    await mentor.send_json({"type": "agenda_add", "text": "x" * 201})

    assert await receive_error(mentor) == "invalid_message"
    assert len((await api_state(client, session))["agenda"]) == 2


async def test_a_note_over_500_characters_is_an_invalid_message(client, session):
    mentor, _ = await started(client, session)

    await mentor.send_json({"type": "agenda_note", "item_id": 1, "note": "x" * 501})

    assert await receive_error(mentor) == "invalid_message"


async def test_a_check_by_one_participant_reaches_the_other(client, session):
    mentor, mentoree = await started(client, session)

    await mentoree.send_json({"type": "agenda_check", "item_id": 1, "done": True})

    pushed = await receive_state(mentor, lambda s: item(s, 1)["done"])
    assert [item["done"] for item in pushed["agenda"]] == [True, False]
    assert pushed["agenda_progress"]["covered"] == 1
    assert pushed["agenda_progress"]["current_item_id"] == 2


async def test_an_uncheck_reaches_the_other(client, session):
    mentor, mentoree = await started(client, session)
    await mentoree.send_json({"type": "agenda_check", "item_id": 1, "done": True})
    await receive_state(mentor, lambda s: item(s, 1)["done"])

    await mentoree.send_json({"type": "agenda_check", "item_id": 1, "done": False})

    pushed = await receive_state(mentor, lambda s: not item(s, 1)["done"])
    assert pushed["agenda_progress"]["covered"] == 0


async def test_a_note_by_one_participant_reaches_the_other_trimmed(client, session):
    mentor, mentoree = await started(client, session)

    await mentor.send_json({"type": "agenda_note", "item_id": 2, "note": " pair on a PR  "})

    pushed = await receive_state(mentoree, lambda s: item(s, 2)["note"])
    assert item(pushed, 2)["note"] == "pair on a PR"


async def test_an_item_added_in_the_room_reaches_the_other_with_the_next_id(client, session):
    mentor, mentoree = await started(client, session)

    await mentor.send_json({"type": "agenda_add", "text": "Conference talk"})

    pushed = await receive_state(mentoree, lambda s: len(s["agenda"]) == 3)
    added = item(pushed, 3)
    assert (added["text"], added["done"], added["added_during_session"]) == (
        "Conference talk",
        False,
        True,
    )


async def test_adding_an_item_to_a_full_agenda_is_refused_as_agenda_full(client, schedule):
    session = await schedule(agenda=[f"Item {n}" for n in range(30)])
    mentor, _ = await started(client, session)

    await mentor.send_json({"type": "agenda_add", "text": "One too many"})

    assert await receive_error(mentor) == "agenda_full"


async def test_after_the_end_the_room_refuses_agenda_changes(client, session):
    mentor, mentoree = await started(client, session)
    await mentor.send_json({"type": "end"})
    await receive_state(mentoree, lambda s: s["status"] == "ended")

    await mentoree.send_json({"type": "agenda_check", "item_id": 1, "done": True})

    assert await receive_error(mentoree) == "session_ended"
    assert not item(await api_state(client, session), 1)["done"]


async def test_the_clock_and_the_current_item_run_from_when_both_are_present(
    client, session, wall_clock
):
    await join(client, session, "mentor")
    wall_clock.advance(300)
    mentoree, _ = await join(client, session, "mentoree")
    wall_clock.advance(90)
    await mentoree.send_json({"type": "agenda_check", "item_id": 1, "done": True})
    await settled(mentoree, session, "mentoree")
    wall_clock.advance(30)

    state = await api_state(client, session)

    assert state["elapsed_seconds"] == 120
    assert state["remaining_seconds"] == 45 * 60 - 120
    assert item(state, 1)["seconds"] == 90
    assert state["agenda_progress"]["current_item_id"] == 2
    assert state["agenda_progress"]["current_item_seconds"] == 30


async def test_speaking_edges_add_up_to_talk_time_in_the_api(client, session, wall_clock):
    mentor, _ = await started(client, session)

    await mentor.send_json({"type": "speaking", "speaking": True})
    await settled(mentor, session, "mentor")
    wall_clock.advance(12.5)
    await mentor.send_json({"type": "speaking", "speaking": False})
    await settled(mentor, session, "mentor")
    wall_clock.advance(100)

    participants = (await api_state(client, session))["participants"]
    assert participants["mentor"]["talk_seconds"] == 12.5
    assert participants["mentoree"]["talk_seconds"] == 0


async def test_talk_time_still_running_shows_in_the_api(client, session, wall_clock):
    _, mentoree = await started(client, session)

    await mentoree.send_json({"type": "speaking", "speaking": True})
    await settled(mentoree, session, "mentoree")
    wall_clock.advance(7)

    assert (await api_state(client, session))["participants"]["mentoree"]["talk_seconds"] == 7


async def test_talking_alone_before_the_start_is_not_talk_time(client, session, wall_clock):
    mentor, _ = await join(client, session, "mentor")
    await mentor.send_json({"type": "speaking", "speaking": True})
    await settled(mentor, session, "mentor")
    wall_clock.advance(30)

    before = await api_state(client, session)
    await join(client, session, "mentoree")
    wall_clock.advance(5)
    after = await api_state(client, session)

    assert before["participants"]["mentor"]["talk_seconds"] == 0
    assert after["participants"]["mentor"]["talk_seconds"] == 5


async def test_a_participant_who_leaves_stops_talking(client, session, wall_clock):
    mentor, mentoree = await started(client, session)
    await mentoree.send_json({"type": "speaking", "speaking": True})
    await settled(mentoree, session, "mentoree")
    wall_clock.advance(20)

    await mentoree.close()
    await receive_state(mentor, lambda s: not s["participants"]["mentoree"]["present"])
    wall_clock.advance(60)

    assert (await api_state(client, session))["participants"]["mentoree"]["talk_seconds"] == 20


async def test_the_one_minute_warning_of_a_one_minute_session_comes_as_soon_as_both_are_there(
    aiohttp_client, config
):
    policy = ClockPolicy(warning_minutes=(10, 5, 1, 0))
    client = await aiohttp_client(make_app(replace(config, clock=policy)))
    response = await client.post(
        "/api/sessions",
        json={**SESSION_REQUEST, "allotted_minutes": 1},
        headers=bearer(ADMIN_TOKEN),
    )
    body = await response.json()
    links = body["links"]
    session = ScheduledSession(
        id=body["id"], body=body, tokens={role: token_of(link) for role, link in links.items()}
    )
    mentor, alone = await join(client, session, "mentor")
    assert alone["session"]["warnings_sent"] == []

    mentoree, _ = await join(client, session, "mentoree")

    for ws in (mentor, mentoree):
        warned = await receive_state(ws, lambda s: s["warnings_sent"])
        # 10 and 5 minutes do not fit in the session; time is up only a minute later.
        assert warned["warnings_sent"] == [1]
        assert warned["started_at"] is not None
        assert warned["status"] == "live"
    assert (await api_state(client, session))["warnings_sent"] == [1]
