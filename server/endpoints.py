"""What JSON endpoints share: decoding bodies, finding sessions, acting on them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import msgspec
from aiohttp import web

from analytics import rules
from analytics.events import Event
from analytics.session import SessionState
from server.errors import json_error
from server.keys import BOOK
from server.sessions import UnknownSession

__all__ = ["act", "decode_body", "session_or_404"]

T = TypeVar("T")

# How a refused request maps onto HTTP; other refusals are 400.
REJECTION_STATUS: dict[str, type[web.HTTPError]] = {
    "forbidden": web.HTTPForbidden,
    "session_ended": web.HTTPConflict,
    "session_started": web.HTTPConflict,
    "not_ended": web.HTTPConflict,
    "not_failed": web.HTTPConflict,
}


async def decode_body(request: web.Request, schema: type[T]) -> T:
    """Decode the JSON body against ``schema`` or answer 400 naming what is wrong."""
    if request.content_type != "application/json":
        raise json_error(web.HTTPUnsupportedMediaType, "send JSON (Content-Type: application/json)")
    try:
        return msgspec.json.decode(await request.read(), type=schema)
    except msgspec.DecodeError as error:
        raise json_error(web.HTTPBadRequest, f"invalid request body: {error}") from None


async def session_or_404(request: web.Request, session_id: str) -> SessionState:
    """The session's state, or a 404 that says so."""
    try:
        return await request.app[BOOK].get(session_id)
    except UnknownSession:
        raise json_error(web.HTTPNotFound, "no such session") from None


async def act(
    request: web.Request, session_id: str, decide: Callable[[SessionState, float], Event]
) -> SessionState:
    """Turn a request into an event with ``decide`` (a rule), record it, return the state.

    A refusal from the rule becomes a JSON error with the matching status.
    """
    book = request.app[BOOK]
    async with book.lock(session_id):
        state = await session_or_404(request, session_id)
        try:
            event = decide(state, time.time())
        except rules.Rejected as refusal:
            status = REJECTION_STATUS.get(refusal.code, web.HTTPBadRequest)
            raise json_error(status, refusal.message) from None
        return await book.record(session_id, event)
