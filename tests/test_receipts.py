"""What a participant is told about their rating or concern: sent, queued or dashboard."""

import pytest

from analytics.events import ConcernDelivered, SummaryDelivered
from analytics.receipts import receipts_for
from analytics.session import fold
from tests.events import MINUTE, T0, concern, meeting, rated

END = T0 + 45 * MINUTE
BOTH = {"summary_channels": ["outbox", "webhook"], "alert_channels": ["webhook"]}


def delivered(channel, version, at=END + 10 * MINUTE):
    return SummaryDelivered(at=at, actor="system", channel=channel, version=version)


def test_a_rating_is_queued_until_a_channel_delivers_its_version_then_sent():
    events = [*meeting(), delivered("outbox", 1), rated("mentor", 5, "", END + MINUTE)]

    queued = receipts_for(fold(events), "mentor", **BOTH).rating
    sent = receipts_for(fold([*events, delivered("webhook", 2)]), "mentor", **BOTH).rating

    assert (queued.version, queued.status) == (2, "queued")
    assert (sent.version, sent.status) == (2, "sent")


def test_without_any_channel_the_program_manager_sees_it_on_the_dashboard():
    events = [*meeting(), rated("mentor", 5, "", END + MINUTE)]

    receipts = receipts_for(fold(events), "mentor", summary_channels=[], alert_channels=[])

    assert receipts.rating.status == "dashboard"


def test_a_concern_during_the_meeting_is_sent_once_an_alert_channel_confirms_it():
    live = meeting(concern("mentoree", "Too loud here", T0 + MINUTE))[:-1]
    alerted = ConcernDelivered(at=T0 + 2 * MINUTE, actor="system", channel="webhook", number=1)

    (before,) = receipts_for(fold(live), "mentoree", **BOTH).concerns
    (after,) = receipts_for(fold([*live, alerted]), "mentoree", **BOTH).concerns

    assert (before.version, before.status) == (1, "queued")
    assert after.status == "sent"


def test_a_concern_during_the_meeting_with_only_the_outbox_goes_to_the_dashboard_then_out():
    events = meeting(concern("mentoree", "Too loud here", T0 + MINUTE))
    outbox_only = {"summary_channels": ["outbox"], "alert_channels": []}

    (live,) = receipts_for(fold(events[:-1]), "mentoree", **outbox_only).concerns
    (ended,) = receipts_for(fold(events), "mentoree", **outbox_only).concerns
    (sent,) = receipts_for(
        fold([*events, delivered("outbox", 1)]), "mentoree", **outbox_only
    ).concerns

    assert (live.status, ended.status, sent.status) == ("dashboard", "queued", "sent")


@pytest.mark.parametrize(("role", "count"), [("mentor", 0), ("mentoree", 1)])
def test_a_participant_gets_receipts_for_their_own_facts_only(role, count):
    events = [
        *meeting(),
        concern("mentoree", "x", END + MINUTE),
        rated("mentoree", 3, "", END + 2 * MINUTE),
    ]

    receipts = receipts_for(fold(events), role, **BOTH)

    assert len(receipts.concerns) == count
    assert (receipts.rating is None) == (role == "mentor")
