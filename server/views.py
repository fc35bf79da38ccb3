"""JSON views of session state for the API and the WebSocket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from analytics.events import ROLES
from analytics.session import SessionState

__all__ = ["iso", "live_state"]


def iso(timestamp: float | None) -> str | None:
    """An epoch timestamp as ISO-8601 in UTC, or ``None``."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def live_state(state: SessionState) -> dict[str, Any]:
    """The live state of a session as the API and the room see it."""
    return {
        "id": state.session_id,
        "status": state.status,
        "scheduled_start": iso(state.scheduled_start),
        "allotted_minutes": state.allotted_minutes,
        "started_at": iso(state.started_at),
        "ended_at": iso(state.ended_at),
        "ended_by": state.ended_by,
        "participants": {
            role: {
                "name": state.person(role).name,
                "present": state.presence[role].present,
                "joins": state.presence[role].joins,
            }
            for role in ROLES
        },
        "agenda": [
            {"id": index, "text": text, "done": False} for index, text in enumerate(state.agenda)
        ],
    }
