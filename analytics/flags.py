"""Flags: what the MPM should notice about a session, each tied to one of the five tips."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from analytics.agenda_summary import AgendaSummary
from analytics.clock import ended_early, overrun_seconds, remaining_seconds
from analytics.events import ROLES, Role
from analytics.participation import ParticipantSummary
from analytics.session import SessionState

__all__ = ["TIPS", "Flag", "FlagCode", "Severity", "SummaryPolicy", "Tip", "session_flags"]

Severity = Literal["info", "warning", "alert"]
Tip = Literal[1, 2, 3, 4, 5]
# A session's flags, then a pair's (from their summaries together, in ``trends.py``).
FlagCode = Literal[
    "camera_off",
    "not_in_view",
    "no_agenda",
    "agenda_not_covered",
    "interrupted",
    "unbalanced_talk",
    "concern_raised",
    "late_start",
    "ended_early",
    "overrun",
    "no_show",
    "early_end_streak",
    "missed_sessions",
]

TIPS: dict[Tip, str] = {
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

    code: FlagCode
    tip: Tip
    severity: Severity
    message: str


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def _video_flags(
    state: SessionState, participants: Mapping[Role, ParticipantSummary], policy: SummaryPolicy
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
    participants: Mapping[Role, ParticipantSummary], policy: SummaryPolicy
) -> list[Flag]:
    reconnects = sum(p.reconnects for p in participants.values())
    if reconnects < policy.interrupted_after_reconnects:
        return []
    message = f"The call was interrupted: {reconnects} reconnections."
    return [Flag(code="interrupted", tip=3, severity="info", message=message)]


def _program_manager_flags(
    state: SessionState, participants: Mapping[Role, ParticipantSummary], policy: SummaryPolicy
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


def session_flags(
    state: SessionState,
    participants: Mapping[Role, ParticipantSummary],
    agenda: AgendaSummary,
    policy: SummaryPolicy,
) -> tuple[Flag, ...]:
    """Every flag of an ended session, in the order of the tips."""
    return (
        *_video_flags(state, participants, policy),
        *_agenda_flags(state, agenda, policy),
        *_interruption_flags(participants, policy),
        *_program_manager_flags(state, participants, policy),
        *_time_flags(state, policy),
    )
