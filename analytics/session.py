"""A session's state as a fold over its events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Literal

from analytics.events import (
    Event,
    ParticipantJoined,
    ParticipantLeft,
    Person,
    Role,
    SessionEnded,
    SessionScheduled,
)

Status = Literal["scheduled", "live", "ended"]


@dataclass(frozen=True, kw_only=True)
class Presence:
    """Whether a participant is in the room, and how often they came in."""

    present: bool = False
    joins: int = 0
    last_joined_at: float | None = None


@dataclass(frozen=True, kw_only=True)
class SessionState:
    """Everything known about one session at a point in its event stream."""

    session_id: str
    mentor: Person
    mentoree: Person
    scheduled_start: float
    allotted_minutes: int
    agenda: tuple[str, ...] = ()
    presence: dict[Role, Presence] = field(
        default_factory=lambda: {"mentor": Presence(), "mentoree": Presence()}
    )
    started_at: float | None = None
    ended_at: float | None = None
    ended_by: str | None = None
    end_reason: str | None = None

    @property
    def status(self) -> Status:
        """``scheduled`` until someone joins, ``live`` until it ends, then ``ended``."""
        if self.ended_at is not None:
            return "ended"
        if any(p.joins for p in self.presence.values()):
            return "live"
        return "scheduled"

    def person(self, role: Role) -> Person:
        """The person who holds ``role`` in this session."""
        return self.mentor if role == "mentor" else self.mentoree

    @property
    def everyone_present(self) -> bool:
        """Both participants are in the room right now."""
        return all(p.present for p in self.presence.values())


def start(event: SessionScheduled) -> SessionState:
    """The state of a session right after it was scheduled."""
    return SessionState(
        session_id=event.session_id,
        mentor=event.mentor,
        mentoree=event.mentoree,
        scheduled_start=event.scheduled_start,
        allotted_minutes=event.allotted_minutes,
        agenda=event.agenda,
    )


def apply(state: SessionState, event: Event) -> SessionState:
    """Return the state after ``event``; events after the end change nothing."""
    if state.ended_at is not None:
        return state
    match event:
        case ParticipantJoined(role=role, at=at):
            before = state.presence[role]
            presence = {
                **state.presence,
                role: Presence(present=True, joins=before.joins + 1, last_joined_at=at),
            }
            state = replace(state, presence=presence)
            if state.started_at is None and state.everyone_present:
                state = replace(state, started_at=at)
            return state
        case ParticipantLeft(role=role):
            presence = {**state.presence, role: replace(state.presence[role], present=False)}
            return replace(state, presence=presence)
        case SessionEnded(at=at, actor=actor, reason=reason):
            presence = {role: replace(p, present=False) for role, p in state.presence.items()}
            return replace(state, presence=presence, ended_at=at, ended_by=actor, end_reason=reason)
        case _:
            return state


def fold(events: Iterable[Event]) -> SessionState:
    """Fold a session's whole event stream, which must open with ``SessionScheduled``."""
    stream = iter(events)
    first = next(stream, None)
    if not isinstance(first, SessionScheduled):
        raise ValueError("a session's events must start with session_scheduled")
    return reduce(apply, stream, start(first))
