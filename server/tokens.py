"""Invite tokens: HMAC-signed claims that a bearer holds a role in one session.

A token is ``<payload>.<signature>``, both base64url without padding. The payload is
compact JSON ``{"s": session id, "r": role, "e": expiry (epoch seconds)}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from typing import Literal

from analytics.events import ROLES, Role

__all__ = ["InviteClaims", "TokenError", "issue_token", "verify_token"]


class TokenError(Exception):
    """The token cannot be used; ``reason`` says why in a word, the message in a sentence."""

    def __init__(
        self, message: str, reason: Literal["malformed", "forged", "expired", "wrong_session"]
    ) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class InviteClaims:
    """What a valid token proves."""

    session_id: str
    role: Role
    expires_at: float


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64encode(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue_token(secret: bytes, claims: InviteClaims) -> str:
    """Sign ``claims`` with ``secret``."""
    body = {"s": claims.session_id, "r": claims.role, "e": int(claims.expires_at)}
    payload = _b64encode(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify_token(secret: bytes, token: str, *, now: float) -> InviteClaims:
    """Return the claims of ``token`` or raise :class:`TokenError` saying what is wrong."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload.isascii() or not signature.isascii():
        raise TokenError("malformed token", "malformed")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        raise TokenError("invalid token signature", "forged")
    try:
        body = json.loads(_b64decode(payload))
        claims = InviteClaims(session_id=body["s"], role=body["r"], expires_at=float(body["e"]))
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise TokenError("malformed token", "malformed") from error
    valid_claims = (
        claims.role in ROLES
        and isinstance(claims.session_id, str)
        and math.isfinite(claims.expires_at)
    )
    if not valid_claims:
        raise TokenError("malformed token", "malformed")
    if claims.expires_at <= now:
        raise TokenError("this invite link has expired", "expired")
    return claims
