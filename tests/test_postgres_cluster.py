"""Instances sharing one PostgreSQL database: one room across two of them, seats of an
instance that died, claims, and work done once whichever instance does it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from analytics import room
from analytics.clock import ClockPolicy, due_events
from analytics.events import WarningSent
from server.app import make_app
from server.clock import ManualClock, SystemClock
from server.dispatcher import Dispatcher
from server.keys import BOOK, COURIER
from server.postgres_cluster import PostgresCluster
from server.postgres_store import PostgresEventStore
from server.sessions import SessionBook
from tests.events import SCHEDULED, T0, joined
from tests.room_client import join, receive, receive_state
from tests.utils import (
    ADMIN_TOKEN,
    SESSION_REQUEST,
    ScheduledSession,
    bearer,
    config_for_tests,
    eventually,
    token_of,
)

WEBHOOK_SECRET = "cluster-webhook-secret"
# More than a notice carries (8,000 bytes of UTF-8): relayed in parts, cut between
# characters.
BIG_OFFER = {"type": "offer", "sdp": "v=0\r\n" + "a=x-filler:" + "é" * 7_000 + "\r\n"}


class Webhook:
    """The MPM's webhook: counts what arrives, by idempotency key."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.keys.append(request.headers["Idempotency-Key"])
        return web.Response(text="thanks")


@pytest.fixture
async def webhook(aiohttp_server: Any) -> tuple[Webhook, str]:
    hook = Webhook()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    server = await aiohttp_server(app)
    return hook, str(server.make_url("/hook"))


@pytest.fixture
async def instances(
    aiohttp_client: Any, postgres_url: str, tmp_path: Path, webhook: tuple[Webhook, str]
) -> list[TestClient]:
    """Two instances on one database, each with its own data directory."""
    clients = []
    for name in ("a", "b"):
        config = config_for_tests(
            tmp_path / name,
            MENTORMEET_DATABASE_URL=postgres_url,
            MENTORMEET_WEBHOOK_URL=webhook[1],
            MENTORMEET_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        clients.append(await aiohttp_client(make_app(config)))
    return clients


async def schedule(client: TestClient) -> ScheduledSession:
    response = await client.post("/api/sessions", json=SESSION_REQUEST, headers=bearer(ADMIN_TOKEN))
    assert response.status == 201, await response.text()
    body = await response.json()
    tokens = {role: token_of(link) for role, link in body["links"].items()}
    return ScheduledSession(id=body["id"], body=body, tokens=tokens)


async def test_two_participants_on_two_instances_share_one_room(instances, webhook):
    a, b = instances
    session = await schedule(a)

    mentor, _ = await join(a, session, "mentor")
    mentoree, welcome = await join(b, session, "mentoree")

    # Each instance knows who is connected through the other.
    assert welcome["session"]["participants"]["mentor"]["present"] is True
    assert (await receive(mentor, "peer"))["event"] == "joined"
    # Negotiation crosses instances both ways, a message too big for one notice too.
    await mentor.send_json({"type": "signal", "description": BIG_OFFER})
    assert (await receive(mentoree, "signal"))["description"] == BIG_OFFER
    candidate = {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host", "sdpMid": "0"}
    await mentoree.send_json({"type": "signal", "candidate": candidate})
    assert (await receive(mentor, "signal"))["candidate"] == candidate
    # A change made through one instance reaches the room through the other.
    await mentoree.send_json({"type": "agenda_check", "item_id": 1, "done": True})
    await receive_state(mentor, lambda s: s["agenda"][0]["done"])

    await mentor.send_json({"type": "end"})
    await receive_state(mentoree, lambda s: s["status"] == "ended")
    hook, _ = webhook
    # Both instances hear of the end; the summary goes out once.
    await eventually(lambda: hook.keys == [f"summary:{session.id}:v1"])
    for client in instances:
        await client.app[COURIER].settled()
    assert hook.keys == [f"summary:{session.id}:v1"]


async def test_the_seat_of_a_participant_connected_through_a_dead_instance_is_freed(
    instances,
):
    a, _ = instances
    session = await schedule(a)
    mentor, _ = await join(a, session, "mentor")
    # The mentoree's seat is held through an instance that no longer beats.
    await a.app[BOOK].execute(
        session.id,
        lambda state, at: room.join(state, "mentoree", at, client_id="t", connection="gone/1"),
    )

    await receive_state(mentor, lambda s: s["participants"]["mentoree"]["present"])
    state = await receive_state(mentor, lambda s: not s["participants"]["mentoree"]["present"])

    assert state["participants"]["mentor"]["present"] is True


async def test_a_claim_passes_to_another_instance_only_when_its_holder_dies(postgres_url):
    first = await PostgresCluster(postgres_url, SystemClock(), "first").open()
    second = await PostgresCluster(postgres_url, SystemClock(), "second").open()
    try:
        assert await first.claim("delivery s1")
        assert not await second.claim("delivery s1")
        assert await first.claim("delivery s1")  # still its own
        assert await second.claim("delivery s2")

        connection = await asyncpg.connect(postgres_url)
        try:
            await connection.execute("UPDATE instances SET alive_until = 0 WHERE id = 'first'")
        finally:
            await connection.close()

        assert await second.claim("delivery s1")
        assert not await first.claim("delivery s1")
    finally:
        await first.close()
        await second.close()


async def test_a_time_warning_due_on_two_instances_at_once_is_recorded_once(postgres_url):
    policy = ClockPolicy()
    # Both ticks come when the first warning is due.
    clock = ManualClock(T0 + SCHEDULED.allotted_minutes * 60 - policy.warning_minutes[0] * 60)
    stores = [await PostgresEventStore(postgres_url, origin=n).open() for n in ("a", "b")]
    try:
        books = [SessionBook(store, clock, Dispatcher()) for store in stores]
        await books[0].schedule(SCHEDULED)
        for role in ("mentor", "mentoree"):
            await books[0].execute(SCHEDULED.session_id, lambda s, at, r=role: joined(r, T0))

        await asyncio.gather(
            *(
                book.execute(SCHEDULED.session_id, lambda s, at: due_events(s, at, policy))
                for book in books
            )
        )

        warnings = [
            e for e in await stores[0].events(SCHEDULED.session_id) if isinstance(e, WarningSent)
        ]
        assert [w.minutes_left for w in warnings] == [policy.warning_minutes[0]]
        # The instance that found it done already knows it too.
        assert (await books[1].latest(SCHEDULED.session_id)).warnings_sent == {
            policy.warning_minutes[0]
        }
    finally:
        for store in stores:
            await store.close()
