"""The post-meeting summary: what the MPM learns about a session, built from its events.

:func:`build_summary` reads nothing but the events, so a summary can be rebuilt at any
time and comes out the same. Its parts are built by their own modules: how each person
took part (``participation.py``), the agenda (``agenda_summary.py``) and the flags that tie
what happened to the five tips of the program, with their thresholds (``flags.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analytics.agenda_summary import AgendaItemSummary, AgendaSummary, summarise_agenda
from analytics.clock import elapsed_seconds, ended_early, overrun_seconds, remaining_seconds
from analytics.events import ROLES, Actor, Event, Role
from analytics.flags import Flag, SummaryPolicy, session_flags
from analytics.participation import ParticipantSummary, summarise_participant
from analytics.session import ClosingReason, SessionState, fold

__all__ = [
    "AgendaItemSummary",
    "AgendaSummary",
    "ConcernSummary",
    "Flag",
    "ParticipantSummary",
    "Summary",
    "SummaryPolicy",
    "build_summary",
    "summarise",
]


@dataclass(frozen=True, kw_only=True)
class ConcernSummary:
    """A concern raised with the program manager: by whom, what, and when."""

    role: Role
    name: str
    text: str
    at: float


@dataclass(frozen=True, kw_only=True)
class Summary:
    """How one session went, as of ``version`` (1 at the end, one more per later fact)."""

    session_id: str
    version: int
    mentor: str
    mentoree: str
    scheduled_start: float
    started_at: float | None
    ended_at: float
    duration_seconds: float
    allotted_minutes: int
    ended_early: bool
    minutes_left_at_end: float
    overrun_seconds: float
    ended_by: Actor
    end_reason: ClosingReason
    pauses: int
    participants: dict[Role, ParticipantSummary]
    agenda: AgendaSummary
    concerns: tuple[ConcernSummary, ...]
    flags: tuple[Flag, ...]


def summarise(state: SessionState, policy: SummaryPolicy) -> Summary:
    """The summary of an ended session's state."""
    if state.ended_at is None or state.ended_by is None or state.end_reason is None:
        raise ValueError("only an ended session has a summary")
    end = state.ended_at
    participants = {role: summarise_participant(state, role, end) for role in ROLES}
    agenda = summarise_agenda(state)
    concerns = tuple(
        ConcernSummary(role=c.role, name=state.person(c.role).name, text=c.text, at=c.at)
        for c in state.concerns
    )
    return Summary(
        session_id=state.session_id,
        version=state.summary_version,
        mentor=state.mentor.name,
        mentoree=state.mentoree.name,
        scheduled_start=state.scheduled_start,
        started_at=state.started_at,
        ended_at=end,
        duration_seconds=round(elapsed_seconds(state, end), 1),
        allotted_minutes=state.allotted_minutes,
        ended_early=state.started_at is not None
        and ended_early(state, grace_minutes=policy.ended_early_grace_minutes),
        minutes_left_at_end=round(max(0.0, remaining_seconds(state, end)) / 60, 1),
        overrun_seconds=round(overrun_seconds(state, end), 1),
        ended_by=state.ended_by,
        end_reason=state.end_reason,
        pauses=len(state.pauses),
        participants=participants,
        agenda=agenda,
        concerns=concerns,
        flags=session_flags(state, participants, agenda, policy),
    )


def build_summary(events: Iterable[Event], policy: SummaryPolicy) -> Summary:
    """Fold a session's events and summarise it."""
    return summarise(fold(events), policy)
