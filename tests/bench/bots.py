"""Bot participants for the benchmarks: a WebSocket in the room, and a camera uplink.

A bot does what the room page does: it says hello on ``/ws``, keeps reading the state the
server pushes (and notes when its own camera changes), reports its camera track, and
sends a camera to the server's analysis throttled to the limits in the welcome, as the
browser's ``RTCRtpSender.setParameters`` would. The camera is a 640x480 webcam at 30 fps
scaled down at the sender, replaying VP8 encoded once per picture and size.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
from aiortc import RTCPeerConnection

from tests import camera_images
from tests.servers import ADMIN_TOKEN
from tests.uplink_client import EncodedCamera, encode_vp8, open_uplink

CAMERA_WIDTH, CAMERA_HEIGHT, CAMERA_FPS = 640, 480, 30.0
PICTURES = {
    "face": camera_images.face,
    # A face that only the robust path finds: dark against a window, the head tilted.
    "backlit": camera_images.backlit,
    "room": camera_images.room,
    "black": camera_images.black,
}
# What a realistic ICE candidate message weighs; the relay does not look inside.
SIGNAL = json.dumps(
    {
        "type": "signal",
        "candidate": {
            "candidate": "candidate:842163049 1 udp 1677729535 192.0.2.10 54400 typ srflx "
            "raddr 10.0.0.5 rport 54400 generation 0 ufrag sXqe network-cost 999",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        },
    }
)

# How a relayed signal begins: the server writes the message's tag first.
RELAYED_SIGNAL = '{"type":"signal"'
SIGNALS_PER_SECOND = 18  # per connection, under the hub's limit of 20


@dataclass(frozen=True)
class SenderLimits:
    """What the browser's sender does with the welcome's ``uplink`` limits."""

    width: int
    height: int
    fps: float
    bitrate: int

    @classmethod
    def from_welcome(cls, uplink: dict[str, Any]) -> SenderLimits:
        scale = max(1.0, CAMERA_WIDTH / uplink["max_width"])  # scaleResolutionDownBy
        width = round(CAMERA_WIDTH / scale / 2) * 2
        height = round(CAMERA_HEIGHT / scale / 2) * 2
        fps = min(CAMERA_FPS, uplink["max_fps"])
        bitrate = uplink.get("max_bitrate") or browser_default_bitrate(width, height)
        return cls(width=width, height=height, fps=fps, bitrate=bitrate)


def browser_default_bitrate(width: int, height: int) -> int:
    """Chrome's cap on one VP8 stream when the page sets no ``maxBitrate``."""
    pixels = width * height
    if pixels <= 320 * 240:
        return 600_000
    if pixels <= 640 * 480:
        return 1_700_000
    return 2_500_000


class Videos:
    """VP8 loops per sender limits, encoded on first use and shared by every bot."""

    def __init__(self) -> None:
        self._loops: dict[SenderLimits, dict[str, list[bytes]]] = {}

    def loops(self, limits: SenderLimits) -> dict[str, list[bytes]]:
        if limits not in self._loops:
            # Half a second of a 30 fps camera, or a dozen frames of a slow one.
            count = max(12, round(limits.fps / 2))
            self._loops[limits] = {
                name: encode_vp8(
                    (
                        camera_images.live(picture(limits.width, limits.height), index)
                        for index in range(count)
                    ),
                    fps=limits.fps,
                    bitrate=limits.bitrate,
                )
                for name, picture in PICTURES.items()
            }
        return self._loops[limits]


async def schedule(http: aiohttp.ClientSession, base_url: str) -> dict[str, Any]:
    """A session starting now, scheduled as the MPM; its JSON (with the invite links)."""
    body = {
        "mentor": {"name": "Bench Mentor"},
        "mentoree": {"name": "Bench Mentoree"},
        "scheduled_start": datetime.now(UTC).isoformat(),
        "allotted_minutes": 240,
    }
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with http.post(base_url + "/api/sessions", json=body, headers=headers) as response:
        response.raise_for_status()
        return await response.json()


class Participant:
    """One bot in one room: its WebSocket, and optionally its camera uplink."""

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, session: dict[str, Any], role: str
    ) -> None:
        self.http, self.base_url, self.session, self.role = http, base_url, session, role
        self.token = session["links"][role].split("token=")[1]
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.welcome: dict[str, Any] = {}
        self.camera_state = "off"
        self.camera_seen_at = 0.0
        self.signals_received = 0
        self.errors: list[dict[str, Any]] = []
        self.camera: EncodedCamera | None = None
        self.pc: RTCPeerConnection | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def join(self) -> None:
        """Enter the room and keep reading what the server pushes."""
        # Browsers offer per-message compression, and the server takes it if it will.
        self.ws = await self.http.ws_connect(
            self.base_url.replace("http", "ws", 1) + "/ws", compress=15
        )
        client_id = f"bench-{self.session['id'][:8]}-{self.role}"
        await self.ws.send_json({"type": "hello", "token": self.token, "client_id": client_id})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message["type"] == "welcome":
                self.welcome = message
                break
            if message["type"] == "error":
                raise RuntimeError(f"{self.role} not admitted: {message}")
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        assert self.ws is not None
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            if frame.data.startswith(RELAYED_SIGNAL):
                # Most of what arrives while signalling is measured: not worth parsing,
                # so that this process keeps up with the server.
                self.signals_received += 1
                continue
            message = json.loads(frame.data)
            kind = message["type"]
            if kind == "signal":
                self.signals_received += 1
            elif kind == "state":
                camera = message["session"]["participants"][self.role]["camera"]
                if camera != self.camera_state:
                    self.camera_state, self.camera_seen_at = camera, loop.time()
                    self._changed.set()
            elif kind == "error":
                self.errors.append(message)

    async def open_camera(self, videos: Videos, showing: str = "face") -> None:
        """Send the camera to the server's analysis, throttled as the welcome says."""
        limits = SenderLimits.from_welcome(self.welcome["uplink"])
        self.camera = EncodedCamera(videos.loops(limits), showing, limits.fps)
        self.pc = await open_uplink(self._post_offer, self.camera, codec="video/VP8")

    async def _post_offer(self, offer: dict[str, str]) -> dict[str, str]:
        url = f"{self.base_url}/api/sessions/{self.session['id']}/uplink"
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.post(url, json=offer, headers=headers) as response:
            if response.status != 200:  # the server says why: keep it
                raise RuntimeError(f"uplink refused ({response.status}): {await response.text()}")
            return await response.json()

    async def report_camera(self, *, enabled: bool) -> None:
        """What the room page says when its camera is toggled."""
        assert self.ws is not None
        await self.ws.send_json(
            {"type": "camera", "enabled": enabled, "muted": False, "ended": False}
        )

    async def camera_becomes(self, state: str, within: float = 20.0) -> float:
        """Wait for the server to push ``state`` as this bot's camera; when it arrived
        (event loop time). TimeoutError if it does not within ``within`` seconds."""
        async with asyncio.timeout(within):
            while self.camera_state != state:
                self._changed.clear()
                await self._changed.wait()
        return self.camera_seen_at

    async def send_signal(self) -> None:
        assert self.ws is not None
        await self.ws.send_str(SIGNAL)

    async def close_camera(self) -> None:
        if self.pc is not None:
            await self.pc.close()
            self.pc = self.camera = None

    async def leave(self) -> None:
        """Close the uplink and the WebSocket, as closing the tab does."""
        await self.close_camera()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader


async def pair(
    http: aiohttp.ClientSession, base_url: str, mentoree_url: str | None = None
) -> tuple[Participant, Participant]:
    """A new session with both of its participants in the room; the mentoree joins
    through ``mentoree_url`` when given (another instance of the same deployment)."""
    session = await schedule(http, base_url)
    mentor = Participant(http, base_url, session, "mentor")
    mentoree = Participant(http, mentoree_url or base_url, session, "mentoree")
    await mentor.join()
    await mentoree.join()
    return mentor, mentoree


Measured = TypeVar("Measured")


@dataclass(frozen=True)
class Relayed:
    """What a window of signalling did: messages delivered, and errors the server sent."""

    messages: int
    errors: int


async def relay_signals(
    everyone: Sequence[Participant],
    window: float,
    measure: Callable[[float], Awaitable[Measured]],
) -> tuple[Relayed, Measured]:
    """Every participant sends ``SIGNALS_PER_SECOND`` signals to the other one; after a
    warm-up, count those delivered over ``window`` seconds, while ``measure`` (the
    servers' CPU, say) looks at the same window."""

    async def chatter(participant: Participant, until: float) -> None:
        loop = asyncio.get_running_loop()
        tick = loop.time()
        while tick < until:
            await participant.send_signal()
            tick += 1 / SIGNALS_PER_SECOND
            await asyncio.sleep(max(0.0, tick - loop.time()))

    loop = asyncio.get_running_loop()
    warm_up = min(1.0, window / 2)
    until = loop.time() + warm_up + window + 0.5
    senders = asyncio.gather(*(chatter(p, until) for p in everyone))
    await asyncio.sleep(warm_up)
    received = sum(p.signals_received for p in everyone)
    measured = await measure(window)
    relayed = sum(p.signals_received for p in everyone) - received
    await senders
    return Relayed(relayed, sum(len(p.errors) for p in everyone)), measured
