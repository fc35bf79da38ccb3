"""The server's end of the participants' analytics uplinks: every open one, by session and
role, and what the browsers say about their cameras.

A browser offers a second peer connection carrying a clone of its camera track, already
throttled at the sender (about 2 fps, about 320x240); each becomes a
:class:`server.camera_feed.CameraFeed` (a new uplink replaces the participant's old one).
Once a second of the injected clock, one timer for all uplinks ticks each feed's camera
tracker and closes the peers whose connection failed or never came up. A feed that falls
silent is left open: its tracker says ``unknown`` after ``unseen_after_seconds``, and a
browser that went away fails ICE's consent checks (RFC 7675), which closes the peer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from aiortc import RTCPeerConnection, RTCSessionDescription

from analytics.camera import CameraTracker, observe_report, tracker_from_record
from analytics.events import CameraReported, Event, ParticipantLeft, Role, SessionEnded
from analytics.room import report_camera
from analytics.session import SessionState
from server.camera_feed import CameraFeed, record_camera_change
from server.clock import Clock, Timer
from server.config import Config
from server.frame_reader import FrameReader
from server.sessions import SessionBook
from server.uplink_offers import UplinkOffers, UplinkRefused

__all__ = ["UplinkPeers"]

log = logging.getLogger(__name__)


class UplinkPeers:
    """Every open uplink, keyed by session and role, each with the camera tracker it feeds."""

    def __init__(
        self,
        config: Config,
        book: SessionBook,
        clock: Clock,
        *,
        connect_timeout: float = 20.0,
        tick_seconds: float = 1.0,
        workers: int = 2,
    ) -> None:
        self._camera = config.camera
        self._offers = UplinkOffers(config)
        self._book = book
        self._clock = clock
        self._connect_timeout = connect_timeout
        self._tick_seconds = tick_seconds
        self._reader = FrameReader(config.camera, workers=workers)
        self._feeds: dict[tuple[str, Role], CameraFeed] = {}
        self._closers: set[asyncio.Task[None]] = set()
        # Ticks start with the first uplink; each arms the next (:meth:`_tick_later`).
        self._supervising = False
        self._next_tick: Timer | None = None
        self._tick_under_way: asyncio.Task[None] | None = None
        self._closing = False  # the server is shutting down

    def __len__(self) -> int:
        return len(self._feeds)

    def peer(self, session_id: str, role: Role) -> RTCPeerConnection | None:
        """The peer connection of a participant's open uplink, if any."""
        feed = self._feeds.get((session_id, role))
        return None if feed is None else feed.pc

    def camera(self, session_id: str, role: Role) -> CameraTracker | None:
        """The camera tracker of a participant's open uplink, if any."""
        feed = self._feeds.get((session_id, role))
        return None if feed is None else feed.tracker

    async def accept(
        self, session_id: str, role: Role, offer: RTCSessionDescription
    ) -> RTCSessionDescription:
        """Answer a participant's offer; their previous uplink, if any, is closed."""
        record = (await self._book.get(session_id)).camera[role]
        if self._closing:
            raise UplinkRefused("the server is shutting down")
        previous = self._feeds.get((session_id, role))
        if previous is not None:
            self._close_later(previous)
        opened_at = self._clock.now()
        # Starting from the recorded state means a replaced uplink that carries on showing
        # the same picture records nothing new; one that shows nothing becomes unknown.
        tracker = replace(tracker_from_record(record, opened_at), started_at=opened_at)
        feed = CameraFeed(
            session_id,
            role,
            self._offers.new_peer(),
            opened_at=opened_at,
            tracker=tracker,
            book=self._book,
            reader=self._reader,
            config=self._camera,
            clock=self._clock,
        )
        self._feeds[feed.key] = feed
        try:
            resolving = await self._offers.answer(feed.pc, offer)
        except Exception as error:
            self._close_later(feed)
            if isinstance(error, UplinkRefused):
                raise
            raise UplinkRefused(f"the offer cannot be used: {error}") from error
        except BaseException:
            self._close_later(feed)  # cancelled: the browser went away mid-request
            raise
        if resolving is not None:
            feed.wait_on(resolving)
        if not self._supervising:
            self._supervising = True
            self._tick_later()
        return feed.pc.localDescription

    async def report(
        self, session_id: str, role: Role, *, enabled: bool, muted: bool, ended: bool
    ) -> None:
        """The browser said what its camera track is doing: recorded, and so told to the
        uplink's tracker (see :meth:`on_recorded`); without an uplink here, what it implies
        is recorded too, as it may be all there is to go on."""
        state = await self._book.execute(
            session_id,
            lambda state, at: report_camera(
                state, role, at, enabled=enabled, muted=muted, ended=ended
            ),
        )
        if (session_id, role) in self._feeds:
            return
        now = self._clock.now()
        tracker = tracker_from_record(state.camera[role], now)
        live = enabled and not muted and not ended
        reported = observe_report(tracker, live=live, at=now, config=self._camera)
        await record_camera_change(self._book, session_id, role, tracker, reported)

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Dispatcher subscriber: close the uplinks of whoever left, and all of an ended
        session; tell an uplink's tracker what its browser reported, also through another
        instance (the browser's WebSocket and its uplink may be on different ones)."""
        match event:
            case ParticipantLeft(role=role):
                keys = [(state.session_id, role)]
            case SessionEnded():
                keys = [(state.session_id, "mentor"), (state.session_id, "mentoree")]
            case CameraReported(role=role, at=at):
                feed = self._feeds.get((state.session_id, role))
                if feed is not None:  # reported here, or through another instance
                    live = event.enabled and not event.muted and not event.ended
                    await feed.observe(
                        lambda tracker: observe_report(
                            tracker, live=live, at=at, config=self._camera
                        )
                    )
                return
            case _:
                return
        for key in keys:
            feed = self._feeds.get(key)
            if feed is not None:
                # Not awaited: closing a peer takes a while, and the dispatcher that
                # calls this serves every subscriber in turn.
                self._close_later(feed)

    async def close(self) -> None:
        """Close every uplink and the analysis threads (server shutting down)."""
        self._closing = True
        if self._next_tick is not None:
            self._next_tick.cancel()
        if self._tick_under_way is not None:
            await self._tick_under_way  # the tick under way, if any, ends; no other starts
        for feed in list(self._feeds.values()):
            self._close_later(feed)
        while self._closers:
            await asyncio.gather(*self._closers, return_exceptions=True)
        self._reader.close()

    def _close_later(self, feed: CameraFeed) -> None:
        """Retire ``feed`` now, so that it no longer speaks for its participant, and close
        it in the background."""
        if feed.retired:
            return
        feed.retired = True
        if self._feeds.get(feed.key) is feed:
            del self._feeds[feed.key]
        task = asyncio.ensure_future(self._close(feed))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _close(self, feed: CameraFeed) -> None:
        await feed.close()
        if feed.key not in self._feeds:  # no newer uplink took over meanwhile
            await feed.record_closed()

    def _tick_later(self) -> None:
        """Tick every camera a tick of the clock from now, unless the server is closing.

        One timer for all uplinks, armed again after each tick: a timer of its own per
        uplink would cost more than the tick it runs.
        """
        if not self._closing:
            self._next_tick = self._clock.call_later(self._tick_seconds, self._start_tick)

    def _start_tick(self) -> None:
        self._next_tick = None
        self._tick_under_way = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        """Tick every camera tracker; close the uplinks that failed or never connected."""
        now = self._clock.now()
        for feed in list(self._feeds.values()):
            if feed.retired:
                continue  # closed or replaced while an earlier one was ticked
            try:
                await feed.tick(now)
            except Exception:
                log.exception("ticking the camera of the %s failed", feed.role)
            reason = self._reason_to_close(feed, now)
            if reason is not None:
                log.info("closing the camera uplink of the %s: %s", feed.role, reason)
                self._close_later(feed)
        self._tick_later()

    def _reason_to_close(self, feed: CameraFeed, now: float) -> str | None:
        """Why ``feed`` should close at ``now``, if it should: its connection failed or
        never came up."""
        state = feed.pc.connectionState
        if state in ("failed", "closed"):
            return f"the connection {state}"
        if state != "connected" and now - feed.opened_at > self._connect_timeout:
            return "it did not connect" + self._offers.loopback_hint
        return None
