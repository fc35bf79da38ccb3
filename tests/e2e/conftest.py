"""Fixtures for end-to-end tests: a real server process (:mod:`tests.servers`) and real
headless Chromium.

Chromium is Debian's, driven by Playwright. Outside CI a machine without it skips these
tests; in CI (``CI=true``) a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.servers import ADMIN_TOKEN, ServerProcess, served

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


def schedule(server: ServerProcess, *, allotted_minutes: int = 30, agenda: list[str] = ()) -> dict:
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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
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


def sign_in(page: Page, server: ServerProcess) -> None:
    """Open the dashboard and sign in with the admin token, as the MPM does."""
    page.goto(f"{server.base_url}/mpm")
    page.get_by_test_id("admin-token").fill(ADMIN_TOKEN)
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("live-sessions").wait_for()


# Counts welcomes from now on, and remembers the call the outage will interrupt.
MARK_BEFORE_OUTAGE = """() => {
  window.outage = { welcomes: 0, pc: window.mentormeet.call.pc };
  window.mentormeet.channel.addEventListener('welcome', () => { window.outage.welcomes += 1; });
}"""
REJOINED = "() => window.outage.welcomes > 0 && window.mentormeet.channel.open"
# A call other than the one the outage interrupted is connected.
NEW_CALL_CONNECTED = """() => {
  const call = window.mentormeet.call;
  return call && call.pc !== window.outage.pc && call.pc.connectionState === 'connected';
}"""


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
