"""The MPM signs in on the dashboard: the admin token is exchanged for a session cookie.

The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page
sends it) and ``Secure`` when the server is reached over HTTPS. The dashboard learns the
session's CSRF token from ``GET /api/signin``, which only a page of this origin can read,
so every tab of a signed-in browser is signed in. Wrong tokens are throttled per client
address; signing out ends every session issued so far, on the server.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from analytics.report import iso
from server.auth import is_admin, require_admin, signed_in
from server.config import Config
from server.endpoints import decode_body
from server.errors import json_error
from server.keys import ADMIN_GUESSES, CLOCK, CONFIG, SIGN_OUTS
from server.mpm_session import COOKIE_NAME, MpmSession, issue_session
from server.schemas import SignInRequest

__all__ = ["SESSION_SECONDS", "check_sign_in_token", "routes"]

routes = web.RouteTableDef()

SESSION_SECONDS = 12 * 3600


def _session_json(session: MpmSession) -> dict[str, str | None]:
    return {"csrf": session.csrf, "expires_at": iso(session.expires_at)}


def _over_https(config: Config) -> bool:
    return config.base_url.startswith("https://")


def check_sign_in_token(request: web.Request, token: str) -> None:
    """Refuse a wrong admin token (403), and any token from an address that sent too many
    wrong ones of late (429 with ``Retry-After``): the throttle every admin-token check
    shares, so sign-in is no side door for guessing."""
    guesses = request.app[ADMIN_GUESSES]
    guesses.check(request.remote)
    if not is_admin(request.app[CONFIG], token):
        guesses.spend(request.remote)
        raise json_error(web.HTTPForbidden, "that is not the program manager's token")


@routes.post("/api/signin")
async def sign_in(request: web.Request) -> web.Response:
    """Exchange the admin token (in the JSON body, never the URL) for a session cookie."""
    config = request.app[CONFIG]
    body = await decode_body(request, SignInRequest)
    check_sign_in_token(request, body.token.strip())
    value, session = issue_session(
        config.secret,
        config.admin_token,
        expires_at=request.app[CLOCK].now() + SESSION_SECONDS,
        generation=request.app[SIGN_OUTS].generation,
    )
    response = web.json_response(_session_json(session))
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=_over_https(config),
    )
    return response


@routes.get("/api/signin")
async def signed_in_session(request: web.Request) -> web.Response:
    """The signed-in session's CSRF token and expiry, or 401 when not signed in."""
    session = signed_in(request.app[CONFIG], request)
    if session is None:
        raise json_error(web.HTTPUnauthorized, "not signed in")
    return web.json_response(_session_json(session))


@routes.post("/api/signout")
async def sign_out(request: web.Request) -> web.Response:
    """End every MPM session on the server and clear this browser's cookie (a signed-in
    write: it needs the CSRF token)."""
    config = request.app[CONFIG]
    require_admin(config, request)
    await asyncio.to_thread(request.app[SIGN_OUTS].sign_out_everyone)
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE_NAME, path="/", samesite="Strict", secure=_over_https(config))
    return response
