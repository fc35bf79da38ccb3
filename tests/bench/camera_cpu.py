"""Server CPU per analysed participant.

Starts one ``mentormeet serve`` process, then for each requested count N puts N bot
participants in rooms (two per session), each sending the astronaut as a live camera at the
uplink's default 2 fps, 320x240, waits until the server sees every face, and measures the
server process's CPU time (all its threads, from /proc) over a fixed window::

    .venv/bin/python -m tests.bench.camera_cpu --participants 2 4 8 --seconds 30

The bots run in this process, so their encoding does not count against the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiortc import RTCPeerConnection

from tests import camera_images
from tests.uplink_client import SyntheticCamera, open_uplink

ADMIN_TOKEN = "bench-admin-token"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: field 3 (state) is fields[0]; utime and stime are 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir", data_dir],
        env={**os.environ, "MENTORMEET_ADMIN_TOKEN": ADMIN_TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


async def wait_until_up(http: aiohttp.ClientSession, base_url: str) -> None:
    for _ in range(200):
        try:
            async with http.get(base_url + "/"):
                return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


class Bot:
    """One participant: in the room over the WebSocket, camera on the uplink."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, session: dict, role: str):
        self.http, self.base_url, self.session, self.role = http, base_url, session, role
        self.token = session["links"][role].split("token=")[1]
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.pc: RTCPeerConnection | None = None

    async def join(self) -> None:
        self.ws = await self.http.ws_connect(self.base_url.replace("http", "ws") + "/ws")
        await self.ws.send_json(
            {"type": "hello", "token": self.token, "client_id": f"bot-{self.role}"}
        )
        while (await self.ws.receive_json())["type"] != "welcome":
            pass
        # Keep reading so the server's state pushes never back up.
        self.reader = asyncio.ensure_future(self._read())
        camera = SyntheticCamera(camera_images.face(), fps=2)
        self.pc = await open_uplink(self._post, camera)

    async def _read(self) -> None:
        async for _ in self.ws:
            pass

    async def _post(self, offer: dict) -> dict:
        url = f"{self.base_url}/api/sessions/{self.session['id']}/uplink"
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.post(url, json=offer, headers=headers) as response:
            response.raise_for_status()
            return await response.json()

    async def camera(self) -> str:
        url = f"{self.base_url}/api/sessions/{self.session['id']}"
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with self.http.get(url, headers=headers) as response:
            return (await response.json())["participants"][self.role]["camera"]

    async def leave(self) -> None:
        await self.pc.close()
        await self.ws.close()
        await self.reader


async def schedule(http: aiohttp.ClientSession, base_url: str) -> dict:
    body = {
        "mentor": {"name": "Bench Mentor"},
        "mentoree": {"name": "Bench Mentoree"},
        "scheduled_start": datetime.now(UTC).isoformat(),
        "allotted_minutes": 60,
    }
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with http.post(base_url + "/api/sessions", json=body, headers=headers) as response:
        response.raise_for_status()
        return await response.json()


async def measure(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return cpu_seconds(pid) - before


async def run(counts: list[int], seconds: float) -> list[dict]:
    with tempfile.TemporaryDirectory() as data_dir:
        process, base_url = start_server(Path(data_dir))
        try:
            async with aiohttp.ClientSession() as http:
                await wait_until_up(http, base_url)
                idle = await measure(process.pid, seconds)
                results = [{"participants": 0, "cpu_percent": 100 * idle / seconds}]
                for count in counts:
                    bots = []
                    for index in range(count):
                        if index % 2 == 0:
                            session = await schedule(http, base_url)
                        bots.append(Bot(http, base_url, session, ("mentor", "mentoree")[index % 2]))
                    await asyncio.gather(*(bot.join() for bot in bots))
                    deadline = time.monotonic() + 60
                    while set(await asyncio.gather(*(bot.camera() for bot in bots))) != {"on"}:
                        assert time.monotonic() < deadline, "not every face was seen"
                        await asyncio.sleep(0.5)
                    busy = await measure(process.pid, seconds)
                    results.append(
                        {
                            "participants": count,
                            "cpu_percent": 100 * busy / seconds,
                            "per_participant_percent": 100 * (busy - idle) / seconds / count,
                        }
                    )
                    await asyncio.gather(*(bot.leave() for bot in bots))
                return results
        finally:
            process.terminate()
            process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    for result in asyncio.run(run(args.participants, args.seconds)):
        print(json.dumps({key: round(value, 2) for key, value in result.items()}))


if __name__ == "__main__":
    main()
