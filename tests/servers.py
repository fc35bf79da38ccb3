"""Real ``mentormeet serve`` processes for the tests and benches: started with an
environment, waited for, stopped or killed, restarted, and what their log and /proc say.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from tests.ports import free_port

__all__ = ["ADMIN_TOKEN", "ONE_ADDRESS_FOR_ALL", "ServerProcess", "served", "start_server"]

ADMIN_TOKEN = "server-admin-token-0123456789abcdef"

# Bots all connect from loopback: one address for hundreds of participants.
ONE_ADDRESS_FOR_ALL = {"MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS": "100000"}

FIRST_FRAME = re.compile(
    r"first frame .* analysed ([\d.]+) s after the offer, ([\d.]+) s after connecting"
)
PROBLEMS = ("Traceback", "Error handling request", "exception was never retrieved")


class ServerProcess:
    """One server on loopback with its own data dir and log (stdout and stderr).

    ``environ`` adds to this process's environment (the admin token is
    :data:`ADMIN_TOKEN` unless it says otherwise). ``module`` is what ``python -m`` runs:
    mentormeet's server, or a stand-in with the same command line
    (:mod:`tests.bench.bare_relay`). The process starts at once; wait for it with
    :meth:`wait_until_answering` or :meth:`wait_until_up`.
    """

    def __init__(
        self,
        data_dir: Path,
        environ: Mapping[str, str] = {},
        module: str = "server",
        *,
        port: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.environ = dict(environ)
        self.module = module
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or data_dir / "server.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", module, "serve", "--port", str(self.port)]
        with self.log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [*command, "--data-dir", str(data_dir)],
                env={**os.environ, "MENTORMEET_ADMIN_TOKEN": ADMIN_TOKEN, **self.environ},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_answering(self, within: float = 30) -> None:
        """Return once the server answers HTTP; raise with its log if it exits or never does."""
        deadline = time.monotonic() + within
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base_url + "/", timeout=1).close()
                return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"the server did not start:\n{self.log_tail(40)}")

    async def wait_until_up(self, within: float = 30) -> None:
        """:meth:`wait_until_answering`, off the event loop."""
        await asyncio.to_thread(self.wait_until_answering, within)

    def api(self, method: str, path: str, body: Any = None, token: str = ADMIN_TOKEN) -> Any:
        """A JSON request to the server's API (as the MPM by default) and its JSON answer."""
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def stop(self, timeout: float = 30) -> int:
        """Ask the server to shut down (SIGTERM), killing it after ``timeout`` seconds;
        return its exit status (0 for a clean shutdown)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()

    def kill(self) -> int:
        """SIGKILL, as a crash: nothing runs on the way out. Returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=10)

    def restart(self, log_path: Path) -> ServerProcess:
        """A new server on this one's port, data dir and environment, as a supervisor
        starts after a crash; it answers when this returns."""
        restarted = ServerProcess(
            self.data_dir, self.environ, self.module, port=self.port, log_path=log_path
        )
        restarted.wait_until_answering()
        return restarted

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

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def first_frame_latencies(self) -> list[tuple[float, float]]:
        """(after the offer, after connecting) in seconds, for every uplink so far."""
        return [(float(a), float(b)) for a, b in FIRST_FRAME.findall(self.log_text())]

    def log_problems(self) -> list[str]:
        """Logged tracebacks and unhandled errors: a healthy server has none."""
        lines = self.log_text().splitlines()
        return [line for line in lines if any(sign in line for sign in PROBLEMS)]

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def healthy(self, http: aiohttp.ClientSession) -> bool:
        """Still running, still answering, nothing went wrong in its log."""
        if self.process.poll() is not None:
            return False
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        try:
            async with http.get(self.base_url + "/api/sessions", headers=headers) as response:
                answered = response.status == 200
        except aiohttp.ClientError:
            return False
        return answered and not self.log_problems()


def start_server(
    data_dir: Path,
    log_path: Path | None = None,
    *,
    port: int | None = None,
    environ: Mapping[str, str] = {},
) -> ServerProcess:
    """A server started and answering (see :class:`ServerProcess`)."""
    server = ServerProcess(data_dir, environ, port=port, log_path=log_path)
    server.wait_until_answering()
    return server


@contextlib.contextmanager
def served(tmp_path: Path, environ: Mapping[str, str] = {}) -> Iterator[ServerProcess]:
    """A server for one test, with its data and ``server.log`` in ``tmp_path``; it must
    shut down cleanly at the end."""
    server = start_server(tmp_path / "data", tmp_path / "server.log", environ=environ)
    try:
        yield server
        assert server.stop(timeout=10) == 0, "server did not shut down cleanly"
    finally:
        server.kill()
