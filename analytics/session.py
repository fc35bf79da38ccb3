"""A session's state as a fold over its events.

``apply`` handles presence and the session clock itself and hands the agenda, talk time
and camera time to their own modules, so that each concern stays small and testable on
its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any, Literal

from analytics import agenda as agenda_
from analytics import camera_time
from analytics.agenda import Agenda
from analytics.camera_time import CameraRecord
from analytics.events import (
    ROLES,
    Actor,
    AgendaSet,
    ConcernDelivered,
    ConcernDeliveryFailed,
    ConcernRaised,
    DeliveryRetried,
    EndReason,
    Event,
    InviteFailed,
    InviteSent,
    MeetingRated,
    ParticipantJoined,
    ParticipantLeft,
    Person,
    Role,
    SessionCancelled,
    SessionEnded,
    SessionScheduled,
    SpeakingChanged,
    SummaryDelivered,
    SummaryDeliveryFailed,
    WarningSent,
)
from analytics.talk import Talk, start_speaking, stop_speaking

Status = Literal["scheduled", "live", "ended", "cancelled"]
# Why a session is over: the reason it ended, or its cancellation.
ClosingReason = EndReason | Literal["cancelled"]
# Participants' writes that the rules cap per session (they count in SessionState.writes).
CAPPED_WRITES = (ConcernRaised, MeetingRated, AgendaSet)


@dataclass(frozen=True, kw_only=True)
class Presence:
    """Whether a participant is in the room, and how often they came in."""

    present: bool = False
    # The tab and the server connection of the last join (see ParticipantJoined).
    client_id: str = ""
    connection: str = ""
    joins: int = 0
    last_joined_at: float | None = None
    # Time in the room on the session clock, up to the last time they left.
    present_seconds_before: float = 0.0

    def present_seconds(self, *, started_at: float | None, until: float) -> float:
        """Time in the room on the session clock (from the start) up to ``until``."""
        total = self.present_seconds_before
        if self.present and self.last_joined_at is not None and started_at is not None:
            total += max(0.0, until - max(self.last_joined_at, started_at))
        return total


@dataclass(frozen=True, kw_only=True)
class Concern:
    """Something a participant wants the MPM to know.

    ``number`` counts the session's concerns from 1; ``version`` is the first summary
    version that holds it (1 for a concern raised before the end).
    """

    role: Role
    text: str
    at: float
    number: int
    version: int


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """How delivering to the MPM through one channel went so far.

    ``delivered_version`` is the newest summary version that went through (0: none yet);
    ``concerns_delivered`` the numbers of concerns passed on at once during the meeting;
    ``attempts`` the failed attempts since the last success or retry, and ``failed`` whether
    the channel gave up on them (``last_error`` says why) until the MPM retries it.
    """

    delivered_at: float | None = None
    delivered_version: int = 0
    concerns_delivered: frozenset[int] = frozenset()
    attempts: int = 0
    last_error: str | None = None
    failed: bool = False


@dataclass(frozen=True, kw_only=True)
class Rating:
    """A participant's verdict on the meeting: 1 to 5 and a line of text.

    ``shared``: the partner may read it; ``version``: the summary version it made.
    """

    score: int
    comment: str
    at: float
    shared: bool = False
    version: int = 1


@dataclass(frozen=True, kw_only=True)
class Pause:
    """A stretch after the start in which one or both participants were missing."""

    start: float
    end: float | None = None


@dataclass(frozen=True, kw_only=True)
class SessionState:
    """Everything known about one session at a point in its event stream."""

    session_id: str
    mentor: Person
    mentoree: Person
    scheduled_start: float
    allotted_minutes: int
    agenda: Agenda = field(default_factory=Agenda)
    presence: dict[Role, Presence] = field(default_factory=lambda: dict.fromkeys(ROLES, Presence()))
    talk: dict[Role, Talk] = field(default_factory=lambda: dict.fromkeys(ROLES, Talk()))
    camera: dict[Role, CameraRecord] = field(
        default_factory=lambda: dict.fromkeys(ROLES, CameraRecord())
    )
    started_at: float | None = None
    ended_at: float | None = None
    ended_by: Actor | None = None
    end_reason: ClosingReason | None = None
    cancelled_at: float | None = None
    pauses: tuple[Pause, ...] = ()
    # When the last participant left a started session, while it stays empty.
    emptied_at: float | None = None
    warnings_sent: frozenset[int] = frozenset()
    concerns: tuple[Concern, ...] = ()
    ratings: dict[Role, Rating] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    # Emailed invitations: "sent", or "failed: <why>", per participant with an email.
    invites: dict[Role, str] = field(default_factory=dict)
    # 0 before the end, 1 at the end, one more for every fact after it.
    summary_version: int = 0

    # How many times each participant wrote each kind of event that analytics.rules caps.
    writes: dict[tuple[str, Role], int] = field(default_factory=dict)

    def written(self, event_type: type[Event], role: Role) -> int:
        """How many events of ``event_type`` ``role`` has written so far."""
        return self.writes.get((event_type.type, role), 0)

    @property
    def status(self) -> Status:
        """``scheduled`` until someone joins, ``live`` until it ends, then ``ended``;
        ``cancelled`` once the MPM called it off."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.ended_at is not None:
            return "ended"
        if any(p.joins for p in self.presence.values()):
            return "live"
        return "scheduled"

    def person(self, role: Role) -> Person:
        """The person who holds ``role`` in this session."""
        return self.mentor if role == "mentor" else self.mentoree

    def talk_seconds(self, role: Role, now: float) -> float:
        """How long ``role`` has talked by ``now``: talk before the start counts for
        nothing, even while a stretch is open."""
        return self.talk[role].seconds_at(now) if self.started_at is not None else 0.0

    @property
    def over(self) -> bool:
        """Ended or cancelled: nothing happens in the room any more."""
        return self.ended_at is not None

    @property
    def everyone_present(self) -> bool:
        """Both participants are in the room right now."""
        return all(p.present for p in self.presence.values())

    @property
    def paused(self) -> bool:
        """The session has started and someone is missing right now."""
        return bool(self.pauses) and self.pauses[-1].end is None


def start(event: SessionScheduled) -> SessionState:
    """The state of a session right after it was scheduled."""
    return SessionState(
        session_id=event.session_id,
        mentor=event.mentor,
        mentoree=event.mentoree,
        scheduled_start=event.scheduled_start,
        allotted_minutes=event.allotted_minutes,
        agenda=Agenda(items=agenda_.from_draft(event.agenda)),
    )


def _joined(state: SessionState, event: ParticipantJoined) -> SessionState:
    role, at = event.role, event.at
    before = state.presence[role]
    joined = replace(
        before,
        present=True,
        joins=before.joins + 1,
        last_joined_at=at,
        client_id=event.client_id,
        connection=event.connection,
    )
    presence = {**state.presence, role: joined}
    state = replace(state, presence=presence, emptied_at=None)
    if state.started_at is None and state.everyone_present:
        # Whoever was already talking starts counting now, not before the start.
        talk = {
            r: replace(t, speaking_since=at) if t.speaking_since else t
            for r, t in state.talk.items()
        }
        return replace(
            state, started_at=at, talk=talk, agenda=agenda_.start_timing(state.agenda, at)
        )
    if state.paused and state.everyone_present:
        return replace(state, pauses=(*state.pauses[:-1], replace(state.pauses[-1], end=at)))
    return state


def _absent(state: SessionState, presence: Presence, at: float) -> Presence:
    """``presence`` after leaving at ``at``, with the stay booked."""
    seconds = presence.present_seconds(started_at=state.started_at, until=at)
    return replace(presence, present=False, present_seconds_before=seconds)


def _left(state: SessionState, role: Role, at: float) -> SessionState:
    presence = {**state.presence, role: _absent(state, state.presence[role], at)}
    talk = {**state.talk, role: _stop_talking(state, state.talk[role], at)}
    state = replace(state, presence=presence, talk=talk)
    if state.started_at is None:
        return state
    if not state.paused:
        state = replace(state, pauses=(*state.pauses, Pause(start=at)))
    if not any(p.present for p in presence.values()):
        state = replace(state, emptied_at=at)
    return state


def _stop_talking(state: SessionState, talk: Talk, at: float) -> Talk:
    # Before the start nothing counts (see SessionState.talk_seconds), so a stretch is
    # dropped rather than booked.
    return stop_speaking(talk, at) if state.started_at is not None else Talk()


def _ended(state: SessionState, at: float, actor: Actor, reason: ClosingReason) -> SessionState:
    presence = {role: _absent(state, p, at) for role, p in state.presence.items()}
    talk = {role: _stop_talking(state, t, at) for role, t in state.talk.items()}
    pauses = state.pauses
    if state.paused:
        pauses = (*pauses[:-1], replace(pauses[-1], end=at))
    return replace(
        state,
        presence=presence,
        talk=talk,
        pauses=pauses,
        agenda=agenda_.stop_timing(state.agenda, at),
        ended_at=at,
        ended_by=actor,
        end_reason=reason,
        summary_version=1,
    )


def _next_version(state: SessionState) -> SessionState:
    """After the end a new fact makes a new summary version; before it, all go into the first."""
    if state.ended_at is None:
        return state
    return replace(state, summary_version=state.summary_version + 1)


# A success or the MPM's retry: failures counted so far no longer count.
_FRESH_START: dict[str, Any] = {"attempts": 0, "last_error": None, "failed": False}


def _delivery(state: SessionState, channel: str, **changes: Any) -> SessionState:
    delivery = replace(state.deliveries.get(channel, Delivery()), **changes)
    return replace(state, deliveries={**state.deliveries, channel: delivery})


def apply(state: SessionState, event: Event) -> SessionState:
    """Return the state after ``event``.

    After the end only what comes after a meeting counts: concerns, ratings, deliveries.
    """
    if isinstance(event, CAPPED_WRITES) and event.actor in ROLES:
        key = (event.type, event.actor)
        state = replace(state, writes={**state.writes, key: state.writes.get(key, 0) + 1})
    match event:
        case ConcernRaised(role=role, text=text, at=at):
            state = _next_version(state)
            number = len(state.concerns) + 1
            version = max(1, state.summary_version)
            concern = Concern(role=role, text=text, at=at, number=number, version=version)
            return replace(state, concerns=(*state.concerns, concern))
        case MeetingRated(role=role, score=score, comment=comment, shared=shared, at=at):
            state = _next_version(state)
            version = max(1, state.summary_version)
            rating = Rating(score=score, comment=comment, at=at, shared=shared, version=version)
            return replace(state, ratings={**state.ratings, role: rating})
        case SummaryDelivered(channel=channel, version=version, at=at):
            before = state.deliveries.get(channel, Delivery()).delivered_version
            return _delivery(
                state,
                channel,
                delivered_at=at,
                delivered_version=max(before, version),
                **_FRESH_START,
            )
        case ConcernDelivered(channel=channel, number=number):
            done = state.deliveries.get(channel, Delivery()).concerns_delivered
            return _delivery(state, channel, concerns_delivered=done | {number}, **_FRESH_START)
        case (
            SummaryDeliveryFailed(channel=channel, attempt=attempt, error=error, final=final)
            | ConcernDeliveryFailed(channel=channel, attempt=attempt, error=error, final=final)
        ):
            return _delivery(state, channel, attempts=attempt, last_error=error, failed=final)
        case DeliveryRetried(channel=channel):
            return _delivery(state, channel, **_FRESH_START)
        case InviteSent(role=role):
            return replace(state, invites={**state.invites, role: "sent"})
        case InviteFailed(role=role, error=error):
            return replace(state, invites={**state.invites, role: f"failed: {error}"})
    if state.ended_at is not None:
        return state
    camera = camera_time.apply(state.camera, event, started_at=state.started_at)
    if camera is not state.camera:
        state = replace(state, camera=camera)
    match event:
        case ParticipantJoined():
            return _joined(state, event)
        case ParticipantLeft(role=role, at=at):
            return _left(state, role, at)
        case SpeakingChanged(role=role, speaking=speaking, at=at):
            talk = state.talk[role]
            talk = start_speaking(talk, at) if speaking else _stop_talking(state, talk, at)
            return replace(state, talk={**state.talk, role: talk})
        case WarningSent(minutes_left=minutes):
            return replace(state, warnings_sent=state.warnings_sent | {minutes})
        case SessionEnded(at=at, actor=actor, reason=reason):
            return _ended(state, at, actor, reason)
        case SessionCancelled(at=at, actor=actor):
            return replace(_ended(state, at, actor, "cancelled"), cancelled_at=at)
        case _:
            return replace(state, agenda=agenda_.apply(state.agenda, event))


def fold(events: Iterable[Event]) -> SessionState:
    """Fold a session's whole event stream, which must open with ``SessionScheduled``."""
    stream = iter(events)
    first = next(stream, None)
    if not isinstance(first, SessionScheduled):
        raise ValueError("a session's events must start with session_scheduled")
    return reduce(apply, stream, start(first))
