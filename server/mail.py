"""The email channel: summaries as HTML with a plain-text part, concerns as text, over SMTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from analytics.outgoing import ConcernAlert
from analytics.report import render_concern_alert, render_html_document, render_markdown
from analytics.summary import Summary
from server.channel import PermanentDeliveryError
from server.config import DeliverySettings

__all__ = ["Attachment", "EmailChannel", "header_value", "smtp_sender", "summary_subject"]

# Characters a header must not carry: a line break in one would end it.
_HEADER_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_value(text: str) -> str:
    """``text`` on one line, fit for an email header: control characters become spaces."""
    return _HEADER_BREAKERS.sub(" ", text).strip()


def summary_subject(summary: Summary) -> str:
    """The email subject: the pair, and whether this is an update of a summary sent before."""
    pair = f"{summary.mentor} & {summary.mentoree}"
    if summary.version > 1:
        return f"Session summary updated (version {summary.version}): {pair}"
    return f"Session summary: {pair}"


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
        """Email a summary version."""
        await self._send(
            summary_subject(summary),
            render_markdown(summary),
            html=render_html_document(summary),
        )

    async def alert(self, alert: ConcernAlert) -> None:
        """Email a concern raised during the meeting."""
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
