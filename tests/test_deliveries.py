"""A delivery that gave up shows as failed on the dashboard, and the MPM retries it."""

import pytest
from aiohttp import web

from analytics.events import SummaryDeliveryFailed
from server.keys import DISPATCHER
from tests.room_client import end
from tests.utils import (
    ADMIN_TOKEN,
    Recorded,
    bearer,
    config_for_tests,
    delivered,
)


class Receiver:
    """The MPM's webhook endpoint: refuses everything with a 400 until told otherwise."""

    def __init__(self):
        self.refusing = True

    async def handle(self, request):
        await request.read()
        if self.refusing:
            return web.Response(status=400, text="unexpected payload")
        return web.Response(status=204)


@pytest.fixture
async def receiver(aiohttp_server):
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    receiver.server = await aiohttp_server(app, host="127.0.0.1")
    return receiver


@pytest.fixture
def config(tmp_path, receiver):
    return config_for_tests(
        tmp_path,
        MENTORMEET_OUTBOX_DIR="",
        MENTORMEET_WEBHOOK_URL=str(receiver.server.make_url("/hook")),
        MENTORMEET_WEBHOOK_SECRET="webhook-secret-for-tests",
    )


@pytest.fixture
def recorded(app, client):
    recorded = Recorded()
    app[DISPATCHER].subscribe(recorded.on_recorded)
    return recorded


def retry_url(session_id, channel="webhook"):
    return f"/api/sessions/{session_id}/deliveries/{channel}/retry"


async def webhook_delivery(client, session_id):
    board = await (await client.get("/api/dashboard", headers=bearer(ADMIN_TOKEN))).json()
    (past,) = [s for s in board["past"] if s["session_id"] == session_id]
    (delivery,) = past["deliveries"]
    return delivery


async def test_a_refused_webhook_shows_as_failed_with_its_reason_and_a_retry_delivers_it(
    client, session, receiver, recorded
):
    await end(client, session)
    await recorded.wait_for(lambda e: isinstance(e, SummaryDeliveryFailed) and e.final)

    delivery = await webhook_delivery(client, session.id)
    assert (delivery["failed"], delivery["attempts"], delivery["delivered_version"]) == (
        True,
        1,
        0,
    )
    assert delivery["last_error"] == "webhook answered 400 Bad Request"

    receiver.refusing = False
    response = await client.post(retry_url(session.id), headers=bearer(ADMIN_TOKEN))
    assert response.status == 202
    assert await response.json() == {"channel": "webhook", "retrying": True}
    await recorded.wait_for(delivered("webhook"))

    delivery = await webhook_delivery(client, session.id)
    assert (delivery["failed"], delivery["last_error"], delivery["delivered_version"]) == (
        False,
        None,
        1,
    )
    again = await client.post(retry_url(session.id), headers=bearer(ADMIN_TOKEN))
    assert again.status == 409
    assert "has not failed" in (await again.json())["error"]


async def test_only_the_program_manager_retries_and_only_a_channel_and_session_that_exist(
    client, session
):
    assert (await client.post(retry_url(session.id))).status == 401
    as_mentor = await client.post(retry_url(session.id), headers=session.headers("mentor"))
    assert as_mentor.status == 403
    unknown_channel = await client.post(
        retry_url(session.id, "carrier-pigeon"), headers=bearer(ADMIN_TOKEN)
    )
    assert unknown_channel.status == 404
    unknown_session = await client.post(retry_url("nope"), headers=bearer(ADMIN_TOKEN))
    assert unknown_session.status == 404
