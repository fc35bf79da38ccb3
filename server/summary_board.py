"""Ended sessions' summaries, kept up to date from published events for the dashboard.

The dashboard polls every few seconds and shows every ended session; summarising each one
on every poll would cost a fold per session per poll. Here a summary is made once when
its session's state changes (published by the dispatcher) and read from then on.
"""

from __future__ import annotations

from analytics.events import Event
from analytics.session import SessionState
from analytics.summary import Summary, SummaryPolicy, summarise

__all__ = ["SummaryBoard"]


class SummaryBoard:
    """The summary of each ended session as of its latest state."""

    def __init__(self, policy: SummaryPolicy) -> None:
        self._policy = policy
        self._summaries: dict[str, tuple[SessionState, Summary]] = {}

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Dispatcher subscriber: an ended session changed, so its summary may have too."""
        if state.status == "ended":
            self._summaries[state.session_id] = (state, summarise(state, self._policy))

    def forget(self, session_id: str) -> None:
        """The session is deleted: drop its summary."""
        self._summaries.pop(session_id, None)

    def summary(self, state: SessionState) -> Summary | None:
        """The summary of ``state`` if its session has ended (made now only if the board
        has not seen this state: loaded after a restart, or not published yet)."""
        if state.status != "ended":
            return None
        kept = self._summaries.get(state.session_id)
        if kept is None or kept[0] is not state:
            kept = self._summaries[state.session_id] = (state, summarise(state, self._policy))
        return kept[1]
