"""The summary, concerns, ratings and the MPM dashboard through the HTTP API."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from analytics.events import ParticipantLeft
from server.dashboard import CSV_COLUMNS
from server.keys import DISPATCHER
from tests.room_client import end, join, started
from tests.utils import (
    ADMIN_TOKEN,
    AGENDA_KEYS,
    PARTICIPANT_KEYS,
    SCHEDULED_START_Z,
    SUMMARY_KEYS,
    Recorded,
    bearer,
    delivered,
)


@pytest.fixture
def recorded(app, client):
    """Every event the app records from now on (the client has started the app)."""
    recorded = Recorded()
    app[DISPATCHER].subscribe(recorded.on_recorded)
    return recorded


def summary_url(session, suffix=""):
    return f"/api/sessions/{session.id}/summary{suffix}"


async def get_summary(client, session, role="mentor"):
    """The summary JSON as ``role`` (``mpm`` for the program manager) reads it."""
    headers = bearer(ADMIN_TOKEN) if role == "mpm" else session.headers(role)
    response = await client.get(summary_url(session), headers=headers)
    assert response.status == 200
    return await response.json()


async def test_there_is_no_summary_before_the_end(client, session):
    await started(client, session)

    for suffix in ("", ".md", ".html"):
        response = await client.get(summary_url(session, suffix), headers=session.headers("mentor"))
        assert response.status == 409
        assert "live" in (await response.json())["error"]


async def test_there_is_no_summary_of_a_session_still_to_come(client, session, admin_headers):
    response = await client.get(summary_url(session), headers=admin_headers)

    assert response.status == 409
    assert "scheduled" in (await response.json())["error"]


async def test_after_the_end_the_summary_is_json_with_the_listed_keys(client, session):
    await end(client, session)

    summary = await get_summary(client, session)

    assert set(summary) >= SUMMARY_KEYS
    assert summary["session_id"] == session.id
    assert (summary["mentor"], summary["mentoree"]) == ("Ada Lovelace", "Grace Hopper")
    assert summary["scheduled_start"] == SCHEDULED_START_Z
    assert summary["started_at"].endswith("Z")
    assert summary["ended_by"] == "mentor"
    assert summary["ended_early"] is True
    assert summary["allotted_minutes"] == 45
    assert set(summary["participants"]) == {"mentor", "mentoree"}
    for participant in summary["participants"].values():
        assert set(participant) >= PARTICIPANT_KEYS
        assert participant["reconnects"] == 0
    assert set(summary["agenda"]) >= AGENDA_KEYS
    assert [item["text"] for item in summary["agenda"]["items"]] == [
        "Career goals",
        "Code review habits",
    ]
    flags = [flag["code"] for flag in summary["flags"]]
    assert {"no_agenda", "agenda_not_covered", "ended_early"} <= set(flags)


async def test_participants_and_the_program_manager_read_the_same_summary(
    client, session, admin_headers
):
    await end(client, session)

    by_role = [await get_summary(client, session, role) for role in ("mentor", "mentoree")]
    response = await client.get(summary_url(session), headers=admin_headers)

    assert response.status == 200
    assert by_role[0] == by_role[1] == await response.json()


async def test_the_summary_of_another_session_is_forbidden(client, session, schedule):
    other = await schedule()
    await end(client, session)

    response = await client.get(summary_url(session), headers=other.headers("mentor"))

    assert response.status == 403


async def test_the_summary_in_markdown(client, session):
    await end(client, session)

    response = await client.get(summary_url(session, ".md"), headers=session.headers("mentoree"))

    assert response.status == 200
    assert response.content_type == "text/markdown"
    text = await response.text()
    assert text.startswith("# Ada Lovelace & Grace Hopper")
    assert "- [ ] Career goals" in text


async def test_the_summary_page_opens_with_the_token_in_the_query(client, session):
    await end(client, session)

    for path in (summary_url(session, ".html"), f"/s/{session.id}/summary"):
        response = await client.get(path, params={"token": session.tokens["mentoree"]})
        assert response.status == 200
        assert response.content_type == "text/html"
        html = await response.text()
        assert 'data-testid="summary"' in html
        assert "Grace Hopper" in html
        assert 'data-testid="rating-form"' in html


async def test_the_summary_page_for_the_program_manager_has_no_rating_form(client, session):
    await end(client, session)

    response = await client.get(summary_url(session, ".html"), headers=bearer(ADMIN_TOKEN))

    assert response.status == 200
    html = await response.text()
    assert 'data-testid="summary"' in html
    assert 'data-testid="rating-form"' not in html


@pytest.mark.parametrize("suffix", ["", ".md", ".html"])
async def test_the_admin_token_in_a_query_string_is_refused(client, session, suffix):
    await end(client, session)

    response = await client.get(summary_url(session, suffix), params={"token": ADMIN_TOKEN})

    assert response.status == 401
    assert "not accepted in a URL" in (await response.json())["error"]


async def test_the_admin_token_in_a_query_string_is_refused_even_beside_a_valid_one(
    client, session
):
    for path in ("/api/dashboard", f"/api/sessions/{session.id}"):
        response = await client.get(
            path, params={"token": ADMIN_TOKEN}, headers=bearer(ADMIN_TOKEN)
        )
        assert response.status == 401


async def test_the_summary_page_needs_a_token(client, session):
    await end(client, session)

    for path in (summary_url(session, ".html"), f"/s/{session.id}/summary"):
        assert (await client.get(path)).status == 401
    bad = await client.get(summary_url(session, ".html"), params={"token": "forged"})
    assert bad.status == 401


async def raise_concern(client, session, headers, text="The mentor was on their phone"):
    return await client.post(
        f"/api/sessions/{session.id}/concerns", json={"text": text}, headers=headers
    )


async def test_a_concern_from_a_participant_is_in_the_summary_and_its_flags(client, session):
    await end(client, session)

    response = await raise_concern(client, session, session.headers("mentoree"), "  Too short  ")

    assert response.status == 201
    # The answer tells the author how far their own concern got, and counts nothing else.
    (receipt,) = (await response.json())["concerns"]
    assert (receipt["version"], receipt["status"]) == (2, "queued")
    summary = await get_summary(client, session, "mpm")
    (concern,) = summary["concerns"]
    assert (concern["role"], concern["name"], concern["text"]) == (
        "mentoree",
        "Grace Hopper",
        "Too short",
    )
    assert concern["at"].endswith("Z")
    (flag,) = (f for f in summary["flags"] if f["code"] == "concern_raised")
    assert (flag["tip"], flag["severity"]) == (4, "alert")


async def test_a_concern_is_read_by_the_program_manager_and_its_author_not_the_other(
    client, session
):
    await end(client, session)
    await raise_concern(client, session, session.headers("mentoree"), "Keeps checking the phone")

    mpm, mentoree, mentor = [
        await get_summary(client, session, role) for role in ("mpm", "mentoree", "mentor")
    ]
    pages = {
        (role, suffix): await (
            await client.get(summary_url(session, suffix), params={"token": token})
        ).text()
        for role, token in (("mentor", session.tokens["mentor"]),)
        for suffix in (".md", ".html")
    } | {
        ("mpm", suffix): await (
            await client.get(summary_url(session, suffix), headers=bearer(ADMIN_TOKEN))
        ).text()
        for suffix in (".md", ".html")
    }

    assert [c["text"] for c in mpm["concerns"]] == ["Keeps checking the phone"]
    assert [c["text"] for c in mentoree["concerns"]] == ["Keeps checking the phone"]
    assert mentor["concerns"] == []
    for suffix in (".md", ".html"):
        assert "Keeps checking the phone" not in pages["mentor", suffix]
        assert "Keeps checking the phone" in pages["mpm", suffix]
    # Nor that there is one: no flag, no count.
    assert "concern_raised" not in {flag["code"] for flag in mentor["flags"]}
    assert "concern" not in pages["mentor", ".md"].lower()


async def test_a_concern_may_be_raised_during_the_meeting(client, session):
    await started(client, session)

    response = await raise_concern(client, session, session.headers("mentor"))

    assert response.status == 201


async def test_the_program_manager_cannot_raise_a_concern(client, session, admin_headers):
    await end(client, session)

    response = await raise_concern(client, session, admin_headers)

    assert response.status == 403
    assert (await get_summary(client, session, "mpm"))["concerns"] == []


async def test_a_blank_concern_is_refused(client, session):
    response = await raise_concern(client, session, session.headers("mentor"), "   ")

    assert response.status == 400


async def rate(client, session, role, body):
    return await client.post(
        f"/api/sessions/{session.id}/rating", json=body, headers=session.headers(role)
    )


async def test_a_meeting_cannot_be_rated_before_it_ends(client, session):
    await started(client, session)

    response = await rate(client, session, "mentor", {"score": 5})

    assert response.status == 409
    assert (await response.json())["error"]


async def test_a_rating_after_the_end_joins_the_summary(client, session):
    await end(client, session)

    response = await rate(client, session, "mentoree", {"score": 4, "comment": " Helpful "})

    assert response.status == 200
    answer = await response.json()
    assert (answer["score"], answer["comment"], answer["shared"]) == (4, "Helpful", False)
    assert (answer["rating"]["version"], answer["rating"]["status"]) == (2, "queued")
    participants = (await get_summary(client, session, "mpm"))["participants"]
    assert (participants["mentoree"]["rating"], participants["mentoree"]["rating_comment"]) == (
        4,
        "Helpful",
    )
    assert participants["mentor"]["rating"] is None


async def test_the_partner_reads_a_rating_only_when_its_author_shared_it(client, session):
    await end(client, session)
    await rate(client, session, "mentoree", {"score": 4, "comment": "Helpful", "shared": True})
    await rate(client, session, "mentor", {"score": 2, "comment": "Unprepared"})

    mentor_reads = (await get_summary(client, session, "mentor"))["participants"]
    mentoree_reads = (await get_summary(client, session, "mentoree"))["participants"]
    page = await (
        await client.get(f"/s/{session.id}/summary", params={"token": session.tokens["mentoree"]})
    ).text()

    assert mentor_reads["mentoree"]["rating"] == 4
    assert mentor_reads["mentor"]["rating"] == 2
    assert mentoree_reads["mentor"]["rating"] is None
    assert mentoree_reads["mentor"]["rating_comment"] is None
    assert "Unprepared" not in page


async def test_a_receipt_says_sent_once_the_outbox_has_the_new_version(client, session, recorded):
    await end(client, session)
    await rate(client, session, "mentor", {"score": 5})
    await recorded.wait_for(lambda e: getattr(e, "version", None) == 2 and delivered("outbox")(e))

    response = await client.get(
        f"/api/sessions/{session.id}/receipts", headers=session.headers("mentor")
    )

    assert response.status == 200
    receipts = await response.json()
    assert (receipts["rating"]["version"], receipts["rating"]["status"]) == (2, "sent")
    assert receipts["concerns"] == []


async def test_receipts_are_the_participants_own(client, session, admin_headers):
    await end(client, session)
    await raise_concern(client, session, session.headers("mentoree"))

    mentor = await client.get(
        f"/api/sessions/{session.id}/receipts", headers=session.headers("mentor")
    )
    mpm = await client.get(f"/api/sessions/{session.id}/receipts", headers=admin_headers)

    assert await mentor.json() == {"rating": None, "concerns": []}
    assert mpm.status == 403


async def test_rating_again_replaces_the_rating(client, session):
    await end(client, session)
    await rate(client, session, "mentor", {"score": 2})

    await rate(client, session, "mentor", {"score": 5, "comment": "Better on reflection"})

    mentor = (await get_summary(client, session))["participants"]["mentor"]
    assert (mentor["rating"], mentor["rating_comment"]) == (5, "Better on reflection")


@pytest.mark.parametrize("score", [0, 6])
async def test_a_score_outside_one_to_five_is_refused(client, session, score):
    await end(client, session)

    response = await rate(client, session, "mentor", {"score": score})

    assert response.status == 400
    assert (await get_summary(client, session))["participants"]["mentor"]["rating"] is None


async def test_the_program_manager_cannot_rate_a_meeting(client, session, admin_headers):
    await end(client, session)

    response = await client.post(
        f"/api/sessions/{session.id}/rating", json={"score": 5}, headers=admin_headers
    )

    assert response.status == 403


async def test_the_dashboard_is_for_the_program_manager_only(client, session):
    assert (await client.get("/api/dashboard")).status == 401
    response = await client.get("/api/dashboard", headers=session.headers("mentor"))
    assert response.status == 403


async def test_the_dashboard_shows_live_upcoming_and_past_sessions_with_deliveries(
    client, schedule, admin_headers, recorded, config
):
    past, live, upcoming = await schedule(), await schedule(), await schedule()
    await end(client, past)
    await recorded.wait_for(delivered("outbox"))
    await join(client, live, "mentor")

    response = await client.get("/api/dashboard", headers=admin_headers)

    assert response.status == 200
    body = await response.json()
    assert {"live", "upcoming", "past", "pairs"} <= set(body)
    assert body["channels"] == ["outbox"]
    assert [s["id"] for s in body["live"]] == [live.id]
    assert [s["id"] for s in body["upcoming"]] == [upcoming.id]
    (ended,) = body["past"]
    assert ended["session_id"] == past.id
    assert set(ended) >= SUMMARY_KEYS
    (delivery,) = ended["deliveries"]
    assert (delivery["channel"], delivery["attempts"], delivery["last_error"]) == (
        "outbox",
        0,
        None,
    )
    assert delivery["delivered_at"].endswith("Z")
    (pair,) = body["pairs"]
    assert (pair["mentor"], pair["mentoree"], pair["sessions_held"]) == (
        "Ada Lovelace",
        "Grace Hopper",
        1,
    )
    outbox = config.delivery.outbox_dir
    assert sorted(p.name for p in outbox.iterdir()) == [
        f"{past.id}.{x}" for x in ("html", "json", "md")
    ]


async def test_the_csv_export_is_for_the_program_manager_only(client, session):
    assert (await client.get("/api/sessions.csv")).status == 401
    response = await client.get("/api/sessions.csv", headers=session.headers("mentoree"))
    assert response.status == 403


async def test_the_csv_export_has_a_header_and_a_row_per_session(client, schedule, admin_headers):
    past, upcoming = await schedule(), await schedule()
    await end(client, past)

    response = await client.get("/api/sessions.csv", headers=admin_headers)

    assert response.status == 200
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = await response.text()
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = {row["session_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {past.id, upcoming.id}
    assert (rows[past.id]["status"], rows[past.id]["ended_early"]) == ("ended", "True")
    assert rows[past.id]["ended_at"].endswith("Z")
    assert "ended_early" in rows[past.id]["flags"].split()
    # Nobody opened a camera uplink: the server never saw a picture, and says nothing of it.
    for role in ("mentor", "mentoree"):
        assert rows[past.id][f"{role}_camera_on_share"] == "0.0"
        assert rows[past.id][f"{role}_face_in_view_share"] == "0.0"
        assert float(rows[past.id][f"{role}_camera_unknown_share"]) in (0.0, 1.0)
    assert "camera_off" not in rows[past.id]["flags"].split()
    assert (rows[past.id]["agenda_covered"], rows[past.id]["agenda_total"]) == ("0", "2")
    assert (rows[upcoming.id]["status"], rows[upcoming.id]["ended_at"]) == ("scheduled", "")
    assert rows[upcoming.id]["mentor"] == "Ada Lovelace"


async def test_the_csv_has_ratings_concern_counts_and_the_summary_version(
    client, schedule, admin_headers
):
    session = await schedule()
    await end(client, session)
    await rate(client, session, "mentor", {"score": 5})
    await raise_concern(client, session, session.headers("mentoree"))

    text = await (await client.get("/api/sessions.csv", headers=admin_headers)).text()

    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["mentor_rating"], row["mentoree_rating"]) == ("5", "")
    assert (row["concerns"], row["summary_version"]) == ("1", "3")


def minutes_ago(minutes):
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def test_the_dashboard_says_late_then_no_show_and_lists_past_newest_ended_first(
    client, schedule, admin_headers, recorded
):
    late = await schedule(scheduled_start=minutes_ago(5), confirm_past_start=True)
    no_show = await schedule(scheduled_start=minutes_ago(50), confirm_past_start=True)
    came_and_went = await schedule(scheduled_start=minutes_ago(20), confirm_past_start=True)
    mentor, _ = await join(client, came_and_went, "mentor")
    await mentor.close()
    await recorded.wait_for(lambda event: isinstance(event, ParticipantLeft))
    first, second = await schedule(), await schedule()
    await end(client, first)
    await end(client, second)

    body = await (await client.get("/api/dashboard", headers=admin_headers)).json()

    assert body["live"] == []
    states = {s["id"]: s["board_state"] for s in body["upcoming"]}
    assert states == {late.id: "late", no_show.id: "no-show", came_and_went.id: "late"}
    assert [s["session_id"] for s in body["past"]] == [second.id, first.id]


async def test_a_concern_shows_on_the_live_card_and_not_in_the_participants_state(
    client, session, admin_headers
):
    await started(client, session)
    await raise_concern(client, session, session.headers("mentoree"), "He is on his phone")

    board = await (await client.get("/api/dashboard", headers=admin_headers)).json()
    state = await (
        await client.get(f"/api/sessions/{session.id}", headers=session.headers("mentor"))
    ).text()

    (live,) = board["live"]
    assert [(c["name"], c["text"]) for c in live["concerns"]] == [
        ("Grace Hopper", "He is on his phone")
    ]
    assert "He is on his phone" not in state
    assert "concern" not in state
