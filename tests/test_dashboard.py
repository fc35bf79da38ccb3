"""The dashboard's payload stays bounded however many sessions and concerns there are."""

import asyncio
import json
from dataclasses import replace

import pytest

from analytics.events import Person
from server.dashboard import PAST_PAGE, TREND_POINTS
from server.store import SqliteEventStore
from tests.events import DAY, MINUTE, SCHEDULED, T0, concern, meeting, rated
from tests.utils import ADMIN_TOKEN, bearer, config_for_tests

ENDED = 2 * PAST_PAGE + 5
UPCOMING = 60
CONCERNS = 20  # per session: the most a participant may raise, of 2 KB each
LONG = "x" * 2000
# What one poll may weigh, whatever the program's size (the red team saw 6.5 MB).
PAYLOAD_BOUND = 256 * 1024


def pair(number):
    return Person(name=f"Mentor {number:03d}"), Person(name=f"Mentoree {number:03d}")


def ended_session(number):
    """A held meeting with long concerns and a long rating comment; the first half of them
    by one pair, the rest by a pair each."""
    mentor, mentoree = pair(0 if number < ENDED // 2 else number)
    start = T0 - (ENDED - number) * DAY
    scheduled = replace(
        SCHEDULED, session_id=f"past-{number:03d}", mentor=mentor, mentoree=mentoree
    )
    scheduled = replace(scheduled, scheduled_start=start)
    events = meeting(scheduled=scheduled, start=start, agenda=[LONG[:200]] * 10, minutes=30)
    after = start + 31 * MINUTE
    return [
        *events,
        *(concern("mentoree", LONG, after + n) for n in range(CONCERNS)),
        rated("mentor", 3, LONG, after + CONCERNS),
    ]


def upcoming_session(number):
    scheduled = replace(
        SCHEDULED, session_id=f"next-{number:03d}", scheduled_start=T0 + 30 * DAY + number * DAY
    )
    return [scheduled, *(concern("mentoree", LONG, T0 + n) for n in range(CONCERNS))]


async def populate(database_path):
    store = await SqliteEventStore(database_path).open()
    sessions = [ended_session(n) for n in range(ENDED)]
    sessions += [upcoming_session(n) for n in range(UPCOMING)]
    for events in sessions:
        for event in events:
            await store.append(events[0].session_id, event)
    await store.close()


@pytest.fixture(scope="module")
def busy_data_dir(tmp_path_factory):
    """A program with many past and upcoming sessions, written once for the module."""
    data_dir = tmp_path_factory.mktemp("busy")
    asyncio.run(populate(data_dir / "mentormeet.db"))
    return data_dir


@pytest.fixture
def config(busy_data_dir):
    return config_for_tests(
        busy_data_dir,
        MENTORMEET_OUTBOX_DIR="",
    )


async def test_a_busy_programs_dashboard_stays_small_and_pages_through_every_past_session(
    client,
):
    response = await client.get("/api/dashboard", headers=bearer(ADMIN_TOKEN))
    assert response.status == 200
    payload = await response.read()
    board = json.loads(payload)

    assert len(payload) < PAYLOAD_BOUND, f"{len(payload)} bytes"
    pairs = 1 + ENDED - ENDED // 2
    assert board["counts"] == {"live": 0, "upcoming": UPCOMING, "past": ENDED, "pairs": pairs}
    assert len(board["past"]) == PAST_PAGE
    assert len(board["upcoming"]) < UPCOMING
    first = board["upcoming"][0]
    assert first["concern_count"] == CONCERNS
    assert [len(c["text"]) for c in first["concerns"]] == [280] * 3
    assert board["past"][0]["concerns"] == CONCERNS
    (busy_pair,) = [p for p in board["pairs"] if p["mentor"] == "Mentor 000"]
    assert (busy_pair["sessions_held"], len(busy_pair["points"])) == (ENDED // 2, TREND_POINTS)

    seen = [s["session_id"] for s in board["past"]]
    before = board["past_before"]
    while before is not None:
        page = await client.get(
            "/api/dashboard/past", params={"before": before}, headers=bearer(ADMIN_TOKEN)
        )
        body = await page.json()
        assert len(await page.read()) < PAYLOAD_BOUND
        seen += [s["session_id"] for s in body["past"]]
        before = body["past_before"]
    assert seen == [f"past-{n:03d}" for n in reversed(range(ENDED))]  # newest ended first


@pytest.mark.parametrize("before", ["", "yesterday", "nan/x", "1.5"])
async def test_a_cursor_the_dashboard_did_not_give_is_refused(client, before):
    response = await client.get(
        "/api/dashboard/past", params={"before": before}, headers=bearer(ADMIN_TOKEN)
    )

    assert response.status == 400
    assert "past_before" in (await response.json())["error"]


async def test_older_past_sessions_are_for_the_program_manager_only(client):
    assert (await client.get("/api/dashboard/past")).status == 401
