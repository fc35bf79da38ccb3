"""The MPM's view of the whole program: live, upcoming and past sessions, pair trends, CSV.

What one poll carries is bounded whatever the program's size: past sessions come a page
at a time (newest ended first, older pages through a cursor), live and upcoming lists and
pair cards are capped, a pair's chart shows its latest sessions (its averages and flags
count them all), and a session contributes counts rather than texts: agenda items, notes
and rating comments are on its summary page, and only its latest concerns, shortened.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict
from typing import Any

from aiohttp import web

from analytics.board import board_state
from analytics.events import ROLES
from analytics.report import iso, to_json
from analytics.session import Delivery, SessionState
from analytics.summary import Summary
from analytics.trends import PairTrend, pair_trends
from server.api import session_links
from server.auth import require_admin
from server.config import Config
from server.errors import json_error
from server.keys import BOOK, CLOCK, CONFIG, COURIER, SUMMARY_BOARD
from server.views import live_state

__all__ = ["routes", "spreadsheet_safe"]

routes = web.RouteTableDef()

PAST_PAGE = 20
LIVE_LIMIT = 50
UPCOMING_LIMIT = 50
PAIRS_LIMIT = 50
TREND_POINTS = 12
CONCERNS_SHOWN = 3
CONCERN_CHARS = 280

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


# A spreadsheet runs a cell that starts like this as a formula (=HYPERLINK(…), @SUM(…)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet takes for a formula: text that starts
    like one gets a leading apostrophe (OWASP's advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _deliveries(state: SessionState, channels: list[str]) -> list[dict[str, Any]]:
    """Per configured channel: which summary version went through when, what failed, and
    whether the channel gave up (``failed``: it waits for the MPM to retry it)."""
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
                "failed": delivery.failed,
            }
        )
    return views


def _past(state: SessionState, summary: Summary, channels: list[str]) -> dict[str, Any]:
    """A past session's row: its figures and flags, with counts where the summary has texts."""
    view = to_json(summary)
    del view["agenda"]["items"]
    for person in view["participants"].values():
        del person["rating_comment"]
    return {
        **view,
        "concerns": len(summary.concerns),
        "deliveries": _deliveries(state, channels),
    }


def _shortened(text: str) -> str:
    return text if len(text) <= CONCERN_CHARS else text[: CONCERN_CHARS - 1] + "…"


def _concerns(state: SessionState) -> dict[str, Any]:
    """Concerns for the MPM's eyes only (never in the participants' live state): how many,
    and the latest few, shortened; the summary page has them all."""
    return {
        "concern_count": len(state.concerns),
        "concerns": [
            {
                "role": c.role,
                "name": state.person(c.role).name,
                "text": _shortened(c.text),
                "at": iso(c.at),
            }
            for c in state.concerns[-CONCERNS_SHOWN:]
        ],
    }


def _card(state: SessionState, now: float) -> dict[str, Any]:
    """A session's live state as the dashboard shows it: agenda progress, not its items."""
    view = live_state(state, now)
    del view["agenda"]
    return {**view, **_concerns(state)}


def _waiting(config: Config, state: SessionState, now: float) -> dict[str, Any]:
    """A session nobody is in yet, with its invite links and where it stands."""
    return {
        **_card(state, now),
        "board_state": board_state(state, now),
        "links": session_links(config, state),
        "invites": {
            role: state.invites.get(role, "not sent") for role in ROLES if state.person(role).email
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
    board = request.app[SUMMARY_BOARD]
    return [(state, board.summary(state)) for state in await request.app[BOOK].all()]


def _past_key(summary: Summary) -> tuple[float, str]:
    return (summary.ended_at, summary.session_id)


def _cursor(key: tuple[float, str]) -> str:
    return f"{key[0]!r}/{key[1]}"


def _before(request: web.Request) -> tuple[float, str] | None:
    """The ``before`` cursor of a request for older past sessions, if any."""
    text = request.query.get("before")
    if text is None:
        return None
    ended_at, slash, session_id = text.partition("/")
    try:
        key = (float(ended_at), session_id)
    except ValueError:
        key = None
    if not slash or key is None or not math.isfinite(key[0]):
        raise json_error(web.HTTPBadRequest, "before: use the past_before value of a page")
    return key


def _past_page(
    sessions: list[tuple[SessionState, Summary | None]],
    channels: list[str],
    before: tuple[float, str] | None,
) -> dict[str, Any]:
    """One page of past sessions, newest ended first, and the cursor of the next (or null)."""
    ended = sorted(
        ((state, summary) for state, summary in sessions if summary is not None),
        key=lambda pair: _past_key(pair[1]),
        reverse=True,
    )
    if before is not None:
        ended = [(state, summary) for state, summary in ended if _past_key(summary) < before]
    page = ended[:PAST_PAGE]
    more = len(ended) > PAST_PAGE
    return {
        "past": [_past(state, summary, channels) for state, summary in page],
        "past_before": _cursor(_past_key(page[-1][1])) if more else None,
    }


@routes.get("/api/dashboard")
async def dashboard(request: web.Request) -> web.Response:
    """Everything the dashboard shows, in one request it can poll; bounded in size."""
    config = request.app[CONFIG]
    require_admin(config, request)
    now = request.app[CLOCK].now()
    channels = request.app[COURIER].channel_names
    sessions = await _states_and_summaries(request)
    summaries = [summary for _, summary in sessions if summary is not None]
    states = {s.session_id: board_state(s, now) for s, _ in sessions}
    live = [s for s, _ in sessions if states[s.session_id] == "live"]
    waiting = sorted(
        (s for s, _ in sessions if states[s.session_id] in ("upcoming", "late", "no-show")),
        key=lambda state: state.scheduled_start,
    )
    pairs = pair_trends(summaries)
    body = {
        "now": iso(now),
        "channels": channels,
        "counts": {
            "live": len(live),
            "upcoming": len(waiting),
            "past": len(summaries),
            "pairs": len(pairs),
        },
        "live": [
            _card(s, now)
            for s in sorted(live, key=lambda state: state.scheduled_start)[:LIVE_LIMIT]
        ],
        "upcoming": [_waiting(config, s, now) for s in waiting[:UPCOMING_LIMIT]],
        **_past_page(sessions, channels, None),
        "pairs": [_trend_json(trend) for trend in pairs[:PAIRS_LIMIT]],
    }
    return web.json_response(body)


@routes.get("/api/dashboard/past")
async def older_past_sessions(request: web.Request) -> web.Response:
    """Past sessions that ended before the ``before`` cursor, a page at a time."""
    require_admin(request.app[CONFIG], request)
    channels = request.app[COURIER].channel_names
    sessions = await _states_and_summaries(request)
    return web.json_response(_past_page(sessions, channels, _before(request)))


def _trend_json(trend: PairTrend) -> dict[str, Any]:
    data = asdict(trend)
    data["points"] = list(data["points"])[-TREND_POINTS:]  # the averages count them all
    for point in data["points"]:
        point["ended_at"] = iso(point["ended_at"])
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
        row = _csv_row(state, summary)
        writer.writerow({column: spreadsheet_safe(value) for column, value in row.items()})
    return web.Response(
        text=buffer.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="mentormeet-sessions.csv"'},
    )
