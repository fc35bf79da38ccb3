"""Summary delivery to the MPM: a file outbox, a signed webhook and email.

Each configured channel gets the summary once the session ends and every later version of
it (a rating or a concern after the end makes one), at least once; webhook and email also
pass each concern raised during the meeting on at once. A failure is recorded as an event
(so the dashboard shows it and a restart resumes it) and retried with exponential backoff
until it goes through.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, runtime_checkable

import aiohttp
import aiosmtplib

from analytics.events import (
    ConcernDelivered,
    ConcernDeliveryFailed,
    ConcernRaised,
    Event,
    MeetingRated,
    SessionEnded,
    SummaryDelivered,
    SummaryDeliveryFailed,
)
from analytics.outgoing import ConcernAlert, SummaryDue, alert_json, next_parcel
from analytics.report import iso, render_html_document, render_markdown, to_json
from analytics.session import SessionState
from analytics.summary import Summary, SummaryPolicy, summarise
from server.config import DeliverySettings
from server.sessions import SessionBook

__all__ = [
    "AlertChannel",
    "Attachment",
    "Channel",
    "EmailChannel",
    "OutboxChannel",
    "SummaryCourier",
    "WebhookChannel",
    "channels_from",
    "retry_delay",
    "signature",
    "smtp_sender",
]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Mentormeet-Signature"
# What a webhook body is: "summary" (a summary version) or "concern_raised" (an alert).
EVENT_HEADER = "X-Mentormeet-Event"
MAX_RETRY_DELAY = 3600.0


def summary_json_bytes(summary: Summary) -> bytes:
    """The JSON body every channel sends: stable key order, UTF-8."""
    return json.dumps(to_json(summary), ensure_ascii=False, sort_keys=True).encode()


def signature(secret: bytes, body: bytes) -> str:
    """The webhook signature header value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def retry_delay(attempt: int, *, first: float = 2.0) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (doubling, capped at an hour)."""
    # The exponent is capped: past it the hour applies anyway, and 2 ** 1024 is no float.
    return min(MAX_RETRY_DELAY, first * 2.0 ** min(attempt - 1, 64))


class Channel(Protocol):
    """A way to get a summary to the MPM; ``deliver`` raises when it did not arrive."""

    name: str

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
        self.directory.mkdir(parents=True, exist_ok=True)
        for suffix, content in files.items():
            target = self.directory / f"{session_id}.{suffix}"
            partial = target.with_suffix(f".{suffix}.partial")
            partial.write_bytes(content)
            os.replace(partial, target)  # readers never see half a file


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs JSON, signed, with an idempotency key per summary version and per concern."""

    url: str
    secret: bytes
    timeout_seconds: float = 10.0
    name: str = "webhook"

    async def deliver(self, summary: Summary) -> None:
        key = f"summary:{summary.session_id}:v{summary.version}"
        await self._post("summary", key, summary_json_bytes(summary))

    async def alert(self, alert: ConcernAlert) -> None:
        body = json.dumps(alert_json(alert), ensure_ascii=False, sort_keys=True).encode()
        await self._post("concern_raised", f"concern:{alert.session_id}:{alert.number}", body)

    async def _post(self, event: str, key: str, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self.secret, body),
            EVENT_HEADER: event,
            "Idempotency-Key": key,
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.post(self.url, data=body, headers=headers) as response,
        ):
            if response.status >= 300:
                raise RuntimeError(f"webhook answered {response.status} {response.reason}")


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
        message = self._message(summary_subject(summary))
        message.set_content(render_markdown(summary))
        message.add_alternative(render_html_document(summary), subtype="html")
        await self._send(message)

    async def alert(self, alert: ConcernAlert) -> None:
        message = self._message(
            f"Concern raised by {alert.name}: {alert.mentor} & {alert.mentoree}"
        )
        message.set_content(
            f"{alert.name} ({alert.role}) raised a concern during the session "
            f"{alert.session_id} at {iso(alert.at)}:\n\n{alert.text}\n"
        )
        await self._send(message)

    async def send_message(self, subject: str, text: str, attachment: Attachment) -> None:
        """A plain-text email with one attached file."""
        message = self._message(subject)
        message.set_content(text)
        message.add_attachment(
            attachment.content,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
            params=attachment.params,
        )
        await self._send(message)

    def _message(self, subject: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.recipient
        message["Subject"] = subject
        return message

    async def _send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.start_tls,
            timeout=30,
        )


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
_WORK_EVENTS = (SessionEnded, ConcernRaised, MeetingRated)


class SummaryCourier:
    """Delivers every summary version and live concern through every channel, retrying."""

    def __init__(
        self,
        book: SessionBook,
        channels: list[Channel],
        policy: SummaryPolicy,
        *,
        first_retry_seconds: float = 2.0,
    ) -> None:
        self._book = book
        self._channels = channels
        self._policy = policy
        self._first_retry = first_retry_seconds
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
        for state in await self._book.all():
            self._start(state)

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Book listener: an end, a concern or a rating may leave something to deliver."""
        if isinstance(event, _WORK_EVENTS):
            self._start(state)

    def _start(self, state: SessionState) -> None:
        for channel in self._channels:
            key = (state.session_id, channel.name)
            if key in self._tasks or self._next(state, channel) is None:
                continue
            task = asyncio.create_task(self._work(state.session_id, channel, key))
            self._tasks[key] = task
            task.add_done_callback(lambda done, key=key: self._forget(key, done))

    def _forget(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    @staticmethod
    def _next(state: SessionState, channel: Channel) -> ConcernAlert | SummaryDue | None:
        return next_parcel(state, channel.name, carries_alerts=isinstance(channel, AlertChannel))

    async def _work(self, session_id: str, channel: Channel, key: tuple[str, str]) -> None:
        while True:
            state = await self._book.get(session_id)
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
            except Exception as error:  # any failure is retried; none may lose the summary
                log.warning("delivering %s by %s failed: %s", session_id, channel.name, error)
                reason = (str(error) or type(error).__name__)[:300]
                await self._record(session_id, _failure(parcel, channel.name, attempt, reason))
                await asyncio.sleep(retry_delay(attempt, first=self._first_retry))
                continue
            await self._record(session_id, _success(parcel, channel.name))

    async def _send(
        self, channel: Channel, state: SessionState, parcel: ConcernAlert | SummaryDue
    ) -> None:
        if isinstance(parcel, ConcernAlert):
            assert isinstance(channel, AlertChannel)  # next_parcel only alerts such channels
            await channel.alert(parcel)
        else:
            await channel.deliver(summarise(state, self._policy))

    async def _record(self, session_id: str, event: Event) -> None:
        async with self._book.lock(session_id):
            await self._book.record(session_id, event)

    async def close(self) -> None:
        """Stop retrying; what is not delivered yet resumes on the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _success(parcel: ConcernAlert | SummaryDue, channel: str) -> Event:
    if isinstance(parcel, ConcernAlert):
        return ConcernDelivered(
            at=time.time(), actor="system", channel=channel, number=parcel.number
        )
    return SummaryDelivered(at=time.time(), actor="system", channel=channel, version=parcel.version)


def _failure(parcel: ConcernAlert | SummaryDue, channel: str, attempt: int, error: str) -> Event:
    if isinstance(parcel, ConcernAlert):
        return ConcernDeliveryFailed(
            at=time.time(),
            actor="system",
            channel=channel,
            number=parcel.number,
            attempt=attempt,
            error=error,
        )
    return SummaryDeliveryFailed(
        at=time.time(),
        actor="system",
        channel=channel,
        version=parcel.version,
        attempt=attempt,
        error=error,
    )


def channels_from(settings: DeliverySettings) -> list[Channel]:
    """The channels the settings turn on, in the order they are tried."""
    channels: list[Channel] = []
    if settings.outbox_dir is not None:
        channels.append(OutboxChannel(settings.outbox_dir))
    if settings.webhook_url and settings.webhook_secret:
        channels.append(WebhookChannel(settings.webhook_url, settings.webhook_secret))
    if settings.mpm_email and (email := smtp_sender(settings, settings.mpm_email)):
        channels.append(email)
    return channels
