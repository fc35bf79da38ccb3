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
EndReason = Literal["ended_by_participant", "room_empty", "hard_maximum", "nobody_came"]
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
class AgendaDraftItem:
    """An agenda item as written before the meeting, with an optional time budget."""

    text: str
    minutes: int | None = None


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
    agenda: tuple[AgendaDraftItem, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ParticipantJoined(Event):
    """A participant entered the room (first time or after dropping out).

    ``client_id`` names the browser tab, ``connection`` the server connection that holds
    the seat (unique across instances, see :mod:`server.instance`); both empty in events
    recorded before they were kept.
    """

    type: ClassVar[str] = "participant_joined"
    role: Role
    client_id: str = ""
    connection: str = ""


@dataclass(frozen=True, kw_only=True)
class ParticipantLeft(Event):
    """A participant's connection to the room ended, by choice or by a fault."""

    type: ClassVar[str] = "participant_left"
    role: Role


@dataclass(frozen=True, kw_only=True)
class AgendaSet(Event):
    """The agenda was written or rewritten before the start (replaces all items)."""

    type: ClassVar[str] = "agenda_set"
    items: tuple[AgendaDraftItem, ...]


@dataclass(frozen=True, kw_only=True)
class AgendaItemAdded(Event):
    """An item that came up during the meeting was added at the end of the agenda."""

    type: ClassVar[str] = "agenda_item_added"
    text: str


@dataclass(frozen=True, kw_only=True)
class AgendaItemChecked(Event):
    """An agenda item was covered."""

    type: ClassVar[str] = "agenda_item_checked"
    item_id: int


@dataclass(frozen=True, kw_only=True)
class AgendaItemUnchecked(Event):
    """An agenda item turned out not to be covered after all."""

    type: ClassVar[str] = "agenda_item_unchecked"
    item_id: int


@dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    """The short note on an agenda item was written or changed."""

    type: ClassVar[str] = "note_added"
    item_id: int
    note: str


@dataclass(frozen=True, kw_only=True)
class SpeakingChanged(Event):
    """A participant's browser heard them start or stop talking (no audio leaves it)."""

    type: ClassVar[str] = "speaking"
    role: Role
    speaking: bool


@dataclass(frozen=True, kw_only=True)
class WarningSent(Event):
    """Both participants were told how many minutes are left (0: time is up)."""

    type: ClassVar[str] = "warning_sent"
    minutes_left: int


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    """The meeting is over; ``actor`` tells who ended it."""

    type: ClassVar[str] = "session_ended"
    reason: EndReason


@dataclass(frozen=True, kw_only=True)
class SessionCancelled(Event):
    """The MPM called the session off: it is over, and its invite links are dead."""

    type: ClassVar[str] = "session_cancelled"


# ``on``: the camera shows a face; ``no_face``: a live picture with nobody in it; ``off``:
# the browser said the track is disabled, muted or ended, or the frames are black or
# frozen; ``unknown``: the server has no picture to judge (no uplink, not connected, no
# frame yet or for a while) or has not judged it yet.
CameraState = Literal["on", "no_face", "off", "unknown"]


@dataclass(frozen=True, kw_only=True)
class CameraReported(Event):
    """A participant's browser said what its camera track is doing."""

    type: ClassVar[str] = "camera_reported"
    role: Role
    enabled: bool
    muted: bool
    ended: bool

    @property
    def live(self) -> bool:
        """The track can deliver a picture: enabled, not muted and not ended."""
        return self.enabled and not self.muted and not self.ended


@dataclass(frozen=True, kw_only=True)
class CameraObserved(Event):
    """The server's analysis of a participant's camera settled on a new state."""

    type: ClassVar[str] = "camera_observed"
    role: Role
    state: CameraState
    # When the evidence for ``state`` began: the state is settled later, once it has held,
    # but counts from here. ``None`` (events recorded before it existed): from ``at``.
    since: float | None = None


@dataclass(frozen=True, kw_only=True)
class ConcernRaised(Event):
    """A participant asked the MPM to look at something, during or after the meeting."""

    type: ClassVar[str] = "concern_raised"
    role: Role
    text: str


@dataclass(frozen=True, kw_only=True)
class MeetingRated(Event):
    """A participant rated the meeting afterwards (a later rating replaces theirs).

    ``shared``: its author lets their partner see it; off by default, and in logs written
    before the choice existed.
    """

    type: ClassVar[str] = "meeting_rated"
    role: Role
    score: int
    comment: str = ""
    shared: bool = False


@dataclass(frozen=True, kw_only=True)
class SummaryDelivered(Event):
    """A version of the summary reached the MPM through one channel (outbox, webhook or email).

    Logs written before summaries had versions only ever delivered the first.
    """

    type: ClassVar[str] = "summary_delivered"
    channel: str
    version: int = 1


@dataclass(frozen=True, kw_only=True)
class SummaryDeliveryFailed(Event):
    """An attempt to deliver the summary through one channel failed.

    It will be retried unless ``final``: retrying cannot help (the receiver refused it for
    good, or the message cannot be built) or it failed too many times in a row; then the
    channel waits for the MPM to retry it (:class:`DeliveryRetried`).
    """

    type: ClassVar[str] = "summary_delivery_failed"
    channel: str
    attempt: int
    error: str
    version: int = 1
    final: bool = False


@dataclass(frozen=True, kw_only=True)
class ConcernDelivered(Event):
    """Concern number ``number`` (from 1), raised before the end, reached the MPM at once."""

    type: ClassVar[str] = "concern_delivered"
    channel: str
    number: int


@dataclass(frozen=True, kw_only=True)
class ConcernDeliveryFailed(Event):
    """An attempt to pass a concern on to the MPM at once failed; retried unless ``final``."""

    type: ClassVar[str] = "concern_delivery_failed"
    channel: str
    number: int
    attempt: int
    error: str
    final: bool = False


@dataclass(frozen=True, kw_only=True)
class DeliveryRetried(Event):
    """The MPM asked a channel that had given up to try again what it owes."""

    type: ClassVar[str] = "delivery_retried"
    channel: str


@dataclass(frozen=True, kw_only=True)
class InviteSent(Event):
    """The participant ``role`` was emailed their invitation, with its calendar file."""

    type: ClassVar[str] = "invite_sent"
    role: Role


@dataclass(frozen=True, kw_only=True)
class InviteFailed(Event):
    """Emailing the participant ``role`` their invitation failed; the MPM sends the link."""

    type: ClassVar[str] = "invite_failed"
    role: Role
    error: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        SessionScheduled,
        ParticipantJoined,
        ParticipantLeft,
        AgendaSet,
        AgendaItemAdded,
        AgendaItemChecked,
        AgendaItemUnchecked,
        NoteAdded,
        SpeakingChanged,
        WarningSent,
        SessionEnded,
        SessionCancelled,
        CameraReported,
        CameraObserved,
        ConcernRaised,
        MeetingRated,
        SummaryDelivered,
        SummaryDeliveryFailed,
        ConcernDelivered,
        ConcernDeliveryFailed,
        DeliveryRetried,
        InviteSent,
        InviteFailed,
    )
}
