"""The webhook channel against a real aiohttp receiver that checks requests with the
README's verifier."""

import base64
import hashlib
import hmac
import time

import pytest
from aiohttp import web

from server.channel import PermanentDeliveryError
from server.webhooks import WebhookChannel, signature, signing_key
from tests.events import concern_alert, meeting, summary_of
from tests.utils import WEBHOOK_SECRET, receiving, verify_webhook


async def test_the_readme_verifier_takes_a_delivery_and_refuses_it_old_altered_or_resigned(
    aiohttp_server,
):
    app, webhook = receiving(WEBHOOK_SECRET)
    server = await aiohttp_server(app, host="127.0.0.1")
    channel = WebhookChannel(str(server.make_url("/hooks/summary")), WEBHOOK_SECRET, time.time)

    await channel.deliver(summary_of(meeting()))

    (received,) = webhook.received
    assert received.signature_valid
    headers, body, secret = received.headers, received.body, WEBHOOK_SECRET.decode()
    assert headers["webhook-id"] == received.idempotency_key == "summary:s1:v1"
    sent_at = int(headers["webhook-timestamp"])
    assert verify_webhook(secret, headers, body, now=sent_at + 299)
    assert not verify_webhook(secret, headers, body, now=sent_at + 301)  # a replay, later
    assert not verify_webhook(secret, headers, body, now=sent_at - 301)
    assert not verify_webhook(secret, headers, body.replace(b"Ada", b"Eve"), now=sent_at)
    assert not verify_webhook(secret, {**headers, "webhook-id": "summary:s1:v2"}, body)
    assert not verify_webhook(secret, {**headers, "webhook-timestamp": str(sent_at + 1)}, body)
    assert not verify_webhook("another-secret", headers, body, now=sent_at)
    assert not verify_webhook(secret, {}, body)


async def test_a_standard_webhooks_secret_signs_with_its_decoded_key_and_alerts_are_signed(
    aiohttp_server,
):
    key = bytes(range(32))
    secret = b"whsec_" + base64.b64encode(key)
    app, webhook = receiving(secret)
    server = await aiohttp_server(app, host="127.0.0.1")
    channel = WebhookChannel(str(server.make_url("/hooks/summary")), secret, time.time)
    alert = concern_alert()

    await channel.alert(alert)

    (received,) = webhook.received
    assert received.signature_valid
    assert received.headers["webhook-id"] == "concern:s1:1"
    timestamp = received.headers["webhook-timestamp"]
    signed = f"concern:s1:1.{timestamp}.".encode() + received.body
    digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert received.headers["webhook-signature"] == f"v1,{digest}"


async def test_the_old_body_signature_is_still_sent_for_one_release(aiohttp_server):
    app, webhook = receiving(WEBHOOK_SECRET)
    server = await aiohttp_server(app, host="127.0.0.1")
    channel = WebhookChannel(str(server.make_url("/hooks/summary")), WEBHOOK_SECRET, time.time)

    await channel.deliver(summary_of(meeting()))

    (received,) = webhook.received
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET, received.body, hashlib.sha256).hexdigest()
    assert received.headers["X-Mentormeet-Signature"] == expected


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (404, True), (410, True), (408, False), (429, False), (500, False), (503, False)],
)
async def test_a_webhooks_4xx_is_permanent_but_timeouts_throttling_and_5xx_are_not(
    aiohttp_server, status, permanent
):
    async def answer(request):
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", answer)
    server = await aiohttp_server(app, host="127.0.0.1")
    channel = WebhookChannel(str(server.make_url("/hook")), WEBHOOK_SECRET, time.time)

    with pytest.raises(Exception, match=str(status)) as raised:
        await channel.deliver(summary_of(meeting()))

    assert isinstance(raised.value, PermanentDeliveryError) is permanent


def test_a_plain_secret_is_its_own_key_and_a_standard_one_is_its_base64():
    key = bytes(range(32))

    assert signing_key(b"shh") == b"shh"
    assert signing_key(b"whsec_" + base64.b64encode(key)) == key


def test_a_standard_webhooks_secret_that_is_not_base64_is_refused():
    with pytest.raises(ValueError):
        signing_key(b"whsec_not base64!")


def test_the_signature_covers_the_id_the_timestamp_and_the_body():
    signed = signature(b"key", "summary:s1:v1", 1_900_000_000, b"{}")

    assert signed.startswith("v1,")
    assert signed != signature(b"key", "summary:s1:v2", 1_900_000_000, b"{}")
    assert signed != signature(b"key", "summary:s1:v1", 1_900_000_001, b"{}")
    assert signed != signature(b"key", "summary:s1:v1", 1_900_000_000, b"[]")
