"""The camera watch: one tracker per open uplink, and the events it leads to.

Frame readings (from :mod:`server.media`), the browser's reports about its track (from
the room hub) and the passing of time go through the pure tracker in
:mod:`analytics.camera`. Only a change of state becomes an event, ``camera_observed``;
a report becomes ``camera_reported`` when it differs from the last one. Events are
recorded only for a participant who is in the room of a session that has not ended.

Without an open uplink the server has no picture: the camera is ``unknown``, or ``off``
when the browser says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from analytics.camera import (
    Box,
    CameraConfig,
    CameraTracker,
    FrameReading,
    face_check_due,
    observe_frame,
    observe_report,
    observe_time,
    observe_uplink_closed,
)
from analytics.camera_time import CameraRecord
from analytics.events import Role
from analytics.room import observe_camera, report_camera
from server.clock import Clock
from server.sessions import SessionBook

__all__ = ["CameraWatch"]

Key = tuple[str, Role]


class CameraWatch:
    """Turns what the server and the browsers see of each camera into camera events."""

    def __init__(self, book: SessionBook, config: CameraConfig, clock: Clock) -> None:
        self._book = book
        self._clock = clock
        self._config = config
        self._trackers: dict[Key, CameraTracker] = {}

    def face_check(self, session_id: str, role: Role, at: float) -> tuple[bool, Box | None]:
        """Whether the frame arriving at ``at`` should be checked for a face, and where
        the face was last seen."""
        tracker = self._trackers.get((session_id, role))
        if tracker is None:
            return False, None
        return face_check_due(tracker, at, self._config), tracker.face_box

    async def start(self, session_id: str, role: Role, at: float) -> None:
        """An uplink opened (replacing any other): watch it, from what the record says."""
        record = (await self._book.get(session_id)).camera[role]
        # Starting from the recorded state means a replaced uplink that carries on showing
        # the same picture records nothing new; one that shows nothing becomes unknown.
        self._trackers[session_id, role] = replace(_from_record(record, at), started_at=at)

    async def stop(self, session_id: str, role: Role) -> None:
        """The last uplink closed: the server has no picture any more, only reports."""
        tracker = self._trackers.pop((session_id, role), None)
        if tracker is not None:
            closed = observe_uplink_closed(tracker, self._clock.now(), self._config)
            await self._record_change(session_id, role, tracker, closed)

    async def frame(self, session_id: str, role: Role, reading: FrameReading) -> None:
        """An analysed frame arrived."""
        await self._update(session_id, role, lambda t: observe_frame(t, reading, self._config))

    async def tick(self, session_id: str, role: Role, now: float) -> None:
        """Time passed: frames that stopped coming leave the camera unknown."""
        await self._update(session_id, role, lambda t: observe_time(t, now, self._config))

    async def report(
        self, session_id: str, role: Role, *, enabled: bool, muted: bool, ended: bool
    ) -> None:
        """The browser said what its camera track is doing."""
        state = await self._book.execute(
            session_id,
            lambda state, at: report_camera(
                state, role, at, enabled=enabled, muted=muted, ended=ended
            ),
        )
        now = self._clock.now()
        live = enabled and not muted and not ended
        change = partial(observe_report, live=live, at=now, config=self._config)
        if (session_id, role) in self._trackers:
            await self._update(session_id, role, change)
        else:
            # No uplink: what the browser says is all there is to go on.
            tracker = _from_record(state.camera[role], now)
            await self._record_change(session_id, role, tracker, change(tracker))

    async def _update(
        self,
        session_id: str,
        role: Role,
        change: Callable[[CameraTracker], CameraTracker],
    ) -> None:
        before = self._trackers.get((session_id, role))
        if before is None:
            return  # no uplink: no frames, and missing frames are nothing new
        after = self._trackers[session_id, role] = change(before)
        await self._record_change(session_id, role, before, after)

    async def _record_change(
        self, session_id: str, role: Role, before: CameraTracker, after: CameraTracker
    ) -> None:
        if after.state != before.state:
            await self._book.execute(
                session_id, lambda state, at: observe_camera(state, role, after, at)
            )


def _from_record(record: CameraRecord, at: float) -> CameraTracker:
    """A tracker without an uplink, in the recorded state, that knows what the browser
    last said."""
    return CameraTracker(
        state=record.state,
        since=record.since,
        pending=record.state,
        pending_since=at,
        reported_off=record.report is not None and not record.report.live,
    )
