"""HTML pages: the MPM dashboard, the lobby and the room.

Pages carry what their script needs in ``data-`` attributes; the invite token stays in
the URL, where the script reads it, and never goes into the markup.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from analytics.events import other_role
from analytics.session import SessionState
from server.auth import check_invite
from server.keys import BOOK, CONFIG, TEMPLATES
from server.sessions import UnknownSession
from server.tokens import InviteClaims, TokenError

__all__ = ["render", "routes"]

routes = web.RouteTableDef()


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """Render a jinja2 template from ``web/templates`` as an HTML response."""
    html = request.app[TEMPLATES].get_template(template).render(**context)
    return web.Response(text=html, content_type="text/html", status=status)


def error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    """A page that says what went wrong and what to do about it."""
    return render(request, "error.html", {"title": title, "message": message}, status=status)


async def invited(request: web.Request) -> tuple[InviteClaims, SessionState] | web.Response:
    """The claims and session behind the page's invite link, or an error page."""
    session_id = request.match_info["session_id"]
    token = request.query.get("token")
    if not token:
        return error_page(
            request, 401, "Invite link needed", "Open this page with the link you were sent."
        )
    try:
        claims = check_invite(request.app[CONFIG], token, session_id)
        state = await request.app[BOOK].get(session_id)
    except TokenError as error:
        status = 403 if error.reason == "wrong_session" else 401
        hint = "Ask your program manager for a new link."
        return error_page(request, status, "This link does not work", f"{error}. {hint}")
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
