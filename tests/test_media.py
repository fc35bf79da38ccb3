"""The camera uplink end to end inside one process: an aiortc bot sends synthetic video to
the running app, and the live state follows what the video shows."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aioice.ice
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
from server.clock import SystemClock
from server.dispatcher import Dispatcher
from server.keys import CONFIG, STORE, UPLINKS
from server.media import UplinkPeers, small_gray
from server.sessions import SessionBook
from server.store import SqliteEventStore
from tests import camera_images
from tests.uplink_client import SyntheticCamera, complete_offer, open_uplink
from tests.utils import ADMIN_TOKEN, ScheduledSession, bearer, recording

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
    assert welcome["session"]["participants"]["mentor"]["camera"] == "unknown"
    assert (await camera_of(client, session, "mentor"))["camera"] == "unknown"

    camera = SyntheticCamera(camera_images.face())
    peers.append(await open_uplink(poster(client, session, "mentor"), camera))
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))
    seen = await camera_of(client, session, "mentor")
    on_seconds = seen["camera_on_seconds"]
    # Counted from the first frame with a face, not from the verdict 3 s (the hysteresis)
    # later: at the verdict, the camera has been on for those 3 s already.
    assert seen["face_in_view_seconds"] == on_seconds >= 2.5

    camera.show(camera_images.black())
    await eventually(lambda: camera_state_is(client, session, "mentor", "off"))
    after = await camera_of(client, session, "mentor")
    assert after["camera_on_seconds"] > on_seconds
    assert (await camera_of(client, session, "mentoree"))["camera"] == "unknown"
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
    # Back on, the camera is checked again before the server says what it shows.
    await ws.send_json({**off, "enabled": True})
    await camera_in_room(ws, "mentor", "unknown")
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))
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


async def test_leaving_the_room_closes_the_uplink_and_nothing_is_seen(client, session, peers):
    ws, _ = await join(client, session, "mentor")
    uplinks = client.server.app[UPLINKS]
    peers.append(
        await open_uplink(poster(client, session, "mentor"), SyntheticCamera(camera_images.face()))
    )
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))
    pc = uplinks.peer(session.id, "mentor")
    await ws.close()
    await eventually(lambda: pc.connectionState == "closed" and len(uplinks) == 0)
    mentor = await camera_of(client, session, "mentor")
    assert (mentor["present"], mentor["camera"], mentor["camera_state_seconds"]) == (
        False,
        "unknown",
        0.0,
    )


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


async def test_a_camera_the_server_never_sees_is_unknown_in_the_state_and_the_summary(
    client, session, peers
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
    await eventually(lambda: camera_state_is(client, session, "mentor", "on"))
    mentoree = await camera_of(client, session, "mentoree")
    assert (mentoree["camera"], mentoree["camera_on_seconds"]) == ("unknown", 0.0)
    assert mentoree["camera_unknown_seconds"] == pytest.approx(
        mentoree["camera_state_seconds"], abs=0.2
    )

    await mentor_ws.send_json({"type": "end"})
    while (await receive(mentor_ws, "state"))["session"]["status"] != "ended":
        pass
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
    assert mentor["camera_unknown_seconds"] < client.server.app[CONFIG].camera.hysteresis_seconds
    assert mentor["camera_on_seconds"] + mentor["camera_unknown_seconds"] == pytest.approx(
        mentor["present_seconds"], abs=0.2
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
async def store(tmp_path):
    store = await SqliteEventStore(tmp_path / "events.db").open()
    yield store
    await store.close()


@pytest.fixture
async def book(store):
    book = SessionBook(store, SystemClock(), Dispatcher())
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
    await book.execute(
        "s1", recording(ParticipantJoined(at=time.time(), actor="mentor", role="mentor"))
    )
    return book


@pytest.fixture
async def quick_uplinks(config, book):
    """Uplinks that give up on a peer after a second instead of the default half minute."""
    watch = CameraWatch(book, config.camera, SystemClock())
    uplinks = UplinkPeers(
        config, watch, SystemClock(), connect_timeout=1, idle_timeout=1, tick_seconds=0.1
    )
    yield uplinks
    await uplinks.close()


async def test_an_uplink_that_never_connects_is_closed_and_its_camera_unknown(
    quick_uplinks, book, store, peers, caplog
):
    caplog.set_level(logging.INFO, "server.media")
    pc = RTCPeerConnection()
    peers.append(pc)
    pc.addTransceiver(SyntheticCamera(camera_images.face()), direction="sendonly")
    offer = await complete_offer(pc)  # the bot never applies the server's answer
    await quick_uplinks.accept("s1", "mentor", RTCSessionDescription(**offer))
    assert len(quick_uplinks) == 1
    await eventually(lambda: len(quick_uplinks) == 0)
    assert await _camera(book, "unknown")
    assert await _observed(store) == []
    # The server listens on loopback only, and so does the uplink: the log says what to do.
    assert "it did not connect (Firefox does not use loopback" in caplog.text


async def test_an_uplink_that_stops_sending_frames_is_closed_and_its_camera_unknown(
    quick_uplinks, book, store, peers
):
    camera = SyntheticCamera(camera_images.face())

    async def post(offer: dict[str, str]) -> dict[str, str]:
        answer = await quick_uplinks.accept("s1", "mentor", RTCSessionDescription(**offer))
        return {"type": answer.type, "sdp": answer.sdp}

    peers.append(await open_uplink(post, camera))
    await eventually(lambda: _camera(book, "on"))
    camera.stop()
    await eventually(lambda: len(quick_uplinks) == 0)
    assert await _camera(book, "unknown")
    observed = await _observed(store)
    assert [e.state for e in observed] == ["on", "unknown"]
    # No picture since the last frame (a second before the uplink closed): unknown since.
    assert observed[1].since is not None and observed[1].since < observed[1].at - 0.9


async def test_a_frozen_picture_is_off_from_when_it_froze(config, book, store, peers):
    quick = replace(config, camera=replace(config.camera, frozen_after_seconds=1.0))
    uplinks = UplinkPeers(
        quick, CameraWatch(book, quick.camera, SystemClock()), SystemClock(), tick_seconds=0.1
    )
    camera = SyntheticCamera(camera_images.face())

    async def post(offer: dict[str, str]) -> dict[str, str]:
        answer = await uplinks.accept("s1", "mentor", RTCSessionDescription(**offer))
        return {"type": answer.type, "sdp": answer.sdp}

    try:
        peers.append(await open_uplink(post, camera))
        await eventually(lambda: _camera(book, "on"))
        frozen_at = time.time()
        camera.freeze()
        await eventually(lambda: _camera(book, "off"))
    finally:
        await uplinks.close()
    on, off, closed = await _observed(store)
    assert (on.state, off.state, closed.state) == ("on", "off", "unknown")
    # Off from the first frame that stood still, not from when that was a second long.
    assert off.since is not None and frozen_at - 1 < off.since < off.at - 0.9


async def _camera(book: SessionBook, state: str) -> bool:
    return (await book.get("s1")).camera["mentor"].state == state


async def _observed(store: SqliteEventStore) -> list[CameraObserved]:
    return [e for e in await store.events("s1") if isinstance(e, CameraObserved)]


def hide_addresses(sdp: str, names: dict[str, str] | None = None) -> str:
    """``sdp`` as a browser that hides its addresses offers it: every host candidate under
    an mDNS name, and end-of-candidates (as Firefox does). ``names`` collects the names
    given to each address; nobody answers for them unless the caller publishes them."""
    names = {} if names is None else names
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") and " typ host" in line:
            fields = line.split(" ")
            fields[4] = names.setdefault(fields[4], f"{uuid.uuid4()}.local")
            line = " ".join(fields)
        lines.append(line)
    assert "a=end-of-candidates" in lines and names
    return "\r\n".join(lines) + "\r\n"


def answered_hosts(answer: str) -> set[str]:
    return {line.split(" ")[4] for line in answer.splitlines() if line.startswith("a=candidate:")}


@pytest.mark.parametrize("addresses", [("127.0.0.1",), None], ids=["loopback", "every-interface"])
async def test_an_offer_with_only_hidden_addresses_connects_through_the_browsers_checks(
    config, book, peers, addresses
):
    uplinks = UplinkPeers(
        dataclasses.replace(config, uplink_addresses=addresses),
        CameraWatch(book, config.camera, SystemClock()),
        SystemClock(),
    )
    answers: list[str] = []

    async def post(offer: dict[str, str]) -> dict[str, str]:
        hidden = RTCSessionDescription(sdp=hide_addresses(offer["sdp"]), type=offer["type"])
        answer = await uplinks.accept("s1", "mentor", hidden)
        answers.append(answer.sdp)
        return {"type": answer.type, "sdp": answer.sdp}

    try:
        peers.append(await open_uplink(post, SyntheticCamera(camera_images.face())))
        await eventually(lambda: _camera(book, "on"))
    finally:
        await uplinks.close()
    if addresses is not None:
        assert answered_hosts(answers[0]) == set(addresses)


async def test_the_uplink_offers_and_binds_only_its_addresses(config, book, peers):
    limited = dataclasses.replace(config, uplink_addresses=("127.0.0.1",))
    uplinks = UplinkPeers(limited, CameraWatch(book, config.camera, SystemClock()), SystemClock())

    async def post(offer: dict[str, str]) -> dict[str, str]:
        answer = await uplinks.accept("s1", "mentor", RTCSessionDescription(**offer))
        return {"type": answer.type, "sdp": answer.sdp}

    try:
        client = await open_uplink(post, SyntheticCamera(camera_images.face()))
        peers.append(client)
        await eventually(lambda: _camera(book, "on"))
        server = uplinks.peer("s1", "mentor")
        assert answered_hosts(server.localDescription.sdp) == {"127.0.0.1"}
        # Every socket the server's peer bound is one of its candidates.
        gatherer = server.getTransceivers()[0].receiver.transport.transport.iceGatherer
        assert {c.ip for c in gatherer.getLocalCandidates()} == {"127.0.0.1"}
        # The client, in the same process, still gathers on its own interfaces.
        assert "127.0.0.1" not in answered_hosts(client.localDescription.sdp)
    finally:
        await uplinks.close()


async def test_hidden_addresses_are_resolved_when_the_uplink_may_use_every_interface(
    config, book, peers
):
    uplinks = UplinkPeers(
        dataclasses.replace(config, uplink_addresses=None),
        CameraWatch(book, config.camera, SystemClock()),
        SystemClock(),
    )
    names: dict[str, str] = {}
    # The browser's side of mDNS: it answers for its names once it has sent its offer.
    browser = object()
    responder = await aioice.ice.get_or_create_mdns_protocol(browser)

    async def post(offer: dict[str, str]) -> dict[str, str]:
        hidden = RTCSessionDescription(sdp=hide_addresses(offer["sdp"], names), type="offer")
        for address, name in names.items():
            await responder.publish(name, address)
        answer = await uplinks.accept("s1", "mentor", hidden)
        return {"type": answer.type, "sdp": answer.sdp}

    try:
        peers.append(await open_uplink(post, SyntheticCamera(camera_images.face())))
        await eventually(lambda: _camera(book, "on"))
        ice = uplinks.peer("s1", "mentor").getTransceivers()[0].receiver.transport.transport
        await eventually(lambda: {c.ip for c in ice.getRemoteCandidates()} & {*names.values()})
    finally:
        await uplinks.close()
        await aioice.ice.unref_mdns_protocol(browser)
