"""The MPM's view of the whole program: live, upcoming and past sessions, pair trends, CSV."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import asdict
from typing import Any

from aiohttp import web

from analytics.board import board_state
from analytics.report import iso, to_json
from analytics.session import Delivery, SessionState
from analytics.summary import Summary, summarise
from analytics.trends import PairTrend, pair_trends
from server.api import session_links
from server.auth import require_admin
from server.config import Config
from server.keys import BOOK, CONFIG, COURIER
from server.views import live_state

__all__ = ["routes"]

routes = web.RouteTableDef()

CSV_COLUMNS = [
    "session_id",
    "mentor",
    "mentoree",
    "status",
    "scheduled_start",
    "started_at",
    "ended_at",
    "allotted_minutes",
    "duration_minutes",
    "ended_early",
    "mentor_camera_on_share",
    "mentoree_camera_on_share",
    "mentor_face_in_view_share",
    "mentoree_face_in_view_share",
    "mentor_camera_unknown_share",
    "mentoree_camera_unknown_share",
    "mentor_talk_share",
    "mentoree_talk_share",
    "agenda_covered",
    "agenda_total",
    "agenda_sent_before_start",
    "flags",
    "mentor_rating",
    "mentoree_rating",
    "concerns",
    "summary_version",
]


def _deliveries(state: SessionState, channels: list[str]) -> list[dict[str, Any]]:
    """Per configured channel: which summary version went through when, and what failed."""
    views = []
    for channel in channels:
        delivery = state.deliveries.get(channel, Delivery())
        views.append(
            {
                "channel": channel,
                "delivered_at": iso(delivery.delivered_at),
                "delivered_version": delivery.delivered_version,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
            }
        )
    return views


def _past(state: SessionState, summary: Summary, channels: list[str]) -> dict[str, Any]:
    return {**to_json(summary), "deliveries": _deliveries(state, channels)}


def _concerns(state: SessionState) -> list[dict[str, Any]]:
    """Concerns for the MPM's eyes only: never part of the participants' live state."""
    return [
        {"role": c.role, "name": state.person(c.role).name, "text": c.text, "at": iso(c.at)}
        for c in state.concerns
    ]


def _waiting(config: Config, state: SessionState, now: float) -> dict[str, Any]:
    """A session nobody is in yet, with its invite links and where it stands."""
    return {
        **live_state(state, now),
        "board_state": board_state(state, now),
        "links": session_links(config, state),
        "concerns": _concerns(state),
        "invites": {
            role: state.invites.get(role, "not sent")
            for role, person in (("mentor", state.mentor), ("mentoree", state.mentoree))
            if person.email
        },
    }


def _csv_row(state: SessionState, summary: Summary | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "session_id": state.session_id,
        "mentor": state.mentor.name,
        "mentoree": state.mentoree.name,
        "status": state.status,
        "scheduled_start": iso(state.scheduled_start),
        "allotted_minutes": state.allotted_minutes,
    }
    if summary is None:
        return row
    people = summary.participants
    return {
        **row,
        "started_at": iso(summary.started_at),
        "ended_at": iso(summary.ended_at),
        "duration_minutes": round(summary.duration_seconds / 60, 1),
        "ended_early": summary.ended_early,
        **{
            f"{role}_{share}": getattr(person, share)
            for role, person in people.items()
            for share in ("camera_on_share", "face_in_view_share", "camera_unknown_share")
        },
        "mentor_talk_share": people["mentor"].talk_share,
        "mentoree_talk_share": people["mentoree"].talk_share,
        "agenda_covered": summary.agenda.covered,
        "agenda_total": summary.agenda.total,
        "agenda_sent_before_start": summary.agenda.sent_before_start,
        "flags": " ".join(flag.code for flag in summary.flags),
        "mentor_rating": people["mentor"].rating,
        "mentoree_rating": people["mentoree"].rating,
        "concerns": len(summary.concerns),
        "summary_version": summary.version,
    }


async def _states_and_summaries(
    request: web.Request,
) -> list[tuple[SessionState, Summary | None]]:
    policy = request.app[CONFIG].summary
    return [
        (state, summarise(state, policy) if state.status == "ended" else None)
        for state in await request.app[BOOK].all()
    ]


@routes.get("/api/dashboard")
async def dashboard(request: web.Request) -> web.Response:
    """Everything the dashboard shows, in one request it can poll."""
    config = request.app[CONFIG]
    require_admin(config, request)
    now = time.time()
    channels = request.app[COURIER].channel_names
    sessions = await _states_and_summaries(request)
    summaries = [summary for _, summary in sessions if summary is not None]
    states = {s.session_id: board_state(s, now) for s, _ in sessions}
    waiting = [
        _waiting(config, s, now)
        for s, _ in sessions
        if states[s.session_id] in ("upcoming", "late", "no-show")
    ]
    past = [_past(s, summary, channels) for s, summary in sessions if summary is not None]
    body = {
        "now": iso(now),
        "channels": channels,
        "live": [
            {**live_state(s, now), "concerns": _concerns(s)}
            for s, _ in sessions
            if states[s.session_id] == "live"
        ],
        "upcoming": sorted(waiting, key=lambda view: view["scheduled_start"]),
        "past": sorted(past, key=lambda view: view["ended_at"], reverse=True),
        "pairs": [_trend_json(trend) for trend in pair_trends(summaries)],
    }
    return web.json_response(body)


def _trend_json(trend: PairTrend) -> dict[str, Any]:
    data = asdict(trend)
    for point in data["points"]:
        point["ended_at"] = iso(point["ended_at"])
    data["points"] = list(data["points"])
    data["flags"] = list(data["flags"])
    return data


@routes.get("/api/sessions.csv")
async def sessions_csv(request: web.Request) -> web.Response:
    """Every session as a spreadsheet row."""
    require_admin(request.app[CONFIG], request)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for state, summary in await _states_and_summaries(request):
        writer.writerow(_csv_row(state, summary))
    return web.Response(
        text=buffer.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="mentormeet-sessions.csv"'},
    )
