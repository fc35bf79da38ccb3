"""The webhook channel: summaries and concerns POSTed as JSON, signed as Standard Webhooks do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from analytics.outgoing import ConcernAlert, alert_json
from analytics.summary import Summary
from server.channel import PermanentDeliveryError, summary_json_bytes

__all__ = ["WebhookChannel", "legacy_signature", "signature", "signing_key"]

# Standard Webhooks (standardwebhooks.com): the message id, the attempt's Unix time, and
# "v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>", so a receiver can refuse replays.
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
# The signature of the body alone, replayable: sent for one more release, then dropped.
LEGACY_SIGNATURE_HEADER = "X-Mentormeet-Signature"
SECRET_PREFIX = b"whsec_"
# What a webhook body is: "summary" (a summary version) or "concern_raised" (an alert).
EVENT_HEADER = "X-Mentormeet-Event"
# Webhook answers that may well change on their own: a timeout, "too early", "too many".
_TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})


def legacy_signature(secret: bytes, body: bytes) -> str:
    """The deprecated ``X-Mentormeet-Signature``: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signing_key(secret: bytes) -> bytes:
    """The HMAC key of a webhook secret: after ``whsec_``, base64 as Standard Webhooks
    secrets are; any other secret is its own key (its UTF-8 bytes)."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    return secret


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs JSON signed as Standard Webhooks do, with an id per summary version and concern
    (also sent as ``Idempotency-Key``)."""

    url: str
    secret: bytes
    now: Callable[[], float] = field(compare=False)  # the clock that dates each attempt
    timeout_seconds: float = 10.0
    name: str = "webhook"

    async def deliver(self, summary: Summary) -> None:
        """POST a summary version; its id stays the same on every attempt."""
        key = f"summary:{summary.session_id}:v{summary.version}"
        await self._post("summary", key, summary_json_bytes(summary))

    async def alert(self, alert: ConcernAlert) -> None:
        """POST a concern raised during the meeting."""
        body = json.dumps(alert_json(alert), ensure_ascii=False, sort_keys=True).encode()
        await self._post("concern_raised", f"concern:{alert.session_id}:{alert.number}", body)

    async def _post(self, event: str, key: str, body: bytes) -> None:
        # The id stays the same on every attempt, the timestamp is this attempt's.
        timestamp = int(self.now())
        headers = {
            "Content-Type": "application/json",
            ID_HEADER: key,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(signing_key(self.secret), key, timestamp, body),
            LEGACY_SIGNATURE_HEADER: legacy_signature(self.secret, body),
            EVENT_HEADER: event,
            "Idempotency-Key": key,
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.post(self.url, data=body, headers=headers) as response,
        ):
            if response.status < 300:
                return
            error = f"webhook answered {response.status} {response.reason}"
            if 400 <= response.status < 500 and response.status not in _TRANSIENT_CLIENT_ERRORS:
                raise PermanentDeliveryError(error)
            raise RuntimeError(error)
