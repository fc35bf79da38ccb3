"""How one participant took part in a session: time present, camera, talk, rating."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.camera_time import record_time
from analytics.events import ROLES, Role
from analytics.session import SessionState
from analytics.talk import talk_share

__all__ = ["ParticipantSummary", "summarise_participant"]


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


def _share(part: float, whole: float) -> float:
    return round(min(1.0, part / whole), 3) if whole > 0 else 0.0


def summarise_participant(state: SessionState, role: Role, end: float) -> ParticipantSummary:
    """How ``role`` took part in the session, counting up to ``end``."""
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
        talk_share=None if (talk := talk_share(mine, theirs)) is None else round(talk, 3),
        reconnects=max(0, state.presence[role].joins - 1),
        rating=rating.score if rating else None,
        rating_comment=rating.comment if rating else None,
        rating_shared=rating.shared if rating else False,
    )
