"""JSON views of session state for the API and the WebSocket."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from analytics import camera_time
from analytics.agenda import Agenda
from analytics.agenda_summary import agenda_items
from analytics.clock import elapsed_seconds, remaining_seconds
from analytics.events import ROLES, Role
from analytics.report import iso
from analytics.session import SessionState

__all__ = ["agenda_progress", "live_state"]


def agenda_progress(agenda: Agenda, now: float) -> dict[str, Any]:
    """When the agenda was sent, how much is covered, and which item is being discussed."""
    current = agenda.current
    return {
        "sent_at": iso(agenda.sent_at),
        "updated_at": iso(agenda.updated_at),
        "current_item_id": current.id if current else None,
        "current_item_seconds": round(agenda.current_seconds(now), 1),
        "covered": agenda.covered,
        "total": len(agenda.items),
    }


def _camera(state: SessionState, role: Role, now: float) -> dict[str, Any]:
    """What the server sees of ``role``'s camera: the state, for how long, and time so far."""
    record = state.camera[role]
    seconds = camera_time.camera_time(state, role, now)
    return {
        "camera": record.state,
        # How long the state has lasted (0 when out of the room): the room says the server
        # cannot see a camera once ``unknown`` has lasted a while.
        "camera_state_seconds": 0.0
        if record.since is None
        else round(max(0.0, now - record.since), 1),
        "camera_on_seconds": round(seconds.live, 1),
        "face_in_view_seconds": round(seconds.on, 1),
        "camera_unknown_seconds": round(seconds.unknown, 1),
    }


def live_state(state: SessionState, now: float) -> dict[str, Any]:
    """The live state of a session at ``now``, as the API and the room see it."""
    return {
        "id": state.session_id,
        "status": state.status,
        "scheduled_start": iso(state.scheduled_start),
        "allotted_minutes": state.allotted_minutes,
        "started_at": iso(state.started_at),
        "ended_at": iso(state.ended_at),
        "ended_by": state.ended_by,
        "end_reason": state.end_reason,
        "elapsed_seconds": round(elapsed_seconds(state, now), 1),
        "remaining_seconds": round(remaining_seconds(state, now), 1),
        "paused": state.paused,
        "pauses": len(state.pauses),
        "warnings_sent": sorted(state.warnings_sent, reverse=True),
        "participants": {
            role: {
                "name": state.person(role).name,
                "present": state.presence[role].present,
                "joins": state.presence[role].joins,
                "talk_seconds": round(state.talk_seconds(role, now), 1),
                **_camera(state, role, now),
            }
            for role in ROLES
        },
        "agenda": [asdict(item) for item in agenda_items(state.agenda)],
        "agenda_progress": agenda_progress(state.agenda, now),
    }
