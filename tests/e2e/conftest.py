"""Fixtures for end-to-end tests: a real server process and real headless Chromium.

Chromium is Debian's, driven by Playwright. Outside CI a machine without it skips these
tests; in CI (``CI=true``) a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.ports import free_port

ADMIN_TOKEN = "e2e-admin-token-0123456789abcdefgh"

CHROMIUM_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    # Both pages run on one machine: let them see each other's real host candidates.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    # The machine has no internet; keep Chromium from trying.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]


def chromium_executable() -> str:
    """Debian's Chromium, or skip (fail in CI) when it is not installed."""
    path = os.environ.get("MENTORMEET_CHROMIUM") or shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI must run the end-to-end tests")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@dataclass
class RunningServer:
    """A ``mentormeet serve`` process on loopback."""

    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str, body: Any = None, token: str = ADMIN_TOKEN) -> Any:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


def start_server(
    data_dir: Path, log_path: Path, port: int | None = None, environ: Mapping[str, str] = {}
) -> RunningServer:
    """Start the server and wait until it answers; fail with its log if it does not.

    ``environ`` adds to the server's environment."""
    port = port or free_port()
    environ = {**os.environ, "MENTORMEET_ADMIN_TOKEN": ADMIN_TOKEN, **environ}
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir", data_dir],
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(base_url + "/", timeout=1).close()
            return RunningServer(base_url=base_url, data_dir=data_dir, process=process)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"server did not start:\n{log_path.read_text()}")


def schedule(server: RunningServer, *, allotted_minutes: int = 30, agenda: list[str] = ()) -> dict:
    """Schedule a session for Ada (mentor) and Grace (mentoree) through the API."""
    return server.api(
        "POST",
        "/api/sessions",
        {
            "mentor": {"name": "Ada Lovelace"},
            "mentoree": {"name": "Grace Hopper"},
            "scheduled_start": datetime.now(UTC).isoformat(),
            "allotted_minutes": allotted_minutes,
            "agenda": list(agenda),
        },
    )


@contextlib.contextmanager
def served(tmp_path: Path, environ: Mapping[str, str] = {}) -> Iterator[RunningServer]:
    """A server for one test, with its data and ``server.log`` in ``tmp_path``; it must
    shut down cleanly at the end."""
    running = start_server(tmp_path / "data", tmp_path / "server.log", environ=environ)
    yield running
    running.process.terminate()
    try:
        assert running.process.wait(timeout=10) == 0, "server did not shut down cleanly"
    finally:
        running.process.kill()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with served(tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def chromium() -> str:
    return chromium_executable()


@pytest.fixture(scope="session")
def playwright(chromium: str) -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def sign_in(page: Page, server: RunningServer) -> None:
    """Open the dashboard and sign in with the admin token, as the MPM does."""
    page.goto(f"{server.base_url}/mpm")
    page.get_by_test_id("admin-token").fill(ADMIN_TOKEN)
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("live-sessions").wait_for()


def restart_server(crashed: RunningServer, log_path: Path) -> RunningServer:
    """Start a server on the port and data dir of one that died, as a supervisor would."""
    port = int(crashed.base_url.rsplit(":", 1)[1])
    return start_server(crashed.data_dir, log_path, port=port)


# Resolves once the remote <video> shows decoded frames and keeps receiving new ones.
REMOTE_VIDEO_PLAYING = """async () => {
  const video = document.querySelector('[data-testid=remote-video]');
  const frames = () => video.getVideoPlaybackQuality().totalVideoFrames;
  while (!(video.videoWidth > 0 && frames() > 0)) await new Promise(r => setTimeout(r, 50));
  const before = frames();
  while (frames() <= before + 5) await new Promise(r => setTimeout(r, 50));
  return { width: video.videoWidth, frames: frames() };
}"""


def wait_for_remote_video(page: Page) -> dict[str, int]:
    """The remote video's width and frame count, once it is playing."""
    return page.evaluate(REMOTE_VIDEO_PLAYING)
