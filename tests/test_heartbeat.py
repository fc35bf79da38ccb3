"""Dead peers: the WebSocket heartbeat drops a client that stops answering pings.

aiohttp's server heartbeat sends a ping ``heartbeat`` seconds after the last frame it
received and closes the connection when no pong comes within ``heartbeat / 2``. Timers
longer than the server's ``timeout_ceil_threshold`` (5 s) are rounded up to the next whole
second of the loop clock, which can add up to a second to each.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from aiohttp import WSMsgType, web
from aiohttp.helpers import calculate_timeout_when

from server.app import make_app
from server.config import Config, load_config
from tests.room_client import hello, join, present, receive
from tests.utils import api_state

HEARTBEAT = 0.5
# aiohttp's default for web servers (RequestHandler's timeout_ceil_threshold).
TIMEOUT_CEIL_THRESHOLD = 5
SILENT_CLIENT_LIMIT = 15  # seconds: the promise of issue 7


@pytest.fixture
def app(config: Config) -> web.Application:
    return make_app(replace(config, heartbeat_seconds=HEARTBEAT))


async def test_a_client_that_stops_answering_pings_is_dropped_and_its_peer_told(client, session):
    silent = await client.ws_connect("/ws", autoping=False)
    went_quiet = time.monotonic()
    await hello(silent, session.tokens["mentor"], "mentor-tab-1")
    while (await silent.receive(timeout=5)).type != WSMsgType.TEXT:
        pass  # the welcome; from here on this client reads nothing and answers no ping
    mentoree, _ = await join(client, session, "mentoree")

    async with asyncio.timeout(5):
        while (await receive(mentoree, "peer"))["event"] != "left":
            pass
    dropped_after = time.monotonic() - went_quiet

    # A ping after HEARTBEAT of quiet, then HEARTBEAT / 2 to answer it.
    assert HEARTBEAT <= dropped_after < 1.5 * HEARTBEAT + 2
    state = await api_state(client, session)
    assert present(state) == {"mentor": False, "mentoree": True}
    assert state["status"] == "live"
    # The silent client finds its connection gone (cut without a closing handshake).
    async with asyncio.timeout(5):
        while (await silent.receive()).type not in (WSMsgType.CLOSED, WSMsgType.ERROR):
            pass
    # The mentoree, who answers pings while reading, stays through several more rounds.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(4 * HEARTBEAT):
            while True:
                message = await mentoree.receive()
                assert message.type == WSMsgType.TEXT, message
    assert present(await api_state(client, session))["mentoree"] is True


def worst_case_drop_seconds(heartbeat: float) -> float:
    """The longest aiohttp waits from a client's last frame to dropping it for no pong.

    Computed with aiohttp's own timer rounding, from a loop time just past a whole second
    (where rounding up adds the most).
    """
    quiet_from = 1000.001
    ping_at = calculate_timeout_when(quiet_from, heartbeat, TIMEOUT_CEIL_THRESHOLD)
    dropped_at = calculate_timeout_when(ping_at, heartbeat / 2, TIMEOUT_CEIL_THRESHOLD)
    return dropped_at - quiet_from


def test_the_drop_time_is_the_heartbeat_and_half_of_it_for_short_heartbeats():
    assert worst_case_drop_seconds(HEARTBEAT) == pytest.approx(1.5 * HEARTBEAT)
    assert worst_case_drop_seconds(4) == pytest.approx(6)


def test_the_production_heartbeat_drops_a_silent_client_within_fifteen_seconds(tmp_path):
    # What `mentormeet serve` runs with: no flag or variable changes the heartbeat.
    heartbeat = load_config(data_dir=tmp_path, environ={}).heartbeat_seconds

    assert heartbeat == Config(admin_token="a", secret=b"s").heartbeat_seconds
    assert worst_case_drop_seconds(heartbeat) <= SILENT_CLIENT_LIMIT
