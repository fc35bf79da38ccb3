"""What an invite token may do to its session, checked before any handler runs.

A middleware, so that every route with a ``{session_id}`` gets the same rules, whichever
module serves it: the invites of a cancelled session open nothing, and participants'
HTTP writes are throttled per invite.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from server.auth import bearer_token, check_invite
from server.errors import json_error
from server.keys import BOOK, CLOCK, CONFIG, PARTICIPANT_WRITES
from server.pages import error_page
from server.sessions import UnknownSession
from server.tokens import InviteClaims, TokenError

__all__ = ["THROTTLED_WRITES", "invite_guard"]

# The last path segment of the writes a participant makes over HTTP; the uplink is left
# out, as a browser posts one on every reconnect.
THROTTLED_WRITES = frozenset({"agenda", "concerns", "rating"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def invite(request: web.Request, session_id: str) -> InviteClaims | None:
    """The genuine invite to ``session_id`` the request carries, if it carries one."""
    token = bearer_token(request) or request.query.get("token")
    if not token:
        return None
    try:
        return check_invite(request.app[CONFIG], token, session_id, now=request.app[CLOCK].now())
    except TokenError:
        return None  # the admin token, or no good: the handler answers


@web.middleware
def invite_guard(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Refuse the invites of cancelled sessions; throttle participants' writes per invite."""
    session_id = request.match_info.get("session_id")
    if session_id is None:
        return handler(request)  # not awaited here: the room's WebSocket would keep a frame
    claims = invite(request, session_id)
    if claims is None:
        return handler(request)
    return _invited(request, handler, session_id, claims)


async def _invited(
    request: web.Request, handler: Handler, session_id: str, claims: InviteClaims
) -> web.StreamResponse:
    try:
        state = await request.app[BOOK].get(session_id)
    except UnknownSession:
        return await handler(request)  # which says so
    if state.status == "cancelled":
        message = "this session was cancelled"
        if request.path.startswith("/api/"):
            raise json_error(web.HTTPGone, message)
        hint = "Your program manager called it off; ask them if you are not sure why."
        return error_page(request, 410, "This session was cancelled", hint)
    if request.method != "GET" and request.path.rsplit("/", 1)[-1] in THROTTLED_WRITES:
        request.app[PARTICIPANT_WRITES].take((session_id, claims.role))
    return await handler(request)
