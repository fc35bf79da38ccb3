"""What a session still owes the MPM through a channel, one parcel at a time."""

from analytics.events import ConcernDelivered, SummaryDelivered
from analytics.outgoing import ConcernAlert, SummaryDue, alert_json, next_parcel
from analytics.session import fold
from tests.events import MINUTE, T0, concern, meeting, rated

END = T0 + 45 * MINUTE


def test_during_the_meeting_an_alert_channel_owes_each_concern_in_turn():
    live = meeting(
        concern("mentoree", "first", T0 + MINUTE), concern("mentor", "second", T0 + 2 * MINUTE)
    )[:-1]
    done = ConcernDelivered(at=T0 + 3 * MINUTE, actor="system", channel="webhook", number=1)

    first = next_parcel(fold(live), "webhook", carries_alerts=True)
    second = next_parcel(fold([*live, done]), "webhook", carries_alerts=True)

    assert isinstance(first, ConcernAlert) and (first.number, first.text) == (1, "first")
    assert isinstance(second, ConcernAlert) and (second.number, second.name) == (2, "Ada Lovelace")
    assert next_parcel(fold(live), "outbox", carries_alerts=False) is None


def test_after_the_end_the_newest_summary_version_is_owed_until_delivered():
    events = [*meeting(concern("mentoree", "undelivered", T0 + MINUTE))]
    v1 = SummaryDelivered(at=END + 1, actor="system", channel="webhook", version=1)
    rating = rated("mentor", 4, "", END + MINUTE)

    assert next_parcel(fold(events), "webhook", carries_alerts=True) == SummaryDue(version=1)
    assert next_parcel(fold([*events, v1]), "webhook", carries_alerts=True) is None
    assert next_parcel(fold([*events, v1, rating]), "webhook", carries_alerts=True) == SummaryDue(
        version=2
    )


def test_an_alert_names_its_session_concern_number_and_time_in_utc():
    live = meeting(concern("mentoree", "Too loud", T0 + 10 * MINUTE))[:-1]

    alert = next_parcel(fold(live), "webhook", carries_alerts=True)

    assert alert_json(alert) == {
        "event": "concern_raised",
        "session_id": "s1",
        "number": 1,
        "mentor": "Ada Lovelace",
        "mentoree": "Grace Hopper",
        "concern": {
            "role": "mentoree",
            "name": "Grace Hopper",
            "text": "Too loud",
            "at": "2030-05-01T14:10:00Z",
        },
    }
