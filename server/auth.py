"""Who is asking: the MPM's admin token or a participant's invite token."""

from __future__ import annotations

import hmac
import time

from aiohttp import web

from analytics.events import Actor
from server.config import Config
from server.errors import json_error
from server.keys import ADMIN_GUESSES
from server.tokens import InviteClaims, TokenError, verify_token

__all__ = ["bearer_token", "check_invite", "is_admin", "require_admin", "require_session_access"]


def bearer_token(request: web.Request) -> str | None:
    """The token from ``Authorization: Bearer …``, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def is_admin(config: Config, token: str) -> bool:
    """Whether ``token`` is the admin token, compared in constant time."""
    return hmac.compare_digest(token.encode(), config.admin_token.encode())


def require_admin(config: Config, request: web.Request) -> None:
    """Refuse the request unless it carries the admin token."""
    token = bearer_token(request)
    if token is None:
        raise json_error(web.HTTPUnauthorized, "missing bearer token")
    # Guessing is throttled per address: past the limit even the right token must wait,
    # or the answer would tell the guesser when they found it.
    request.app[ADMIN_GUESSES].check(request.remote)
    if not is_admin(config, token):
        request.app[ADMIN_GUESSES].spend(request.remote)
        raise json_error(web.HTTPForbidden, "this needs the program manager's token")


def check_invite(config: Config, token: str, session_id: str) -> InviteClaims:
    """Verify an invite token for ``session_id``; raise :class:`TokenError` otherwise."""
    claims = verify_token(config.secret, token, now=time.time())
    if claims.session_id != session_id:
        raise TokenError("this link is for another session", "wrong_session")
    return claims


def require_session_access(
    config: Config, request: web.Request, session_id: str, *, token_in_query: bool = False
) -> Actor:
    """Let the MPM or a participant of ``session_id`` in; return who it is.

    With ``token_in_query`` the token may also come as ``?token=``, for pages and
    downloads a browser opens from a link.
    """
    token = bearer_token(request)
    if token is None and token_in_query:
        token = request.query.get("token") or None
    if token is None:
        raise json_error(web.HTTPUnauthorized, "missing bearer token")
    try:
        return check_invite(config, token, session_id).role
    except TokenError as error:
        refusal = error
    if refusal.reason not in ("malformed", "forged"):
        status = web.HTTPForbidden if refusal.reason == "wrong_session" else web.HTTPUnauthorized
        raise json_error(status, str(refusal))
    # Neither a genuine invite nor, perhaps, the admin token: a guess, throttled as such.
    request.app[ADMIN_GUESSES].check(request.remote)
    if is_admin(config, token):
        return "mpm"
    request.app[ADMIN_GUESSES].spend(request.remote)
    raise json_error(web.HTTPUnauthorized, str(refusal))
