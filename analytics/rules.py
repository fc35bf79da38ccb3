"""What participants may do: each request is checked against the session's state and,
if allowed, becomes the event that records it. A refusal says why in a code and a sentence.
"""

from __future__ import annotations

from analytics.events import (
    Actor,
    AgendaDraftItem,
    AgendaItemAdded,
    AgendaItemChecked,
    AgendaItemUnchecked,
    AgendaSet,
    ConcernRaised,
    MeetingRated,
    NoteAdded,
)
from analytics.session import SessionState

__all__ = [
    "Rejected",
    "add_agenda_item",
    "check_agenda_item",
    "raise_concern",
    "rate_meeting",
    "set_agenda",
    "write_note",
]


class Rejected(Exception):
    """A request the session's state does not allow."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _require_open(state: SessionState) -> None:
    if state.status == "ended":
        raise Rejected("session_ended", "this session has ended")


def _require_item(state: SessionState, item_id: int) -> None:
    if state.agenda.item(item_id) is None:
        raise Rejected("unknown_item", f"there is no agenda item {item_id}")


def set_agenda(
    state: SessionState, actor: Actor, items: tuple[AgendaDraftItem, ...], at: float
) -> AgendaSet:
    """The mentoree writes (or rewrites) the agenda, any time before the session starts."""
    if actor != "mentoree":
        raise Rejected("forbidden", "only the mentoree writes the agenda before the meeting")
    _require_open(state)
    if state.started_at is not None:
        raise Rejected(
            "session_started", "the session has started: add and check items in the room"
        )
    return AgendaSet(at=at, actor=actor, items=items)


def check_agenda_item(
    state: SessionState, actor: Actor, item_id: int, done: bool, at: float
) -> AgendaItemChecked | AgendaItemUnchecked:
    """A participant marks an item covered (or not covered after all)."""
    _require_open(state)
    _require_item(state, item_id)
    event_type = AgendaItemChecked if done else AgendaItemUnchecked
    return event_type(at=at, actor=actor, item_id=item_id)


def write_note(state: SessionState, actor: Actor, item_id: int, note: str, at: float) -> NoteAdded:
    """A participant writes the short note on an item."""
    _require_open(state)
    _require_item(state, item_id)
    return NoteAdded(at=at, actor=actor, item_id=item_id, note=note)


def add_agenda_item(
    state: SessionState, actor: Actor, text: str, at: float, *, max_items: int
) -> AgendaItemAdded:
    """A participant adds an item that came up during the meeting."""
    _require_open(state)
    if len(state.agenda.items) >= max_items:
        raise Rejected("agenda_full", f"an agenda holds at most {max_items} items")
    return AgendaItemAdded(at=at, actor=actor, text=text)


def raise_concern(state: SessionState, actor: Actor, text: str, at: float) -> ConcernRaised:
    """A participant tells the MPM about a problem: before, during or after the meeting."""
    if actor not in ("mentor", "mentoree"):
        raise Rejected("forbidden", "concerns come from the participants")
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
    return MeetingRated(at=at, actor=actor, role=actor, score=score, comment=comment, shared=shared)
