"""HTML pages: the MPM dashboard, the lobby and the room.

Pages carry what their script needs in ``data-`` attributes; the invite token stays in
the URL, where the script reads it, and never goes into the markup.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from aiohttp import web

from analytics.events import other_role
from analytics.session import SessionState
from server.auth import check_invite
from server.keys import BOOK, CLOCK, CONFIG, TEMPLATES
from server.sessions import UnknownSession
from server.tokens import InviteClaims, TokenError

__all__ = ["LINK_HINT", "error_page", "page_errors", "render", "routes"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What a person reads when an address answers with an error instead of a page.
ERROR_WORDS = {
    404: (
        "Page not found",
        "There is nothing at this address. If someone sent you a link, open it exactly as "
        "it was sent, or ask your program manager for a new one.",
    ),
    405: ("This page cannot do that", "Go back and try again from the page you came from."),
}
# Why an invite link does not work, said without the words "token" or "signature".
LINK_WORDS = {
    "malformed": "Part of this link is missing; it may have been cut off when it was copied.",
    "forged": "This link was changed after it was sent, or it is not one we made.",
    "expired": "This invite link has expired.",
    "wrong_session": "This link is for another session.",
}
LINK_HINT = "Open it exactly as it was sent, or ask your program manager for a new one."

CRASH_WORDS = (
    "Something went wrong on our side",
    "Try again in a moment. If it keeps happening, tell your program manager.",
)


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """Render a jinja2 template from ``web/templates`` as an HTML response."""
    html = request.app[TEMPLATES].get_template(template).render(**context)
    return web.Response(text=html, content_type="text/html", status=status)


def error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    """A page that says what went wrong and what to do about it."""
    return render(request, "error.html", {"title": title, "message": message}, status=status)


@web.middleware
def page_errors(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Answer the errors of page addresses (an unknown address, a crash) with a page in
    the product's style and words; the API, static files and the WebSocket keep theirs."""
    if request.path.startswith(("/api/", "/static/")) or request.path == "/ws":
        # The handler's own coroutine, not one awaiting it: see errors.api_errors.
        return handler(request)
    return _error_pages(request, handler)


async def _error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400 or error.status not in ERROR_WORDS:
            raise
        return error_page(request, error.status, *ERROR_WORDS[error.status])
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.path)
        return error_page(request, 500, *CRASH_WORDS)


async def invited(request: web.Request) -> tuple[InviteClaims, SessionState] | web.Response:
    """The claims and session behind the page's invite link, or an error page."""
    session_id = request.match_info["session_id"]
    token = request.query.get("token")
    if not token:
        return error_page(
            request, 401, "Invite link needed", "Open this page with the link you were sent."
        )
    try:
        claims = check_invite(request.app[CONFIG], token, session_id, now=request.app[CLOCK].now())
        state = await request.app[BOOK].get(session_id)
    except TokenError as error:
        status = 403 if error.reason == "wrong_session" else 401
        words = f"{LINK_WORDS[error.reason]} {LINK_HINT}"
        return error_page(request, status, "This link does not work", words)
    except UnknownSession:
        return error_page(request, 404, "No such session", "Ask your program manager.")
    return claims, state


def room_context(claims: InviteClaims, state: SessionState) -> dict[str, Any]:
    """What the lobby and room templates show about the session and its people."""
    return {
        "session": state,
        "role": claims.role,
        "you": state.person(claims.role),
        "peer": state.person(other_role(claims.role)),
        "peer_role": other_role(claims.role),
    }


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return render(request, "home.html", {})


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.FileResponse:
    """Browsers ask for this address whatever the page says: give them the same icon."""
    response = web.FileResponse(Path(str(files("web") / "static" / "favicon.svg")))
    response.content_type = "image/svg+xml"
    return response


@routes.get("/mpm")
async def dashboard(request: web.Request) -> web.Response:
    return render(request, "mpm.html", {})


def _to_summary_once_ended(request: web.Request, state: SessionState) -> None:
    """After the end an invite link opens its holder's summary, not an empty room."""
    if state.status == "ended":
        raise web.HTTPFound(f"/s/{state.session_id}/summary?{request.query_string}")


@routes.get("/s/{session_id}")
async def lobby(request: web.Request) -> web.Response:
    found = await invited(request)
    if isinstance(found, web.Response):
        return found
    _to_summary_once_ended(request, found[1])
    return render(request, "lobby.html", room_context(*found))


@routes.get("/s/{session_id}/room")
async def room(request: web.Request) -> web.Response:
    found = await invited(request)
    if isinstance(found, web.Response):
        return found
    _to_summary_once_ended(request, found[1])
    return render(request, "room.html", room_context(*found))
