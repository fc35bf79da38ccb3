"""The REST API: scheduling sessions and reading their state."""

from __future__ import annotations

import secrets
import time
from typing import TypeVar

import msgspec
from aiohttp import web

from analytics.events import ROLES, Person, SessionScheduled
from server.auth import require_admin, require_session_access
from server.config import Config
from server.errors import json_error
from server.keys import BOOK, CONFIG
from server.schemas import ScheduleRequest
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
        agenda=tuple(item.strip() for item in body.agenda),
    )
    state = await request.app[BOOK].schedule(event)
    expires_at = event.scheduled_start + event.allotted_minutes * 60 + config.link_validity_seconds
    links = {
        role: invite_link(
            config, InviteClaims(session_id=event.session_id, role=role, expires_at=expires_at)
        )
        for role in ROLES
    }
    return web.json_response({**live_state(state), "links": links}, status=201)


@routes.get("/api/sessions")
async def list_sessions(request: web.Request) -> web.Response:
    require_admin(request.app[CONFIG], request)
    states = await request.app[BOOK].all()
    return web.json_response({"sessions": [live_state(state) for state in states]})


@routes.get("/api/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    require_session_access(request.app[CONFIG], request, session_id)
    try:
        state = await request.app[BOOK].get(session_id)
    except UnknownSession:
        raise json_error(web.HTTPNotFound, "no such session") from None
    return web.json_response(live_state(state))
