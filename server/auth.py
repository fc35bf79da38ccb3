"""Who is asking: the MPM (admin token or signed-in cookie) or a participant (invite token)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from aiohttp import web

from analytics.events import Actor, Role
from server.config import Config
from server.errors import json_error
from server.keys import ADMIN_GUESSES, CLOCK, SIGN_OUTS
from server.mpm_session import COOKIE_NAME, CSRF_HEADER, MpmSession, verify_session
from server.tokens import InviteClaims, TokenError, verify_token

__all__ = [
    "Admin",
    "Asker",
    "Participant",
    "bearer_token",
    "check_invite",
    "is_admin",
    "refuse_admin_token_in_query",
    "require_admin",
    "require_session_access",
    "signed_in",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Admin:
    """The program manager: the admin token, or signed in by cookie."""

    @property
    def actor(self) -> Actor:
        """Who the events this request leads to name."""
        return "mpm"


@dataclass(frozen=True, slots=True)
class Participant:
    """A participant of the session, by their invite."""

    role: Role

    @property
    def actor(self) -> Actor:
        """Who the events this request leads to name."""
        return self.role


# Who is asking, once :func:`require_session_access` let them in.
Asker = Admin | Participant


def bearer_token(request: web.Request) -> str | None:
    """The token from ``Authorization: Bearer …``, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def is_admin(config: Config, token: str) -> bool:
    """Whether ``token`` is the admin token, compared in constant time."""
    return hmac.compare_digest(token.encode(), config.admin_token.encode())


def signed_in(config: Config, request: web.Request) -> MpmSession | None:
    """The MPM's session behind the request's cookie, if it carries a valid one."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return None
    generation = request.app[SIGN_OUTS].generation
    return verify_session(
        config.secret,
        config.admin_token,
        cookie,
        now=request.app[CLOCK].now(),
        generation=generation,
    )


def _signed_in_mpm(config: Config, request: web.Request) -> bool:
    """Whether the cookie signs the MPM in; a write must also carry the CSRF token."""
    session = signed_in(config, request)
    if session is None:
        return False
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), session.csrf.encode()):
            raise json_error(web.HTTPForbidden, f"a signed-in write needs the {CSRF_HEADER} header")
    return True


def refuse_admin_token_in_query(config: Config, request: web.Request) -> None:
    """The admin token never counts in a URL, where history, logs and referrers keep it."""
    token = request.query.get("token")
    if token and is_admin(config, token):
        raise json_error(
            web.HTTPUnauthorized,
            "the program manager's token is not accepted in a URL: sign in at /mpm",
        )


def require_admin(config: Config, request: web.Request) -> None:
    """Refuse the request unless it carries the admin token or the MPM's session cookie."""
    refuse_admin_token_in_query(config, request)
    token = bearer_token(request)
    if token is not None:
        # Guessing is throttled per address: past the limit even the right token must wait,
        # or the answer would tell the guesser when they found it.
        request.app[ADMIN_GUESSES].check(request.remote)
        if not is_admin(config, token):
            request.app[ADMIN_GUESSES].spend(request.remote)
            raise json_error(web.HTTPForbidden, "this needs the program manager's token")
        return
    if not _signed_in_mpm(config, request):
        raise json_error(web.HTTPUnauthorized, "missing bearer token or sign-in")


def check_invite(config: Config, token: str, session_id: str, *, now: float) -> InviteClaims:
    """Verify an invite token for ``session_id``; raise :class:`TokenError` otherwise."""
    claims = verify_token(config.secret, token, now=now)
    if claims.session_id != session_id:
        raise TokenError("this link is for another session", "wrong_session")
    return claims


def require_session_access(
    config: Config, request: web.Request, session_id: str, *, token_in_query: bool = False
) -> Asker:
    """Let the MPM or a participant of ``session_id`` in; return who it is.

    The MPM comes with the admin token as a bearer token or signed in by cookie. With
    ``token_in_query`` an invite token may also come as ``?token=``, for pages and
    downloads a browser opens from a link; the admin token never may.
    """
    refuse_admin_token_in_query(config, request)
    token = bearer_token(request)
    if token is None and token_in_query:
        token = request.query.get("token") or None
    if token is None:
        if _signed_in_mpm(config, request):
            return Admin()
        raise json_error(web.HTTPUnauthorized, "missing bearer token")
    try:
        claims = check_invite(config, token, session_id, now=request.app[CLOCK].now())
        return Participant(claims.role)
    except TokenError as error:
        refusal = error
    if refusal.reason not in ("malformed", "forged"):
        status = web.HTTPForbidden if refusal.reason == "wrong_session" else web.HTTPUnauthorized
        raise json_error(status, str(refusal))
    # Neither a genuine invite nor, perhaps, the admin token: a guess, throttled as such.
    request.app[ADMIN_GUESSES].check(request.remote)
    if is_admin(config, token):
        return Admin()
    request.app[ADMIN_GUESSES].spend(request.remote)
    raise json_error(web.HTTPUnauthorized, str(refusal))
