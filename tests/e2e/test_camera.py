"""Tip 1 in the browser: the server sees whose camera is on and shows a face.

Chromium's fake camera plays a y4m video made from the astronaut photo, so the server's
face detector finds a real face in what the browser sends. Chromium reads the video file
only at launch, hence browsers of this module's own, one per video.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from tests import camera_images
from tests.e2e.conftest import CHROMIUM_ARGS, schedule
from tests.servers import ServerProcess

# Resolves to what the browser's camera uplink sends, from its outbound-rtp stats.
UPLINK_STATS = """async () => {
  const pc = window.mentormeet.camera.uplink?.pc;
  if (!pc || pc.connectionState !== 'connected') return null;
  const stats = [...(await pc.getStats()).values()];
  const rtp = stats.find((s) => s.type === 'outbound-rtp' && s.kind === 'video');
  const [sender] = pc.getSenders();
  const encoding = sender.getParameters().encodings[0];
  return rtp?.frameWidth ? {
    width: rtp.frameWidth, height: rtp.frameHeight, fps: rtp.framesPerSecond ?? 0,
    frames: rtp.framesSent, maxFramerate: encoding.maxFramerate,
    scale: encoding.scaleResolutionDownBy, maxBitrate: encoding.maxBitrate,
  } : null;
}"""


@pytest.fixture(scope="module")
def face_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 640x480 video of the astronaut, moving a little, as a webcam would show her."""
    face = camera_images.face(640, 480)
    frames = [camera_images.live(face, index) for index in range(20)]
    folder = tmp_path_factory.mktemp("camera")
    return camera_images.write_y4m(folder / "face.y4m", frames, fps=10)


@pytest.fixture(scope="module")
def face_browser(playwright: Playwright, chromium: str, face_video: Path) -> Iterator[Browser]:
    with browser_playing(playwright, chromium, face_video) as browser:
        yield browser


@contextlib.contextmanager
def browser_playing(playwright: Playwright, chromium: str, video: Path) -> Iterator[Browser]:
    """Chromium whose fake camera plays ``video``."""
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}"]
    browser = playwright.chromium.launch(executable_path=chromium, args=args)
    try:
        yield browser
    finally:
        browser.close()


def camera_states(server: ServerProcess, session_id: str) -> dict[str, str]:
    state = server.api("GET", f"/api/sessions/{session_id}")
    return {role: p["camera"] for role, p in state["participants"].items()}


def wait_for_api(server: ServerProcess, session_id: str, role: str, camera: str) -> float:
    """Poll the API until ``role``'s camera is ``camera``; return when it was seen."""
    deadline = time.monotonic() + 20
    while camera_states(server, session_id)[role] != camera:
        assert time.monotonic() < deadline, f"the {role}'s camera never became {camera}"
        time.sleep(0.05)
    return time.monotonic()


def checking(indicator: Locator) -> None:
    """The indicator says the camera is being checked (within the 3 s of hysteresis)."""
    expect(indicator).to_have_attribute("data-state", "unknown", timeout=3_000)
    expect(indicator).to_have_text("Checking camera…", timeout=1_000)


def indicators(page: Page, own: str, peer: str) -> None:
    expect(page.get_by_test_id("camera-state-self")).to_have_attribute("data-state", own)
    expect(page.get_by_test_id("camera-state-peer")).to_have_attribute("data-state", peer)


def test_the_server_sees_a_face_on_one_camera_and_the_other_turned_off(
    face_browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    session = schedule(server)
    context = face_browser.new_context(viewport={"width": 1200, "height": 760})
    mentor, mentoree = context.new_page(), context.new_page()
    for page, role in ((mentor, "mentor"), (mentoree, "mentoree")):
        page.goto(session["links"][role])
        page.get_by_test_id("join").click()
        # In the room, and no verdict yet: the hysteresis holds it back 3 s past the first
        # frame. Until then the room says so, never "Camera off".
        page.wait_for_function("() => window.mentormeet?.session != null")
        checking(page.get_by_test_id("camera-state-self"))
        expect(page.get_by_test_id("camera-state-self")).to_have_attribute(
            "data-state", "on", timeout=20_000
        )
        expect(page.get_by_test_id("camera-state-self")).to_have_text("Face in view")
    assert camera_states(server, session["id"]) == {"mentor": "on", "mentoree": "on"}
    indicators(mentor, own="on", peer="on")

    # The uplink is throttled at the sender: about 2 fps, about 320x240.
    uplink = mentor.wait_for_function(f"({UPLINK_STATS})()", polling=500, timeout=10_000)
    sent = uplink.json_value()
    assert sent["maxFramerate"] == 2 and sent["scale"] == 2
    assert sent["maxBitrate"] == 60_000
    assert (sent["width"], sent["height"]) == (320, 240)
    assert sent["fps"] <= 3

    latencies = []
    for _ in range(3):
        clicked = time.monotonic()
        mentoree.get_by_test_id("camera-toggle").click()
        latencies.append(wait_for_api(server, session["id"], "mentoree", "off") - clicked)
        indicators(mentoree, own="off", peer="on")
        indicators(mentor, own="on", peer="off")
        mentoree.get_by_test_id("camera-toggle").click()
        # Back on: checked again, on both sides, until the frames have held a verdict.
        checking(mentoree.get_by_test_id("camera-state-self"))
        checking(mentor.get_by_test_id("camera-state-peer"))
        wait_for_api(server, session["id"], "mentoree", "on")
        indicators(mentor, own="on", peer="on")
    mentor.screenshot(path=tmp_path / "room-camera-mentor.png")

    mentoree.get_by_test_id("camera-toggle").click()
    wait_for_api(server, session["id"], "mentoree", "off")
    # Only the one whose camera is off is nudged, and only after a while.
    nudge = mentoree.get_by_test_id("camera-nudge")
    expect(nudge).to_be_hidden()
    expect(nudge).to_be_visible(timeout=25_000)
    expect(nudge).to_contain_text("Your camera is off")
    expect(mentor.get_by_test_id("camera-nudge")).to_be_hidden()
    mentoree.screenshot(path=tmp_path / "room-camera-mentoree.png")

    state = server.api("GET", f"/api/sessions/{session['id']}")
    assert state["participants"]["mentor"]["camera_on_seconds"] > 15
    assert (
        state["participants"]["mentoree"]["camera_on_seconds"]
        < state["participants"]["mentor"]["camera_on_seconds"]
    )
    (tmp_path / "camera-timings.json").write_text(json.dumps({"off_latency_s": latencies}))
    print(f"camera off click → API off: median {statistics.median(latencies):.3f}s {latencies}")
    context.close()


def test_a_camera_without_a_face_in_view_is_no_face(
    browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    # Chromium's default fake camera shows a moving test pattern: live, but nobody in it.
    session = schedule(server)
    page = browser.new_page(viewport={"width": 1200, "height": 760})
    page.goto(session["links"]["mentor"])
    page.get_by_test_id("join").click()
    expect(page.get_by_test_id("camera-state-self")).to_have_attribute(
        "data-state", "no_face", timeout=20_000
    )
    expect(page.get_by_test_id("camera-state-self")).to_have_text("No face in view")
    # The mentoree never came: the server has no picture of their camera, which is not "off".
    assert camera_states(server, session["id"]) == {"mentor": "no_face", "mentoree": "unknown"}
    page.screenshot(path=tmp_path / "room-no-face.png")
    page.close()


def test_a_camera_the_server_cannot_see_is_said_so_with_what_to_try(
    browser: Browser, server: ServerProcess, tmp_path: Path
) -> None:
    session = schedule(server)
    page = browser.new_page(viewport={"width": 1200, "height": 760})
    # The uplink's offer never reaches the server, as when a network blocks it.
    page.route("**/uplink", lambda route: route.abort())
    page.goto(session["links"]["mentor"])
    page.get_by_test_id("join").click()
    nudge = page.get_by_test_id("camera-nudge")
    expect(nudge).to_contain_text("The server cannot see your camera", timeout=10_000)
    expect(nudge).to_contain_text("TURN server")
    expect(page.get_by_test_id("camera-state-self")).to_have_text("Not seen by the server")
    assert camera_states(server, session["id"])["mentor"] == "unknown"
    page.screenshot(path=tmp_path / "room-camera-unseen.png")
    page.close()


def test_a_backlit_tilted_face_is_a_camera_on(
    playwright: Playwright, chromium: str, server: ServerProcess, tmp_path: Path
) -> None:
    # Dark against a bright window, the head tilted 20°: OpenCV's Haar cascades missed it.
    backlit = camera_images.backlit(640, 480)
    frames = [camera_images.live(backlit, index) for index in range(20)]
    video = camera_images.write_y4m(tmp_path / "backlit.y4m", frames, fps=10)
    with browser_playing(playwright, chromium, video) as browser:
        session = schedule(server)
        page = browser.new_page(viewport={"width": 1200, "height": 760})
        page.goto(session["links"]["mentoree"])
        page.get_by_test_id("join").click()
        wait_for_api(server, session["id"], "mentoree", "on")
        expect(page.get_by_test_id("camera-state-self")).to_have_attribute("data-state", "on")
        page.screenshot(path=tmp_path / "room-backlit-face.png")
