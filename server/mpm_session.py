"""The MPM's signed-in session: a cookie that stands for the admin token, so it never
travels in a URL.

The cookie is ``<payload>.<signature>``: payload ``{"e": expiry, "c": CSRF token}`` in
base64url, signed with HMAC-SHA256 under a key drawn from the signing secret, the admin
token and the sign-out generation, so that changing the first two or signing out (which
advances the third, see :mod:`server.sign_outs`) signs everyone out. Writes authenticated by the
cookie must repeat its CSRF token in a header, which a page of another origin cannot read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass

__all__ = [
    "COOKIE_NAME",
    "CSRF_HEADER",
    "MpmSession",
    "issue_session",
    "verify_session",
]

COOKIE_NAME = "mentormeet_mpm"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, kw_only=True)
class MpmSession:
    """A signed-in MPM: until when, and the CSRF token their writes must carry."""

    expires_at: float
    csrf: str


def _key(secret: bytes, admin_token: str, generation: int) -> bytes:
    material = f"mpm-session:{generation}:{admin_token}".encode()
    return hmac.new(secret, material, hashlib.sha256).digest()


def _sign(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_session(
    secret: bytes, admin_token: str, *, expires_at: float, generation: int = 0
) -> tuple[str, MpmSession]:
    """A new session and its cookie value, valid until the sign-out after ``generation``."""
    session = MpmSession(expires_at=expires_at, csrf=secrets.token_urlsafe(24))
    body = json.dumps({"e": int(expires_at), "c": session.csrf}, separators=(",", ":"))
    payload = base64.urlsafe_b64encode(body.encode()).rstrip(b"=").decode("ascii")
    return f"{payload}.{_sign(_key(secret, admin_token, generation), payload)}", session


def verify_session(
    secret: bytes, admin_token: str, cookie: str, *, now: float, generation: int = 0
) -> MpmSession | None:
    """The session a cookie stands for, or ``None`` if it is forged, malformed, expired or
    issued before a sign-out (under an earlier ``generation``)."""
    payload, dot, signature = cookie.partition(".")
    if not dot or not payload.isascii() or not signature.isascii():
        return None
    if not hmac.compare_digest(_sign(_key(secret, admin_token, generation), payload), signature):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        session = MpmSession(expires_at=float(body["e"]), csrf=str(body["c"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    if not math.isfinite(session.expires_at) or session.expires_at <= now:
        return None
    return session
