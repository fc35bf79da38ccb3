"""The agenda: items prepared before the meeting, checked off and annotated during it.

The *current* item is the first one not yet done. While the session clock runs, time is
credited to whichever item is current, so the summary can tell how long each item took.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from analytics.events import (
    AgendaDraftItem,
    AgendaItemAdded,
    AgendaItemChecked,
    AgendaItemUnchecked,
    AgendaSet,
    Event,
    NoteAdded,
)

__all__ = ["Agenda", "AgendaItem", "apply", "from_draft"]


@dataclass(frozen=True, kw_only=True)
class AgendaItem:
    """One agenda item and what happened to it."""

    id: int
    text: str
    minutes: int | None = None
    done: bool = False
    note: str = ""
    seconds: float = 0.0
    added_during_session: bool = False


@dataclass(frozen=True, kw_only=True)
class Agenda:
    """The ordered items, when the mentoree sent them, and the timing of the current item."""

    items: tuple[AgendaItem, ...] = ()
    sent_at: float | None = None
    updated_at: float | None = None
    # Set while the session clock runs: since when the current item has been current.
    current_since: float | None = None

    @property
    def current(self) -> AgendaItem | None:
        """The first item not done yet, which is what the pair is talking about."""
        return next((item for item in self.items if not item.done), None)

    @property
    def covered(self) -> int:
        """How many items are done."""
        return sum(item.done for item in self.items)

    def item(self, item_id: int) -> AgendaItem | None:
        """The item with ``item_id``, if there is one."""
        return next((item for item in self.items if item.id == item_id), None)

    def current_seconds(self, now: float) -> float:
        """Time spent on the current item, including the stretch still running at ``now``."""
        current = self.current
        if current is None:
            return 0.0
        running = now - self.current_since if self.current_since is not None else 0.0
        return current.seconds + max(0.0, running)


def from_draft(draft: tuple[AgendaDraftItem, ...]) -> tuple[AgendaItem, ...]:
    """Number the items of a draft agenda from 1."""
    return tuple(
        AgendaItem(id=number, text=item.text, minutes=item.minutes)
        for number, item in enumerate(draft, start=1)
    )


def credit_current(agenda: Agenda, at: float) -> Agenda:
    """Book the time since ``current_since`` to the current item and restart its stretch."""
    current = agenda.current
    if agenda.current_since is None:
        return agenda
    if current is None:
        # Nothing was current, so nothing earned this stretch; an item added or unchecked
        # next starts collecting from here, not from when the last one was checked.
        return replace(agenda, current_since=at)
    spent = replace(current, seconds=current.seconds + max(0.0, at - agenda.current_since))
    items = tuple(spent if item.id == current.id else item for item in agenda.items)
    return replace(agenda, items=items, current_since=at)


def start_timing(agenda: Agenda, at: float) -> Agenda:
    """The session clock started: the current item starts collecting time."""
    return replace(agenda, current_since=at)


def stop_timing(agenda: Agenda, at: float) -> Agenda:
    """The session ended: book the last stretch and stop."""
    return replace(credit_current(agenda, at), current_since=None)


def _with_item(agenda: Agenda, item_id: int, **changes: Any) -> Agenda:
    items = tuple(replace(item, **changes) if item.id == item_id else item for item in agenda.items)
    return replace(agenda, items=items)


def apply(agenda: Agenda, event: Event) -> Agenda:
    """Return the agenda after ``event``; events about other things leave it unchanged."""
    match event:
        case AgendaSet(items=draft, at=at, actor=actor):
            sent_at = agenda.sent_at if agenda.sent_at is not None or actor != "mentoree" else at
            return replace(agenda, items=from_draft(draft), sent_at=sent_at, updated_at=at)
        case AgendaItemAdded(text=text, at=at):
            next_id = max((item.id for item in agenda.items), default=0) + 1
            added = AgendaItem(id=next_id, text=text, added_during_session=True)
            credited = credit_current(agenda, at)
            return replace(credited, items=(*credited.items, added))
        case AgendaItemChecked(item_id=item_id, at=at):
            return _with_item(credit_current(agenda, at), item_id, done=True)
        case AgendaItemUnchecked(item_id=item_id, at=at):
            return _with_item(credit_current(agenda, at), item_id, done=False)
        case NoteAdded(item_id=item_id, note=note):
            return _with_item(agenda, item_id, note=note)
        case _:
            return agenda
