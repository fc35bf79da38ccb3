"""Per-pair history: how a mentoring pair's sessions go over time, and streaks worth a flag."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean

from analytics.events import ROLES, Role
from analytics.flags import Flag
from analytics.summary import Summary

__all__ = ["PairTrend", "PersonCamera", "pair_trends"]

EARLY_END_STREAK = 3


@dataclass(frozen=True, kw_only=True)
class PairPoint:
    """One held session of a pair, as a point on its chart."""

    session_id: str
    ended_at: float
    time_used_share: float
    # Means of the two participants' shares.
    camera_on_share: float
    face_in_view_share: float
    camera_unknown_share: float
    agenda_coverage: float | None
    ended_early: bool


@dataclass(frozen=True, kw_only=True)
class PersonCamera:
    """One participant's camera over a pair's held sessions: the mean of each share."""

    name: str
    camera_on_share: float
    face_in_view_share: float
    camera_unknown_share: float


@dataclass(frozen=True, kw_only=True)
class PairTrend:
    """A pair's sessions so far, oldest first, with averages and flags."""

    mentor: str
    mentoree: str
    sessions_held: int
    sessions_missed: int
    average_time_used_share: float | None
    average_camera_on_share: float | None
    average_face_in_view_share: float | None
    average_agenda_coverage: float | None
    # Per role, once the pair has met.
    cameras: dict[Role, PersonCamera]
    early_end_streak: int
    points: tuple[PairPoint, ...]
    flags: tuple[Flag, ...]


def _point(summary: Summary) -> PairPoint:
    people = summary.participants.values()
    agenda = summary.agenda
    return PairPoint(
        session_id=summary.session_id,
        ended_at=summary.ended_at,
        time_used_share=round(summary.duration_seconds / (summary.allotted_minutes * 60), 3),
        camera_on_share=round(fmean(p.camera_on_share for p in people), 3),
        face_in_view_share=round(fmean(p.face_in_view_share for p in people), 3),
        camera_unknown_share=round(fmean(p.camera_unknown_share for p in people), 3),
        agenda_coverage=round(agenda.covered / agenda.total, 3) if agenda.total else None,
        ended_early=summary.ended_early,
    )


def _average(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return round(fmean(present), 3) if present else None


def _cameras(held: list[Summary]) -> dict[Role, PersonCamera]:
    if not held:
        return {}
    return {
        role: PersonCamera(
            name=held[-1].participants[role].name,
            camera_on_share=round(fmean(s.participants[role].camera_on_share for s in held), 3),
            face_in_view_share=round(
                fmean(s.participants[role].face_in_view_share for s in held), 3
            ),
            camera_unknown_share=round(
                fmean(s.participants[role].camera_unknown_share for s in held), 3
            ),
        )
        for role in ROLES
    }


def _streak(points: tuple[PairPoint, ...]) -> int:
    """How many of the latest sessions in a row ended early."""
    streak = 0
    for point in reversed(points):
        if not point.ended_early:
            break
        streak += 1
    return streak


def _trend(mentor: str, mentoree: str, summaries: list[Summary]) -> PairTrend:
    held = sorted((s for s in summaries if s.started_at is not None), key=lambda s: s.ended_at)
    points = tuple(_point(s) for s in held)
    streak = _streak(points)
    flags = []
    if streak >= EARLY_END_STREAK:
        message = f"The last {streak} sessions in a row ended early."
        flags.append(Flag(code="early_end_streak", tip=5, severity="alert", message=message))
    missed = len(summaries) - len(held)
    if missed:
        message = f"{missed} scheduled session{'' if missed == 1 else 's'} did not take place."
        flags.append(Flag(code="missed_sessions", tip=5, severity="warning", message=message))
    return PairTrend(
        mentor=mentor,
        mentoree=mentoree,
        sessions_held=len(held),
        sessions_missed=missed,
        average_time_used_share=_average(p.time_used_share for p in points),
        average_camera_on_share=_average(p.camera_on_share for p in points),
        average_face_in_view_share=_average(p.face_in_view_share for p in points),
        average_agenda_coverage=_average(p.agenda_coverage for p in points),
        cameras=_cameras(held),
        early_end_streak=streak,
        points=points,
        flags=tuple(flags),
    )


def pair_trends(summaries: Iterable[Summary]) -> list[PairTrend]:
    """One trend per mentor and mentoree pair (matched by name), pairs with alerts first."""
    pairs: dict[tuple[str, str], list[Summary]] = {}
    for summary in summaries:
        key = (summary.mentor.strip().casefold(), summary.mentoree.strip().casefold())
        pairs.setdefault(key, []).append(summary)
    trends = [_trend(group[0].mentor, group[0].mentoree, group) for group in pairs.values()]
    return sorted(trends, key=lambda t: (-len(t.flags), t.mentor.casefold(), t.mentoree.casefold()))
