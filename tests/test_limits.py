"""Limits that keep one client from hurting others: message rate, join stampedes, restarts."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import replace

import pytest
from aiohttp import ClientSession, TCPConnector, WSMsgType, WSServerHandshakeError

from analytics.rules import MAX_CONCERNS
from server.app import make_app
from server.keys import PARTICIPANT_WRITES
from server.room_sockets import MESSAGE_BURST
from server.signalling import JOIN_BURST
from server.throttle import ADMIN_GUESS_BURST, WRITE_BURST, Throttle
from tests.room_client import closed, connect, hello, join, present, receive, receive_error
from tests.utils import ADMIN_TOKEN, SESSION_REQUEST, api_state, bearer, eventually, token_of


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


HELLO_TIMEOUT = 1.0


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def strict_app(config):
    """The app with a short wait for hello, and room for a crowd from one address."""
    return make_app(
        replace(config, hello_timeout_seconds=HELLO_TIMEOUT, max_connections_per_address=1000)
    )


async def test_hundreds_of_sockets_that_never_say_hello_are_closed_and_their_descriptors_freed(
    aiohttp_client, strict_app
):
    client = await aiohttp_client(strict_app, connector=TCPConnector(limit=0))
    baseline = open_descriptors()
    opened_at = time.monotonic()

    sockets = await asyncio.gather(*(client.ws_connect("/ws") for _ in range(500)))
    assert open_descriptors() >= baseline + 500
    codes = await asyncio.gather(*(receive_error(ws) for ws in sockets))
    await asyncio.gather(*(closed(ws) for ws in sockets))

    assert set(codes) == {"hello_timeout"}
    assert all(ws.closed for ws in sockets)
    await eventually(lambda: open_descriptors() <= baseline)
    assert time.monotonic() - opened_at < HELLO_TIMEOUT + 10


async def test_a_socket_that_said_hello_outlives_the_wait_for_hello(aiohttp_client, strict_app):
    client = await aiohttp_client(strict_app)
    response = await client.post("/api/sessions", json=SESSION_REQUEST, headers=bearer(ADMIN_TOKEN))
    token = token_of((await response.json())["links"]["mentor"])
    ws = await client.ws_connect("/ws")
    await hello(ws, token, "mentor-tab-1")

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(2 * HELLO_TIMEOUT):
            while True:
                message = await ws.receive()
                assert message.type == WSMsgType.TEXT, message
                assert json.loads(message.data)["type"] != "error", message.data


async def test_connections_from_one_address_are_capped_and_others_still_get_in(
    aiohttp_client, config
):
    client = await aiohttp_client(make_app(replace(config, max_connections_per_address=3)))
    sockets = [await client.ws_connect("/ws") for _ in range(3)]

    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/ws")
    assert refused.value.status == 429
    async with ClientSession(connector=TCPConnector(local_addr=("127.0.0.2", 0))) as other:
        await (await other.ws_connect(client.make_url("/ws"))).close()
    await sockets.pop().close()
    await eventually(lambda: client.ws_connect("/ws"))


async def test_a_flood_of_concerns_from_one_invite_gets_429_after_the_burst(
    client, session, admin_headers
):
    url = f"/api/sessions/{session.id}/concerns"
    concern = {"text": "x" * 2000}

    answers = [
        await client.post(url, json=concern, headers=session.headers("mentoree"))
        for _ in range(300)
    ]

    statuses = [answer.status for answer in answers]
    assert statuses.index(429) == WRITE_BURST
    assert set(statuses[WRITE_BURST:]) == {429}
    assert int(answers[-1].headers["Retry-After"]) >= 1
    # The other participant's allowance is their own.
    mentor = await client.post(url, json={"text": "mine"}, headers=session.headers("mentor"))
    assert mentor.status == 201
    dashboard = await client.get("/api/dashboard", headers=admin_headers)
    assert len(await dashboard.read()) < 100_000


async def test_concerns_are_capped_per_participant_and_session_across_restarts(
    aiohttp_client, config
):
    app = make_app(config)
    app[PARTICIPANT_WRITES] = Throttle(
        per_minute=60_000, burst=1000, what="requests", clock=time.monotonic
    )
    client = await aiohttp_client(app)
    response = await client.post("/api/sessions", json=SESSION_REQUEST, headers=bearer(ADMIN_TOKEN))
    body = await response.json()
    url = f"/api/sessions/{body['id']}/concerns"
    headers = bearer(token_of(body["links"]["mentor"]))

    statuses = [
        (await client.post(url, json={"text": f"{n}"}, headers=headers)).status for n in range(25)
    ]

    assert statuses == [201] * MAX_CONCERNS + [429] * 5
    restarted = await aiohttp_client(make_app(config))
    refused = await restarted.post(url, json={"text": "again"}, headers=headers)
    assert refused.status == 429
    assert (await refused.json())["error"] == (
        "each of you can raise concerns at most 20 times in a session"
    )
