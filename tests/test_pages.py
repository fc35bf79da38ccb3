import time

import pytest

from server.tokens import InviteClaims, issue_token
from tests.room_client import end


def lobby_url(session, role):
    return f"/s/{session.id}?token={session.tokens[role]}"


async def test_the_lobby_greets_the_participant_and_names_their_partner(client, session):
    response = await client.get(lobby_url(session, "mentoree"))

    assert response.status == 200
    assert response.content_type == "text/html"
    html = await response.text()
    assert "Hello Grace Hopper" in html
    assert "Ada Lovelace" in html
    assert 'data-testid="join"' in html
    assert 'data-role="mentoree"' in html
    assert f'data-session-id="{session.id}"' in html


async def test_the_mentorees_lobby_lets_them_send_the_agenda(client, session):
    html = await (await client.get(lobby_url(session, "mentoree"))).text()

    assert 'data-testid="agenda-send"' in html
    assert 'data-testid="agenda-view"' not in html


async def test_the_mentors_lobby_shows_the_agenda_without_editing_it(client, session):
    html = await (await client.get(lobby_url(session, "mentor"))).text()

    assert 'data-testid="agenda-view"' in html
    assert 'data-testid="agenda-send"' not in html


async def test_the_lobby_escapes_names(client, schedule):
    session = await schedule(mentor={"name": "<script>alert(1)</script>"})

    html = await (await client.get(lobby_url(session, "mentoree"))).text()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_the_token_is_not_copied_into_the_page(client, session):
    html = await (await client.get(lobby_url(session, "mentor"))).text()

    assert session.tokens["mentor"] not in html


async def test_the_room_page_has_every_hook_the_browser_tests_use(client, session):
    response = await client.get(f"/s/{session.id}/room?token={session.tokens['mentor']}")

    assert response.status == 200
    html = await response.text()
    for hook in ("local-video", "remote-video", "camera-toggle", "mic-toggle", "timer"):
        assert f'data-testid="{hook}"' in html
    assert 'data-testid="end-session"' in html
    assert 'src="/static/room/main.js"' in html


@pytest.mark.parametrize("path", ["/s/{id}", "/s/{id}/room"])
async def test_a_page_with_a_bad_token_says_the_link_does_not_work(client, session, path):
    response = await client.get(path.format(id=session.id) + "?token=not-a-token")

    assert response.status == 401
    assert response.content_type == "text/html"
    html = await response.text()
    assert "This link does not work" in html
    assert "Part of this link is missing" in html
    assert "token" not in html.split("<main>")[1]
    assert 'data-testid="join"' not in html


async def test_a_page_with_an_expired_token_says_the_link_has_expired(client, session, config):
    claims = InviteClaims(session_id=session.id, role="mentor", expires_at=time.time() - 1)

    response = await client.get(f"/s/{session.id}?token={issue_token(config.secret, claims)}")

    assert response.status == 401
    assert "expired" in await response.text()


async def test_a_page_without_a_token_asks_for_the_invite_link(client, session):
    response = await client.get(f"/s/{session.id}")

    assert response.status == 401
    assert "Open this page with the link you were sent" in await response.text()


async def test_a_page_with_another_sessions_token_is_forbidden(client, schedule):
    mine = await schedule()
    theirs = await schedule()

    response = await client.get(f"/s/{mine.id}?token={theirs.tokens['mentor']}")

    assert response.status == 403
    assert "This link does not work" in await response.text()


async def test_pages_carry_a_content_security_policy_without_inline_code(client, session):
    for path in (
        "/",
        "/mpm",
        lobby_url(session, "mentor"),
        f"/s/{session.id}?token=bad",
        "/no-such-page",
        "/api/no-such-thing",
        "/static/common/style.css",
    ):
        response = await client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy


async def test_pages_keep_invite_tokens_out_of_referrers(client, session):
    response = await client.get(lobby_url(session, "mentor"))

    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_pages_have_no_inline_scripts(client, session):
    for path in ("/", "/mpm", lobby_url(session, "mentor")):
        html = await (await client.get(path)).text()
        assert "<script>" not in html
        assert "onclick=" not in html


async def test_the_home_page_is_served(client):
    response = await client.get("/")

    assert response.status == 200
    assert 'href="/mpm"' in await response.text()


async def test_the_mpm_dashboard_is_served_without_a_token(client):
    response = await client.get("/mpm")

    assert response.status == 200
    html = await response.text()
    assert 'data-testid="schedule"' in html
    assert 'src="/static/mpm/main.js"' in html


JAVASCRIPT = {"text/javascript", "application/javascript"}  # either works for module scripts


@pytest.mark.parametrize(
    ("path", "content_types"),
    [
        ("/static/room/main.js", JAVASCRIPT),
        ("/static/lobby/main.js", JAVASCRIPT),
        ("/static/common/signalling.js", JAVASCRIPT),
        ("/static/common/style.css", {"text/css"}),
    ],
)
async def test_static_files_are_served(client, path, content_types):
    response = await client.get(path)

    assert response.status == 200
    assert response.content_type in content_types
    assert len(await response.read()) > 0


async def test_a_missing_static_file_is_a_404(client):
    response = await client.get("/static/room/nothing.js")

    assert response.status == 404


async def test_an_unknown_page_answers_a_404_page_in_the_products_words(client):
    response = await client.get("/no/such/page")

    assert response.status == 404
    assert response.content_type == "text/html"
    html = await response.text()
    assert "Page not found" in html
    assert 'href="/static/common/style.css"' in html


async def test_an_unknown_api_address_still_answers_json(client):
    response = await client.get("/api/no/such/thing")

    assert response.status == 404
    assert "error" in await response.json()


async def test_the_favicon_is_served_at_both_addresses_browsers_ask(client):
    for path in ("/favicon.ico", "/static/favicon.svg"):
        response = await client.get(path)
        assert response.status == 200
        assert response.content_type == "image/svg+xml"
        assert b"<svg" in await response.read()


@pytest.mark.parametrize("page", ["", "/room"])
async def test_an_invite_link_used_after_the_end_opens_that_participants_summary(
    client, session, page
):
    await end(client, session)

    response = await client.get(
        f"/s/{session.id}{page}", params={"token": session.tokens["mentoree"]}
    )

    assert response.status == 200
    assert response.url.path == f"/s/{session.id}/summary"
    html = await response.text()
    assert 'data-testid="summary"' in html
    assert 'data-actor="mentoree"' in html
    assert 'data-testid="join"' not in html


async def test_a_summary_page_before_the_end_says_so_in_words(client, session):
    response = await client.get(f"/s/{session.id}/summary?token={session.tokens['mentor']}")

    assert response.status == 409
    html = await response.text()
    assert "No summary yet" in html
    assert "The session has not ended" in html
