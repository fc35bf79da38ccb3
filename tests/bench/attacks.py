"""The red team's resource attacks (issue 14) against a real server, and what they get now.

    .venv/bin/python -m tests.bench.attacks

Prints three figures: where a flood of 2 KB concerns from one invite gets its first 429,
how long 500 sockets that never say hello keep the server's file descriptors, and how
many wrong admin tokens a stream of 2,000 gets checked.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.servers import ADMIN_TOKEN, ONE_ADDRESS_FOR_ALL, ServerProcess

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def descriptors(server: ServerProcess) -> int:
    return len(os.listdir(f"/proc/{server.pid}/fd"))


async def concern_flood(http: aiohttp.ClientSession, server: ServerProcess) -> str:
    start = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 3600))
    request = {"mentor": {"name": "A"}, "mentoree": {"name": "B"}, "scheduled_start": start}
    async with http.post(
        f"{server.base_url}/api/sessions", json={**request, "allotted_minutes": 45}, headers=ADMIN
    ) as response:
        session = await response.json()
    invite = {"Authorization": "Bearer " + session["links"]["mentoree"].split("token=")[1]}
    url = f"{server.base_url}/api/sessions/{session['id']}/concerns"
    statuses, started = [], time.monotonic()
    for _ in range(3000):
        async with http.post(url, json={"text": "x" * 2000}, headers=invite) as response:
            statuses.append(response.status)
            retry_after = response.headers.get("Retry-After")
    seconds = time.monotonic() - started
    async with http.get(f"{server.base_url}/api/dashboard", headers=ADMIN) as response:
        dashboard = len(await response.read())
    return (
        f"3,000 concerns of 2 KB from one invite in {seconds:.1f} s: {statuses.count(201)} "
        f"accepted, the first 429 at #{statuses.index(429) + 1} (Retry-After {retry_after} s); "
        f"/api/dashboard stays {dashboard:,} bytes"
    )


async def silent_sockets(http: aiohttp.ClientSession, server: ServerProcess) -> str:
    baseline, started = descriptors(server), time.monotonic()
    attempts = await asyncio.gather(
        *(http.ws_connect(f"{server.base_url}/ws") for _ in range(500)), return_exceptions=True
    )
    sockets = [ws for ws in attempts if isinstance(ws, aiohttp.ClientWebSocketResponse)]
    peak = descriptors(server)
    readers = [asyncio.create_task(ws.receive()) for ws in sockets]  # to see the close
    for _ in range(1200):  # /proc tells no one: look every 50 ms, for a minute at most
        if descriptors(server) <= baseline:
            break
        await asyncio.sleep(0.05)
    back_after = time.monotonic() - started
    await asyncio.gather(*readers, return_exceptions=True)
    return (
        f"500 sockets without hello: {len(sockets)} opened, {500 - len(sockets)} refused; "
        f"server descriptors {baseline} -> {peak} -> {descriptors(server)} "
        f"(baseline again {back_after:.1f} s after connecting)"
    )


async def admin_guesses(http: aiohttp.ClientSession, server: ServerProcess) -> str:
    statuses, started = [], time.monotonic()
    for guess in range(2000):
        headers = {"Authorization": f"Bearer guess-{guess}"}
        async with http.get(f"{server.base_url}/api/sessions", headers=headers) as response:
            statuses.append(response.status)
    seconds = time.monotonic() - started
    return (
        f"2,000 wrong admin tokens in {seconds:.1f} s: {statuses.count(403)} checked (403), "
        f"{statuses.count(429)} throttled (429); then 6 a minute"
    )


async def attack(data_dir: Path, environ: dict[str, str]) -> list[str]:
    server = ServerProcess(data_dir, {**ONE_ADDRESS_FOR_ALL, **environ})
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await server.wait_until_up()
            return [
                await concern_flood(http, server),
                await silent_sockets(http, server),
                await admin_guesses(http, server),
            ]
    finally:
        server.stop()


# The default cap, then one high enough that only the wait for hello frees the sockets.
CAPS = (50, 1000)


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for cap in CAPS:
            print(f"at most {cap} WebSockets per address:")
            environ = {"MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS": str(cap)}
            for line in await attack(Path(scratch) / str(cap), environ):
                print(f"  {line}")


if __name__ == "__main__":
    asyncio.run(main())
