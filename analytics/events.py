"""The facts a session is made of.

Each event is a frozen dataclass with a wall-clock timestamp ``at`` (seconds since the
epoch) and the ``actor`` who caused it. Events are appended to a store and never changed;
every view of a session is a fold over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

Role = Literal["mentor", "mentoree"]
Actor = Literal["mentor", "mentoree", "mpm", "system"]
ROLES: tuple[Role, Role] = ("mentor", "mentoree")


def other_role(role: Role) -> Role:
    """The role at the other end of the call."""
    return "mentoree" if role == "mentor" else "mentor"


@dataclass(frozen=True, kw_only=True)
class Person:
    """Someone taking part in a mentoring pair."""

    name: str
    email: str | None = None


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event carries: when it happened and who made it happen."""

    type: ClassVar[str]
    at: float
    actor: Actor


@dataclass(frozen=True, kw_only=True)
class SessionScheduled(Event):
    """The MPM put a meeting for a pair in the calendar."""

    type: ClassVar[str] = "session_scheduled"
    session_id: str
    mentor: Person
    mentoree: Person
    scheduled_start: float
    allotted_minutes: int
    agenda: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ParticipantJoined(Event):
    """A participant entered the room (first time or after dropping out)."""

    type: ClassVar[str] = "participant_joined"
    role: Role


@dataclass(frozen=True, kw_only=True)
class ParticipantLeft(Event):
    """A participant's connection to the room ended, by choice or by a fault."""

    type: ClassVar[str] = "participant_left"
    role: Role


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    """The meeting is over; ``actor`` tells who ended it."""

    type: ClassVar[str] = "session_ended"
    reason: Literal["ended_by_participant", "room_empty", "hard_maximum"]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls for cls in (SessionScheduled, ParticipantJoined, ParticipantLeft, SessionEnded)
}
