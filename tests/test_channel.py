"""What every channel shares: the JSON body, and telling channels that carry alerts."""

import json
import time
from dataclasses import replace
from pathlib import Path

from analytics.events import Person
from analytics.report import to_json
from server.channel import AlertChannel, summary_json_bytes
from server.mail import EmailChannel
from server.outbox import OutboxChannel
from server.webhooks import WebhookChannel
from tests.events import SCHEDULED, meeting, summary_of


def test_the_summary_body_is_its_json_in_utf_8_with_sorted_keys():
    summary = summary_of(meeting(scheduled=replace(SCHEDULED, mentoree=Person(name="Zoë"))))

    body = summary_json_bytes(summary)

    assert json.loads(body) == to_json(summary)
    assert "Zoë".encode() in body
    assert list(json.loads(body)) == sorted(to_json(summary))


def test_webhook_and_email_carry_alerts_and_the_outbox_does_not():
    webhook = WebhookChannel("https://mpm.example.org/hook", b"shh", time.time)
    mail = EmailChannel(hostname="smtp", port=25, sender="a@example.org", recipient="b@example.org")

    assert isinstance(webhook, AlertChannel)
    assert isinstance(mail, AlertChannel)
    assert not isinstance(OutboxChannel(Path("outbox")), AlertChannel)
