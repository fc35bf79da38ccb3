"""The server's end of each participant's analytics uplink: an aiortc peer per camera.

A browser offers a second peer connection carrying a clone of its camera track, already
throttled at the sender (about 2 fps, about 320x240). For each uplink the server

* drains every received track: aiortc queues decoded frames without bound for a track
  nobody reads (aiortc#554);
* analyses at most ``max_fps`` frames a second, in a small thread pool, skipping frames
  while the previous one is still being analysed, so OpenCV never runs on the event loop;
* once a second, in one task for all uplinks, ticks each participant's camera tracker
  and closes the peers whose connection failed, never connected, or stopped sending
  frames.

aiortc does not trickle ICE (aioice#4): the browser sends its offer once gathering is
complete and gets a complete answer back, so one HTTP request sets an uplink up. The
uplink binds only the configured addresses, and connects browsers that hide theirs behind
mDNS names (Firefox): see :mod:`server.ice`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import av
import cv2
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from analytics.camera import Box, CameraConfig, FrameReading, load_face_detector, read_frame
from analytics.events import Event, ParticipantLeft, Role, SessionEnded
from analytics.session import SessionState
from server.cameras import CameraWatch
from server.clock import Clock
from server.config import Config
from server.ice import only_addresses, resolve_hidden, split_offer
from server.receivers import tune_video_receiver

__all__ = ["UplinkPeers", "UplinkRefused", "small_gray"]

log = logging.getLogger(__name__)

Key = tuple[str, Role]


class UplinkRefused(ValueError):
    """The offer cannot become an uplink; the message says why."""


# Decoded video is limited-range luma (16-235); the frame checks expect 0-255.
_FULL_RANGE = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)


def small_gray(frame: av.VideoFrame, max_width: int, out: np.ndarray | None = None) -> np.ndarray:
    """The frame's luma, scaled down to at most ``max_width`` pixels wide.

    Written into ``out`` when it has the right size, so that a stream of frames can reuse
    two buffers instead of allocating one per frame.
    """
    scale = min(1.0, max_width / frame.width)
    width = max(2, round(frame.width * scale / 2) * 2)
    height = max(2, round(frame.height * scale / 2) * 2)
    if out is None or out.shape != (height, width):
        out = np.empty((height, width), np.uint8)
    if frame.format.name != "yuv420p":
        out[...] = frame.reformat(width=width, height=height, format="gray").to_ndarray()
        return out
    plane = frame.planes[0]  # the luma plane, rows padded to line_size
    luma = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)
    luma = luma[:, : frame.width]
    if (width, height) != (frame.width, frame.height):
        cv2.resize(luma, (width, height), dst=out, interpolation=cv2.INTER_AREA)
        luma = out
    cv2.LUT(luma, _FULL_RANGE, dst=out)
    return out


@dataclass(eq=False)
class Uplink:
    """One participant's uplink peer and the work that serves it."""

    session_id: str
    role: Role
    pc: RTCPeerConnection
    opened_at: float
    connected_at: float | None = None
    last_frame_at: float | None = None
    analysed_at: float | None = None
    analysing: bool = False
    # The last analysed frame, to tell a frozen picture from a live one, and the buffer
    # the next one is written into (the one before it).
    previous: np.ndarray | None = None
    spare: np.ndarray | None = None
    # Set once the uplink starts closing: it no longer speaks for its participant.
    closing: bool = False
    # Track readers and mDNS lookups only wait and may be cancelled; the other work records
    # events and is left to finish, so that nothing is stored without being applied.
    drains: set[asyncio.Task[None]] = field(default_factory=set)
    work: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def key(self) -> Key:
        return (self.session_id, self.role)


class UplinkPeers:
    """Every open uplink, keyed by session and role (a new uplink replaces the old one)."""

    def __init__(
        self,
        config: Config,
        watch: CameraWatch,
        clock: Clock,
        *,
        connect_timeout: float = 20.0,
        idle_timeout: float = 30.0,
        tick_seconds: float = 1.0,
        workers: int = 2,
    ) -> None:
        self._camera: CameraConfig = config.camera
        self._ice_servers = [
            RTCIceServer(
                urls=server["urls"],
                username=server.get("username"),
                credential=server.get("credential"),
            )
            for server in config.ice_servers
        ]
        self._addresses = config.uplink_addresses
        loopback_only = self._addresses is not None and all(
            ipaddress.ip_address(a).is_loopback for a in self._addresses
        )
        self._loopback_hint = (
            " (Firefox does not use loopback: give MENTORMEET_UPLINK_ADDRESSES another"
            " address of this machine)"
            if loopback_only
            else ""
        )
        self._watch = watch
        self._clock = clock
        self._connect_timeout = connect_timeout
        self._idle_timeout = idle_timeout
        self._tick_seconds = tick_seconds
        self._peers: dict[Key, Uplink] = {}
        self._closers: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        # Set when the server shuts down; it also wakes the supervisor from its wait.
        self._closing = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="camera")
        # A face detector must not be shared by threads detecting at the same time.
        self._detectors = threading.local()
        # Parallelism comes from analysing several participants at once; OpenCV's own
        # threads inside one small frame only add contention.
        cv2.setNumThreads(1)

    def __len__(self) -> int:
        return len(self._peers)

    def peer(self, session_id: str, role: Role) -> RTCPeerConnection | None:
        """The peer connection of a participant's open uplink, if any."""
        uplink = self._peers.get((session_id, role))
        return None if uplink is None else uplink.pc

    async def accept(
        self, session_id: str, role: Role, offer: RTCSessionDescription
    ) -> RTCSessionDescription:
        """Answer a participant's offer; their previous uplink, if any, is closed."""
        if self._closing.is_set():
            raise UplinkRefused("the server is shutting down")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self._ice_servers))
        uplink = Uplink(session_id=session_id, role=role, pc=pc, opened_at=self._clock.now())
        previous = self._peers.get(uplink.key)
        self._peers[uplink.key] = uplink
        if previous is not None:
            self._close_later(previous)
        pc.on("track", lambda track: self._spawn(uplink.drains, self._drain(uplink, track)))
        pc.on("connectionstatechange", lambda: self._on_connection_state(uplink))
        try:
            offered, hidden = split_offer(offer.sdp)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offered, type=offer.type))
            video = [t for t in pc.getTransceivers() if t.kind == "video"]
            if not video:
                raise UplinkRefused("the offer has no video to analyse")
            for transceiver in video:
                tune_video_receiver(transceiver.receiver)
            with only_addresses(self._addresses):
                await pc.setLocalDescription(await pc.createAnswer())
        except Exception as error:
            await self._close(uplink)
            if isinstance(error, UplinkRefused):
                raise
            raise UplinkRefused(f"the offer cannot be used: {error}") from error
        except BaseException:
            self._close_later(uplink)  # cancelled: the browser went away mid-request
            raise
        # Resolving listens on port 5353 of every interface: only for an uplink that may.
        if hidden and self._addresses is None:
            self._spawn(uplink.drains, resolve_hidden(pc, hidden))
        await self._watch.start(session_id, role, uplink.opened_at)
        if self._supervisor is None:
            self._supervisor = asyncio.ensure_future(self._supervise())
        return pc.localDescription

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Dispatcher subscriber: close the uplinks of whoever left, and all of an ended
        session."""
        match event:
            case ParticipantLeft(role=role):
                keys = [(state.session_id, role)]
            case SessionEnded():
                keys = [(state.session_id, "mentor"), (state.session_id, "mentoree")]
            case _:
                return
        for key in keys:
            uplink = self._peers.get(key)
            if uplink is not None:
                # Not awaited: closing a peer takes a while, and the dispatcher that
                # calls this serves every subscriber in turn.
                self._close_later(uplink)

    async def close(self) -> None:
        """Close every uplink and the analysis threads (server shutting down)."""
        self._closing.set()
        if self._supervisor is not None:
            await self._supervisor  # it ends after the tick under way, if any
        for uplink in list(self._peers.values()):
            self._close_later(uplink)
        while self._closers:
            await asyncio.gather(*self._closers, return_exceptions=True)
        self._executor.shutdown(wait=True)

    @staticmethod
    def _spawn(tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _close_later(self, uplink: Uplink) -> None:
        self._spawn(self._closers, self._close(uplink))

    def _on_connection_state(self, uplink: Uplink) -> None:
        if uplink.pc.connectionState == "connected" and uplink.connected_at is None:
            uplink.connected_at = self._clock.now()

    def _current(self, uplink: Uplink) -> bool:
        """Whether ``uplink`` still speaks for its participant (not closing, not replaced)."""
        return not uplink.closing and self._peers.get(uplink.key) is uplink

    async def _close(self, uplink: Uplink) -> None:
        if uplink.closing:
            return
        if self._current(uplink):
            del self._peers[uplink.key]
        uplink.closing = True
        # A track whose receiver never started never ends by itself: cancel its reader.
        for task in uplink.drains:
            task.cancel()
        # Closing the peer ends its tracks and joins aiortc's decoder threads.
        await uplink.pc.close()
        await asyncio.gather(*uplink.drains, *uplink.work, return_exceptions=True)
        if uplink.key not in self._peers:  # no newer uplink took over meanwhile
            await self._watch.stop(uplink.session_id, uplink.role)

    async def _drain(self, uplink: Uplink, track: MediaStreamTrack) -> None:
        """Read every frame of ``track``; hand a few of them to the analysis."""
        min_interval = 0.8 / self._camera.max_fps  # a little slack for network jitter
        with contextlib.suppress(MediaStreamError):  # the track ended: the peer closed
            while True:
                frame = await track.recv()
                if not isinstance(frame, av.VideoFrame):
                    continue  # an audio track would only be drained
                now = self._clock.now()
                uplink.last_frame_at = now
                if uplink.analysing or (
                    uplink.analysed_at is not None and now - uplink.analysed_at < min_interval
                ):
                    continue
                uplink.analysing, uplink.analysed_at = True, now
                self._spawn(uplink.work, self._analyse(uplink, frame, now))

    async def _analyse(self, uplink: Uplink, frame: av.VideoFrame, at: float) -> None:
        try:
            face_due, near = self._watch.face_check(uplink.session_id, uplink.role, at)
            loop = asyncio.get_running_loop()
            gray, reading = await loop.run_in_executor(
                self._executor, self._read, frame, uplink, at, face_due, near
            )
            if uplink.previous is None:
                done = self._clock.now()
                log.info(
                    "first frame of the %s's camera analysed %.3f s after the offer, "
                    "%.3f s after connecting",
                    uplink.role,
                    done - uplink.opened_at,
                    done - (uplink.connected_at or uplink.opened_at),
                )
            uplink.previous, uplink.spare = gray, uplink.previous
            if self._current(uplink):
                await self._watch.frame(uplink.session_id, uplink.role, reading)
        except Exception:
            # One frame that cannot be analysed must not end the uplink; the next may do.
            log.exception("analysing a frame of the %s failed", uplink.role)
        finally:
            uplink.analysing = False

    def _read(
        self,
        frame: av.VideoFrame,
        uplink: Uplink,
        at: float,
        face_due: bool,
        near: Box | None,
    ) -> tuple[np.ndarray, FrameReading]:
        """Runs in the analysis pool: shrink the frame and judge it."""
        # One analysis per uplink at a time: its buffers are this thread's until it ends.
        gray = small_gray(frame, self._camera.max_width, out=uplink.spare)
        detector = None
        if face_due:
            detector = getattr(self._detectors, "face", None)
            if detector is None:
                detector = self._detectors.face = load_face_detector()
        reading = read_frame(
            gray,
            at=at,
            previous=uplink.previous,
            detector=detector,
            config=self._camera,
            near=near,
        )
        return gray, reading

    async def _supervise(self) -> None:
        """Tick every camera tracker; close the uplinks that failed or fell silent.

        One task for all uplinks: a timer of its own per uplink would cost more than the
        tick it runs.
        """
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self._tick_seconds)
            if self._closing.is_set():
                return
            now = self._clock.now()
            for uplink in list(self._peers.values()):
                if not self._current(uplink):
                    continue  # closed or replaced while an earlier one was ticked
                try:
                    await self._watch.tick(uplink.session_id, uplink.role, now)
                except Exception:
                    log.exception("ticking the camera of the %s failed", uplink.role)
                reason = self._reason_to_close(uplink, now)
                if reason is not None:
                    log.info("closing the camera uplink of the %s: %s", uplink.role, reason)
                    self._close_later(uplink)

    def _reason_to_close(self, uplink: Uplink, now: float) -> str | None:
        """Why ``uplink`` should close at ``now``, if it should: its connection failed,
        never came up, or fell silent."""
        state = uplink.pc.connectionState
        silent_for = now - (uplink.last_frame_at or uplink.opened_at)
        if state in ("failed", "closed"):
            return f"the connection {state}"
        if state != "connected" and now - uplink.opened_at > self._connect_timeout:
            return "it did not connect" + self._loopback_hint
        if silent_for > self._idle_timeout:
            return f"no frame for {silent_for:.0f} s"
        return None
