"""Limits that keep one client from hurting others: message rate, join stampedes, restarts."""

from __future__ import annotations

from aiohttp import ClientSession, TCPConnector

from server.app import make_app
from server.signalling import JOIN_BURST, MESSAGE_BURST
from server.throttle import ADMIN_GUESS_BURST
from tests.room_client import connect, hello, join, present, receive, receive_error
from tests.utils import api_state, bearer


async def test_a_flooding_client_is_told_to_slow_down_and_its_peer_is_unaffected(client, session):
    mentor, _ = await join(client, session, "mentor")
    mentoree, _ = await join(client, session, "mentoree")
    flood = {"type": "speaking", "speaking": True}

    for _ in range(MESSAGE_BURST + 50):
        await mentor.send_json(flood)

    assert await receive_error(mentor) == "rate_limited"
    await mentoree.send_json({"type": "signal", "candidate": {"candidate": "candidate:1"}})
    assert (await receive(mentor, "signal"))["candidate"] == {"candidate": "candidate:1"}


async def test_a_stampede_of_joins_on_one_room_is_cut_short(client, session):
    refusals = []
    for attempt in range(JOIN_BURST + 5):
        ws = await connect(client)
        await hello(ws, session.tokens["mentor"], f"stampede-{attempt}")
        first = await receive(ws, "welcome" if attempt == 0 else "error")
        refusals.append(first.get("code"))

    assert refusals.count("room_full") == JOIN_BURST - 1
    assert "too_many_joins" in refusals


async def test_after_a_restart_nobody_is_left_in_the_room_by_the_log(
    aiohttp_client, config, session, client
):
    await join(client, session, "mentor")
    await join(client, session, "mentoree")
    assert present(await api_state(client, session)) == {"mentor": True, "mentoree": True}

    # A second process on the same data dir, as after a crash: its hub holds no sockets.
    restarted = await aiohttp_client(make_app(config))
    response = await restarted.get(f"/api/sessions/{session.id}", headers=session.headers("mentor"))
    state = await response.json()

    assert present(state) == {"mentor": False, "mentoree": False}
    assert state["status"] == "live"


async def test_a_stream_of_wrong_admin_tokens_is_throttled_and_other_addresses_are_not(
    client, admin_headers
):
    for _ in range(3 * ADMIN_GUESS_BURST):  # the MPM's own requests count for nothing
        assert (await client.get("/api/sessions", headers=admin_headers)).status == 200

    answers = [await client.get("/api/sessions", headers=bearer(f"guess-{n}")) for n in range(200)]

    statuses = [answer.status for answer in answers]
    assert statuses[:ADMIN_GUESS_BURST] == [403] * ADMIN_GUESS_BURST
    assert set(statuses[ADMIN_GUESS_BURST:]) == {429}
    assert int(answers[-1].headers["Retry-After"]) >= 1
    # Even the right token waits now: otherwise its answer would end the search.
    assert (await client.get("/api/sessions", headers=admin_headers)).status == 429
    # Another address (the whole of 127/8 is loopback) is not locked out.
    async with ClientSession(connector=TCPConnector(local_addr=("127.0.0.2", 0))) as other:
        response = await other.get(client.make_url("/api/sessions"), headers=admin_headers)
        assert response.status == 200


async def test_guessing_through_a_session_is_throttled_but_genuine_invites_pass(client, session):
    url = f"/api/sessions/{session.id}"

    statuses = [(await client.get(url, headers=bearer(f"x.{n}"))).status for n in range(50)]

    assert statuses[:ADMIN_GUESS_BURST] == [401] * ADMIN_GUESS_BURST
    assert set(statuses[ADMIN_GUESS_BURST:]) == {429}
    assert (await client.get(url, headers=session.headers("mentor"))).status == 200
