"""Camera time: each participant's camera state through a session, and time in each state.

Only time on the session clock counts (from the start, when both are first in the room,
to the end), and only while the participant is in the room: the same span as their
present time, so that the four states add up to it. Joining opens a stretch in
``unknown`` (the server has seen nothing yet); leaving or the end of the session closes
it even if no ``camera_observed`` said so, which keeps the count right after a server
crash. A new state counts from when its evidence began (``CameraObserved.since``), never
before the state it follows began, so hysteresis delays the state but not its time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from analytics.events import (
    CameraObserved,
    CameraReported,
    CameraState,
    Event,
    ParticipantJoined,
    ParticipantLeft,
    Role,
    SessionEnded,
)

if TYPE_CHECKING:  # the session imports this module to fold camera events
    from analytics.session import SessionState

__all__ = ["CameraRecord", "CameraTime", "apply", "camera_time", "record_time"]


@dataclass(frozen=True, kw_only=True)
class CameraTime:
    """Seconds a participant's camera spent in each state, on the session clock."""

    on: float = 0.0
    no_face: float = 0.0
    off: float = 0.0
    unknown: float = 0.0

    @property
    def live(self) -> float:
        """Seconds with a live picture, whether or not anyone was in it."""
        return self.on + self.no_face

    def plus(self, state: CameraState, seconds: float) -> CameraTime:
        """This time with ``seconds`` more in ``state``."""
        if seconds <= 0:
            return self
        return replace(self, **{state: getattr(self, state) + seconds})


@dataclass(frozen=True, kw_only=True)
class CameraRecord:
    """One participant's camera as the server observed it."""

    state: CameraState = "unknown"
    # When ``state`` began; ``None`` while the participant is not in the room.
    since: float | None = None
    # Time in each state on the session clock before ``since``.
    before: CameraTime = CameraTime()
    # What the browser last said about its track in this stay in the room.
    report: CameraReported | None = None


def _counted(start: float, end: float, started_at: float | None) -> float:
    """Length of ``[start, end]`` that falls on the session clock."""
    if started_at is None:
        return 0.0
    return max(0.0, end - max(start, started_at))


def _booked(record: CameraRecord, until: float, started_at: float | None) -> CameraTime:
    """The record's time with its open stretch counted up to ``until``."""
    if record.since is None:
        return record.before
    return record.before.plus(record.state, _counted(record.since, until, started_at))


def _change(
    record: CameraRecord, state: CameraState, begin: float, started_at: float | None
) -> CameraRecord:
    """The record with ``state`` from ``begin`` on (not before the open stretch began)."""
    if record.since is None:
        return record  # not in the room: nothing is observed, nothing counts
    if state == record.state:
        return record
    begin = max(begin, record.since)
    before = _booked(record, begin, started_at)
    return replace(record, state=state, since=begin, before=before)


def _close(record: CameraRecord, at: float, started_at: float | None) -> CameraRecord:
    """The record once the participant is out of the room: nothing counts until they return."""
    return CameraRecord(before=_booked(record, at, started_at))


def apply(
    cameras: dict[Role, CameraRecord], event: Event, *, started_at: float | None
) -> dict[Role, CameraRecord]:
    """The records after ``event``; the same mapping when the event does not concern them."""
    match event:
        case CameraObserved(role=role, state=state, at=at, since=since):
            begin = at if since is None else min(since, at)
            return {**cameras, role: _change(cameras[role], state, begin, started_at)}
        case CameraReported(role=role):
            return {**cameras, role: replace(cameras[role], report=event)}
        case ParticipantJoined(role=role, at=at):
            record = _close(cameras[role], at, started_at)
            return {**cameras, role: replace(record, since=at)}
        case ParticipantLeft(role=role, at=at):
            return {**cameras, role: _close(cameras[role], at, started_at)}
        case SessionEnded(at=at):
            return {role: _close(r, at, started_at) for role, r in cameras.items()}
        case _:
            return cameras


def record_time(record: CameraRecord, *, started_at: float | None, until: float) -> CameraTime:
    """Time in each state on the session clock, the open stretch counted up to ``until``."""
    return _booked(record, until, started_at)


def camera_time(state: SessionState, role: Role, now: float) -> CameraTime:
    """Time ``role``'s camera spent in each state in the session so far (or in all of it)."""
    until = now if state.ended_at is None else state.ended_at
    return record_time(state.camera[role], started_at=state.started_at, until=until)
