"""The camera uplink end to end inside one process: an aiortc bot sends synthetic video to
the running app, and the live state follows what the video shows."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
import numpy as np
import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient
from aiortc import RTCPeerConnection, RTCSessionDescription

from analytics.events import (
    CameraObserved,
    CameraReported,
    ParticipantJoined,
    Person,
    SessionScheduled,
)
from server.cameras import CameraWatch
from server.keys import STORE, UPLINKS
from server.media import UplinkPeers, small_gray
from server.sessions import SessionBook
from server.store import SqliteEventStore
from tests import camera_images
from tests.uplink_client import SyntheticCamera, complete_offer, open_uplink
from tests.utils import ADMIN_TOKEN, ScheduledSession, bearer

T = Any


async def eventually(check: Callable[[], T | Awaitable[T]]) -> T:
    """Poll ``check`` until it returns something true; give up after 20 seconds."""
    for _ in range(200):
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("the condition did not hold within 20 s")


async def join(client: TestClient, session: ScheduledSession, role: str) -> tuple[Any, dict]:
    """Enter the room as ``role`` over the WebSocket; return the socket and the welcome."""
    ws = await client.ws_connect("/ws")
    await ws.send_json({"type": "hello", "token": session.tokens[role], "client_id": f"{role}-tab"})
    return ws, await receive(ws, "welcome")


async def receive(ws: ClientWebSocketResponse, type_: str) -> dict[str, Any]:
    while True:
        message = await ws.receive(timeout=10)
        assert message.type == WSMsgType.TEXT, message
        data = message.json()
        if data["type"] == type_:
            return data


async def camera_in_room(ws: ClientWebSocketResponse, role: str, camera: str) -> None:
    """Wait for the room's state to show ``role``'s camera as ``camera``."""
    while (await receive(ws, "state"))["session"]["participants"][role]["camera"] != camera:
        pass


def poster(client: TestClient, session: ScheduledSession, role: str):
    async def post(offer: dict[str, str]) -> dict[str, str]:
        response = await client.post(
            f"/api/sessions/{session.id}/uplink", json=offer, headers=session.headers(role)
        )
        assert response.status == 200, await response.text()
        return await response.json()

    return post


async def camera_of(client: TestClient, session: ScheduledSession, role: str) -> dict[str, Any]:
    response = await client.get(f"/api/sessions/{session.id}", headers=bearer(ADMIN_TOKEN))
    return (await response.json())["participants"][role]


async def camera_events(client: TestClient, session: ScheduledSession) -> list[tuple]:
    events = await client.server.app[STORE].events(session.id)
    return [
        (type(e).__name__, e.role, getattr(e, "state", getattr(e, "enabled", None)))
        for e in events
        if isinstance(e, CameraObserved | CameraReported)
    ]


async def camera_state_is(client, session, role: str, state: str) -> bool:
    return (await camera_of(client, session, role))["camera"] == state


@pytest.fixture
async def peers():
    """Client peers a test opens; closed at the end even when the test fails."""
    opened: list[RTCPeerConnection] = []
    yield opened
    await asyncio.gather(*(pc.close() for pc in opened))


async def test_the_live_state_follows_the_video_face_on_black_off(client, session, peers):
    mentor_ws, welcome = await join(client, session, "mentor")
    await join(client, session, "mentoree")
    assert welcome["uplink"] == {"max_fps": 2.0, "max_width": 320, "max_bitrate": 60_000}
    assert (await camera_of(client, session, "mentor"))["camera"] == "off"

    camera = SyntheticCamera(camera_images.face())
    peers.append(await open_uplink(poster(client, session, "mentor"), camera))
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))
    on_seconds = (await camera_of(client, session, "mentor"))["camera_on_seconds"]

    camera.show(camera_images.black())
    await eventually(lambda: camera_state_is(client, session, "mentor", "off"))
    after = await camera_of(client, session, "mentor")
    assert after["camera_on_seconds"] > on_seconds
    assert (await camera_of(client, session, "mentoree"))["camera"] == "off"
    # One event per change, not one per frame; the state reached the room too.
    assert await camera_events(client, session) == [
        ("CameraObserved", "mentor", "on"),
        ("CameraObserved", "mentor", "off"),
    ]
    await camera_in_room(mentor_ws, "mentor", "off")


async def test_a_picture_without_a_face_is_no_face(client, session, peers):
    await join(client, session, "mentoree")
    camera = SyntheticCamera(camera_images.room())
    peers.append(await open_uplink(poster(client, session, "mentoree"), camera))
    await eventually(lambda: camera_state_is(client, session, "mentoree", "no_face"))


async def test_the_browser_turning_its_camera_off_is_believed_at_once(client, session, peers):
    ws, _ = await join(client, session, "mentor")
    camera = SyntheticCamera(camera_images.face())
    peers.append(await open_uplink(poster(client, session, "mentor"), camera))
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))

    off = {"type": "camera", "enabled": False, "muted": False, "ended": False}
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    await ws.send_json(off)
    await ws.send_json(off)  # a repeated report is not a new fact
    await camera_in_room(ws, "mentor", "off")
    assert loop.time() - sent_at < 1.0  # no hysteresis for what the browser says
    # The face frames still arriving do not override what the browser said.
    await ws.send_json({**off, "enabled": True})
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))
    assert await camera_events(client, session) == [
        ("CameraObserved", "mentor", "on"),
        ("CameraReported", "mentor", False),
        ("CameraObserved", "mentor", "off"),
        ("CameraReported", "mentor", True),
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
    logger = logging.getLogger("server.media")
    handler, level = FirstFrameLogged(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        await join(client, session, "mentor")
        camera = SyntheticCamera(camera_images.face(), fps=0.1)  # the next frame is 10 s away
        peers.append(await open_uplink(poster(client, session, "mentor"), camera))
        async with asyncio.timeout(8):
            await handler.analysed.wait()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert camera.frames_sent == 1


async def test_a_new_uplink_replaces_the_old_one(client, session, peers):
    await join(client, session, "mentor")
    uplinks = client.server.app[UPLINKS]
    post = poster(client, session, "mentor")
    peers.append(await open_uplink(post, SyntheticCamera(camera_images.face())))
    first = uplinks.peer(session.id, "mentor")
    peers.append(await open_uplink(post, SyntheticCamera(camera_images.face())))
    assert uplinks.peer(session.id, "mentor") is not first
    await eventually(lambda: first.connectionState == "closed")
    assert len(uplinks) == 1
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))


async def test_leaving_the_room_closes_the_uplink_and_turns_the_camera_off(client, session, peers):
    ws, _ = await join(client, session, "mentor")
    uplinks = client.server.app[UPLINKS]
    peers.append(
        await open_uplink(poster(client, session, "mentor"), SyntheticCamera(camera_images.face()))
    )
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))
    pc = uplinks.peer(session.id, "mentor")
    await ws.close()
    await eventually(lambda: pc.connectionState == "closed" and len(uplinks) == 0)
    assert (await camera_of(client, session, "mentor"))["camera"] == "off"


async def test_shutting_down_leaves_no_peers_tasks_or_threads(client, session, peers):
    await join(client, session, "mentor")
    await join(client, session, "mentoree")
    for role in ("mentor", "mentoree"):
        camera = SyntheticCamera(camera_images.face())
        peers.append(await open_uplink(poster(client, session, role), camera))
    await eventually(lambda: camera_state_is(client, session, "mentoree", "on"))
    uplinks = client.server.app[UPLINKS]
    server_peers = [uplinks.peer(session.id, role) for role in ("mentor", "mentoree")]

    await client.close()

    assert len(uplinks) == 0
    assert all(pc.connectionState == "closed" for pc in server_peers)
    ours = [t for t in asyncio.all_tasks() if "UplinkPeers" in repr(t.get_coro())]
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
    other = await schedule()
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
    while (await receive(ws, "state"))["session"]["status"] != "ended":
        pass
    assert await status(session.headers("mentor")) == 409


async def test_a_camera_report_must_match_its_schema(client, session):
    ws, _ = await join(client, session, "mentor")
    await ws.send_json({"type": "camera", "enabled": "yes", "muted": False, "ended": False})
    error = await receive(ws, "error")
    assert error["code"] == "invalid_message"
    assert "enabled" in error["message"]


@pytest.mark.parametrize(
    ("size", "shrunk"),
    [((640, 480), (320, 240)), ((320, 240), (320, 240)), ((1280, 720), (320, 180))],
)
def test_frames_are_analysed_as_small_grayscale_pictures(size, shrunk):
    width, height = size
    frame = av.VideoFrame.from_ndarray(camera_images.face(width, height), format="rgb24")
    gray = small_gray(frame.reformat(format="yuv420p"), max_width=320)
    assert gray.shape == (shrunk[1], shrunk[0])
    assert gray.dtype.name == "uint8"
    expected = camera_images.gray(camera_images.face(*shrunk))
    assert abs(float(gray.mean()) - float(expected.mean())) < 3


def test_frames_are_written_into_the_buffer_given_and_black_is_zero():
    rgb = camera_images.black()
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    buffer = np.full((240, 320), 7, np.uint8)
    assert small_gray(frame, max_width=320, out=buffer) is buffer
    assert buffer.max() == 0  # limited-range black (luma 16) reads as 0
    smaller = small_gray(frame, max_width=160, out=buffer)
    assert smaller is not buffer and smaller.shape == (120, 160)


@pytest.fixture
async def book(tmp_path):
    store = await SqliteEventStore(tmp_path / "events.db").open()
    book = SessionBook(store)
    await book.schedule(
        SessionScheduled(
            at=time.time(),
            actor="mpm",
            session_id="s1",
            mentor=Person(name="Ada"),
            mentoree=Person(name="Grace"),
            scheduled_start=time.time(),
            allotted_minutes=30,
        )
    )
    await book.record("s1", ParticipantJoined(at=time.time(), actor="mentor", role="mentor"))
    yield book
    await store.close()


@pytest.fixture
async def quick_uplinks(config, book):
    """Uplinks that give up on a peer after a second instead of the default half minute."""
    watch = CameraWatch(book, config.camera)
    uplinks = UplinkPeers(config, watch, connect_timeout=1, idle_timeout=1, tick_seconds=0.1)
    yield uplinks
    await uplinks.close()


async def test_an_uplink_that_never_connects_is_closed(quick_uplinks, peers):
    pc = RTCPeerConnection()
    peers.append(pc)
    pc.addTransceiver(SyntheticCamera(camera_images.face()), direction="sendonly")
    offer = await complete_offer(pc)  # the bot never applies the server's answer
    await quick_uplinks.accept("s1", "mentor", RTCSessionDescription(**offer))
    assert len(quick_uplinks) == 1
    await eventually(lambda: len(quick_uplinks) == 0)


async def test_an_uplink_that_stops_sending_frames_is_closed_and_its_camera_off(
    quick_uplinks, book, peers
):
    camera = SyntheticCamera(camera_images.face())

    async def post(offer: dict[str, str]) -> dict[str, str]:
        answer = await quick_uplinks.accept("s1", "mentor", RTCSessionDescription(**offer))
        return {"type": answer.type, "sdp": answer.sdp}

    peers.append(await open_uplink(post, camera))
    await eventually(lambda: _camera(book, "on"))
    camera.stop()
    await eventually(lambda: len(quick_uplinks) == 0)
    assert await _camera(book, "off")


async def _camera(book: SessionBook, state: str) -> bool:
    return (await book.get("s1")).camera["mentor"].state == state
