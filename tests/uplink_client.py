"""A bot participant's camera uplink: an aiortc peer sending synthetic frames to the server."""

from __future__ import annotations

import asyncio
import fractions
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from tests import camera_images

CLOCK_RATE = 90_000


class SyntheticCamera(MediaStreamTrack):
    """A video track showing ``picture`` (RGB) as a live camera would; switch it any time."""

    kind = "video"

    def __init__(self, picture: np.ndarray, fps: float = 10.0) -> None:
        super().__init__()
        self.fps = fps
        self.frames_sent = 0
        self._cache: dict[int, list[np.ndarray]] = {}
        self._next_at: float | None = None
        self.show(picture)

    def show(self, picture: np.ndarray) -> None:
        """From the next frame on, show ``picture``."""
        # A short loop of drifting, noisy frames per picture keeps encoding cheap to set up.
        self._frames = self._cache.setdefault(
            id(picture), [camera_images.live(picture, i) for i in range(12)]
        )
        self._picture = picture  # keeps id(picture) from being reused while cached

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError  # stopped: the sender stops sending
        loop = asyncio.get_running_loop()
        # A camera delivers frames at its own pace; the sender encodes whatever recv gives.
        if self._next_at is None:
            self._next_at = loop.time()
        await asyncio.sleep(max(0.0, self._next_at - loop.time()))
        self._next_at += 1 / self.fps
        frame = av.VideoFrame.from_ndarray(
            self._frames[self.frames_sent % len(self._frames)], format="rgb24"
        )
        frame.pts = round(self.frames_sent * CLOCK_RATE / self.fps)
        frame.time_base = fractions.Fraction(1, CLOCK_RATE)
        self.frames_sent += 1
        return frame


async def complete_offer(pc: RTCPeerConnection) -> dict[str, str]:
    """An offer with every ICE candidate in it (aiortc gathers in setLocalDescription)."""
    await pc.setLocalDescription(await pc.createOffer())
    return {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}


async def open_uplink(post: Any, camera: SyntheticCamera) -> RTCPeerConnection:
    """Offer ``camera`` to the server through ``post(offer) -> answer`` and connect."""
    pc = RTCPeerConnection()
    pc.addTransceiver(camera, direction="sendonly")
    answer = await post(await complete_offer(pc))
    await pc.setRemoteDescription(RTCSessionDescription(**answer))
    return pc
