"""Constants and small helpers shared by the server tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

ADMIN_TOKEN = "admin-token-for-tests"
SECRET = b"secret-for-tests"
PUBLIC_URL = "https://meet.example.org"

SESSION_REQUEST: dict[str, Any] = {
    "mentor": {"name": "Ada Lovelace", "email": "ada@example.org"},
    "mentoree": {"name": "Grace Hopper"},
    "scheduled_start": "2030-05-01T14:00:00+00:00",
    "allotted_minutes": 45,
    "agenda": ["Career goals", "Code review habits"],
}


@dataclass(frozen=True)
class ScheduledSession:
    """A session scheduled through the API: its JSON answer and the tokens in its links."""

    id: str
    body: dict[str, Any]
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        """Headers that present ``role``'s invite token to the API."""
        return bearer(self.tokens[role])


def token_of(link: str) -> str:
    """The invite token in a link's ``token`` query parameter."""
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    """Headers that present ``token`` to the API."""
    return {"Authorization": f"Bearer {token}"}
