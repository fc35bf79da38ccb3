"""What happens in the room: joining, leaving, talking and cameras, each a rule that
turns what the shell saw into the events that record it (or a :class:`Rejected`).
"""

from __future__ import annotations

from collections.abc import Callable

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
    "observe_camera",
    "report_camera",
    "report_speaking",
    "vacate",
]


def join(
    state: SessionState,
    role: Role,
    at: float,
    *,
    client_id: str = "",
    connection: str = "",
    take_over: bool = False,
) -> tuple[Event, ...]:
    """A participant's browser tab ``client_id`` enters the room over ``connection``.

    The seat is one per role. The same tab coming back (a reconnect, perhaps through
    another instance) takes it from its older connection, which leaves first; another tab
    takes it only when its person asks to (``take_over``), else the room is full.
    """
    if state.over:
        code, message = (
            ("session_cancelled", "this session was cancelled")
            if state.status == "cancelled"
            else ("session_ended", "this session has already ended")
        )
        raise Rejected(code, message)
    seat = state.presence[role]
    if seat.present and seat.client_id != client_id and not take_over:
        raise Rejected(
            "room_full",
            f"the {role} is already in this room from another window; "
            "this one joins when that one leaves",
        )
    joined = ParticipantJoined(
        at=at, actor=role, role=role, client_id=client_id, connection=connection
    )
    if seat.present:
        return (ParticipantLeft(at=at, actor=role, role=role), joined)
    return (joined,)


def leave(
    state: SessionState, role: Role, at: float, *, connection: str | None = None
) -> tuple[Event, ...]:
    """A participant's ``connection`` ended (``None``: whichever holds the seat); after the
    session, or once a newer connection holds the seat, that changes nothing."""
    seat = state.presence[role]
    if state.over or not seat.present or connection not in (None, seat.connection):
        return ()
    return (ParticipantLeft(at=at, actor=role, role=role),)


def vacate(
    state: SessionState, at: float, *, still_open: Callable[[str], bool]
) -> tuple[Event, ...]:
    """Free the seats whose connection is gone without a word: its server process stopped
    or died. ``still_open`` tells whether a connection (``Presence.connection``) is."""
    if state.status != "live":
        return ()
    return tuple(
        ParticipantLeft(at=at, actor="system", role=role)
        for role, seat in state.presence.items()
        if seat.present and not still_open(seat.connection)
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
