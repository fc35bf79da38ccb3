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

import time
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
from analytics.events import CameraObserved, CameraReported, Event, Role
from analytics.session import SessionState
from server.sessions import SessionBook

__all__ = ["CameraWatch"]

Key = tuple[str, Role]


class CameraWatch:
    """Turns what the server and the browsers see of each camera into camera events."""

    def __init__(self, book: SessionBook, config: CameraConfig) -> None:
        self._book = book
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
            now = time.time()
            closed = observe_uplink_closed(tracker, now, self._config)
            await self._record_change(session_id, role, tracker, closed, now)

    async def frame(self, session_id: str, role: Role, reading: FrameReading) -> None:
        """An analysed frame arrived."""
        await self._update(
            session_id, role, reading.at, lambda t: observe_frame(t, reading, self._config)
        )

    async def tick(self, session_id: str, role: Role, now: float) -> None:
        """Time passed: frames that stopped coming leave the camera unknown."""
        await self._update(session_id, role, now, lambda t: observe_time(t, now, self._config))

    async def report(
        self, session_id: str, role: Role, *, enabled: bool, muted: bool, ended: bool
    ) -> None:
        """The browser said what its camera track is doing."""
        event = CameraReported(
            at=time.time(), actor=role, role=role, enabled=enabled, muted=muted, ended=ended
        )
        async with self._book.lock(session_id):
            state = await self._book.get(session_id)
            last = state.camera[role].report
            if self._may_record(state, role) and (
                last is None or (last.enabled, last.muted, last.ended) != (enabled, muted, ended)
            ):
                await self._book.record(session_id, event)
        change = partial(observe_report, live=event.live, at=event.at, config=self._config)
        if (session_id, role) in self._trackers:
            await self._update(session_id, role, event.at, change)
        else:
            # No uplink: what the browser says is all there is to go on.
            tracker = _from_record((await self._book.get(session_id)).camera[role], event.at)
            await self._record_change(session_id, role, tracker, change(tracker), event.at)

    async def _update(
        self,
        session_id: str,
        role: Role,
        at: float,
        change: Callable[[CameraTracker], CameraTracker],
    ) -> None:
        before = self._trackers.get((session_id, role))
        if before is None:
            return  # no uplink: no frames, and missing frames are nothing new
        after = self._trackers[session_id, role] = change(before)
        await self._record_change(session_id, role, before, after, at)

    async def _record_change(
        self, session_id: str, role: Role, before: CameraTracker, after: CameraTracker, at: float
    ) -> None:
        if after.state == before.state:
            return
        async with self._book.lock(session_id):
            state = await self._book.get(session_id)
            # Trackers run ahead of the lock; the record may already say so (an uplink that
            # closed after its participant left is out of the record already).
            if self._may_record(state, role) and state.camera[role].state != after.state:
                event: Event = CameraObserved(
                    at=at, actor="system", role=role, state=after.state, since=after.since
                )
                await self._book.record(session_id, event)

    @staticmethod
    def _may_record(state: SessionState, role: Role) -> bool:
        return state.status != "ended" and state.presence[role].present


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
