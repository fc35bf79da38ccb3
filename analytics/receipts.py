"""What a participant may be told about their rating or concern reaching the MPM.

"sent" only once a channel has confirmed it; "queued" while a channel is still on it;
"dashboard" when no channel carries it, so the MPM will find it on the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from analytics.events import Role
from analytics.session import Concern, SessionState

__all__ = ["Receipt", "ReceiptStatus", "Receipts", "receipts_for"]

ReceiptStatus = Literal["sent", "queued", "dashboard"]


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """How far one fact got: the summary version that carries it, and its status."""

    at: float
    version: int
    status: ReceiptStatus


@dataclass(frozen=True, kw_only=True)
class Receipts:
    """A participant's own rating and concerns, each with how far it got."""

    rating: Receipt | None
    concerns: tuple[Receipt, ...]


def _summary_status(
    state: SessionState, version: int, summary_channels: Sequence[str]
) -> ReceiptStatus:
    if not summary_channels:
        return "dashboard"
    delivered = (state.deliveries.get(c) for c in summary_channels)
    if any(d is not None and d.delivered_version >= version for d in delivered):
        return "sent"
    return "queued" if state.status == "ended" else "dashboard"


def _concern_status(
    state: SessionState,
    concern: Concern,
    summary_channels: Sequence[str],
    alert_channels: Sequence[str],
) -> ReceiptStatus:
    by_summary = _summary_status(state, concern.version, summary_channels)
    if by_summary == "sent" or concern.version > 1:  # after the end: a summary version
        return by_summary
    # Raised before the end: the channels that pass concerns on at once may have it already.
    alerted = (state.deliveries.get(c) for c in alert_channels)
    if any(d is not None and concern.number in d.concerns_delivered for d in alerted):
        return "sent"
    return "queued" if alert_channels or by_summary == "queued" else "dashboard"


def receipts_for(
    state: SessionState,
    role: Role,
    *,
    summary_channels: Sequence[str],
    alert_channels: Sequence[str],
) -> Receipts:
    """``role``'s own rating and concerns with how far each got, and nothing of the other's."""
    rating = state.ratings.get(role)
    return Receipts(
        rating=None
        if rating is None
        else Receipt(
            at=rating.at,
            version=rating.version,
            status=_summary_status(state, rating.version, summary_channels),
        ),
        concerns=tuple(
            Receipt(
                at=concern.at,
                version=concern.version,
                status=_concern_status(state, concern, summary_channels, alert_channels),
            )
            for concern in state.concerns
            if concern.role == role
        ),
    )
