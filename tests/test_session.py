from dataclasses import FrozenInstanceError

import pytest

from analytics.events import AgendaDraftItem, InviteFailed, InviteSent, Person, SessionScheduled
from analytics.session import Presence, apply, fold, start
from tests.events import T0, concern, ended, joined, left, meeting, rated, scheduled

SCHEDULED = scheduled(
    mentoree=Person(name="Grace Hopper", email="grace@example.org"),
    allotted_minutes=45,
    agenda=(AgendaDraftItem(text="Career goals", minutes=20),),
)


def test_a_new_session_is_scheduled_with_nobody_present():
    state = fold([SCHEDULED])

    assert state.status == "scheduled"
    assert state.session_id == "s1"
    assert state.person("mentor") == Person(name="Ada Lovelace")
    assert state.person("mentoree") == Person(name="Grace Hopper", email="grace@example.org")
    assert state.allotted_minutes == 45
    assert [(item.id, item.text, item.minutes) for item in state.agenda.items] == [
        (1, "Career goals", 20)
    ]
    assert state.presence == {"mentor": Presence(), "mentoree": Presence()}
    assert state.started_at is None
    assert not state.everyone_present


def test_a_session_goes_live_at_the_first_join_and_ends_at_the_end():
    live = fold([SCHEDULED, joined("mentor", T0)])
    over = fold([SCHEDULED, joined("mentor", T0), ended(T0 + 60)])

    assert live.status == "live"
    assert over.status == "ended"


def test_the_session_starts_when_the_second_participant_arrives_not_the_first():
    alone = fold([SCHEDULED, joined("mentor", T0)])
    together = fold([SCHEDULED, joined("mentor", T0), joined("mentoree", T0 + 30)])

    assert alone.started_at is None
    assert together.started_at == T0 + 30
    assert together.everyone_present


def test_the_session_does_not_start_when_the_two_participants_miss_each_other():
    state = fold(
        [SCHEDULED, joined("mentor", T0), left("mentor", T0 + 10), joined("mentoree", T0 + 20)]
    )

    assert state.started_at is None
    assert state.status == "live"


def test_the_start_time_is_kept_when_someone_drops_and_rejoins():
    state = fold(
        [
            SCHEDULED,
            joined("mentoree", T0),
            joined("mentor", T0 + 5),
            left("mentor", T0 + 100),
            joined("mentor", T0 + 130),
        ]
    )

    assert state.started_at == T0 + 5


def test_leaving_and_rejoining_counts_each_join():
    state = fold(
        [
            SCHEDULED,
            joined("mentor", T0),
            left("mentor", T0 + 10),
            joined("mentor", T0 + 20),
            joined("mentoree", T0 + 25),
        ]
    )

    assert state.presence["mentor"] == Presence(present=True, joins=2, last_joined_at=T0 + 20)
    assert state.presence["mentoree"] == Presence(present=True, joins=1, last_joined_at=T0 + 25)


def test_leaving_marks_a_participant_absent_but_keeps_their_joins():
    state = fold([SCHEDULED, joined("mentoree", T0), left("mentoree", T0 + 10)])

    assert state.presence["mentoree"] == Presence(present=False, joins=1, last_joined_at=T0)
    assert state.status == "live"


def test_the_end_records_when_who_and_why_and_empties_the_room():
    state = fold(
        [SCHEDULED, joined("mentor", T0), joined("mentoree", T0 + 1), ended(T0 + 2700, "mentoree")]
    )

    assert state.ended_at == T0 + 2700
    assert state.ended_by == "mentoree"
    assert state.end_reason == "ended_by_participant"
    assert not any(p.present for p in state.presence.values())


def test_events_after_the_end_change_nothing():
    over = fold([SCHEDULED, joined("mentor", T0), ended(T0 + 60)])

    after = fold(
        [
            SCHEDULED,
            joined("mentor", T0),
            ended(T0 + 60),
            joined("mentoree", T0 + 70),
            left("mentor", T0 + 80),
            ended(T0 + 90, "mentoree"),
        ]
    )

    assert after == over


def test_apply_returns_a_new_state_and_leaves_the_old_one_alone():
    before = start(SCHEDULED)

    after = apply(before, joined("mentor", T0))

    assert before.presence["mentor"] == Presence()
    assert after.presence["mentor"].present
    with pytest.raises(FrozenInstanceError):
        before.started_at = T0  # type: ignore[misc]


def test_a_second_session_scheduled_event_in_the_stream_is_ignored():
    other = SessionScheduled(
        at=T0,
        actor="mpm",
        session_id="s2",
        mentor=Person(name="X"),
        mentoree=Person(name="Y"),
        scheduled_start=T0,
        allotted_minutes=5,
    )

    assert fold([SCHEDULED, other]) == fold([SCHEDULED])


def test_fold_rejects_a_stream_that_does_not_start_with_the_schedule():
    with pytest.raises(ValueError, match="session_scheduled"):
        fold([joined("mentor", T0), SCHEDULED])


def test_fold_rejects_an_empty_stream():
    with pytest.raises(ValueError, match="session_scheduled"):
        fold([])


def test_the_summary_version_is_1_at_the_end_and_one_more_per_fact_after_it():
    events = meeting(concern("mentoree", "during", T0 + 60))
    end = events[-1].at

    at_end = fold(events)
    later = fold([*events, rated("mentor", 4, "", end + 60), concern("mentor", "after", end + 120)])

    assert fold(events[:-1]).summary_version == 0
    assert at_end.summary_version == 1
    assert later.summary_version == 3
    assert [(c.number, c.version) for c in later.concerns] == [(1, 1), (2, 3)]
    assert (later.ratings["mentor"].version, later.ratings["mentor"].shared) == (2, False)


def test_invitations_are_recorded_per_person_the_last_outcome_standing():
    failed = InviteFailed(at=T0 - 50, actor="system", role="mentor", error="connection refused")
    state = fold(
        [
            scheduled(),
            failed,
            InviteSent(at=T0 - 40, actor="system", role="mentor"),
            InviteFailed(at=T0 - 30, actor="system", role="mentoree", error="no such user"),
        ]
    )

    assert state.invites == {"mentor": "sent", "mentoree": "failed: no such user"}
    assert fold([scheduled(), failed]).invites == {"mentor": "failed: connection refused"}
