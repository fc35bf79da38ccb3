"""What a session still owes the MPM through one delivery channel, one parcel at a time.

During the meeting a channel that can carry alerts passes each concern on at once. From
the end on, the summary is owed until the channel has delivered its newest version; the
summary holds every concern, so alerts not sent by then are left to it. A channel that
gave up owes nothing until the MPM retries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.events import DeliveryRetried, Role
from analytics.report import iso
from analytics.rules import Rejected
from analytics.session import Delivery, SessionState

__all__ = ["ConcernAlert", "SummaryDue", "alert_json", "next_parcel", "retry_delivery"]


@dataclass(frozen=True, kw_only=True)
class ConcernAlert:
    """A concern raised during the meeting, for the MPM to read at once."""

    session_id: str
    number: int
    mentor: str
    mentoree: str
    role: Role
    name: str
    text: str
    at: float


@dataclass(frozen=True, kw_only=True)
class SummaryDue:
    """The summary is owed as of ``version``."""

    version: int


def next_parcel(
    state: SessionState, channel: str, *, carries_alerts: bool
) -> ConcernAlert | SummaryDue | None:
    """The next thing ``channel`` should deliver for this session, or ``None``."""
    delivery = state.deliveries.get(channel, Delivery())
    if delivery.failed:
        return None  # given up until the MPM retries
    if state.status == "ended":
        if delivery.delivered_version < state.summary_version:
            return SummaryDue(version=state.summary_version)
        return None
    if not carries_alerts:
        return None
    for concern in state.concerns:
        if concern.number not in delivery.concerns_delivered:
            return ConcernAlert(
                session_id=state.session_id,
                number=concern.number,
                mentor=state.mentor.name,
                mentoree=state.mentoree.name,
                role=concern.role,
                name=state.person(concern.role).name,
                text=concern.text,
                at=concern.at,
            )
    return None


def alert_json(alert: ConcernAlert) -> dict[str, Any]:
    """The webhook body of a concern alert; ``number`` counts the session's concerns."""
    return {
        "event": "concern_raised",
        "session_id": alert.session_id,
        "number": alert.number,
        "mentor": alert.mentor,
        "mentoree": alert.mentoree,
        "concern": {
            "role": alert.role,
            "name": alert.name,
            "text": alert.text,
            "at": iso(alert.at),
        },
    }


def retry_delivery(state: SessionState, channel: str, at: float) -> DeliveryRetried:
    """The MPM's retry of a channel that gave up; refused when it has not."""
    if not state.deliveries.get(channel, Delivery()).failed:
        raise Rejected("not_failed", f"the {channel} delivery of this session has not failed")
    return DeliveryRetried(at=at, actor="mpm", channel=channel)
