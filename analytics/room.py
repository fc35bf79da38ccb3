"""What happens in the room: joining, leaving, talking and cameras, each a rule that
turns what the shell saw into the events that record it (or a :class:`Rejected`).
"""

from __future__ import annotations

from analytics.camera import CameraTracker
from analytics.events import (
    CameraObserved,
    CameraReported,
    Event,
    ParticipantJoined,
    ParticipantLeft,
    Role,
    SpeakingChanged,
)
from analytics.rules import Rejected, require_open
from analytics.session import SessionState

__all__ = [
    "join",
    "leave",
    "leave_all",
    "observe_camera",
    "report_camera",
    "report_speaking",
]


def join(state: SessionState, role: Role, at: float) -> tuple[Event, ...]:
    """A participant enters the room; one still recorded as present (an older window of
    the same tab) leaves first."""
    if state.over:
        code, message = (
            ("session_cancelled", "this session was cancelled")
            if state.status == "cancelled"
            else ("session_ended", "this session has already ended")
        )
        raise Rejected(code, message)
    joined = ParticipantJoined(at=at, actor=role, role=role)
    if state.presence[role].present:
        return (ParticipantLeft(at=at, actor=role, role=role), joined)
    return (joined,)


def leave(state: SessionState, role: Role, at: float) -> tuple[Event, ...]:
    """A participant's connection ended; after the session, that changes nothing."""
    if state.over or not state.presence[role].present:
        return ()
    return (ParticipantLeft(at=at, actor=role, role=role),)


def leave_all(state: SessionState, at: float) -> tuple[Event, ...]:
    """The server restarted: nobody's connection outlived it."""
    if state.status != "live":
        return ()
    return tuple(
        ParticipantLeft(at=at, actor="system", role=role)
        for role, presence in state.presence.items()
        if presence.present
    )


def report_speaking(state: SessionState, role: Role, speaking: bool, at: float) -> SpeakingChanged:
    """A participant's browser heard them start or stop talking."""
    require_open(state)
    return SpeakingChanged(at=at, actor=role, role=role, speaking=speaking)


def report_camera(
    state: SessionState, role: Role, at: float, *, enabled: bool, muted: bool, ended: bool
) -> tuple[Event, ...]:
    """A browser said what its camera track does: recorded when it says something new of a
    participant in the room."""
    last = state.camera[role].report
    if not _in_room(state, role) or (
        last is not None and (last.enabled, last.muted, last.ended) == (enabled, muted, ended)
    ):
        return ()
    return (
        CameraReported(at=at, actor=role, role=role, enabled=enabled, muted=muted, ended=ended),
    )


def observe_camera(
    state: SessionState, role: Role, tracker: CameraTracker, at: float
) -> tuple[Event, ...]:
    """The server's tracker settled on a camera state: recorded when the record says
    otherwise of a participant in the room (trackers run ahead of the record; an uplink
    that closed after its participant left is out of the record already)."""
    if not _in_room(state, role) or state.camera[role].state == tracker.state:
        return ()
    return (
        CameraObserved(at=at, actor="system", role=role, state=tracker.state, since=tracker.since),
    )


def _in_room(state: SessionState, role: Role) -> bool:
    return state.status != "ended" and state.presence[role].present
