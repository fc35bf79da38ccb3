"""What JSON endpoints share: decoding bodies, finding sessions, acting on them."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from aiohttp import web

from analytics import rules
from analytics.session import SessionState
from server.errors import json_error
from server.keys import BOOK
from server.schemas import control_character_field, control_characters
from server.sessions import Decide, UnknownSession

__all__ = ["act", "decode_body", "refusal", "session_or_404"]

T = TypeVar("T")

# How a refused request maps onto HTTP; other refusals are 400.
REJECTION_STATUS: dict[str, type[web.HTTPError]] = {
    "forbidden": web.HTTPForbidden,
    "session_ended": web.HTTPConflict,
    "session_cancelled": web.HTTPConflict,
    "session_started": web.HTTPConflict,
    "not_ended": web.HTTPConflict,
    "too_many": web.HTTPTooManyRequests,
    "start_too_late": web.HTTPUnprocessableEntity,
    "start_in_past": web.HTTPUnprocessableEntity,
    "not_failed": web.HTTPConflict,
}


async def decode_body(request: web.Request, schema: type[T]) -> T:
    """Decode the JSON body against ``schema`` or answer 400 naming what is wrong."""
    if request.content_type != "application/json":
        raise json_error(web.HTTPUnsupportedMediaType, "send JSON (Content-Type: application/json)")
    body = await request.read()
    try:
        return msgspec.json.decode(body, type=schema)
    except msgspec.DecodeError as error:
        field = control_character_field(error, body)
        if field is not None:
            raise json_error(web.HTTPUnprocessableEntity, control_characters(field)) from None
        raise json_error(web.HTTPBadRequest, f"invalid request body: {error}") from None


def refusal(rejected: rules.Rejected) -> web.HTTPError:
    """A rule's refusal as the JSON error with its status."""
    return json_error(REJECTION_STATUS.get(rejected.code, web.HTTPBadRequest), rejected.message)


async def session_or_404(request: web.Request, session_id: str) -> SessionState:
    """The session's state, or a 404 that says so."""
    try:
        return await request.app[BOOK].get(session_id)
    except UnknownSession:
        raise json_error(web.HTTPNotFound, "no such session") from None


async def act(request: web.Request, session_id: str, decide: Decide) -> SessionState:
    """Decide the request with ``decide`` (a rule) through the book; return the new state.

    A refusal from the rule becomes a JSON error with the matching status.
    """
    try:
        return await request.app[BOOK].execute(session_id, decide)
    except UnknownSession:
        raise json_error(web.HTTPNotFound, "no such session") from None
    except rules.Rejected as rejected:
        raise refusal(rejected) from None
