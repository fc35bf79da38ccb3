"""A bot participant's camera uplink: an aiortc peer sending synthetic frames to the server.

Two cameras: :class:`SyntheticCamera` hands raw frames to aiortc, which encodes them as a
browser would; :class:`EncodedCamera` replays VP8 encoded once up front, so that a
benchmark can run dozens of bots without their encoders eating the CPU it measures.
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import Iterable
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
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

    def freeze(self) -> None:
        """From the next frame on, repeat one picture exactly, as a frozen camera does."""
        self._frames = [self._frames[self.frames_sent % len(self._frames)]]

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


def encode_vp8(frames: Iterable[np.ndarray], *, fps: float, bitrate: int) -> list[bytes]:
    """RGB frames encoded as one VP8 stream: a keyframe, then inter frames only, so the
    stream can be replayed in a loop from its start. Rate control as aiortc's (and a
    browser's) real-time encoder: constant bitrate, no look-ahead."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = fractions.Fraction(1, CLOCK_RATE)
    codec.framerate = fractions.Fraction(fps).limit_denominator(1000)
    codec.bit_rate = bitrate
    codec.gop_size = len(frames) + 1  # the only keyframe is the first
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "bufsize": str(bitrate),
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
    }
    encoded: list[bytes] = []
    for index, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = round(index * CLOCK_RATE / fps)
        frame.time_base = codec.time_base
        encoded.extend(bytes(packet) for packet in codec.encode(frame))
    encoded.extend(bytes(packet) for packet in codec.encode(None))
    if len(encoded) != len(frames):
        raise RuntimeError(f"VP8 gave {len(encoded)} packets for {len(frames)} frames")
    return encoded


class EncodedCamera(MediaStreamTrack):
    """A video track replaying pre-encoded VP8 loops at ``fps``; switch loops any time.

    Each loop starts with a keyframe and a switch starts the new loop from it, so the
    receiver decodes every frame; the sender packs the frames without encoding them.
    """

    kind = "video"

    def __init__(self, loops: dict[str, list[bytes]], showing: str, fps: float) -> None:
        super().__init__()
        self.fps = fps
        self.frames_sent = 0
        self._loops = loops
        self._next_at: float | None = None
        self.show(showing)

    def show(self, name: str) -> None:
        """From the next frame on, show the loop called ``name`` from its keyframe."""
        self.showing = name
        self._frames = self._loops[name]
        self._position = 0

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._next_at is None:
            self._next_at = loop.time()
        await asyncio.sleep(max(0.0, self._next_at - loop.time()))
        self._next_at += 1 / self.fps
        packet = av.Packet(self._frames[self._position])
        self._position = (self._position + 1) % len(self._frames)
        packet.pts = round(self.frames_sent * CLOCK_RATE / self.fps)
        packet.time_base = fractions.Fraction(1, CLOCK_RATE)
        self.frames_sent += 1
        return packet


async def complete_offer(pc: RTCPeerConnection) -> dict[str, str]:
    """An offer with every ICE candidate in it (aiortc gathers in setLocalDescription)."""
    await pc.setLocalDescription(await pc.createOffer())
    return {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}


async def open_uplink(
    post: Any, camera: MediaStreamTrack, *, codec: str | None = None
) -> RTCPeerConnection:
    """Offer ``camera`` to the server through ``post(offer) -> answer`` and connect.

    ``codec`` (a MIME type like ``video/VP8``) limits the offer to that codec, as a camera
    sending pre-encoded frames needs.
    """
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver(camera, direction="sendonly")
    if codec is not None:
        transceiver.setCodecPreferences(
            [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == codec]
        )
    answer = await post(await complete_offer(pc))
    await pc.setRemoteDescription(RTCSessionDescription(**answer))
    return pc
