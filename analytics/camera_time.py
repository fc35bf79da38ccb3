"""Camera time: each participant's camera state through a session, and time with it on.

Only time on the session clock counts (from the start, when both are first in the room,
to the end), the same span the summary compares it with. Leaving the room or the end of
the session turns a camera off in this record even if no ``camera_observed`` said so,
which keeps the count right after a server crash.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from analytics.events import (
    CameraObserved,
    CameraReported,
    CameraState,
    Event,
    ParticipantLeft,
    Role,
    SessionEnded,
)

if TYPE_CHECKING:  # the session imports this module to fold camera events
    from analytics.session import SessionState

__all__ = ["CameraRecord", "apply", "camera_on_seconds", "on_seconds"]


@dataclass(frozen=True, kw_only=True)
class CameraRecord:
    """One participant's camera as the server observed it."""

    state: CameraState = "off"
    # When ``state`` began; ``None`` until the first observation.
    since: float | None = None
    # Seconds in ``on`` on the session clock before ``since``.
    on_seconds_before: float = 0.0
    # What the browser last said about its track in this stay in the room.
    report: CameraReported | None = None


def _counted(start: float, end: float, started_at: float | None) -> float:
    """Length of ``[start, end]`` that falls on the session clock."""
    if started_at is None:
        return 0.0
    return max(0.0, end - max(start, started_at))


def _change(
    record: CameraRecord, state: CameraState, at: float, started_at: float | None
) -> CameraRecord:
    if state == record.state and record.since is not None:
        return record
    total = record.on_seconds_before
    if record.state == "on" and record.since is not None:
        total += _counted(record.since, at, started_at)
    return replace(record, state=state, since=at, on_seconds_before=total)


def apply(
    cameras: dict[Role, CameraRecord], event: Event, *, started_at: float | None
) -> dict[Role, CameraRecord]:
    """The records after ``event``; the same mapping when the event does not concern them."""
    match event:
        case CameraObserved(role=role, state=state, at=at):
            return {**cameras, role: _change(cameras[role], state, at, started_at)}
        case CameraReported(role=role):
            return {**cameras, role: replace(cameras[role], report=event)}
        case ParticipantLeft(role=role, at=at):
            record = _change(cameras[role], "off", at, started_at)
            return {**cameras, role: replace(record, report=None)}
        case SessionEnded(at=at):
            return {role: _change(r, "off", at, started_at) for role, r in cameras.items()}
        case _:
            return cameras


def on_seconds(record: CameraRecord, *, started_at: float | None, until: float) -> float:
    """Seconds with the camera ``on`` on the session clock, up to ``until``."""
    total = record.on_seconds_before
    if record.state == "on" and record.since is not None:
        total += _counted(record.since, until, started_at)
    return total


def camera_on_seconds(state: SessionState, role: Role, now: float) -> float:
    """Seconds ``role``'s camera has been ``on`` in the session so far (or in all of it)."""
    until = now if state.ended_at is None else state.ended_at
    return on_seconds(state.camera[role], started_at=state.started_at, until=until)
