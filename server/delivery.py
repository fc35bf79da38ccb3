"""Summary delivery to the MPM: a file outbox, a signed webhook and email.

Each configured channel gets the summary once the session ends and every later version of
it (a rating or a concern after the end makes one), at least once; webhook and email also
pass each concern raised during the meeting on at once. A failure is recorded as an event
(so the dashboard shows it and a restart resumes it) and retried with exponential backoff,
up to ``MAX_ATTEMPTS`` failures in a row (about a day). A failure that retrying cannot
mend (:class:`PermanentDeliveryError`) and the last of those attempts are recorded as
final: the channel stops until the MPM retries it from the dashboard.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, runtime_checkable

import aiohttp
import aiosmtplib

from analytics.events import (
    ConcernDelivered,
    ConcernDeliveryFailed,
    ConcernRaised,
    DeliveryRetried,
    Event,
    MeetingRated,
    SessionEnded,
    SummaryDelivered,
    SummaryDeliveryFailed,
)
from analytics.outgoing import ConcernAlert, SummaryDue, alert_json, next_parcel
from analytics.report import (
    render_concern_alert,
    render_html_document,
    render_markdown,
    to_json,
)
from analytics.session import SessionState
from analytics.summary import Summary, SummaryPolicy, summarise
from server.clock import Clock, sleep
from server.cluster import Cluster
from server.config import DeliverySettings
from server.private import private_dir, write_private
from server.sessions import SessionBook

__all__ = [
    "AlertChannel",
    "Attachment",
    "Channel",
    "EmailChannel",
    "OutboxChannel",
    "PermanentDeliveryError",
    "SummaryCourier",
    "WebhookChannel",
    "channels_from",
    "legacy_signature",
    "retry_delay",
    "signature",
    "signing_key",
    "smtp_sender",
]

log = logging.getLogger(__name__)

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
MAX_RETRY_DELAY = 3600.0
# 2 s, 4 s … 2048 s, then hourly: the 30th failure in a row comes about 21 hours after the first.
MAX_ATTEMPTS = 30
# Webhook answers that may well change on their own: a timeout, "too early", "too many".
_TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})
# Characters a header must not carry: a line break in one would end it.
_HEADER_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class PermanentDeliveryError(Exception):
    """A delivery that fails the same way however often it is tried."""


def header_value(text: str) -> str:
    """``text`` on one line, fit for an email header: control characters become spaces."""
    return _HEADER_BREAKERS.sub(" ", text).strip()


def summary_json_bytes(summary: Summary) -> bytes:
    """The JSON body every channel sends: stable key order, UTF-8."""
    return json.dumps(to_json(summary), ensure_ascii=False, sort_keys=True).encode()


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


def retry_delay(attempt: int, *, first: float = 2.0) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (doubling, capped at an hour)."""
    # The exponent is capped: past it the hour applies anyway, and 2 ** 1024 is no float.
    return min(MAX_RETRY_DELAY, first * 2.0 ** min(attempt - 1, 64))


class Channel(Protocol):
    """A way to get a summary to the MPM; ``deliver`` raises when it did not arrive."""

    @property
    def name(self) -> str: ...

    async def deliver(self, summary: Summary) -> None: ...


@runtime_checkable
class AlertChannel(Channel, Protocol):
    """A channel that can also pass a concern on to the MPM at once, during the meeting."""

    async def alert(self, alert: ConcernAlert) -> None: ...


def summary_subject(summary: Summary) -> str:
    """The email subject: the pair, and whether this is an update of a summary sent before."""
    pair = f"{summary.mentor} & {summary.mentoree}"
    if summary.version > 1:
        return f"Session summary updated (version {summary.version}): {pair}"
    return f"Session summary: {pair}"


@dataclass(frozen=True)
class OutboxChannel:
    """Writes ``<session>.html``, ``.md`` and ``.json``; a new version replaces them whole."""

    directory: Path
    name: str = "outbox"

    async def deliver(self, summary: Summary) -> None:
        files = {
            "html": render_html_document(summary).encode(),
            "md": render_markdown(summary).encode(),
            "json": summary_json_bytes(summary),
        }
        await asyncio.to_thread(self._write, summary.session_id, files)

    def _write(self, session_id: str, files: dict[str, bytes]) -> None:
        private_dir(self.directory)
        for suffix, content in files.items():
            target = self.directory / f"{session_id}.{suffix}"
            partial = target.with_suffix(f".{suffix}.partial")
            write_private(partial, content)
            os.replace(partial, target)  # readers never see half a file


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
        key = f"summary:{summary.session_id}:v{summary.version}"
        await self._post("summary", key, summary_json_bytes(summary))

    async def alert(self, alert: ConcernAlert) -> None:
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


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """A file to attach to an email, with its MIME type and any type parameters."""

    content: bytes
    filename: str
    maintype: str
    subtype: str
    params: dict[str, str]


@dataclass(frozen=True)
class EmailChannel:
    """Sends the summary as HTML with a Markdown plain-text alternative; concerns as text."""

    hostname: str
    port: int
    sender: str
    recipient: str
    username: str | None = None
    password: str | None = None
    start_tls: bool = False
    name: str = "email"

    async def deliver(self, summary: Summary) -> None:
        await self._send(
            summary_subject(summary),
            render_markdown(summary),
            html=render_html_document(summary),
        )

    async def alert(self, alert: ConcernAlert) -> None:
        subject = f"Concern raised by {alert.name}: {alert.mentor} & {alert.mentoree}"
        await self._send(subject, render_concern_alert(alert))

    async def send_message(self, subject: str, text: str, attachment: Attachment) -> None:
        """A plain-text email with one attached file."""
        await self._send(subject, text, attachment=attachment)

    def _message(
        self, subject: str, text: str, html: str | None, attachment: Attachment | None
    ) -> EmailMessage:
        message = EmailMessage()
        try:
            message["From"] = header_value(self.sender)
            message["To"] = header_value(self.recipient)
            message["Subject"] = header_value(subject)
            message.set_content(text)
            if html is not None:
                message.add_alternative(html, subtype="html")
            if attachment is not None:
                message.add_attachment(
                    attachment.content,
                    maintype=attachment.maintype,
                    subtype=attachment.subtype,
                    filename=attachment.filename,
                    params=attachment.params,
                )
        except (ValueError, TypeError) as error:
            raise PermanentDeliveryError(f"the message cannot be built: {error}") from error
        return message

    async def _send(
        self,
        subject: str,
        text: str,
        *,
        html: str | None = None,
        attachment: Attachment | None = None,
    ) -> None:
        message = self._message(subject, text, html, attachment)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.start_tls,
                timeout=30,
            )
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:  # a permanent negative reply (RFC 5321, 4.2.1)
                raise PermanentDeliveryError(f"the mail server refused: {error}") from error
            raise
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(refused.code >= 500 for refused in error.recipients):
                raise PermanentDeliveryError(f"the mail server refused: {error}") from error
            raise


def smtp_sender(settings: DeliverySettings, recipient: str) -> EmailChannel | None:
    """An email channel to ``recipient`` through the configured SMTP server, if there is one."""
    if not settings.smtp_host:
        return None
    return EmailChannel(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        recipient=recipient,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
    )


# Events after which a session may owe the MPM something new.
_WORK_EVENTS = (SessionEnded, ConcernRaised, MeetingRated, DeliveryRetried)


class SummaryCourier:
    """Delivers every summary version and live concern through every channel, retrying.

    Among instances sharing a database, one at a time delivers a session's parcels: the
    one holding its claim (see :mod:`server.cluster`), which it keeps while it lives. The
    others try again on every cluster tick while they see something owed
    (:meth:`reconcile`), and so take over from an instance that died.
    """

    def __init__(
        self,
        book: SessionBook,
        channels: list[Channel],
        policy: SummaryPolicy,
        clock: Clock,
        cluster: Cluster,
        *,
        first_retry_seconds: float = 2.0,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._book = book
        self._clock = clock
        self._channels = channels
        self._policy = policy
        self._first_retry = first_retry_seconds
        self._max_attempts = max_attempts
        self._cluster = cluster
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    @property
    def channel_names(self) -> list[str]:
        """The configured channels, in order."""
        return [channel.name for channel in self._channels]

    @property
    def alert_channel_names(self) -> list[str]:
        """The channels that pass concerns on during the meeting."""
        return [c.name for c in self._channels if isinstance(c, AlertChannel)]

    async def resume(self) -> None:
        """Pick up deliveries that a previous process did not finish."""
        self.reconcile(await self._book.all())

    def reconcile(self, states: list[SessionState]) -> None:
        """Start delivering whatever these sessions owe that nothing here delivers yet."""
        for state in states:
            self._start(state)

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Dispatcher subscriber: an end, a concern or a rating may leave something to deliver."""
        if isinstance(event, _WORK_EVENTS):
            self._start(state)

    def _start(self, state: SessionState) -> None:
        for channel in self._channels:
            key = (state.session_id, channel.name)
            if key in self._tasks or self._next(state, channel) is None:
                continue
            task = asyncio.create_task(self._work(state.session_id, channel, key))
            self._tasks[key] = task
            task.add_done_callback(functools.partial(self._forget, key))

    def _forget(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    @staticmethod
    def _next(state: SessionState, channel: Channel) -> ConcernAlert | SummaryDue | None:
        return next_parcel(state, channel.name, carries_alerts=isinstance(channel, AlertChannel))

    async def _work(self, session_id: str, channel: Channel, key: tuple[str, str]) -> None:
        if not await self._cluster.claim(f"delivery {session_id}"):
            self._tasks.pop(key, None)  # a live instance delivers it
            return
        while True:
            # Everything recorded anywhere: what another instance delivered is not owed.
            state = await self._book.latest(session_id)
            parcel = self._next(state, channel)
            if parcel is None:
                # No await since the state was read: a fact recorded from here on starts
                # a new worker instead of finding this one about to stop.
                self._tasks.pop(key, None)
                return
            previous = state.deliveries.get(channel.name)
            attempt = (previous.attempts if previous else 0) + 1
            try:
                await self._send(channel, state, parcel)
            except Exception as error:  # recorded, and retried unless it is final
                final = isinstance(error, PermanentDeliveryError) or attempt >= self._max_attempts
                log.warning(
                    "delivering %s by %s failed%s: %s",
                    session_id,
                    channel.name,
                    " for good" if final else "",
                    error,
                )
                reason = (str(error) or type(error).__name__)[:300]
                await self._record(
                    session_id,
                    functools.partial(_failure, parcel, channel.name, attempt, reason, final=final),
                )
                if not final:
                    await sleep(self._clock, retry_delay(attempt, first=self._first_retry))
                continue  # a final failure leaves nothing owed, unless a retry came in since
            await self._record(session_id, functools.partial(_success, parcel, channel.name))

    async def _send(
        self, channel: Channel, state: SessionState, parcel: ConcernAlert | SummaryDue
    ) -> None:
        if isinstance(parcel, ConcernAlert):
            assert isinstance(channel, AlertChannel)  # next_parcel only alerts such channels
            await channel.alert(parcel)
        else:
            await channel.deliver(summarise(state, self._policy))

    async def _record(self, session_id: str, outcome: Callable[..., Event]) -> None:
        await self._book.execute(session_id, lambda _, at: outcome(at=at))

    def forget(self, session_id: str) -> None:
        """The session is deleted: stop delivering its summary."""
        for (task_session, _), task in list(self._tasks.items()):
            if task_session == session_id:
                task.cancel()

    async def settled(self) -> None:
        """Wait until every delivery under way has gone through or given up."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        """Stop retrying; what is not delivered yet resumes on the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _success(parcel: ConcernAlert | SummaryDue, channel: str, at: float) -> Event:
    if isinstance(parcel, ConcernAlert):
        return ConcernDelivered(at=at, actor="system", channel=channel, number=parcel.number)
    return SummaryDelivered(at=at, actor="system", channel=channel, version=parcel.version)


def _failure(
    parcel: ConcernAlert | SummaryDue,
    channel: str,
    attempt: int,
    error: str,
    *,
    final: bool,
    at: float,
) -> Event:
    if isinstance(parcel, ConcernAlert):
        return ConcernDeliveryFailed(
            at=at,
            actor="system",
            channel=channel,
            number=parcel.number,
            attempt=attempt,
            error=error,
            final=final,
        )
    return SummaryDeliveryFailed(
        at=at,
        actor="system",
        channel=channel,
        version=parcel.version,
        attempt=attempt,
        error=error,
        final=final,
    )


def channels_from(settings: DeliverySettings, clock: Clock) -> list[Channel]:
    """The channels the settings turn on, in the order they are tried."""
    channels: list[Channel] = []
    if settings.outbox_dir is not None:
        channels.append(OutboxChannel(settings.outbox_dir))
    if settings.webhook_url and settings.webhook_secret:
        channels.append(WebhookChannel(settings.webhook_url, settings.webhook_secret, clock.now))
    if settings.mpm_email and (email := smtp_sender(settings, settings.mpm_email)):
        channels.append(email)
    return channels
