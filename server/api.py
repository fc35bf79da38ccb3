"""The REST API: scheduling sessions and reading their state."""

from __future__ import annotations

import secrets

from aiohttp import web

from analytics import rules
from analytics.events import ROLES, AgendaDraftItem, Person, Role, SessionScheduled
from analytics.invite import invite_ics
from analytics.session import SessionState
from server import retention
from server.auth import require_admin, require_session_access
from server.config import Config
from server.endpoints import act, decode_body, refusal, session_or_404
from server.errors import json_error
from server.invites import invitation
from server.keys import BOOK, CLOCK, CONFIG, INVITES
from server.schemas import AgendaRequest, ScheduleRequest
from server.tokens import InviteClaims, issue_token
from server.views import live_state

__all__ = ["routes"]

routes = web.RouteTableDef()


def session_links(config: Config, state: SessionState) -> dict[Role, str]:
    """The invite links of a session: absolute lobby URLs, one per role.

    Tokens expire a while after the scheduled end; the same session always gets the
    same links, so the MPM can look them up again.
    """
    end = state.scheduled_start + state.allotted_minutes * 60
    expires_at = end + config.link_validity_seconds
    links = {}
    for role in ROLES:
        claims = InviteClaims(session_id=state.session_id, role=role, expires_at=expires_at)
        token = issue_token(config.secret, claims)
        links[role] = f"{config.base_url}/s/{state.session_id}?token={token}"
    return links


def new_session_id() -> str:
    """A random session id (72 bits) that starts with a letter or a digit: one that starts
    with ``-`` reads as a formula to a spreadsheet, and as an option to a command line."""
    while True:
        session_id = secrets.token_urlsafe(9)
        if session_id[0].isalnum():
            return session_id


@routes.post("/api/sessions")
async def schedule_session(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    require_admin(config, request)
    body = await decode_body(request, ScheduleRequest)
    now = request.app[CLOCK].now()
    try:
        start = body.scheduled_start.timestamp()
        rules.check_start(start, now, confirm_past_start=body.confirm_past_start)
    except rules.Rejected as rejected:
        raise refusal(rejected) from None
    event = SessionScheduled(
        at=now,
        actor="mpm",
        session_id=new_session_id(),
        mentor=Person(name=body.mentor.name.strip(), email=body.mentor.email),
        mentoree=Person(name=body.mentoree.name.strip(), email=body.mentoree.email),
        scheduled_start=start,
        allotted_minutes=body.allotted_minutes,
        agenda=tuple(AgendaDraftItem(text=item.strip()) for item in body.agenda),
    )
    state = await request.app[BOOK].schedule(event)
    links = session_links(config, state)
    request.app[INVITES].send(state, links)
    return web.json_response(
        {**live_state(state, request.app[CLOCK].now()), "links": links}, status=201
    )


@routes.get("/api/sessions/{session_id}/invite/{role}.ics")
async def invite_calendar(request: web.Request) -> web.Response:
    """One participant's invitation as a calendar file, for the MPM to send by hand."""
    config = request.app[CONFIG]
    require_admin(config, request)
    role = request.match_info["role"]
    if role not in ROLES:
        raise web.HTTPNotFound(text="no such role")
    state = await session_or_404(request, request.match_info["session_id"])
    invited = invitation(config, state, role, session_links(config, state)[role])
    return web.Response(
        body=invite_ics(invited, now=request.app[CLOCK].now()).encode(),
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{state.session_id}-{role}.ics"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/api/sessions")
async def list_sessions(request: web.Request) -> web.Response:
    require_admin(request.app[CONFIG], request)
    states = await request.app[BOOK].all()
    now = request.app[CLOCK].now()
    return web.json_response({"sessions": [live_state(state, now) for state in states]})


@routes.get("/api/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    require_session_access(request.app[CONFIG], request, session_id)
    state = await session_or_404(request, session_id)
    return web.json_response(live_state(state, request.app[CLOCK].now()))


@routes.put("/api/sessions/{session_id}/agenda")
async def set_agenda(request: web.Request) -> web.Response:
    """The mentoree sends (or resends) the agenda before the meeting."""
    session_id = request.match_info["session_id"]
    asker = require_session_access(request.app[CONFIG], request, session_id)
    body = await decode_body(request, AgendaRequest)
    draft = tuple(
        AgendaDraftItem(text=item.text.strip(), minutes=item.minutes) for item in body.items
    )
    state = await act(
        request, session_id, lambda state, at: rules.set_agenda(state, asker.actor, draft, at)
    )
    return web.json_response(live_state(state, request.app[CLOCK].now()))


@routes.post("/api/sessions/{session_id}/cancel")
async def cancel_session(request: web.Request) -> web.Response:
    """The MPM calls a session off: it is over, and its invite links die at once."""
    session_id = request.match_info["session_id"]
    require_admin(request.app[CONFIG], request)
    state = await act(request, session_id, lambda state, at: rules.cancel_session(state, "mpm", at))
    return web.json_response(live_state(state, request.app[CLOCK].now()))


@routes.delete("/api/sessions/{session_id}")
async def delete_session(request: web.Request) -> web.Response:
    """The MPM deletes a session with all its events and files (a live one is cancelled
    first, so that nobody is in its room)."""
    session_id = request.match_info["session_id"]
    require_admin(request.app[CONFIG], request)
    state = await session_or_404(request, session_id)
    if state.status == "live":
        raise json_error(web.HTTPConflict, "the session is live: cancel it first")
    await retention.delete_session(request.app, session_id)
    return web.Response(status=204)
