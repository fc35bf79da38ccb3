"""``GET /healthz``: 200 while the event store answers, 503 once it cannot be reached."""

from __future__ import annotations

from pathlib import Path

from server.app import make_app
from server.keys import STORE
from tests.postgres import start_cluster_or_skip
from tests.utils import config_for_tests


async def test_a_server_whose_store_answers_is_healthy_without_any_token(client):
    response = await client.get("/healthz")

    assert response.status == 200
    assert await response.json() == {"status": "ok", "store": "reachable"}
    assert response.headers["Cache-Control"] == "no-store"


async def test_health_checks_are_never_throttled(client):
    statuses = [(await client.get("/healthz")).status for _ in range(200)]

    assert statuses == [200] * 200


async def test_a_closed_store_makes_the_server_unavailable(client):
    await client.app[STORE].close()

    response = await client.get("/healthz")

    assert response.status == 503
    assert await response.json() == {"status": "unavailable", "store": "unreachable"}
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_stopped_postgresql_cluster_makes_the_server_unavailable(
    aiohttp_client, tmp_path: Path
):
    cluster = start_cluster_or_skip()
    try:
        config = config_for_tests(tmp_path, MENTORMEET_DATABASE_URL=await cluster.new_schema())
        client = await aiohttp_client(make_app(config))
        assert (await client.get("/healthz")).status == 200
    finally:
        cluster.stop()

    response = await client.get("/healthz")

    assert response.status == 503
    assert (await response.json())["status"] == "unavailable"
