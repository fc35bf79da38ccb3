"""What participants may do: each request is checked against the session's state and,
if allowed, becomes the event that records it. A refusal says why in a code and a sentence.
"""

from __future__ import annotations

from analytics.events import (
    ROLES,
    Actor,
    AgendaDraftItem,
    AgendaItemAdded,
    AgendaItemChecked,
    AgendaItemUnchecked,
    AgendaSet,
    ConcernRaised,
    Event,
    MeetingRated,
    NoteAdded,
    SessionCancelled,
    SessionEnded,
)
from analytics.session import SessionState

__all__ = [
    "MAX_AGENDA_REWRITES",
    "MAX_CONCERNS",
    "MAX_RATINGS",
    "MAX_START_AHEAD_SECONDS",
    "PAST_START_GRACE_SECONDS",
    "Rejected",
    "add_agenda_item",
    "cancel_session",
    "check_agenda_item",
    "check_start",
    "end_session",
    "past_retention",
    "raise_concern",
    "rate_meeting",
    "require_open",
    "set_agenda",
    "write_note",
]


# Caps per participant and session: generous for people, a wall for scripts (every write
# stays in the log, and concerns in every summary and dashboard answer).
MAX_CONCERNS = 20
MAX_RATINGS = 20
MAX_AGENDA_REWRITES = 50
# A start further ahead would make invite links that never expire.
MAX_START_AHEAD_SECONDS = 365 * 24 * 3600
# A start a little in the past is "now" (a form keeps minutes, a request takes a while).
PAST_START_GRACE_SECONDS = 300


class Rejected(Exception):
    """A request the session's state does not allow."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def require_open(state: SessionState) -> None:
    """Refuse any request once the session is over (ended or cancelled)."""
    if state.status == "cancelled":
        raise Rejected("session_cancelled", "this session was cancelled")
    if state.over:
        raise Rejected("session_ended", "this session has ended")


def _require_under_cap(
    state: SessionState, event_type: type[Event], actor: Actor, cap: int, what: str
) -> None:
    if actor in ROLES and state.written(event_type, actor) >= cap:
        raise Rejected("too_many", f"{what} at most {cap} times in a session")


def _require_item(state: SessionState, item_id: int) -> None:
    if state.agenda.item(item_id) is None:
        raise Rejected("unknown_item", f"there is no agenda item {item_id}")


def set_agenda(
    state: SessionState, actor: Actor, items: tuple[AgendaDraftItem, ...], at: float
) -> AgendaSet:
    """The mentoree writes (or rewrites) the agenda, any time before the session starts."""
    if actor != "mentoree":
        raise Rejected("forbidden", "only the mentoree writes the agenda before the meeting")
    require_open(state)
    _require_under_cap(state, AgendaSet, actor, MAX_AGENDA_REWRITES, "the agenda can be sent")
    if state.started_at is not None:
        raise Rejected(
            "session_started", "the session has started: add and check items in the room"
        )
    return AgendaSet(at=at, actor=actor, items=items)


def cancel_session(state: SessionState, actor: Actor, at: float) -> SessionCancelled:
    """The MPM calls off a session that is not over yet."""
    if actor != "mpm":
        raise Rejected("forbidden", "only the program manager cancels a session")
    require_open(state)
    return SessionCancelled(at=at, actor=actor)


def past_retention(state: SessionState, now: float, *, retention_days: float) -> bool:
    """Whether a session ended (or was cancelled) longer than ``retention_days`` ago."""
    return state.ended_at is not None and state.ended_at < now - retention_days * 24 * 3600


def check_start(scheduled_start: float, now: float, *, confirm_past_start: bool) -> None:
    """The MPM schedules a session: within a year, and in the past only when confirmed."""
    if scheduled_start > now + MAX_START_AHEAD_SECONDS:
        raise Rejected("start_too_late", "a session must start within a year from now")
    if scheduled_start < now - PAST_START_GRACE_SECONDS and not confirm_past_start:
        raise Rejected(
            "start_in_past",
            'this start is in the past: send "confirm_past_start": true to schedule it anyway',
        )


def end_session(state: SessionState, actor: Actor, at: float) -> SessionEnded:
    """A participant ends the session for both, which they may once it has started."""
    require_open(state)
    if state.started_at is None:
        raise Rejected(
            "not_started",
            "the session has not started (both of you in the room): leave instead of ending it",
        )
    return SessionEnded(at=at, actor=actor, reason="ended_by_participant")


def check_agenda_item(
    state: SessionState, actor: Actor, item_id: int, done: bool, at: float
) -> AgendaItemChecked | AgendaItemUnchecked:
    """A participant marks an item covered (or not covered after all)."""
    require_open(state)
    _require_item(state, item_id)
    event_type = AgendaItemChecked if done else AgendaItemUnchecked
    return event_type(at=at, actor=actor, item_id=item_id)


def write_note(state: SessionState, actor: Actor, item_id: int, note: str, at: float) -> NoteAdded:
    """A participant writes the short note on an item."""
    require_open(state)
    _require_item(state, item_id)
    return NoteAdded(at=at, actor=actor, item_id=item_id, note=note)


def add_agenda_item(
    state: SessionState, actor: Actor, text: str, at: float, *, max_items: int
) -> AgendaItemAdded:
    """A participant adds an item that came up during the meeting."""
    require_open(state)
    if len(state.agenda.items) >= max_items:
        raise Rejected("agenda_full", f"an agenda holds at most {max_items} items")
    return AgendaItemAdded(at=at, actor=actor, text=text)


def raise_concern(state: SessionState, actor: Actor, text: str, at: float) -> ConcernRaised:
    """A participant tells the MPM about a problem: before, during or after the meeting."""
    if actor not in ("mentor", "mentoree"):
        raise Rejected("forbidden", "concerns come from the participants")
    _require_under_cap(state, ConcernRaised, actor, MAX_CONCERNS, "each of you can raise concerns")
    return ConcernRaised(at=at, actor=actor, role=actor, text=text)


def rate_meeting(
    state: SessionState, actor: Actor, score: int, comment: str, at: float, *, shared: bool = False
) -> MeetingRated:
    """A participant rates the meeting once it is over (rating again replaces it).

    ``shared`` lets their partner read it; only the MPM does otherwise.
    """
    if actor not in ("mentor", "mentoree"):
        raise Rejected("forbidden", "only the participants rate their meeting")
    if state.status != "ended":
        raise Rejected("not_ended", "a meeting can be rated once it has ended")
    _require_under_cap(state, MeetingRated, actor, MAX_RATINGS, "each of you can rate a meeting")
    return MeetingRated(at=at, actor=actor, role=actor, score=score, comment=comment, shared=shared)
