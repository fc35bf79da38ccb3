"""A mentoree on Firefox meets a mentor on Chromium: the call, the camera uplink of both,
the agenda across engines, the toggles, the end and the summary.

Firefox (Debian's ESR, over WebDriver BiDi) keeps its default WebRTC settings: it offers
its host addresses under mDNS names, and it never uses loopback for WebRTC. So the server
binds its camera uplink to this machine's own (non-loopback) addresses, as one does to
serve Firefox users, while HTTP stays on loopback, where pages may use the camera.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import aioice.ice
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.e2e.conftest import schedule, wait_for_remote_video
from tests.e2e.firefox import Firefox, firefox_executable
from tests.servers import ServerProcess, served

FIRST_FRAME = re.compile(
    r"^(\S+ \S+) server\.camera_feed first frame of the (\w+)'s camera analysed "
    r"([\d.]+) s after the offer, ([\d.]+) s after connecting",
    re.MULTILINE,
)
# Whether the camera is sent again once turned back on: to the other person, to the server.
SENDING = """() => ({
  button: document.querySelector('#camera-toggle').textContent,
  call: window.mentormeet.call.pc.getSenders()
    .some((sender) => sender.track?.kind === 'video' && sender.track.enabled),
  uplink: window.mentormeet.camera.uplink.pc.getSenders()[0].track.enabled,
})"""
# Firefox counts no frames in getVideoPlaybackQuality() for a MediaStream: count the
# frames it presents instead. Resolves once the remote <video> has shown five.
REMOTE_FRAMES_SHOWN = """async () => {
  const video = document.querySelector('[data-testid=remote-video]');
  while (!(video.videoWidth > 0)) await new Promise((r) => setTimeout(r, 50));
  for (let shown = 0; shown < 5; shown += 1) {
    await new Promise((r) => video.requestVideoFrameCallback(r));
  }
  return { width: video.videoWidth };
}"""


@pytest.fixture(scope="module")
def firefox() -> Iterator[Firefox]:
    browser = Firefox(firefox_executable())
    yield browser
    browser.close()


@pytest.fixture
def lan_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """The server, with its camera uplink on this machine's IPv4 addresses but loopback."""
    addresses = aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    if not addresses:
        reason = "this machine has no network interface but loopback, which Firefox needs"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with served(tmp_path, {"MENTORMEET_UPLINK_ADDRESSES": ",".join(addresses)}) as running:
        yield running


def first_frames(log: Path, roles: set[str], timeout: float = 20) -> dict[str, dict]:
    """When the server analysed each role's first camera frame, from its log."""
    deadline = time.monotonic() + timeout
    while True:
        found = {
            match[2]: {
                "at": datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp(),
                "after_offer_s": float(match[3]),
                "after_connecting_s": float(match[4]),
            }
            for match in FIRST_FRAME.finditer(log.read_text())
        }
        if roles <= found.keys():
            return found
        assert time.monotonic() < deadline, f"no analysed frame from {roles - found.keys()}"
        time.sleep(0.1)


def wait_for_state(server: ServerProcess, session_id: str, check, what: str) -> dict:
    deadline = time.monotonic() + 20
    while not check(state := server.api("GET", f"/api/sessions/{session_id}")):
        assert time.monotonic() < deadline, f"never saw {what}: {state['participants']}"
        time.sleep(0.1)
    return state


def console_error(message: ConsoleMessage) -> list[str]:
    """A console message that reports an error, except the site's missing favicon."""
    favicon = message.location.get("url", "").endswith("/favicon.ico")
    return [message.text] if message.type == "error" and not favicon else []


def checkbox(page: Page, text: str):
    return page.get_by_test_id("agenda-item").filter(has_text=text).get_by_role("checkbox")


def test_a_mentoree_on_firefox_meets_a_mentor_on_chromium(
    browser: Browser, firefox: Firefox, lan_server: ServerProcess, tmp_path: Path
) -> None:
    server = lan_server
    session = schedule(server, allotted_minutes=20, agenda=["Goals", "Next steps"])
    session_id = session["id"]
    mentor = browser.new_page(viewport={"width": 1200, "height": 760})
    chromium_errors: list[str] = []
    mentor.on("pageerror", lambda error: chromium_errors.append(str(error)))
    mentor.on("console", lambda message: chromium_errors.extend(console_error(message)))

    mentor.goto(session["links"]["mentor"])
    joined = {"mentor": time.time()}
    mentor.get_by_test_id("join").click()
    firefox.goto(session["links"]["mentoree"])
    firefox.wait_for("() => document.querySelector('#preview').videoWidth > 0")
    joined["mentoree"] = time.time()
    firefox.click("[data-testid=join]")

    # Each sees the other, and the server analyses both cameras.
    assert wait_for_remote_video(mentor)["width"] > 0
    assert firefox.evaluate(REMOTE_FRAMES_SHOWN)["width"] > 0
    analysed = first_frames(tmp_path / "server.log", {"mentor", "mentoree"})
    # Chromium's fake camera shows a moving pattern: a live picture without a face. Firefox's
    # is one flat colour drifting through the hues, which may look like a covered camera.
    wait_for_state(
        server,
        session_id,
        lambda s: s["participants"]["mentor"]["camera"] == "no_face",
        "the mentor's camera live",
    )
    firefox.screenshot(tmp_path / "room-firefox.png")

    # The agenda crosses engines both ways.
    firefox.click("[data-testid=agenda-item]:nth-child(1) input[type=checkbox]")
    expect(checkbox(mentor, "Goals")).to_be_checked()
    checkbox(mentor, "Next steps").check()
    firefox.wait_for(
        "() => document.querySelector('[data-testid=agenda-item]:nth-child(2) input').checked"
    )

    # Firefox's toggles reach the server and the other side.
    firefox.click("[data-testid=camera-toggle]")
    wait_for_state(
        server, session_id, lambda s: s["participants"]["mentoree"]["camera"] == "off", "off"
    )
    expect(mentor.get_by_test_id("camera-state-peer")).to_have_attribute("data-state", "off")
    firefox.click("[data-testid=camera-toggle]")
    assert firefox.evaluate(SENDING) == {"button": "Camera on", "call": True, "uplink": True}
    firefox.click("[data-testid=mic-toggle]")
    assert firefox.evaluate("() => document.querySelector('#mic-toggle').textContent") == "Mic off"

    # Firefox ends the session for both, and reads its summary.
    firefox.click("[data-testid=end-session]")
    firefox.click("[data-testid=confirm-end]")
    expect(mentor.get_by_test_id("room-status")).to_contain_text("Grace Hopper ended the session")
    firefox.goto(
        firefox.wait_for("() => document.querySelector('[data-testid=summary-link]')?.href")
    )
    summary = firefox.wait_for(
        "() => document.querySelector('[data-testid=summary]')?.textContent ?? ''"
    )
    assert "Ada Lovelace & Grace Hopper" in summary
    assert "2 of 2 covered" in summary
    firefox.screenshot(tmp_path / "summary-firefox.png")

    assert firefox.errors == []
    assert chromium_errors == []
    timings = {
        role: {"join_to_first_analysed_frame_s": frame["at"] - joined[role], **frame}
        for role, frame in analysed.items()
    }
    (tmp_path / "firefox-timings.json").write_text(json.dumps(timings))
    for role, browser_name in (("mentor", "Chromium"), ("mentoree", "Firefox")):
        timing = timings[role]
        print(
            f"{browser_name}: join → first analysed frame "
            f"{timing['join_to_first_analysed_frame_s']:.2f} s "
            f"({timing['after_offer_s']:.3f} s after the offer, "
            f"{timing['after_connecting_s']:.3f} s after connecting)"
        )
    mentor.close()
