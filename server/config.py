"""Server configuration from flags and environment, with secrets kept in the data dir."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.camera import CameraConfig
from analytics.clock import ClockPolicy
from analytics.summary import SummaryPolicy
from server.private import FILE_MODE, private_dir, write_private

__all__ = ["MIN_SECRET_LENGTH", "Config", "ConfigError", "DeliverySettings", "load_config"]

# A token or key shorter than this can be guessed; generated ones are 43 characters.
MIN_SECRET_LENGTH = 32


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and why."""


@dataclass(frozen=True, kw_only=True)
class DeliverySettings:
    """Where summaries go when a session ends; every channel is optional."""

    outbox_dir: Path | None = None
    webhook_url: str | None = None
    webhook_secret: bytes | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mpm_email: str | None = None
    mail_from: str = "mentormeet@localhost"


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
    # aiohttp pings this often and drops a client whose pong is half of it late; it rounds
    # timers over 5 s up to a whole second, so 9 s drops a silent client within 15 s.
    heartbeat_seconds: float = 9.0
    # A WebSocket that has not joined (sent a valid ``hello``) by then is closed.
    hello_timeout_seconds: float = 10.0
    # Open WebSockets per client address; behind a proxy every client has its address.
    max_connections_per_address: int = 50
    # Sessions that ended longer ago than this are deleted; None keeps them.
    retention_days: float | None = None
    clock: ClockPolicy = field(default_factory=ClockPolicy)
    # Camera analytics: how the uplink is throttled and how its frames are judged.
    camera: CameraConfig = field(default_factory=CameraConfig)
    # Serve HTTPS with this certificate chain and key (both PEM), or plain HTTP without.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    summary: SummaryPolicy = field(default_factory=SummaryPolicy)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
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
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{host}:{self.port}"


def _long_enough(name: str, value: str) -> str:
    """``value`` if it is long enough to resist guessing, else a :class:`ConfigError`."""
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{name} is too short ({len(value)} characters): it needs at least "
            f"{MIN_SECRET_LENGTH} so that it cannot be guessed. Unset it to have one generated, "
            "or make one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


def _persisted_secret(path: Path) -> str:
    """Read the secret stored at ``path``, creating it (owner-only) on first use."""
    if path.exists():
        path.chmod(FILE_MODE)  # kept from a version that left it to the umask
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    write_private(path, f"{value}\n".encode())
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


def _retention_days(environ: Mapping[str, str]) -> float | None:
    text = environ.get("MENTORMEET_RETENTION_DAYS")
    if not text:
        return None
    try:
        days = float(text)
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or days <= 0:
        raise ConfigError(
            f"MENTORMEET_RETENTION_DAYS must be a number of days over 0, not {text!r}"
        )
    return days


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name)
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def _clock_policy(environ: Mapping[str, str]) -> ClockPolicy:
    default = ClockPolicy()
    grace = _minutes(
        environ, "MENTORMEET_EMPTY_ROOM_GRACE_MINUTES", default.empty_room_grace_seconds / 60
    )
    overrun = _minutes(environ, "MENTORMEET_OVERRUN_LIMIT_MINUTES", default.overrun_limit_minutes)
    return ClockPolicy(empty_room_grace_seconds=grace * 60, overrun_limit_minutes=overrun)


def _camera_overrides(text: str) -> dict[str, Any]:
    """``MENTORMEET_CAMERA``: a JSON object of :class:`CameraConfig` fields."""
    if not text:
        return {}
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"MENTORMEET_CAMERA is not JSON: {error}") from None
    if not isinstance(values, dict):
        raise ConfigError('MENTORMEET_CAMERA must be a JSON object like {"face_roi": false}')
    defaults = CameraConfig()
    known = {f.name for f in dataclasses.fields(CameraConfig)}
    for name, value in values.items():
        if name not in known:
            raise ConfigError(
                f"MENTORMEET_CAMERA has no setting {name!r}; it has {', '.join(sorted(known))}"
            )
        kind = type(getattr(defaults, name))
        if kind is bool:
            valid = isinstance(value, bool)
        else:
            valid = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and (kind is float or isinstance(value, int))
                and math.isfinite(value)
                and value >= 0
            )
        if not valid:
            wanted = "true or false" if kind is bool else f"a non-negative {kind.__name__}"
            raise ConfigError(f"MENTORMEET_CAMERA: {name} must be {wanted}, not {value!r}")
    return values


def _camera_config(environ: Mapping[str, str]) -> CameraConfig:
    """The camera settings: ``MENTORMEET_CAMERA`` over the defaults, then the uplink's
    frame rate and width from their own variables."""
    overrides = _camera_overrides(environ.get("MENTORMEET_CAMERA", ""))
    try:
        default = CameraConfig(**overrides)
    except ValueError as error:
        raise ConfigError(f"MENTORMEET_CAMERA: {error}") from None
    limits = {
        "MENTORMEET_UPLINK_MAX_FPS": (default.max_fps, 0.2, 30.0),
        "MENTORMEET_UPLINK_MAX_WIDTH": (default.max_width, 80, 1920),
    }
    values: dict[str, float] = {}
    for name, (value, low, high) in limits.items():
        text = environ.get(name)
        if text:
            try:
                value = float(text)
            except ValueError:
                raise ConfigError(f"{name} must be a number, not {text!r}") from None
            if not low <= value <= high:
                raise ConfigError(f"{name} must be between {low:g} and {high:g}")
        values[name] = value
    return dataclasses.replace(
        default,
        max_fps=values["MENTORMEET_UPLINK_MAX_FPS"],
        max_width=int(values["MENTORMEET_UPLINK_MAX_WIDTH"]),
    )


def _delivery_settings(environ: Mapping[str, str], data_dir: Path) -> DeliverySettings:
    outbox = environ.get("MENTORMEET_OUTBOX_DIR", str(data_dir / "outbox"))
    webhook_url = environ.get("MENTORMEET_WEBHOOK_URL") or None
    webhook_secret = environ.get("MENTORMEET_WEBHOOK_SECRET") or None
    if webhook_url and not webhook_secret:
        raise ConfigError("MENTORMEET_WEBHOOK_URL needs MENTORMEET_WEBHOOK_SECRET to sign with")
    smtp_host = environ.get("MENTORMEET_SMTP_HOST") or None
    mpm_email = environ.get("MENTORMEET_MPM_EMAIL") or None
    if smtp_host and not mpm_email:
        raise ConfigError("MENTORMEET_SMTP_HOST needs MENTORMEET_MPM_EMAIL to send to")
    port_text = environ.get("MENTORMEET_SMTP_PORT", "587")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"MENTORMEET_SMTP_PORT must be a port number, not {port_text!r}")
    return DeliverySettings(
        outbox_dir=Path(outbox) if outbox else None,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret.encode() if webhook_secret else None,
        smtp_host=smtp_host,
        smtp_port=int(port_text),
        smtp_username=environ.get("MENTORMEET_SMTP_USERNAME") or None,
        smtp_password=environ.get("MENTORMEET_SMTP_PASSWORD") or None,
        smtp_starttls=environ.get("MENTORMEET_SMTP_STARTTLS", "true").lower()
        in {"1", "true", "yes"},
        mpm_email=mpm_email,
        mail_from=environ.get("MENTORMEET_MAIL_FROM") or DeliverySettings.mail_from,
    )


def load_config(
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    data_dir: Path = Path("data"),
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Config:
    """Build the config, generating and storing the admin token and signing secret if unset."""
    if (tls_cert is None) != (tls_key is None):
        raise ConfigError("HTTPS needs both --cert and --key")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise ConfigError(f"no such file: {path}")
    private_dir(data_dir)
    admin_token = environ.get("MENTORMEET_ADMIN_TOKEN", "")
    admin_token_file = None
    if not admin_token:
        admin_token_file = data_dir / "admin_token"
        admin_token = _persisted_secret(admin_token_file)
    secret = environ.get("MENTORMEET_SECRET", "") or _persisted_secret(data_dir / "secret")
    _long_enough("MENTORMEET_ADMIN_TOKEN", admin_token)
    _long_enough("MENTORMEET_SECRET", secret)
    return Config(
        host=host,
        port=port,
        data_dir=data_dir,
        tls_cert=tls_cert,
        tls_key=tls_key,
        admin_token=admin_token,
        secret=secret.encode(),
        public_url=environ.get("MENTORMEET_PUBLIC_URL") or None,
        ice_servers=_parse_ice_servers(environ.get("MENTORMEET_ICE_SERVERS", "[]")),
        clock=_clock_policy(environ),
        delivery=_delivery_settings(environ, data_dir),
        camera=_camera_config(environ),
        admin_token_file=admin_token_file,
        retention_days=_retention_days(environ),
        max_connections_per_address=_positive_int(
            environ, "MENTORMEET_MAX_CONNECTIONS_PER_ADDRESS", Config.max_connections_per_address
        ),
    )
