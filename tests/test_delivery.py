"""The summary courier with real components: an aiohttp webhook receiver, an aiosmtpd
server, files on disk and a SQLite event store."""

import asyncio
import email
import email.policy
import json
import time
from dataclasses import replace

import pytest

from analytics.events import (
    ConcernDelivered,
    ConcernDeliveryFailed,
    DeliveryRetried,
    SummaryDelivered,
    SummaryDeliveryFailed,
)
from analytics.report import to_json
from analytics.summary import SummaryPolicy
from server.clock import SystemClock
from server.cluster import SoleInstance
from server.delivery import SummaryCourier, retry_delay
from server.dispatcher import Dispatcher
from server.mail import EmailChannel
from server.outbox import OutboxChannel
from server.sessions import SessionBook
from server.store import decode_event
from server.webhooks import WebhookChannel
from tests.events import DAY, SCHEDULED, T0, concern, meeting, rated, summary_of
from tests.utils import WEBHOOK_SECRET, Recorded, delivered, receiving, recording


@pytest.fixture
def book(store):
    return SessionBook(store, SystemClock(), Dispatcher())


@pytest.fixture
def recorded(book):
    recorded = Recorded()
    book.dispatcher.subscribe(recorded.on_recorded)
    return recorded


@pytest.fixture
async def courier_for():
    """Make couriers that listen to a book and retry fast; they are closed afterwards."""
    couriers = []

    def make(book, channels, **options):
        courier = SummaryCourier(
            book,
            channels,
            SummaryPolicy(),
            SystemClock(),
            SoleInstance(),
            first_retry_seconds=0.05,
            **options,
        )
        book.dispatcher.subscribe(courier.on_recorded)
        couriers.append(courier)
        return courier

    yield make
    for courier in couriers:
        await courier.close()


async def record(book, events):
    """Schedule the session the events open with and record the rest, in order."""
    first, *rest = events
    await book.schedule(first)
    for event in rest:
        await book.execute(first.session_id, recording(event))


def deliveries(events):
    return [e for e in events if isinstance(e, SummaryDelivered | SummaryDeliveryFailed)]


@pytest.fixture
async def receiver(aiohttp_server):
    """A webhook receiver on 127.0.0.1 that answers 500 once, then 200; and its URL."""
    app, receiver = receiving(WEBHOOK_SECRET, failures=1)
    server = await aiohttp_server(app, host="127.0.0.1")
    return receiver, str(server.make_url("/hooks/summary"))


async def test_the_webhook_is_signed_and_retried_after_a_500_until_it_is_delivered(
    book, store, recorded, courier_for, receiver
):
    webhook, url = receiver
    courier_for(book, [WebhookChannel(url, WEBHOOK_SECRET, time.time)])
    events = meeting(minutes=30)

    await record(book, events)
    await recorded.wait_for(delivered(channel="webhook"))

    failed, succeeded = deliveries(await store.events("s1"))
    assert isinstance(failed, SummaryDeliveryFailed)
    assert (failed.channel, failed.attempt) == ("webhook", 1)
    assert "500" in failed.error
    assert isinstance(succeeded, SummaryDelivered)
    assert succeeded.channel == "webhook"
    assert len(webhook.received) == 2
    assert all(r.signature_valid for r in webhook.received)
    assert {r.idempotency_key for r in webhook.received} == {"summary:s1:v1"}
    assert {r.content_type for r in webhook.received} == {"application/json"}
    first, second = webhook.received
    assert first.body == second.body
    assert json.loads(first.body) == to_json(summary_of(events))
    state = await book.get("s1")
    assert (state.deliveries["webhook"].attempts, state.deliveries["webhook"].last_error) == (
        0,
        None,
    )
    assert state.deliveries["webhook"].delivered_at == succeeded.at


def final_failure(event):
    return isinstance(event, SummaryDeliveryFailed | ConcernDeliveryFailed) and event.final


async def test_a_webhook_refused_with_a_401_fails_for_good_at_once_until_the_mpm_retries(
    book, store, recorded, courier_for, receiver
):
    webhook, url = receiver
    courier = courier_for(book, [WebhookChannel(url, b"not-the-shared-secret", time.time)])

    await record(book, meeting())
    failure = await recorded.wait_for(final_failure)
    await asyncio.wait_for(courier.settled(), 5)

    assert [r.signature_valid for r in webhook.received] == [False]
    assert (failure.attempt, failure.version) == (1, 1)
    assert "401" in failure.error
    state = await book.get("s1")
    assert state.deliveries["webhook"].failed
    assert state.deliveries["webhook"].last_error == failure.error

    await book.execute(
        "s1", recording(DeliveryRetried(at=T0 + DAY, actor="mpm", channel="webhook"))
    )
    await recorded.wait_for(lambda e: final_failure(e) and e is not failure)
    await asyncio.wait_for(courier.settled(), 5)

    assert len(webhook.received) == 2
    assert not any(isinstance(e, SummaryDelivered) for e in await store.events("s1"))
    assert (await book.get("s1")).deliveries["webhook"].attempts == 1  # counted afresh


async def test_a_channel_gives_up_after_the_most_attempts_in_a_row_and_a_retry_delivers(
    book, store, recorded, courier_for
):
    channel = FlakyChannel("flaky", failures=3)
    courier = courier_for(book, [channel], max_attempts=3)

    await record(book, meeting())
    await recorded.wait_for(final_failure)
    await asyncio.wait_for(courier.settled(), 5)

    assert channel.calls == 3
    assert [(e.attempt, e.final) for e in deliveries(await store.events("s1"))] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    await book.execute("s1", recording(rated("mentor", 5, "", T0 + DAY)))
    await asyncio.wait_for(courier.settled(), 5)
    assert channel.calls == 3  # a new version does not wake a channel that gave up

    await book.execute("s1", recording(DeliveryRetried(at=T0 + DAY, actor="mpm", channel="flaky")))
    await recorded.wait_for(delivered_version("flaky", 2))

    assert channel.calls == 4
    state = await book.get("s1")
    assert (state.deliveries["flaky"].failed, state.deliveries["flaky"].attempts) == (False, 0)


async def test_the_courier_delivers_by_email_when_a_session_ends(
    book, recorded, courier_for, smtp_server
):
    controller, mailbox = smtp_server
    channel = EmailChannel(
        hostname="127.0.0.1",
        port=controller.port,
        sender="mentormeet@example.org",
        recipient="mpm@example.org",
    )
    courier_for(book, [channel])

    await record(book, meeting())
    await recorded.wait_for(delivered(channel="email"))

    (envelope,) = mailbox.envelopes
    assert b"Session summary: Ada Lovelace & Grace Hopper" in envelope.original_content


async def test_the_courier_writes_the_outbox_when_a_session_ends(
    book, recorded, courier_for, tmp_path
):
    outbox = tmp_path / "outbox"
    courier_for(book, [OutboxChannel(outbox)])

    await record(book, meeting())
    await recorded.wait_for(delivered(channel="outbox"))

    assert sorted(path.name for path in outbox.iterdir()) == ["s1.html", "s1.json", "s1.md"]


class FlakyChannel:
    """A channel that fails its first ``failures`` deliveries and lists what it got."""

    def __init__(self, name, failures=0):
        self.name = name
        self.failures = failures
        self.delivered = []
        self.calls = 0

    async def deliver(self, summary):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"{self.name} is down")
        self.delivered.append(summary.session_id)


def session(session_id):
    return replace(SCHEDULED, session_id=session_id)


async def test_after_a_restart_resume_delivers_a_summary_whose_delivery_had_failed(
    store, courier_for, tmp_path
):
    before_restart = SessionBook(store, SystemClock(), Dispatcher())
    failure = SummaryDeliveryFailed(
        at=T0 + 3600, actor="system", channel="outbox", attempt=1, error="disk full"
    )
    await record(before_restart, [*meeting(), failure])
    book = SessionBook(store, SystemClock(), Dispatcher())
    recorded = Recorded()
    book.dispatcher.subscribe(recorded.on_recorded)
    outbox = tmp_path / "outbox"
    courier = courier_for(book, [OutboxChannel(outbox)])

    await courier.resume()
    await recorded.wait_for(delivered(channel="outbox"))

    assert sorted(path.name for path in outbox.iterdir()) == ["s1.html", "s1.json", "s1.md"]
    assert [type(e) for e in deliveries(await store.events("s1"))] == [
        SummaryDeliveryFailed,
        SummaryDelivered,
    ]
    assert (await book.get("s1")).deliveries["outbox"].delivered_at is not None


async def test_resume_leaves_delivered_and_unfinished_sessions_alone_and_counts_on(
    store, courier_for
):
    before_restart = SessionBook(store, SystemClock(), Dispatcher())
    await record(
        before_restart,
        [
            *meeting(scheduled=session("failed")),
            SummaryDeliveryFailed(
                at=T0 + 3600, actor="system", channel="flaky", attempt=3, error="x"
            ),
        ],
    )
    await record(
        before_restart,
        [
            *meeting(scheduled=session("done")),
            SummaryDelivered(at=T0 + 3600, actor="system", channel="flaky"),
        ],
    )
    await record(before_restart, meeting(scheduled=session("live"))[:-1])
    book = SessionBook(store, SystemClock(), Dispatcher())
    recorded = Recorded()
    book.dispatcher.subscribe(recorded.on_recorded)
    channel = FlakyChannel("flaky", failures=1)
    courier = courier_for(book, [channel])

    await courier.resume()
    await recorded.wait_for(delivered(channel="flaky"))

    assert channel.delivered == ["failed"]
    assert [
        (type(e), getattr(e, "attempt", None)) for e in deliveries(await store.events("failed"))
    ] == [
        (SummaryDeliveryFailed, 3),
        (SummaryDeliveryFailed, 4),
        (SummaryDelivered, None),
    ]


async def test_a_channel_that_keeps_failing_does_not_hold_up_the_others(
    book, store, recorded, courier_for
):
    down = FlakyChannel("down", failures=10**6)
    up = FlakyChannel("up")
    courier_for(book, [down, up])

    await record(book, meeting())
    await recorded.wait_for(delivered(channel="up"))
    await recorded.wait_for(lambda e: isinstance(e, SummaryDeliveryFailed) and e.attempt == 3)

    assert up.delivered == ["s1"]
    state = await book.get("s1")
    assert state.deliveries["down"].delivered_at is None
    assert state.deliveries["down"].last_error == "down is down"
    assert state.deliveries["down"].attempts >= 3


@pytest.fixture
async def steady_receiver(aiohttp_server):
    """A webhook receiver that takes everything at once; and its URL."""
    app, receiver = receiving(WEBHOOK_SECRET)
    server = await aiohttp_server(app, host="127.0.0.1")
    return receiver, str(server.make_url("/hooks/summary"))


def every_channel(url, controller, outbox):
    return [
        OutboxChannel(outbox),
        WebhookChannel(url, WEBHOOK_SECRET, time.time),
        EmailChannel(
            hostname="127.0.0.1",
            port=controller.port,
            sender="mentormeet@example.org",
            recipient="mpm@example.org",
        ),
    ]


def delivered_version(channel, version):
    return lambda e: (
        isinstance(e, SummaryDelivered)
        and (e.channel, e.version)
        == (
            channel,
            version,
        )
    )


async def test_a_rating_after_the_end_is_delivered_again_as_version_2_by_every_channel(
    book, recorded, courier_for, steady_receiver, smtp_server, tmp_path
):
    webhook, url = steady_receiver
    controller, mailbox = smtp_server
    outbox = tmp_path / "outbox"
    courier_for(book, every_channel(url, controller, outbox))
    events = meeting(minutes=30)
    await record(book, events)
    for channel in ("outbox", "webhook", "email"):
        await recorded.wait_for(delivered_version(channel, 1))

    await book.execute("s1", recording(rated("mentoree", 4, "Useful", events[-1].at + 60)))
    for channel in ("outbox", "webhook", "email"):
        await recorded.wait_for(delivered_version(channel, 2))

    assert [r.idempotency_key for r in webhook.received] == ["summary:s1:v1", "summary:s1:v2"]
    first, second = (json.loads(r.body) for r in webhook.received)
    assert (first["version"], second["version"]) == (1, 2)
    assert first["participants"]["mentoree"]["rating"] is None
    assert second["participants"]["mentoree"]["rating"] == 4
    subjects = [
        email.message_from_bytes(e.original_content, policy=email.policy.default)["Subject"]
        for e in mailbox.envelopes
    ]
    assert subjects == [
        "Session summary: Ada Lovelace & Grace Hopper",
        "Session summary updated (version 2): Ada Lovelace & Grace Hopper",
    ]
    in_outbox = json.loads((outbox / "s1.json").read_text())
    assert in_outbox["version"] == 2
    assert in_outbox["participants"]["mentoree"]["rating_comment"] == "Useful"
    assert sorted(path.name for path in outbox.iterdir()) == ["s1.html", "s1.json", "s1.md"]
    state = await book.get("s1")
    assert {name: d.delivered_version for name, d in state.deliveries.items()} == {
        "outbox": 2,
        "webhook": 2,
        "email": 2,
    }


async def test_a_concern_during_the_meeting_reaches_the_program_manager_at_once(
    book, recorded, courier_for, steady_receiver, smtp_server, tmp_path
):
    webhook, url = steady_receiver
    controller, mailbox = smtp_server
    courier_for(book, every_channel(url, controller, tmp_path / "outbox"))
    events = meeting(minutes=30)
    await record(book, events[:-1])  # still under way
    await book.execute(
        "s1", recording(concern("mentoree", "He keeps checking his phone", T0 + 600))
    )

    for channel in ("webhook", "email"):
        await recorded.wait_for(
            lambda e, channel=channel: (
                isinstance(e, ConcernDelivered) and (e.channel, e.number) == (channel, 1)
            )
        )

    (received,) = webhook.received
    assert received.signature_valid
    assert received.idempotency_key == "concern:s1:1"
    assert json.loads(received.body) == {
        "event": "concern_raised",
        "session_id": "s1",
        "number": 1,
        "mentor": "Ada Lovelace",
        "mentoree": "Grace Hopper",
        "concern": {
            "role": "mentoree",
            "name": "Grace Hopper",
            "text": "He keeps checking his phone",
            "at": "2030-05-01T14:10:00Z",
        },
    }
    (envelope,) = mailbox.envelopes
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "Concern raised by Grace Hopper: Ada Lovelace & Grace Hopper"
    assert "He keeps checking his phone" in message.get_content()
    # The outbox has nothing to say until the summary.
    assert not (tmp_path / "outbox").exists()


def test_deliveries_and_ratings_logged_before_versions_existed_still_decode():
    old_delivery = decode_event("summary_delivered", "system", T0, '{"channel": "outbox"}')
    old_failure = decode_event(
        "summary_delivery_failed", "system", T0, '{"channel": "outbox", "attempt": 1, "error": "x"}'
    )
    old_rating = decode_event("meeting_rated", "mentor", T0, '{"role": "mentor", "score": 3}')
    assert (old_delivery.version, old_failure.version, old_failure.final) == (1, 1, False)
    assert old_rating.shared is False


def test_the_retry_delay_doubles_from_the_first_and_is_capped_at_an_hour():
    assert [retry_delay(n, first=2.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert retry_delay(11, first=2.0) == 2048.0
    assert retry_delay(12, first=2.0) == 3600.0
    assert retry_delay(3, first=0.05) == pytest.approx(0.2)


def test_the_retry_delay_stays_an_hour_after_weeks_of_failures():
    assert retry_delay(1025) == 3600.0
    assert retry_delay(100_000) == 3600.0
