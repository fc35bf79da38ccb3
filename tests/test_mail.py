"""The email channel against a real SMTP server (aiosmtpd)."""

import email
import email.policy
from dataclasses import replace

import aiosmtplib
import pytest
from aiohttp.test_utils import unused_port
from aiosmtpd.controller import Controller

from analytics.events import Person
from analytics.report import render_markdown
from server.channel import PermanentDeliveryError
from server.mail import EmailChannel
from tests.events import SCHEDULED, meeting, summary_of
from tests.utils import Mailbox


async def test_the_email_names_the_pair_and_has_a_plain_text_and_an_html_part(smtp_server):
    controller, mailbox = smtp_server
    scheduled = replace(SCHEDULED, mentoree=Person(name="Zoë Müller"))
    summary = summary_of(meeting(scheduled=scheduled, minutes=30))
    channel = EmailChannel(
        hostname="127.0.0.1",
        port=controller.port,
        sender="mentormeet@example.org",
        recipient="mpm@example.org",
        start_tls=False,
    )

    await channel.deliver(summary)

    (envelope,) = mailbox.envelopes
    assert envelope.mail_from == "mentormeet@example.org"
    assert envelope.rcpt_tos == ["mpm@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Session summary: Ada Lovelace & Zoë Müller"
    assert (message["From"], message["To"]) == ("mentormeet@example.org", "mpm@example.org")
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    # SMTP carries lines ending in CRLF.
    plain = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert plain.strip() == render_markdown(summary).strip()
    assert plain.startswith("# Ada Lovelace & Zoë Müller")
    assert "Ended 15 minutes early." in plain
    assert 'data-testid="summary"' in html
    assert "Ada Lovelace &amp; Zoë Müller" in html


async def test_a_name_with_line_breaks_from_an_old_log_cannot_break_the_subject(smtp_server):
    controller, mailbox = smtp_server
    scheduled = replace(SCHEDULED, mentor=Person(name="Ada\r\nBcc: all@example.org\x00"))
    channel = EmailChannel(
        hostname="127.0.0.1",
        port=controller.port,
        sender="mentormeet@example.org",
        recipient="mpm@example.org",
    )

    await channel.deliver(summary_of(meeting(scheduled=scheduled)))

    (envelope,) = mailbox.envelopes
    assert envelope.rcpt_tos == ["mpm@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Session summary: Ada Bcc: all@example.org  & Grace Hopper"
    assert message["Bcc"] is None


class RefusingMailbox(Mailbox):
    """A mail server that answers every message with ``reply``."""

    def __init__(self, reply):
        super().__init__()
        self.reply = reply

    async def handle_DATA(self, server, session, envelope):
        return self.reply


@pytest.mark.parametrize(
    ("reply", "permanent"), [("550 no such mailbox", True), ("451 try again later", False)]
)
async def test_a_mail_servers_5xx_is_permanent_and_its_4xx_is_not(reply, permanent):
    controller = Controller(RefusingMailbox(reply), hostname="127.0.0.1", port=unused_port())
    controller.start()
    channel = EmailChannel(
        hostname="127.0.0.1",
        port=controller.port,
        sender="mentormeet@example.org",
        recipient="mpm@example.org",
    )
    try:
        with pytest.raises(Exception, match=reply[:3]) as raised:
            await channel.deliver(summary_of(meeting()))
    finally:
        controller.stop()

    assert isinstance(raised.value, PermanentDeliveryError) is permanent


async def test_an_email_that_cannot_be_sent_raises_so_the_courier_retries_it():
    channel = EmailChannel(
        hostname="127.0.0.1", port=unused_port(), sender="a@example.org", recipient="b@example.org"
    )

    with pytest.raises(aiosmtplib.SMTPException):
        await channel.deliver(summary_of(meeting()))
