"""One participant's camera uplink: its aiortc peer, the frames it brings, and the camera
tracker they feed.

For each uplink the server

* drains every received track: aiortc queues decoded frames without bound for a track
  nobody reads (aiortc#554);
* analyses at most ``max_fps`` frames a second (:mod:`server.frame_reader`), skipping
  frames while the previous one is still being analysed;
* folds each reading, each report of the browser and each tick of the supervisor into its
  own :class:`analytics.camera.CameraTracker`, and records a change of the tracker's state
  (:func:`analytics.room.observe_camera`); the session's record stays the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from analytics.camera import (
    CameraConfig,
    CameraTracker,
    face_check_due,
    observe_frame,
    observe_time,
    observe_uplink_closed,
)
from analytics.events import Role
from analytics.room import observe_camera
from server.clock import Clock
from server.frame_reader import FrameReader
from server.sessions import SessionBook

__all__ = ["CameraFeed", "record_camera_change"]

log = logging.getLogger(__name__)

Change = Callable[[CameraTracker], CameraTracker]


async def record_camera_change(
    book: SessionBook, session_id: str, role: Role, before: CameraTracker, after: CameraTracker
) -> None:
    """Record ``after``'s state when it differs from ``before``'s."""
    if after.state != before.state:
        await book.execute(session_id, lambda state, at: observe_camera(state, role, after, at))


class CameraFeed:
    """One participant's uplink peer, its camera tracker, and the work that serves them."""

    def __init__(
        self,
        session_id: str,
        role: Role,
        pc: RTCPeerConnection,
        *,
        opened_at: float,
        tracker: CameraTracker,
        book: SessionBook,
        reader: FrameReader,
        config: CameraConfig,
        clock: Clock,
    ) -> None:
        self.session_id = session_id
        self.role = role
        self.pc = pc
        # Where the tracker stands: it runs ahead of the record, which hears of a change.
        self.tracker = tracker
        self.opened_at = opened_at
        self.connected_at: float | None = None
        # Set once the feed is retired (replaced, or closing): it no longer speaks for its
        # participant.
        self.retired = False
        self._book = book
        self._reader = reader
        self._config = config
        self._clock = clock
        self._analysed_at: float | None = None
        self._analysing = False
        # The last analysed frame, to tell a frozen picture from a live one, and the buffer
        # the next one is written into (the one before it).
        self._previous: np.ndarray | None = None
        self._spare: np.ndarray | None = None
        # Track readers and mDNS lookups only wait and may be cancelled; the other work
        # records events and is left to finish, so that nothing is stored without being
        # applied.
        self._waits: set[asyncio.Task[None]] = set()
        self._work: set[asyncio.Task[None]] = set()
        pc.on("track", lambda track: self.wait_on(self._drain(track)))
        pc.on("connectionstatechange", self._on_connection_state)

    @property
    def key(self) -> tuple[str, Role]:
        return (self.session_id, self.role)

    def wait_on(self, waiting: Coroutine[Any, Any, None]) -> None:
        """Run ``waiting``, work that only waits, until it ends or the feed closes."""
        _spawn(self._waits, waiting)

    async def observe(self, change: Change) -> None:
        """Move the tracker on by ``change``, and record the state it comes to if new; a
        retired feed observes nothing."""
        if self.retired:
            return
        before = self.tracker
        self.tracker = after = change(before)
        await record_camera_change(self._book, self.session_id, self.role, before, after)

    async def tick(self, now: float) -> None:
        """Time passed: frames that stopped coming leave the camera unknown."""
        await self.observe(lambda tracker: observe_time(tracker, now, self._config))

    async def close(self) -> None:
        """Retire the feed, close the peer and wait for the work under way."""
        self.retired = True
        # A track whose receiver never started never ends by itself: cancel its reader.
        for task in self._waits:
            task.cancel()
        # Closing the peer ends its tracks and joins aiortc's decoder threads.
        await self.pc.close()
        await asyncio.gather(*self._waits, *self._work, return_exceptions=True)

    async def record_closed(self) -> None:
        """No uplink carries the camera any more: record what is left (only what the
        browser said)."""
        closed = observe_uplink_closed(self.tracker, self._clock.now(), self._config)
        await record_camera_change(self._book, self.session_id, self.role, self.tracker, closed)

    def _on_connection_state(self) -> None:
        if self.pc.connectionState == "connected" and self.connected_at is None:
            self.connected_at = self._clock.now()

    async def _drain(self, track: MediaStreamTrack) -> None:
        """Read every frame of ``track``; hand a few of them to the analysis."""
        min_interval = 0.8 / self._config.max_fps  # a little slack for network jitter
        with contextlib.suppress(MediaStreamError):  # the track ended: the peer closed
            while True:
                frame = await track.recv()
                if not isinstance(frame, av.VideoFrame):
                    continue  # an audio track would only be drained
                now = self._clock.now()
                if self._analysing or (
                    self._analysed_at is not None and now - self._analysed_at < min_interval
                ):
                    continue
                self._analysing, self._analysed_at = True, now
                _spawn(self._work, self._analyse(frame, now))

    async def _analyse(self, frame: av.VideoFrame, at: float) -> None:
        try:
            gray, reading = await self._reader.read(
                frame,
                at=at,
                previous=self._previous,
                spare=self._spare,
                face_due=face_check_due(self.tracker, at, self._config),
                near=self.tracker.face_box,
            )
            if self._previous is None:
                done = self._clock.now()
                log.info(
                    "first frame of the %s's camera analysed %.3f s after the offer, "
                    "%.3f s after connecting",
                    self.role,
                    done - self.opened_at,
                    done - (self.connected_at or self.opened_at),
                )
            self._previous, self._spare = gray, self._previous
            await self.observe(lambda tracker: observe_frame(tracker, reading, self._config))
        except Exception:
            # One frame that cannot be analysed must not end the uplink; the next may do.
            log.exception("analysing a frame of the %s failed", self.role)
        finally:
            self._analysing = False


def _spawn(tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
