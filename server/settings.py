"""The server's environment settings: one declaration each, which reads and checks it and
describes it in ``mentormeet serve --help``.

Every value is checked when the server starts, so that a typo stops it with a sentence
naming the variable instead of changing what it does: numbers are finite and within
their range (``nan`` and ``inf`` are refused), booleans are ``true`` or ``false`` (and
their usual spellings) and nothing else, URLs have a scheme and a host.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

__all__ = [
    "POSTGRES_SCHEMES",
    "SETTINGS",
    "Network",
    "Setting",
    "SettingError",
    "boolean",
    "database_location",
    "email",
    "networks",
    "number",
    "text",
    "url",
    "whole_number",
]

T = TypeVar("T")

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# The schemes libpq (and asyncpg) take for a PostgreSQL connection URL.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class SettingError(ValueError):
    """A setting's value cannot be used; the message says what it must be."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: its name, what it is for, its default in words, and how
    its text becomes a value."""

    name: str
    help: str
    default: str
    parse: Callable[[str], T]

    def read(self, environ: Mapping[str, str]) -> T | None:
        """The setting's value, or ``None`` when it is unset or empty."""
        raw = environ.get(self.name, "")
        if not raw.strip():
            return None
        try:
            return self.parse(raw.strip())
        except SettingError as error:
            raise SettingError(f"{self.name} must be {error}, not {raw!r}") from None


def number(
    low: float = 0.0, high: float = math.inf, unit: str = "", *, above_low: bool = False
) -> Callable[[str], float]:
    """A parser of finite numbers from ``low`` (or, with ``above_low``, over it) to ``high``."""
    of_unit = f" of {unit}" if unit else ""
    bound = f"over {low:g}" if above_low else f"of at least {low:g}"
    what = f"a number{of_unit} {bound}" + ("" if math.isinf(high) else f" and at most {high:g}")

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise SettingError(what) from None
        too_low = value <= low if above_low else value < low
        if not math.isfinite(value) or too_low or value > high:
            raise SettingError(what)
        return value

    return parse


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """A parser of whole numbers from ``low`` to ``high`` (inclusive; no upper bound if None)."""
    what = f"a whole number from {low} to {high}" if high else f"a whole number of at least {low}"

    def parse(raw: str) -> int:
        if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
            raise SettingError(what)
        return int(raw)

    return parse


def boolean(raw: str) -> bool:
    """``true`` or ``false`` (also 1/0, yes/no, on/off): anything else is a mistake."""
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise SettingError("true or false")


def url(raw: str) -> str:
    """An absolute ``http`` or ``https`` URL."""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingError("an http:// or https:// URL with a host")
    return raw


def email(raw: str) -> str:
    """An email address (one line, one ``@``)."""
    if not EMAIL.match(raw):
        raise SettingError("an email address like mpm@example.org")
    return raw


def database_location(raw: str) -> str:
    """A SQLite file's path, or a ``postgresql://`` URL."""
    if "://" in raw and not raw.startswith(POSTGRES_SCHEMES):
        raise SettingError("a SQLite file's path or a postgresql:// URL")
    return raw


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(raw: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses or networks (``10.0.0.5``, ``10.0.0.0/8``, ``::1``)."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(","))
    except ValueError:
        raise SettingError("comma-separated IP addresses or networks like 10.0.0.0/8") from None


def text(raw: str) -> str:
    """Any text."""
    return raw


def _declare(name: str, help: str, default: str, parse: Callable[[str], T]) -> Setting[T]:
    return Setting(f"MENTORMEET_{name}", help, default, parse)


ADMIN_TOKEN = _declare(
    "ADMIN_TOKEN", "the MPM's token (32 characters or more; never printed)", "generated", text
)
SECRET = _declare(
    "SECRET", "the key that signs invite links (32 characters or more)", "generated", text
)
DATABASE_URL = _declare(
    "DATABASE_URL",
    "the event store: a SQLite file or postgresql://USER:PASSWORD@HOST/DB (never printed)",
    "DATA_DIR/mentormeet.db",
    database_location,
)
PUBLIC_URL = _declare("PUBLIC_URL", "the base of invite links", "http://HOST:PORT", url)
ICE_SERVERS = _declare(
    "ICE_SERVERS", 'STUN/TURN servers, JSON like [{"urls": "stun:host:3478"}]', "none", text
)
UPLINK_ADDRESSES = _declare(
    "UPLINK_ADDRESSES",
    "addresses the camera uplink offers and binds, comma-separated, or * for all",
    "those of --host",
    text,
)
UPLINK_MAX_FPS = _declare(
    "UPLINK_MAX_FPS", "frames a second the camera uplink sends", "2", number(0.2, 30)
)
UPLINK_MAX_WIDTH = _declare(
    "UPLINK_MAX_WIDTH", "width in pixels of the camera uplink", "320", whole_number(80, 1920)
)
CAMERA = _declare(
    "CAMERA", 'other camera settings, JSON like {"hysteresis_seconds": 4}', "{}", text
)
EMPTY_ROOM_GRACE_MINUTES = _declare(
    "EMPTY_ROOM_GRACE_MINUTES",
    "a started session whose room stays empty this long ends",
    "10",
    number(0, 24 * 60, "minutes"),
)
OVERRUN_LIMIT_MINUTES = _declare(
    "OVERRUN_LIMIT_MINUTES",
    "no session runs longer than its allotted time plus this",
    "30",
    number(0, 24 * 60, "minutes"),
)
MAX_CONNECTIONS_PER_ADDRESS = _declare(
    "MAX_CONNECTIONS_PER_ADDRESS", "open WebSockets per client address", "50", whole_number(1)
)
TRUSTED_PROXIES = _declare(
    "TRUSTED_PROXIES",
    "reverse proxies whose X-Forwarded-For names the client, comma-separated addresses or networks",
    "none",
    networks,
)
RETENTION_DAYS = _declare(
    "RETENTION_DAYS",
    "delete sessions that ended more than this many days ago",
    "keep them",
    number(0, 100 * 365, "days", above_low=True),
)
OUTBOX_DIR = _declare(
    "OUTBOX_DIR", "where summaries are written (empty: no outbox)", "DATA_DIR/outbox", text
)
WEBHOOK_URL = _declare("WEBHOOK_URL", "where summaries are POSTed", "off", url)
WEBHOOK_SECRET = _declare(
    "WEBHOOK_SECRET", "the webhook signing key (whsec_<base64> or any text)", "none", text
)
SMTP_HOST = _declare("SMTP_HOST", "mail server for summaries and alerts", "off", text)
SMTP_PORT = _declare("SMTP_PORT", "its port", "587", whole_number(1, 65535))
SMTP_USERNAME = _declare("SMTP_USERNAME", "its user name", "none", text)
SMTP_PASSWORD = _declare("SMTP_PASSWORD", "its password", "none", text)
SMTP_STARTTLS = _declare("SMTP_STARTTLS", "use STARTTLS", "true", boolean)
MPM_EMAIL = _declare("MPM_EMAIL", "the MPM's address, where summaries go", "none", email)
MAIL_FROM = _declare("MAIL_FROM", "the sender of the emails", "mentormeet@localhost", email)

SETTINGS: tuple[Setting[Any], ...] = (
    ADMIN_TOKEN,
    SECRET,
    DATABASE_URL,
    PUBLIC_URL,
    ICE_SERVERS,
    UPLINK_ADDRESSES,
    UPLINK_MAX_FPS,
    UPLINK_MAX_WIDTH,
    CAMERA,
    EMPTY_ROOM_GRACE_MINUTES,
    OVERRUN_LIMIT_MINUTES,
    MAX_CONNECTIONS_PER_ADDRESS,
    TRUSTED_PROXIES,
    RETENTION_DAYS,
    OUTBOX_DIR,
    WEBHOOK_URL,
    WEBHOOK_SECRET,
    SMTP_HOST,
    SMTP_PORT,
    SMTP_USERNAME,
    SMTP_PASSWORD,
    SMTP_STARTTLS,
    MPM_EMAIL,
    MAIL_FROM,
)
