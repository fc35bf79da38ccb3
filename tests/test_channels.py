"""Which delivery channels the settings turn on."""

import time

from server.channels import channels_from
from server.clock import SystemClock
from server.config import DeliverySettings, load_config
from server.mail import EmailChannel
from server.outbox import OutboxChannel
from server.webhooks import WebhookChannel


def test_channels_from_settings_with_everything_on(tmp_path):
    settings = DeliverySettings(
        outbox_dir=tmp_path,
        webhook_url="https://mpm.example.org/hook",
        webhook_secret=b"shh",
        smtp_host="smtp.example.org",
        smtp_port=2525,
        smtp_username="mentormeet",
        smtp_password="pw",
        smtp_starttls=False,
        mpm_email="mpm@example.org",
        mail_from="meet@example.org",
    )

    assert channels_from(settings, SystemClock()) == [
        OutboxChannel(tmp_path),
        WebhookChannel("https://mpm.example.org/hook", b"shh", time.time),
        EmailChannel(
            hostname="smtp.example.org",
            port=2525,
            sender="meet@example.org",
            recipient="mpm@example.org",
            username="mentormeet",
            password="pw",
            start_tls=False,
        ),
    ]


def test_no_settings_no_channels():
    assert channels_from(DeliverySettings(), SystemClock()) == []


def test_a_webhook_needs_a_secret_and_email_needs_the_mpms_address():
    settings = DeliverySettings(webhook_url="https://mpm.example.org/hook", smtp_host="smtp")

    assert channels_from(settings, SystemClock()) == []


def test_the_outbox_in_the_data_dir_is_the_default_channel(tmp_path):
    config = load_config(
        data_dir=tmp_path,
        environ={"MENTORMEET_ADMIN_TOKEN": "t" * 32, "MENTORMEET_SECRET": "s" * 32},
    )

    assert channels_from(config.delivery, SystemClock()) == [OutboxChannel(tmp_path / "outbox")]


def test_channels_come_from_the_environment(tmp_path):
    config = load_config(
        data_dir=tmp_path,
        environ={
            "MENTORMEET_ADMIN_TOKEN": "t" * 32,
            "MENTORMEET_SECRET": "s" * 32,
            "MENTORMEET_OUTBOX_DIR": "",
            "MENTORMEET_WEBHOOK_URL": "https://mpm.example.org/hook",
            "MENTORMEET_WEBHOOK_SECRET": "shh",
            "MENTORMEET_SMTP_HOST": "smtp.example.org",
            "MENTORMEET_SMTP_PORT": "2525",
            "MENTORMEET_SMTP_STARTTLS": "false",
            "MENTORMEET_MPM_EMAIL": "mpm@example.org",
            "MENTORMEET_MAIL_FROM": "meet@example.org",
        },
    )

    webhook, mail = channels_from(config.delivery, SystemClock())
    assert webhook == WebhookChannel("https://mpm.example.org/hook", b"shh", time.time)
    assert (mail.name, mail.hostname, mail.port, mail.start_tls) == (
        "email",
        "smtp.example.org",
        2525,
        False,
    )
    assert (mail.sender, mail.recipient) == ("meet@example.org", "mpm@example.org")
