"""Server configuration from flags and environment, with secrets kept in the data dir."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.clock import ClockPolicy

__all__ = ["Config", "ConfigError", "load_config"]


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and why."""


@dataclass(frozen=True, kw_only=True)
class Config:
    """Everything the app needs to know to run."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    admin_token: str
    secret: bytes
    public_url: str | None = None
    ice_servers: tuple[Mapping[str, Any], ...] = ()
    # Invite links stay valid this long after the scheduled end of their session.
    link_validity_seconds: float = 14 * 24 * 3600
    heartbeat_seconds: float = 10.0
    clock: ClockPolicy = field(default_factory=ClockPolicy)
    # Where the admin token is kept when it was not given in the environment.
    admin_token_file: Path | None = None

    @property
    def database_path(self) -> Path:
        """The embedded SQLite event store."""
        return self.data_dir / "mentormeet.db"

    @property
    def base_url(self) -> str:
        """The origin that invite links and printed URLs start with."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _persisted_secret(path: Path) -> str:
    """Read the secret stored at ``path``, creating it (owner-only) on first use."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(value + "\n")
    return value


def _parse_ice_servers(text: str) -> tuple[Mapping[str, Any], ...]:
    try:
        servers = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"MENTORMEET_ICE_SERVERS is not JSON: {error}") from None
    valid = isinstance(servers, list) and all(
        isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in servers
    )
    if not valid:
        raise ConfigError(
            'MENTORMEET_ICE_SERVERS must be a JSON list like [{"urls": "stun:host:3478"}]'
        )
    return tuple(servers)


def _minutes(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of minutes, not {text!r}") from None
    if value < 0:
        raise ConfigError(f"{name} cannot be negative")
    return value


def _clock_policy(environ: Mapping[str, str]) -> ClockPolicy:
    default = ClockPolicy()
    grace = _minutes(
        environ, "MENTORMEET_EMPTY_ROOM_GRACE_MINUTES", default.empty_room_grace_seconds / 60
    )
    overrun = _minutes(environ, "MENTORMEET_OVERRUN_LIMIT_MINUTES", default.overrun_limit_minutes)
    return ClockPolicy(empty_room_grace_seconds=grace * 60, overrun_limit_minutes=overrun)


def load_config(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    data_dir: Path = Path("data"),
    environ: Mapping[str, str] = os.environ,
) -> Config:
    """Build the config, generating and storing the admin token and signing secret if unset."""
    data_dir.mkdir(parents=True, exist_ok=True)
    admin_token = environ.get("MENTORMEET_ADMIN_TOKEN", "")
    admin_token_file = None
    if not admin_token:
        admin_token_file = data_dir / "admin_token"
        admin_token = _persisted_secret(admin_token_file)
    secret = environ.get("MENTORMEET_SECRET", "") or _persisted_secret(data_dir / "secret")
    return Config(
        host=host,
        port=port,
        data_dir=data_dir,
        admin_token=admin_token,
        secret=secret.encode(),
        public_url=environ.get("MENTORMEET_PUBLIC_URL") or None,
        ice_servers=_parse_ice_servers(environ.get("MENTORMEET_ICE_SERVERS", "[]")),
        clock=_clock_policy(environ),
        admin_token_file=admin_token_file,
    )
