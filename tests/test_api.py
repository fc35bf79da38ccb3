import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from server.api import new_session_id
from server.app import make_app
from server.tokens import InviteClaims, issue_token, verify_token
from tests.utils import PUBLIC_URL, SCHEDULED_START_Z, SECRET, SESSION_REQUEST, bearer


def presence(state):
    """Name, presence and join count of each participant in a session's JSON."""
    return {
        role: (p["name"], p["present"], p["joins"]) for role, p in state["participants"].items()
    }


def agenda(state):
    """Text and done flag of each agenda item in a session's JSON."""
    return [(item["text"], item["done"]) for item in state["agenda"]]


async def test_scheduling_a_session_answers_201_with_its_id_links_and_state(client, admin_headers):
    response = await client.post("/api/sessions", json=SESSION_REQUEST, headers=admin_headers)

    assert response.status == 201
    body = await response.json()
    assert body["id"]
    assert body["status"] == "scheduled"
    assert body["scheduled_start"] == SCHEDULED_START_Z
    assert body["allotted_minutes"] == 45
    assert presence(body) == {
        "mentor": ("Ada Lovelace", False, 0),
        "mentoree": ("Grace Hopper", False, 0),
    }
    assert agenda(body) == [("Career goals", False), ("Code review habits", False)]
    assert len({item["id"] for item in body["agenda"]}) == 2


async def test_invite_links_are_absolute_and_open_the_lobby_with_a_token(client, session):
    for role, link in session.body["links"].items():
        url = urlsplit(link)
        assert f"{url.scheme}://{url.netloc}" == PUBLIC_URL
        assert url.path == f"/s/{session.id}"
        assert list(parse_qs(url.query)) == ["token"]
        claims = verify_token(SECRET, session.tokens[role], now=time.time())
        assert (claims.session_id, claims.role) == (session.id, role)


async def test_invite_links_stay_valid_after_the_session_is_over(session):
    claims = verify_token(SECRET, session.tokens["mentor"], now=time.time())

    start = datetime.fromisoformat(SESSION_REQUEST["scheduled_start"]).timestamp()
    scheduled_end = start + SESSION_REQUEST["allotted_minutes"] * 60
    assert claims.expires_at > scheduled_end


async def test_each_scheduled_session_gets_its_own_id(schedule):
    first = await schedule()
    second = await schedule()

    assert first.id != second.id


async def test_names_and_agenda_items_are_trimmed(schedule):
    session = await schedule(
        mentor={"name": "  Ada  "}, mentoree={"name": "Grace "}, agenda=["  Goals "]
    )

    assert session.body["participants"]["mentor"]["name"] == "Ada"
    assert session.body["participants"]["mentoree"]["name"] == "Grace"
    assert agenda(session.body) == [("Goals", False)]


async def test_the_agenda_is_optional(client, admin_headers):
    request = {key: value for key, value in SESSION_REQUEST.items() if key != "agenda"}

    response = await client.post("/api/sessions", json=request, headers=admin_headers)

    assert response.status == 201
    assert agenda(await response.json()) == []


async def test_a_body_that_is_not_json_is_a_400_with_an_error(client, admin_headers):
    response = await client.post(
        "/api/sessions",
        data=b'{"mentor": ',
        headers={**admin_headers, "Content-Type": "application/json"},
    )

    assert response.status == 400
    assert response.content_type == "application/json"
    assert "error" in await response.json()


@pytest.mark.parametrize("field", ["mentor", "mentoree", "scheduled_start", "allotted_minutes"])
async def test_a_missing_field_is_a_400_naming_the_field(client, admin_headers, field):
    request = {key: value for key, value in SESSION_REQUEST.items() if key != field}

    response = await client.post("/api/sessions", json=request, headers=admin_headers)

    assert response.status == 400
    assert field in (await response.json())["error"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("allotted_minutes", 0),
        ("allotted_minutes", 241),
        ("allotted_minutes", "45"),
        ("scheduled_start", "tomorrow"),
        ("scheduled_start", "2030-05-01T14:00:00"),
        ("mentor", {"name": ""}),
        ("mentor", {"name": "   "}),
        ("mentoree", {"name": "Grace", "email": "not an email"}),
        ("mentoree", {"name": "Grace", "phone": "123"}),
        ("agenda", ["fine", ""]),
        ("agenda", "not a list"),
        ("extra", True),
    ],
)
async def test_a_bad_field_is_a_400_naming_the_field(client, admin_headers, field, value):
    response = await client.post(
        "/api/sessions", json={**SESSION_REQUEST, field: value}, headers=admin_headers
    )

    assert response.status == 400
    assert field in (await response.json())["error"]


async def test_a_body_that_is_not_declared_as_json_is_a_415(client, admin_headers):
    response = await client.post(
        "/api/sessions",
        data=json.dumps(SESSION_REQUEST),
        headers={**admin_headers, "Content-Type": "text/plain"},
    )

    assert response.status == 415
    assert "error" in await response.json()


async def test_a_body_too_large_is_refused_with_a_json_error(client, admin_headers):
    request = {**SESSION_REQUEST, "agenda": ["x" * 200] * 500}

    response = await client.post("/api/sessions", json=request, headers=admin_headers)

    assert response.status == 413
    assert "error" in await response.json()


async def test_scheduling_without_a_token_is_a_401(client):
    response = await client.post("/api/sessions", json=SESSION_REQUEST)

    assert response.status == 401
    assert "error" in await response.json()


async def test_scheduling_with_a_wrong_admin_token_is_a_403(client):
    response = await client.post(
        "/api/sessions", json=SESSION_REQUEST, headers=bearer("admin-token-for-test")
    )

    assert response.status == 403


async def test_scheduling_with_a_participant_token_is_a_403(client, session):
    response = await client.post(
        "/api/sessions", json=SESSION_REQUEST, headers=session.headers("mentor")
    )

    assert response.status == 403
    assert "error" in await response.json()


async def test_the_admin_reads_a_session_with_its_links_left_out(client, session, admin_headers):
    response = await client.get(f"/api/sessions/{session.id}", headers=admin_headers)

    assert response.status == 200
    body = await response.json()
    assert "links" not in body
    assert body == {key: value for key, value in session.body.items() if key != "links"}


@pytest.mark.parametrize("role", ["mentor", "mentoree"])
async def test_a_participant_reads_their_session_with_their_token(client, session, role):
    response = await client.get(f"/api/sessions/{session.id}", headers=session.headers(role))

    assert response.status == 200
    body = await response.json()
    assert body["id"] == session.id
    assert body["status"] == "scheduled"
    assert body["participants"]["mentor"]["name"] == "Ada Lovelace"
    assert body["participants"]["mentoree"]["present"] is False


async def test_reading_a_session_without_a_token_is_a_401(client, session):
    response = await client.get(f"/api/sessions/{session.id}")

    assert response.status == 401
    assert "error" in await response.json()


async def test_reading_a_session_with_a_tampered_token_is_a_401(client, session):
    payload, _, signature = session.tokens["mentoree"].partition(".")
    tampered = f"{payload}.{signature[::-1]}"

    response = await client.get(f"/api/sessions/{session.id}", headers=bearer(tampered))

    assert response.status == 401
    assert "error" in await response.json()


async def test_reading_a_session_with_an_expired_token_is_a_401(client, session, config):
    claims = InviteClaims(session_id=session.id, role="mentor", expires_at=time.time() - 60)
    expired = issue_token(config.secret, claims)

    response = await client.get(f"/api/sessions/{session.id}", headers=bearer(expired))

    assert response.status == 401
    assert "expired" in (await response.json())["error"]


async def test_reading_a_session_with_another_sessions_token_is_a_403(client, schedule):
    mine = await schedule()
    theirs = await schedule()

    response = await client.get(f"/api/sessions/{mine.id}", headers=theirs.headers("mentor"))

    assert response.status == 403
    assert "error" in await response.json()


async def test_reading_an_unknown_session_as_admin_is_a_404(client, admin_headers):
    response = await client.get("/api/sessions/no-such-session", headers=admin_headers)

    assert response.status == 404
    assert "error" in await response.json()


async def test_sessions_are_listed_for_the_admin_newest_first(client, schedule, admin_headers):
    first = await schedule()
    second = await schedule()

    response = await client.get("/api/sessions", headers=admin_headers)

    assert response.status == 200
    ids = [item["id"] for item in (await response.json())["sessions"]]
    assert ids == [second.id, first.id]


async def test_sessions_are_not_listed_for_a_participant(client, session):
    response = await client.get("/api/sessions", headers=session.headers("mentor"))

    assert response.status == 403


async def test_sessions_survive_a_restart_of_the_app(aiohttp_client, session, config):
    restarted = await aiohttp_client(make_app(config))

    response = await restarted.get(f"/api/sessions/{session.id}", headers=session.headers("mentor"))

    assert response.status == 200
    assert (await response.json())["participants"]["mentoree"]["name"] == "Grace Hopper"


async def test_an_unknown_api_route_is_a_404_with_a_json_error(client, admin_headers):
    response = await client.get("/api/nothing-here", headers=admin_headers)

    assert response.status == 404
    assert response.content_type == "application/json"
    assert "error" in await response.json()


async def test_a_wrong_method_on_an_api_route_is_a_405_with_a_json_error(client, admin_headers):
    response = await client.delete("/api/sessions", headers=admin_headers)

    assert response.status == 405
    assert "error" in await response.json()


async def test_a_start_more_than_a_year_ahead_is_refused(client, admin_headers):
    request = {**SESSION_REQUEST, "scheduled_start": "9999-12-31T23:59:00+00:00"}

    response = await client.post("/api/sessions", json=request, headers=admin_headers)

    assert response.status == 422
    assert (await response.json())["error"] == "a session must start within a year from now"


async def test_a_start_in_the_past_is_scheduled_only_when_confirmed(client, admin_headers):
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    request = {**SESSION_REQUEST, "scheduled_start": yesterday}

    refused = await client.post("/api/sessions", json=request, headers=admin_headers)
    confirmed = await client.post(
        "/api/sessions", json={**request, "confirm_past_start": True}, headers=admin_headers
    )

    assert refused.status == 422
    assert '"confirm_past_start": true' in (await refused.json())["error"]
    assert confirmed.status == 201


def test_session_ids_start_with_a_letter_or_a_digit():
    assert all(new_session_id()[0].isalnum() for _ in range(2000))
