"""The agenda as people read it: each item's state and time, and how much was covered.

The one projection of :class:`~analytics.agenda.Agenda` for readers: the live room and the
API show :func:`agenda_items`, the summary keeps :func:`summarise_agenda`.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.agenda import Agenda
from analytics.session import SessionState

__all__ = ["AgendaItemSummary", "AgendaSummary", "agenda_items", "summarise_agenda"]


@dataclass(frozen=True, kw_only=True)
class AgendaItemSummary:
    """One agenda item: its text, whether it is done, its note, and the time spent on it."""

    id: int
    text: str
    minutes: int | None
    done: bool
    note: str
    seconds: float
    added_during_session: bool


@dataclass(frozen=True, kw_only=True)
class AgendaSummary:
    """When the agenda was sent, its items, and how many of them were covered."""

    sent_at: float | None
    sent_before_start: bool
    items: tuple[AgendaItemSummary, ...]
    covered: int
    total: int


def agenda_items(agenda: Agenda) -> tuple[AgendaItemSummary, ...]:
    """Each agenda item with its state, its time rounded to a tenth of a second."""
    return tuple(
        AgendaItemSummary(
            id=item.id,
            text=item.text,
            minutes=item.minutes,
            done=item.done,
            note=item.note,
            seconds=round(item.seconds, 1),
            added_during_session=item.added_during_session,
        )
        for item in agenda.items
    )


def summarise_agenda(state: SessionState) -> AgendaSummary:
    """The agenda of a session: whether it was sent before the start, and what was covered."""
    agenda = state.agenda
    sent_before_start = agenda.sent_at is not None and (
        state.started_at is None or agenda.sent_at <= state.started_at
    )
    return AgendaSummary(
        sent_at=agenda.sent_at,
        sent_before_start=sent_before_start,
        items=agenda_items(agenda),
        covered=agenda.covered,
        total=len(agenda.items),
    )
