"""The post-meeting summary: what the MPM learns about a session, built from its events.

:func:`build_summary` reads nothing but the events, so a summary can be rebuilt at any
time and comes out the same. Flags tie what happened to the five tips of the program.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from analytics.camera_time import record_time
from analytics.clock import elapsed_seconds, ended_early, overrun_seconds, remaining_seconds
from analytics.events import ROLES, Event, Role
from analytics.session import SessionState, fold
from analytics.talk import talk_share

__all__ = [
    "AgendaItemSummary",
    "AgendaSummary",
    "Flag",
    "ParticipantSummary",
    "Summary",
    "SummaryPolicy",
    "build_summary",
    "summarise",
]

Severity = Literal["info", "warning", "alert"]

TIPS = {
    1: "Don't skip video",
    2: "Send a brief agenda before the meeting",
    3: "Find a quiet space",
    4: "Check in with your mentoring program manager",
    5: "Don't end meetings early",
}


@dataclass(frozen=True, kw_only=True)
class SummaryPolicy:
    """Thresholds for flags; the defaults are documented in the README."""

    # Camera flags never rest on time the server could not see the camera: for them, that
    # time counts as if the camera had been on with a face in view.
    min_camera_on_share: float = 0.6
    max_not_in_view_share: float = 0.4
    min_agenda_coverage: float = 0.5
    late_start_minutes: float = 5.0
    ended_early_grace_minutes: float = 1.0
    max_talk_share: float = 0.8
    min_talk_seconds_for_balance: float = 60.0
    interrupted_after_reconnects: int = 2
    overrun_flag_minutes: float = 10.0


@dataclass(frozen=True, kw_only=True)
class Flag:
    """Something the MPM should notice, and the tip it is about."""

    code: str
    tip: int
    severity: Severity
    message: str


@dataclass(frozen=True, kw_only=True)
class ParticipantSummary:
    """How one participant took part. Camera time is part of present time: ``camera_on``
    a live picture (a face in it or not), ``face_in_view`` a face in it, ``camera_unknown``
    no picture the server could judge; each share is of present time."""

    name: str
    present_seconds: float
    camera_on_seconds: float
    camera_on_share: float
    face_in_view_seconds: float
    face_in_view_share: float
    camera_unknown_seconds: float
    camera_unknown_share: float
    talk_seconds: float
    talk_share: float | None
    reconnects: int
    rating: int | None
    rating_comment: str | None
    # The rating's author lets their partner read it.
    rating_shared: bool


@dataclass(frozen=True, kw_only=True)
class AgendaItemSummary:
    id: int
    text: str
    done: bool
    note: str
    seconds: float
    minutes: int | None
    added_during_session: bool


@dataclass(frozen=True, kw_only=True)
class AgendaSummary:
    sent_at: float | None
    sent_before_start: bool
    items: tuple[AgendaItemSummary, ...]
    covered: int
    total: int


@dataclass(frozen=True, kw_only=True)
class ConcernSummary:
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
    ended_by: str
    end_reason: str
    pauses: int
    participants: dict[Role, ParticipantSummary]
    agenda: AgendaSummary
    concerns: tuple[ConcernSummary, ...]
    flags: tuple[Flag, ...]


def _share(part: float, whole: float) -> float:
    return round(min(1.0, part / whole), 3) if whole > 0 else 0.0


def _participant(state: SessionState, role: Role, end: float) -> ParticipantSummary:
    present = state.presence[role].present_seconds(started_at=state.started_at, until=end)
    camera = record_time(state.camera[role], started_at=state.started_at, until=end)
    mine = state.talk_seconds(role, end)
    theirs = sum(state.talk_seconds(r, end) for r in ROLES if r != role)
    rating = state.ratings.get(role)
    return ParticipantSummary(
        name=state.person(role).name,
        present_seconds=round(present, 1),
        camera_on_seconds=round(camera.live, 1),
        camera_on_share=_share(camera.live, present),
        face_in_view_seconds=round(camera.on, 1),
        face_in_view_share=_share(camera.on, present),
        camera_unknown_seconds=round(camera.unknown, 1),
        camera_unknown_share=_share(camera.unknown, present),
        talk_seconds=round(mine, 1),
        talk_share=None if (share := talk_share(mine, theirs)) is None else round(share, 3),
        reconnects=max(0, state.presence[role].joins - 1),
        rating=rating.score if rating else None,
        rating_comment=rating.comment if rating else None,
        rating_shared=rating.shared if rating else False,
    )


def _agenda(state: SessionState) -> AgendaSummary:
    agenda = state.agenda
    sent_before_start = agenda.sent_at is not None and (
        state.started_at is None or agenda.sent_at <= state.started_at
    )
    items = tuple(
        AgendaItemSummary(
            id=item.id,
            text=item.text,
            done=item.done,
            note=item.note,
            seconds=round(item.seconds, 1),
            minutes=item.minutes,
            added_during_session=item.added_during_session,
        )
        for item in agenda.items
    )
    return AgendaSummary(
        sent_at=agenda.sent_at,
        sent_before_start=sent_before_start,
        items=items,
        covered=agenda.covered,
        total=len(agenda.items),
    )


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def _video_flags(
    state: SessionState, participants: dict[Role, ParticipantSummary], policy: SummaryPolicy
) -> list[Flag]:
    """Tip 1, from what the server saw; time it could not see counts in the participant's
    favour (as a face in view), so that no flag ever rests on it."""
    if state.started_at is None:
        return []
    present = [p for p in participants.values() if p.present_seconds > 0]
    camera_off = [
        Flag(
            code="camera_off",
            tip=1,
            severity="warning",
            message=_camera_off_message(p),
        )
        for p in present
        if p.camera_on_share + p.camera_unknown_share < policy.min_camera_on_share
    ]
    not_in_view = [
        Flag(
            code="not_in_view",
            tip=1,
            severity="info",
            message=f"Nobody was in view of {p.name}'s camera for {share:.0%} of the time "
            "it was on.",
        )
        for p in present
        if (share := _nobody_in_view_share(p)) > policy.max_not_in_view_share
    ]
    return [*camera_off, *not_in_view]


def _camera_off_message(p: ParticipantSummary) -> str:
    message = f"{p.name}'s camera was on {p.camera_on_share:.0%} of the time"
    if p.camera_unknown_seconds >= 60:
        return f"{message} (the server could not see it for {_minutes(p.camera_unknown_seconds)})."
    return f"{message}."


def _nobody_in_view_share(p: ParticipantSummary) -> float:
    """Share of the camera's live time with nobody in view, unknown time counted as live
    with a face in view."""
    maybe_live = p.camera_on_seconds + p.camera_unknown_seconds
    nobody = p.camera_on_seconds - p.face_in_view_seconds
    return nobody / maybe_live if maybe_live > 0 else 0.0


def _agenda_flags(state: SessionState, agenda: AgendaSummary, policy: SummaryPolicy) -> list[Flag]:
    flags = []
    if not agenda.sent_before_start:
        message = "No agenda was sent before the meeting."
        flags.append(Flag(code="no_agenda", tip=2, severity="warning", message=message))
    # Coverage says something only about a meeting that took place.
    if (
        state.started_at is not None
        and agenda.total
        and agenda.covered / agenda.total < policy.min_agenda_coverage
    ):
        message = f"{agenda.covered} of {agenda.total} agenda items were covered."
        flags.append(Flag(code="agenda_not_covered", tip=2, severity="info", message=message))
    return flags


def _interruption_flags(
    participants: dict[Role, ParticipantSummary], policy: SummaryPolicy
) -> list[Flag]:
    reconnects = sum(p.reconnects for p in participants.values())
    if reconnects < policy.interrupted_after_reconnects:
        return []
    message = f"The call was interrupted: {reconnects} reconnections."
    return [Flag(code="interrupted", tip=3, severity="info", message=message)]


def _program_manager_flags(
    state: SessionState, participants: dict[Role, ParticipantSummary], policy: SummaryPolicy
) -> list[Flag]:
    flags: list[Flag] = []
    total_talk = sum(p.talk_seconds for p in participants.values())
    if total_talk >= policy.min_talk_seconds_for_balance:
        flags.extend(
            Flag(
                code="unbalanced_talk",
                tip=4,
                severity="info",
                message=f"{p.name} did {p.talk_share:.0%} of the talking.",
            )
            for p in participants.values()
            if p.talk_share is not None and p.talk_share > policy.max_talk_share
        )
    if state.concerns:
        count = len(state.concerns)
        message = f"{count} concern{'' if count == 1 else 's'} raised with the program manager."
        flags.append(Flag(code="concern_raised", tip=4, severity="alert", message=message))
    return flags


def _time_flags(state: SessionState, policy: SummaryPolicy) -> list[Flag]:
    end = state.ended_at or 0.0
    if state.started_at is None:
        missing = [state.person(r).name for r in ROLES if not state.presence[r].joins]
        message = (
            f"{' and '.join(missing)} never came: the meeting did not take place."
            if missing
            else "The two of them were never in the room at the same time."
        )
        return [Flag(code="no_show", tip=5, severity="alert", message=message)]
    flags = []
    late = state.started_at - state.scheduled_start
    if late > policy.late_start_minutes * 60:
        message = f"Started {_minutes(late)} late."
        flags.append(Flag(code="late_start", tip=5, severity="info", message=message))
    if ended_early(state, grace_minutes=policy.ended_early_grace_minutes):
        message = f"Ended {_minutes(remaining_seconds(state, end))} early."
        flags.append(Flag(code="ended_early", tip=5, severity="warning", message=message))
    overrun = overrun_seconds(state, end)
    if overrun > policy.overrun_flag_minutes * 60:
        message = f"Ran {_minutes(overrun)} over the allotted time."
        flags.append(Flag(code="overrun", tip=5, severity="info", message=message))
    return flags


def _flags(
    state: SessionState,
    participants: dict[Role, ParticipantSummary],
    agenda: AgendaSummary,
    policy: SummaryPolicy,
) -> tuple[Flag, ...]:
    """Every flag, in the order of the tips."""
    return (
        *_video_flags(state, participants, policy),
        *_agenda_flags(state, agenda, policy),
        *_interruption_flags(participants, policy),
        *_program_manager_flags(state, participants, policy),
        *_time_flags(state, policy),
    )


def summarise(state: SessionState, policy: SummaryPolicy) -> Summary:
    """The summary of an ended session's state."""
    if state.ended_at is None or state.ended_by is None or state.end_reason is None:
        raise ValueError("only an ended session has a summary")
    end = state.ended_at
    participants = {role: _participant(state, role, end) for role in ROLES}
    agenda = _agenda(state)
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
        flags=_flags(state, participants, agenda, policy),
    )


def build_summary(events: Iterable[Event], policy: SummaryPolicy) -> Summary:
    """Fold a session's events and summarise it."""
    return summarise(fold(events), policy)
