"""Timekeeping: time used and left, warnings before the end, and when a session must end.

The session clock starts when both participants are first present and runs on wall time
until the end; stretches in which one of them had dropped out are recorded as pauses.
Everything here takes ``now`` from the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.events import EndReason, Event, SessionEnded, WarningSent
from analytics.session import SessionState

__all__ = [
    "ClockPolicy",
    "due_events",
    "elapsed_seconds",
    "ended_early",
    "next_deadline",
    "overrun_seconds",
    "remaining_seconds",
]


@dataclass(frozen=True, kw_only=True)
class ClockPolicy:
    """When to warn and when to end a session without being asked."""

    # Minutes left at which both participants are warned; 0 is "time is up".
    warning_minutes: tuple[int, ...] = (10, 5, 1, 0)
    # A started session whose room stays empty this long is ended.
    empty_room_grace_seconds: float = 10 * 60
    # No session runs longer than its allotted time plus this.
    overrun_limit_minutes: float = 30


def elapsed_seconds(state: SessionState, now: float) -> float:
    """Time used since the clock started (0 before the start)."""
    if state.started_at is None:
        return 0.0
    end = state.ended_at if state.ended_at is not None else now
    return max(0.0, end - state.started_at)


def remaining_seconds(state: SessionState, now: float) -> float:
    """Allotted time not used yet; negative once the session runs over."""
    return state.allotted_minutes * 60 - elapsed_seconds(state, now)


def ended_early(state: SessionState, *, grace_minutes: float) -> bool:
    """The session ended with more than ``grace_minutes`` of the allotted time left."""
    return (
        state.ended_at is not None and remaining_seconds(state, state.ended_at) > grace_minutes * 60
    )


def overrun_seconds(state: SessionState, now: float) -> float:
    """Time used beyond the allotted time."""
    return max(0.0, -remaining_seconds(state, now))


def _warning_times(state: SessionState, policy: ClockPolicy) -> dict[int, float]:
    """When each warning not sent yet falls due (only warnings that fit in the session)."""
    if state.started_at is None:
        return {}
    end = state.started_at + state.allotted_minutes * 60
    return {
        minutes: end - minutes * 60
        for minutes in policy.warning_minutes
        if minutes <= state.allotted_minutes and minutes not in state.warnings_sent
    }


def _end_times(state: SessionState, policy: ClockPolicy) -> dict[EndReason, float]:
    """When the session would end by itself, by reason."""
    session_length = (state.allotted_minutes + policy.overrun_limit_minutes) * 60
    if state.status == "scheduled":
        # Nobody came by the time the session would have been over at the latest.
        return {"nobody_came": state.scheduled_start + session_length}
    if state.status != "live":
        return {}
    if state.started_at is not None:
        base = state.started_at
    else:
        # Not started yet: whoever came (however late) gets a whole session's wait.
        joins = [p.last_joined_at for p in state.presence.values() if p.last_joined_at]
        base = max([state.scheduled_start, *joins])
    ends: dict[EndReason, float] = {"hard_maximum": base + session_length}
    if state.started_at is not None and state.emptied_at is not None:
        ends["room_empty"] = state.emptied_at + policy.empty_room_grace_seconds
    return ends


def next_deadline(state: SessionState, policy: ClockPolicy) -> float | None:
    """The next moment at which :func:`due_events` may have something to say."""
    if state.over:
        return None
    times = [*_warning_times(state, policy).values(), *_end_times(state, policy).values()]
    return min(times, default=None)


def due_events(state: SessionState, now: float, policy: ClockPolicy) -> list[Event]:
    """The warnings and automatic end that are due at ``now``, in order.

    Several warnings can fall due together (after a restart, say); they come out least
    urgent first, so the last one said is the one that is true now.
    """
    if state.over:
        return []
    events: list[Event] = []
    due = [minutes for minutes, at in _warning_times(state, policy).items() if at <= now]
    events.extend(
        WarningSent(at=now, actor="system", minutes_left=minutes)
        for minutes in sorted(due, reverse=True)
    )
    ends = [(at, reason) for reason, at in _end_times(state, policy).items() if at <= now]
    if ends:
        _, reason = min(ends)
        # An empty room ended when it emptied, not when the grace period ran out.
        at = state.emptied_at if reason == "room_empty" and state.emptied_at else min(ends)[0]
        events.append(SessionEnded(at=min(at, now), actor="system", reason=reason))
    return events
