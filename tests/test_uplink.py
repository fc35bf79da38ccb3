"""The camera uplink through the running app: an aiortc bot offers synthetic video at the
uplink endpoint, and the room's state follows what the video shows. Frames are real; the
app's clock is moved by hand between them."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient
from aiortc import RTCPeerConnection

from analytics.camera import CameraConfig, CameraTracker
from analytics.events import CameraObserved, CameraReported
from server.clock import ManualClock
from server.keys import STORE, UPLINKS
from tests import camera_images
from tests.room_client import join, receive, receive_state
from tests.uplink_client import SyntheticCamera, complete_offer, open_uplink
from tests.utils import ADMIN_TOKEN, ScheduledSession, bearer, camera_frames, eventually

START = float(int(datetime(2031, 3, 4, 15, 0, tzinfo=UTC).timestamp()))
HYSTERESIS = CameraConfig().hysteresis_seconds


@pytest.fixture
def clock():
    """The app's clock (see conftest): at the sessions' scheduled start, moved by hand."""
    return ManualClock(START)


@pytest.fixture
async def session(schedule):
    return await schedule(scheduled_start=datetime.fromtimestamp(START, UTC).isoformat())


@pytest.fixture
async def peers():
    """Client peers a test opens; closed at the end even when the test fails."""
    opened: list[RTCPeerConnection] = []
    yield opened
    await asyncio.gather(*(pc.close() for pc in opened))


def poster(client: TestClient, session: ScheduledSession, role: str):
    async def post(offer: dict[str, str]) -> dict[str, str]:
        response = await client.post(
            f"/api/sessions/{session.id}/uplink", json=offer, headers=session.headers(role)
        )
        assert response.status == 200, await response.text()
        return await response.json()

    return post


async def camera_until(client, clock, session, role: str, state: str) -> CameraTracker:
    """Frames and the clock until ``role``'s uplink says ``state``, and the record too."""
    uplinks = client.server.app[UPLINKS]
    tracker = await camera_frames(
        clock, lambda: uplinks.camera(session.id, role), lambda t: t.state == state
    )
    await eventually(lambda: camera_state_is(client, session, role, state))
    return tracker


async def camera_of(client: TestClient, session: ScheduledSession, role: str) -> dict[str, Any]:
    response = await client.get(f"/api/sessions/{session.id}", headers=bearer(ADMIN_TOKEN))
    return (await response.json())["participants"][role]


async def camera_state_is(client, session, role: str, state: str) -> bool:
    return (await camera_of(client, session, role))["camera"] == state


async def camera_in_room(ws: ClientWebSocketResponse, role: str, camera: str) -> None:
    """Wait for the room's state to show ``role``'s camera as ``camera``."""
    await receive_state(ws, lambda s: s["participants"][role]["camera"] == camera)


async def camera_events(client: TestClient, session: ScheduledSession) -> list[tuple]:
    events = await client.server.app[STORE].events(session.id)
    return [
        (type(e).__name__, e.role, getattr(e, "state", getattr(e, "enabled", None)))
        for e in events
        if isinstance(e, CameraObserved | CameraReported)
    ]


async def test_the_live_state_follows_the_video_face_on_black_off(client, session, clock, peers):
    mentor_ws, welcome = await join(client, session, "mentor")
    await join(client, session, "mentoree")
    assert welcome["uplink"] == {"max_fps": 2.0, "max_width": 320, "max_bitrate": 60_000}
    assert welcome["session"]["participants"]["mentor"]["camera"] == "unknown"
    assert (await camera_of(client, session, "mentor"))["camera"] == "unknown"

    camera = SyntheticCamera(camera_images.face())
    peers.append(await open_uplink(poster(client, session, "mentor"), camera))
    await camera_until(client, clock, session, "mentor", "on")
    seen = await camera_of(client, session, "mentor")
    on_seconds = seen["camera_on_seconds"]
    # Counted from the first frame with a face, not from the verdict the hysteresis later:
    # at the verdict, the camera has been on for that long already.
    assert seen["face_in_view_seconds"] == on_seconds >= HYSTERESIS

    camera.show(camera_images.black())
    await camera_until(client, clock, session, "mentor", "off")
    after = await camera_of(client, session, "mentor")
    assert after["camera_on_seconds"] > on_seconds
    assert (await camera_of(client, session, "mentoree"))["camera"] == "unknown"
    # One event per change, not one per frame; the state reached the room too.
    assert await camera_events(client, session) == [
        ("CameraObserved", "mentor", "on"),
        ("CameraObserved", "mentor", "off"),
    ]
    await camera_in_room(mentor_ws, "mentor", "off")


async def test_a_picture_without_a_face_is_no_face(client, session, clock, peers):
    await join(client, session, "mentoree")
    camera = SyntheticCamera(camera_images.room())
    peers.append(await open_uplink(poster(client, session, "mentoree"), camera))
    await camera_until(client, clock, session, "mentoree", "no_face")


async def test_the_browser_turning_its_camera_off_is_believed_at_once(
    client, session, clock, peers
):
    ws, _ = await join(client, session, "mentor")
    camera = SyntheticCamera(camera_images.face())
    peers.append(await open_uplink(poster(client, session, "mentor"), camera))
    await camera_until(client, clock, session, "mentor", "on")

    off = {"type": "camera", "enabled": False, "muted": False, "ended": False}
    await ws.send_json(off)
    await ws.send_json(off)  # a repeated report is not a new fact
    # Off without the clock moving: no hysteresis for what the browser says, and the face
    # frames still arriving do not override it.
    await camera_in_room(ws, "mentor", "off")
    # Back on, the camera is checked again before the server says what it shows.
    await ws.send_json({**off, "enabled": True})
    await camera_in_room(ws, "mentor", "unknown")
    await camera_until(client, clock, session, "mentor", "on")
    assert await camera_events(client, session) == [
        ("CameraObserved", "mentor", "on"),
        ("CameraReported", "mentor", False),
        ("CameraObserved", "mentor", "off"),
        ("CameraReported", "mentor", True),
        ("CameraObserved", "mentor", "unknown"),
        ("CameraObserved", "mentor", "on"),
    ]


class FirstFrameLogged(logging.Handler):
    """Sets ``analysed`` when the server logs that a camera's first frame was analysed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.analysed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("first frame of the mentor's camera analysed"):
            self.analysed.set()


async def test_the_first_frame_is_analysed_without_waiting_for_the_next(client, session, peers):
    logger = logging.getLogger("server.camera_feed")
    handler, level = FirstFrameLogged(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        await join(client, session, "mentor")
        camera = SyntheticCamera(camera_images.face(), fps=0.1)  # the next frame is 10 s away
        peers.append(await open_uplink(poster(client, session, "mentor"), camera))
        # Real time: how soon the frame leaves aiortc's jitter buffer.
        async with asyncio.timeout(8):
            await handler.analysed.wait()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert camera.frames_sent == 1


async def test_a_new_uplink_replaces_the_old_one(client, session, clock, peers):
    await join(client, session, "mentor")
    uplinks = client.server.app[UPLINKS]
    post = poster(client, session, "mentor")
    peers.append(await open_uplink(post, SyntheticCamera(camera_images.face())))
    first = uplinks.peer(session.id, "mentor")
    peers.append(await open_uplink(post, SyntheticCamera(camera_images.face())))
    assert uplinks.peer(session.id, "mentor") is not first
    await eventually(lambda: first.connectionState == "closed")
    assert len(uplinks) == 1
    await camera_until(client, clock, session, "mentor", "on")


async def test_leaving_the_room_closes_the_uplink_and_nothing_is_seen(
    client, session, clock, peers
):
    ws, _ = await join(client, session, "mentor")
    uplinks = client.server.app[UPLINKS]
    peers.append(
        await open_uplink(poster(client, session, "mentor"), SyntheticCamera(camera_images.face()))
    )
    await camera_until(client, clock, session, "mentor", "on")
    pc = uplinks.peer(session.id, "mentor")
    await ws.close()
    await eventually(lambda: pc.connectionState == "closed" and len(uplinks) == 0)
    mentor = await camera_of(client, session, "mentor")
    assert (mentor["present"], mentor["camera"], mentor["camera_state_seconds"]) == (
        False,
        "unknown",
        0.0,
    )


async def test_shutting_down_leaves_no_peers_tasks_or_threads(client, session, clock, peers):
    await join(client, session, "mentor")
    await join(client, session, "mentoree")
    uplinks = client.server.app[UPLINKS]
    for role in ("mentor", "mentoree"):
        camera = SyntheticCamera(camera_images.face())
        peers.append(await open_uplink(poster(client, session, role), camera))
        await camera_frames(clock, lambda r=role: uplinks.camera(session.id, r), lambda t: True)
    server_peers = [uplinks.peer(session.id, role) for role in ("mentor", "mentoree")]

    await client.close()

    assert len(uplinks) == 0
    assert all(pc.connectionState == "closed" for pc in server_peers)
    ours = [
        t
        for t in asyncio.all_tasks()
        if any(name in repr(t.get_coro()) for name in ("UplinkPeers", "CameraFeed"))
    ]
    assert ours == []
    await asyncio.gather(*(pc.close() for pc in peers))  # the bots' own decoder threads
    threads = [t.name for t in threading.enumerate() if "camera" in t.name or "coder" in t.name]
    assert threads == []


async def test_only_a_participant_in_the_room_may_open_an_uplink(client, session, schedule):
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="sendonly")
    offer = await complete_offer(pc)
    await pc.close()
    url = f"/api/sessions/{session.id}/uplink"

    async def status(headers: dict[str, str], body: Any = offer, path: str = url) -> int:
        response = await client.post(path, json=body, headers=headers)
        assert "error" in await response.json()
        return response.status

    assert await status({}) == 401
    assert await status(bearer(ADMIN_TOKEN)) == 403
    other = await schedule(scheduled_start=datetime.fromtimestamp(START, UTC).isoformat())
    assert await status(other.headers("mentor")) == 403
    assert await status(session.headers("mentor")) == 409  # not in the room yet
    assert await status(session.headers("mentor"), path="/api/sessions/nope/uplink") == 403

    ws, _ = await join(client, session, "mentor")
    assert await status(session.headers("mentor"), body={"type": "answer", "sdp": "x"}) == 400
    assert await status(session.headers("mentor"), body={"type": "offer"}) == 400
    assert await status(session.headers("mentor"), body={"type": "offer", "sdp": "v=0"}) == 400
    no_video = RTCPeerConnection()
    no_video.addTransceiver("audio", direction="sendonly")
    audio_only = await complete_offer(no_video)
    await no_video.close()
    assert await status(session.headers("mentor"), body=audio_only) == 400
    assert len(client.server.app[UPLINKS]) == 0

    await join(client, session, "mentoree")  # a session ends once both were in
    await ws.send_json({"type": "end"})
    await receive_state(ws, lambda s: s["status"] == "ended")
    assert await status(session.headers("mentor")) == 409


async def test_a_camera_the_server_never_sees_is_unknown_in_the_state_and_the_summary(
    client, session, clock, peers
):
    mentor_ws, _ = await join(client, session, "mentor")
    mentoree_ws, _ = await join(client, session, "mentoree")
    live = {"type": "camera", "enabled": True, "muted": False, "ended": False}
    await mentoree_ws.send_json(live)
    # The mentoree's uplink never gets past ICE (as Firefox's did, offering only mDNS
    # names): the server answers, and no packet ever arrives.
    stuck = RTCPeerConnection()
    peers.append(stuck)
    stuck.addTransceiver(SyntheticCamera(camera_images.face()), direction="sendonly")
    await poster(client, session, "mentoree")(await complete_offer(stuck))
    peers.append(
        await open_uplink(poster(client, session, "mentor"), SyntheticCamera(camera_images.face()))
    )
    await camera_until(client, clock, session, "mentor", "on")
    mentoree = await camera_of(client, session, "mentoree")
    assert (mentoree["camera"], mentoree["camera_on_seconds"]) == ("unknown", 0.0)
    assert mentoree["camera_unknown_seconds"] == mentoree["camera_state_seconds"] > 0

    await mentor_ws.send_json({"type": "end"})
    await receive_state(mentor_ws, lambda s: s["status"] == "ended")
    response = await client.get(f"/api/sessions/{session.id}/summary", headers=bearer(ADMIN_TOKEN))
    summary = await response.json()
    mentor, mentoree = summary["participants"]["mentor"], summary["participants"]["mentoree"]
    assert mentoree["present_seconds"] > 0
    assert (mentoree["camera_unknown_share"], mentoree["camera_on_share"]) == (1.0, 0.0)
    assert mentoree["face_in_view_share"] == 0.0
    assert mentoree["camera_unknown_seconds"] == mentoree["present_seconds"]
    assert not {"camera_off", "not_in_view"} & {flag["code"] for flag in summary["flags"]}
    # The mentor's "on" counts from the first frame with a face, not from when hysteresis
    # settled it: the unknown time is the wait for that frame, well under the hysteresis.
    assert mentor["camera_unknown_seconds"] < HYSTERESIS
    assert (
        mentor["camera_on_seconds"] + mentor["camera_unknown_seconds"]
        == (mentor["present_seconds"])
    )


async def test_without_an_uplink_only_the_browser_can_say_the_camera_is_off(client, session):
    ws, _ = await join(client, session, "mentor")
    report = {"type": "camera", "enabled": True, "muted": False, "ended": True}
    await ws.send_json(report)  # no camera at all: the track ended
    await camera_in_room(ws, "mentor", "off")
    await ws.send_json({**report, "ended": False})
    await camera_in_room(ws, "mentor", "unknown")
    assert await camera_events(client, session) == [
        ("CameraReported", "mentor", True),
        ("CameraObserved", "mentor", "off"),
        ("CameraReported", "mentor", True),
        ("CameraObserved", "mentor", "unknown"),
    ]


async def test_a_camera_report_must_match_its_schema(client, session):
    ws, _ = await join(client, session, "mentor")
    await ws.send_json({"type": "camera", "enabled": "yes", "muted": False, "ended": False})
    error = await receive(ws, "error")
    assert error["code"] == "invalid_message"
    assert "enabled" in error["message"]
