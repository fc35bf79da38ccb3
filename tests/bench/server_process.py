"""A real ``mentormeet serve`` process on loopback, and what /proc says it costs."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from tests.bench.bots import ADMIN_TOKEN
from tests.ports import free_port

FIRST_FRAME = re.compile(
    r"first frame .* analysed ([\d.]+) s after the offer, ([\d.]+) s after connecting"
)

PROBLEMS = ("Traceback", "Error handling request", "exception was never retrieved")


class ServerProcess:
    """One server with its own data dir and log; CPU and memory read from /proc.

    ``module`` is what ``python -m`` runs: mentormeet's server, or a stand-in with the
    same command line (:mod:`tests.bench.bare_relay`).
    """

    def __init__(self, data_dir: Path, environ: dict[str, str], module: str = "server") -> None:
        self.data_dir = data_dir
        self.log_path = data_dir / "server.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        # Every bot connects from loopback: one address for hundreds of participants.
        loopback = {"MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS": "100000"}
        with self.log_path.open("wb") as log:
            command = [sys.executable, "-m", module, "serve", "--port", str(port)]
            self.process = subprocess.Popen(
                [*command, "--data-dir", str(data_dir)],
                env={**os.environ, **loopback, **environ, "MENTORMEET_ADMIN_TOKEN": ADMIN_TOKEN},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait_until_up(self, http: aiohttp.ClientSession, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_tail()}")
            try:
                async with http.get(self.base_url + "/") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            await asyncio.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process, all of its threads."""
        stat = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # After the command name: field 3 (state) is stat[0]; utime and stime are 14 and 15.
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        """Resident memory of the process."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc status")

    async def cpu_over(self, seconds: float) -> float:
        """CPU seconds the server used over the next ``seconds`` of wall-clock time."""
        before, started = self.cpu_seconds(), time.monotonic()
        await asyncio.sleep(seconds)
        return (self.cpu_seconds() - before) * seconds / (time.monotonic() - started)

    def first_frame_latencies(self) -> list[tuple[float, float]]:
        """(after the offer, after connecting) in seconds, for every uplink so far."""
        text = self.log_path.read_text(errors="replace")
        return [(float(a), float(b)) for a, b in FIRST_FRAME.findall(text)]

    def log_problems(self) -> list[str]:
        """Logged tracebacks and unhandled errors: a healthy server has none."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if any(sign in line for sign in PROBLEMS)]

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def healthy(self, http: aiohttp.ClientSession) -> bool:
        """Still running, still answering, nothing went wrong in its log."""
        if self.process.poll() is not None:
            return False
        try:
            async with http.get(self.base_url + "/api/sessions", headers=_admin()) as response:
                answered = response.status == 200
        except aiohttp.ClientError:
            return False
        return answered and not self.log_problems()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
