"""Where a session stands on the MPM's dashboard at a given moment.

- ``upcoming``: its start is still to come and nobody is in.
- ``late``: past its start, nobody in, before its scheduled end.
- ``no-show``: past its scheduled end with nobody in, until the timekeeper ends it as
  ``nobody_came`` (see :mod:`analytics.clock`); from then on it is ``ended``.
- ``live``: someone is in the room, or the meeting is under way (started, not ended).
- ``ended``: it has a summary.
- ``cancelled``: the MPM called it off; it is in no list (the CSV keeps it).
"""

from __future__ import annotations

from typing import Literal

from analytics.session import SessionState

__all__ = ["BoardState", "board_state"]

BoardState = Literal["upcoming", "late", "no-show", "live", "ended", "cancelled"]


def board_state(state: SessionState, now: float) -> BoardState:
    """The dashboard's word for ``state`` at ``now``."""
    if state.status == "cancelled":
        return "cancelled"
    if state.status == "ended":
        return "ended"
    if state.started_at is not None or any(p.present for p in state.presence.values()):
        return "live"
    if now < state.scheduled_start:
        return "upcoming"
    if now < state.scheduled_start + state.allotted_minutes * 60:
        return "late"
    return "no-show"
