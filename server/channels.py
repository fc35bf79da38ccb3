"""The delivery channels the settings turn on."""

from __future__ import annotations

from server.channel import Channel
from server.clock import Clock
from server.config import DeliverySettings
from server.mail import smtp_sender
from server.outbox import OutboxChannel
from server.webhooks import WebhookChannel

__all__ = ["channels_from"]


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
