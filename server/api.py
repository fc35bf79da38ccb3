"""The REST API: scheduling sessions and reading their state."""

from __future__ import annotations

import secrets
import time
from typing import TypeVar

import msgspec
from aiohttp import web

from analytics import rules
from analytics.events import ROLES, AgendaDraftItem, Person, SessionScheduled
from analytics.session import SessionState
from server.auth import require_admin, require_session_access
from server.config import Config
from server.errors import json_error
from server.keys import BOOK, CONFIG
from server.schemas import AgendaRequest, ScheduleRequest
from server.sessions import UnknownSession
from server.tokens import InviteClaims, issue_token
from server.views import live_state

__all__ = ["routes"]

routes = web.RouteTableDef()
T = TypeVar("T")


def invite_link(config: Config, claims: InviteClaims) -> str:
    """The absolute URL that opens the lobby of a session for one role."""
    token = issue_token(config.secret, claims)
    return f"{config.base_url}/s/{claims.session_id}?token={token}"


async def decode_body(request: web.Request, schema: type[T]) -> T:
    """Decode the JSON body against ``schema`` or answer 400 naming what is wrong."""
    if request.content_type != "application/json":
        raise json_error(web.HTTPUnsupportedMediaType, "send JSON (Content-Type: application/json)")
    try:
        return msgspec.json.decode(await request.read(), type=schema)
    except msgspec.DecodeError as error:
        raise json_error(web.HTTPBadRequest, f"invalid request body: {error}") from None


@routes.post("/api/sessions")
async def schedule_session(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    require_admin(config, request)
    body = await decode_body(request, ScheduleRequest)
    event = SessionScheduled(
        at=time.time(),
        actor="mpm",
        session_id=secrets.token_urlsafe(9),
        mentor=Person(name=body.mentor.name.strip(), email=body.mentor.email),
        mentoree=Person(name=body.mentoree.name.strip(), email=body.mentoree.email),
        scheduled_start=body.scheduled_start.timestamp(),
        allotted_minutes=body.allotted_minutes,
        agenda=tuple(AgendaDraftItem(text=item.strip()) for item in body.agenda),
    )
    state = await request.app[BOOK].schedule(event)
    expires_at = event.scheduled_start + event.allotted_minutes * 60 + config.link_validity_seconds
    links = {
        role: invite_link(
            config, InviteClaims(session_id=event.session_id, role=role, expires_at=expires_at)
        )
        for role in ROLES
    }
    return web.json_response({**live_state(state, time.time()), "links": links}, status=201)


@routes.get("/api/sessions")
async def list_sessions(request: web.Request) -> web.Response:
    require_admin(request.app[CONFIG], request)
    states = await request.app[BOOK].all()
    now = time.time()
    return web.json_response({"sessions": [live_state(state, now) for state in states]})


async def session_or_404(request: web.Request, session_id: str) -> SessionState:
    """The session's state, or a 404 that says so."""
    try:
        return await request.app[BOOK].get(session_id)
    except UnknownSession:
        raise json_error(web.HTTPNotFound, "no such session") from None


@routes.get("/api/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    require_session_access(request.app[CONFIG], request, session_id)
    state = await session_or_404(request, session_id)
    return web.json_response(live_state(state, time.time()))


# How a refused request maps onto HTTP.
REJECTION_STATUS: dict[str, type[web.HTTPError]] = {
    "forbidden": web.HTTPForbidden,
    "session_ended": web.HTTPConflict,
    "session_started": web.HTTPConflict,
}


@routes.put("/api/sessions/{session_id}/agenda")
async def set_agenda(request: web.Request) -> web.Response:
    """The mentoree sends (or resends) the agenda before the meeting."""
    session_id = request.match_info["session_id"]
    actor = require_session_access(request.app[CONFIG], request, session_id)
    body = await decode_body(request, AgendaRequest)
    draft = tuple(
        AgendaDraftItem(text=item.text.strip(), minutes=item.minutes) for item in body.items
    )
    book = request.app[BOOK]
    async with book.lock(session_id):
        state = await session_or_404(request, session_id)
        try:
            event = rules.set_agenda(state, actor, draft, time.time())
        except rules.Rejected as refusal:
            status = REJECTION_STATUS.get(refusal.code, web.HTTPBadRequest)
            raise json_error(status, refusal.message) from None
        state = await book.record(session_id, event)
    return web.json_response(live_state(state, time.time()))
