"""The MPM signs in with a cookie instead of carrying the admin token around."""

from http.cookies import SimpleCookie

from server.mpm_session import COOKIE_NAME, issue_session, verify_session
from tests.utils import ADMIN_TOKEN, SECRET, SESSION_REQUEST


async def sign_in(client, token=ADMIN_TOKEN):
    return await client.post("/api/signin", json={"token": token})


def cookie_of(response):
    """The session cookie a response sets, as a ``Cookie`` header and its attributes."""
    (header,) = response.headers.getall("Set-Cookie")
    morsel = SimpleCookie(header)[COOKIE_NAME]
    return {"Cookie": f"{COOKIE_NAME}={morsel.value}"}, morsel, header


async def signed_in(client):
    response = await sign_in(client)
    assert response.status == 200
    headers, _, _ = cookie_of(response)
    return headers, (await response.json())["csrf"]


async def test_signing_in_sets_an_http_only_strict_secure_cookie(client):
    response = await sign_in(client)

    assert response.status == 200
    _, morsel, header = cookie_of(response)
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["secure"] is True  # the tests' public URL is https
    assert morsel["path"] == "/"
    assert int(morsel["max-age"]) == 12 * 3600
    assert ADMIN_TOKEN not in header


async def test_a_wrong_token_does_not_sign_in(client):
    response = await sign_in(client, "guess")

    assert response.status == 403
    assert "Set-Cookie" not in response.headers


async def test_the_cookie_reads_the_dashboard_and_a_session(client, session):
    headers, _ = await signed_in(client)

    assert (await client.get("/api/dashboard", headers=headers)).status == 200
    state = await client.get(f"/api/sessions/{session.id}", headers=headers)
    assert state.status == 200
    assert (await client.get("/api/dashboard")).status == 401


async def test_a_write_by_cookie_needs_the_csrf_token(client):
    headers, csrf = await signed_in(client)

    without = await client.post("/api/sessions", json=SESSION_REQUEST, headers=headers)
    wrong = await client.post(
        "/api/sessions", json=SESSION_REQUEST, headers={**headers, "X-CSRF-Token": "x" * 32}
    )
    right = await client.post(
        "/api/sessions", json=SESSION_REQUEST, headers={**headers, "X-CSRF-Token": csrf}
    )

    assert (without.status, wrong.status, right.status) == (403, 403, 201)


async def test_another_tab_learns_the_csrf_token_from_the_cookie(client):
    headers, csrf = await signed_in(client)

    response = await client.get("/api/signin", headers=headers)

    assert response.status == 200
    assert (await response.json())["csrf"] == csrf
    assert (await client.get("/api/signin")).status == 401


async def test_signing_out_clears_the_cookie_and_needs_the_csrf_token(client):
    headers, csrf = await signed_in(client)

    assert (await client.post("/api/signout", headers=headers)).status == 403
    response = await client.post("/api/signout", headers={**headers, "X-CSRF-Token": csrf})

    assert response.status == 200
    _, morsel, _ = cookie_of(response)
    assert morsel.value == ""
    assert int(morsel["max-age"]) == 0


def test_a_cookie_is_refused_once_expired_forged_or_signed_under_another_admin_token():
    cookie, session = issue_session(SECRET, ADMIN_TOKEN, expires_at=2000.0)

    assert verify_session(SECRET, ADMIN_TOKEN, cookie, now=1999.0) == session
    assert verify_session(SECRET, ADMIN_TOKEN, cookie, now=2000.0) is None
    assert verify_session(SECRET, "rotated-token", cookie, now=1999.0) is None
    assert verify_session(b"another secret", ADMIN_TOKEN, cookie, now=1999.0) is None
    payload, _, signature = cookie.partition(".")
    assert verify_session(SECRET, ADMIN_TOKEN, payload + "x." + signature, now=1999.0) is None
    assert verify_session(SECRET, ADMIN_TOKEN, "not a cookie", now=1999.0) is None
