"""The MPM signs in with a cookie instead of carrying the admin token around."""

from http.cookies import SimpleCookie

from server.app import make_app
from server.mpm_session import COOKIE_NAME, issue_session, verify_session
from server.throttle import ADMIN_GUESS_BURST
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


async def test_signing_out_ends_the_session_on_the_server_not_just_in_this_browser(client):
    kept_copy, _ = await signed_in(client)  # a copy of the cookie: another tab, a thief
    headers, csrf = await signed_in(client)

    await client.post("/api/signout", headers={**headers, "X-CSRF-Token": csrf})

    assert (await client.get("/api/dashboard", headers=kept_copy)).status == 401
    assert (await client.get("/api/signin", headers=kept_copy)).status == 401
    again, _ = await signed_in(client)
    assert (await client.get("/api/dashboard", headers=again)).status == 200


async def test_a_sign_out_outlives_a_restart(aiohttp_client, config):
    first = await aiohttp_client(make_app(config))
    kept_copy, csrf = await signed_in(first)
    still_valid, _ = await signed_in(first)
    await first.post("/api/signout", headers={**kept_copy, "X-CSRF-Token": csrf})
    await first.close()

    restarted = await aiohttp_client(make_app(config))

    assert (await restarted.get("/api/dashboard", headers=still_valid)).status == 401
    assert oct((config.data_dir / "mpm_signouts").stat().st_mode & 0o777) == "0o600"
    fresh, _ = await signed_in(restarted)
    assert (await restarted.get("/api/dashboard", headers=fresh)).status == 200


async def test_wrong_tokens_at_sign_in_are_throttled_the_right_one_too_meanwhile(client):
    statuses = [(await sign_in(client, f"guess {n}")).status for n in range(ADMIN_GUESS_BURST)]
    throttled = await sign_in(client, "one guess too many")
    right_token = await sign_in(client)

    assert statuses == [403] * ADMIN_GUESS_BURST
    assert throttled.status == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    assert right_token.status == 429
    assert "Set-Cookie" not in right_token.headers


def test_a_cookie_from_before_a_sign_out_generation_is_refused():
    cookie, session = issue_session(SECRET, ADMIN_TOKEN, expires_at=2000.0, generation=3)

    assert verify_session(SECRET, ADMIN_TOKEN, cookie, now=1.0, generation=3) == session
    assert verify_session(SECRET, ADMIN_TOKEN, cookie, now=1.0, generation=4) is None
