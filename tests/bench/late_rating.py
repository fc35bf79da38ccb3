"""How long a rating given after the end takes to reach the MPM's webhook as a new version.

A real ``mentormeet serve`` process with a webhook pointed at a receiver in this process;
a session scheduled long ago ends by itself (nobody came); then the mentoree rates it
``--ratings`` times, and each rating is timed from the POST to the receiver getting the
summary version it made (``Idempotency-Key: summary:<id>:v<n>``).

    python -m tests.bench.late_rating [--ratings 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from tests.servers import ADMIN_TOKEN, ONE_ADDRESS_FOR_ALL, ServerProcess

WEBHOOK_SECRET = "bench-webhook-secret"


class Receiver:
    """Notes when each idempotency key first arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.changed = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrived.setdefault(request.headers["Idempotency-Key"], time.perf_counter())
        self.changed.set()
        return web.Response(text="thanks")

    async def wait_for(self, key: str, within: float = 30) -> float:
        async with asyncio.timeout(within):
            while key not in self.arrived:
                self.changed.clear()
                await self.changed.wait()
        return self.arrived[key]


async def measure(ratings: int) -> list[float]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    environ = {
        "MENTORMEET_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "MENTORMEET_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MENTORMEET_OUTBOX_DIR": "",
    }
    with tempfile.TemporaryDirectory() as data_dir:
        server = ServerProcess(Path(data_dir), {**ONE_ADDRESS_FOR_ALL, **environ})
        try:
            async with aiohttp.ClientSession() as http:
                await server.wait_until_up()
                return await _rate(http, server, receiver, ratings)
        finally:
            server.stop()
            await runner.cleanup()


async def _rate(
    http: aiohttp.ClientSession, server: ServerProcess, receiver: Receiver, ratings: int
) -> list[float]:
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    request = {
        "mentor": {"name": "Ada Lovelace"},
        "mentoree": {"name": "Grace Hopper"},
        "scheduled_start": long_ago.isoformat(),
        "allotted_minutes": 30,
    }
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with http.post(f"{server.base_url}/api/sessions", json=request, headers=admin) as r:
        session = await r.json()
    session_id = session["id"]
    (token,) = parse_qs(urlsplit(session["links"]["mentoree"]).query)["token"]
    await receiver.wait_for(f"summary:{session_id}:v1")  # it ended by itself: nobody came
    timings = []
    for n in range(ratings):
        version = n + 2
        started = time.perf_counter()
        async with http.post(
            f"{server.base_url}/api/sessions/{session_id}/rating",
            json={"score": 1 + n % 5},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200, await response.text()
        arrived = await receiver.wait_for(f"summary:{session_id}:v{version}")
        timings.append(arrived - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=20)
    ratings = parser.parse_args().ratings
    ms = sorted(t * 1000 for t in asyncio.run(measure(ratings)))
    print(
        f"{ratings} late ratings, POST to webhook v<n>: "
        f"median {statistics.median(ms):.1f} ms, min {ms[0]:.1f} ms, max {ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
