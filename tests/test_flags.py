"""Flags from hand-made participant and agenda summaries: thresholds, wording and order."""

from dataclasses import replace

import pytest

from analytics.agenda_summary import summarise_agenda
from analytics.flags import TIPS, Flag, SummaryPolicy, session_flags
from analytics.participation import ParticipantSummary
from analytics.session import fold
from tests.events import MINUTE, SCHEDULED, T0, concern, ended, joined, left, meeting

POLICY = SummaryPolicy()
HELD = fold(meeting())  # 45 minutes as planned, agenda sent and covered
PRESENT = 2700.0


def person(name="Ada Lovelace", **changes):
    """Someone in the room all meeting with their camera on, a face in view."""
    return replace(
        ParticipantSummary(
            name=name,
            present_seconds=PRESENT,
            camera_on_seconds=PRESENT,
            camera_on_share=1.0,
            face_in_view_seconds=PRESENT,
            face_in_view_share=1.0,
            camera_unknown_seconds=0.0,
            camera_unknown_share=0.0,
            talk_seconds=0.0,
            talk_share=None,
            reconnects=0,
            rating=None,
            rating_comment=None,
            rating_shared=False,
        ),
        **changes,
    )


def flags(state=HELD, policy=POLICY, **participants):
    people = {"mentor": person(), "mentoree": person("Grace Hopper"), **participants}
    return session_flags(state, people, summarise_agenda(state), policy)


def test_a_meeting_held_as_planned_by_two_people_on_camera_raises_no_flag():
    assert flags() == ()


@pytest.mark.parametrize(("on", "unknown", "flagged"), [(0.6, 0.0, False), (0.59, 0.0, True)])
def test_the_camera_is_flagged_below_the_policys_share_and_not_at_it(on, unknown, flagged):
    mentor = person(camera_on_share=on, camera_unknown_share=unknown)

    assert [f.code for f in flags(mentor=mentor)] == (["camera_off"] if flagged else [])


def test_unknown_camera_time_counts_as_on_and_is_named_from_a_minute():
    short = person(camera_on_share=0.3, camera_unknown_share=0.2, camera_unknown_seconds=59.0)
    long = replace(short, camera_unknown_seconds=90.0)
    forgiven = replace(short, camera_unknown_share=0.3)

    (flag,) = flags(mentor=short)
    assert flag == Flag(
        code="camera_off",
        tip=1,
        severity="warning",
        message="Ada Lovelace's camera was on 30% of the time.",
    )
    (flag,) = flags(mentor=long)
    assert flag.message == (
        "Ada Lovelace's camera was on 30% of the time (the server could not see it for 2 minutes)."
    )
    assert flags(mentor=forgiven) == ()


def test_nobody_in_view_is_a_share_of_the_time_the_camera_may_have_been_live():
    # Live 20 minutes, a face in view for 8 of them, and 25 minutes the server could not see.
    mentoree = person(
        "Grace Hopper",
        camera_on_seconds=1200.0,
        face_in_view_seconds=480.0,
        camera_unknown_seconds=1500.0,
        camera_on_share=0.444,
        camera_unknown_share=0.556,
    )

    assert flags(mentoree=mentoree) == ()  # 720 of 2700 s: 27%
    (flag,) = flags(mentoree=mentoree, policy=SummaryPolicy(max_not_in_view_share=0.25))
    assert (
        flag.message == "Nobody was in view of Grace Hopper's camera for 27% of the time it was on."
    )


def test_talk_balance_is_judged_only_after_enough_talk():
    talker = person(talk_seconds=50.0, talk_share=0.9)
    listener = person("Grace Hopper", talk_seconds=5.0, talk_share=0.1)

    assert flags(mentor=talker, mentoree=listener) == ()
    enough = flags(mentor=replace(talker, talk_seconds=55.0), mentoree=listener)
    assert [(f.code, f.message) for f in enough] == [
        ("unbalanced_talk", "Ada Lovelace did 90% of the talking.")
    ]


def test_reconnections_of_both_add_up_to_an_interruption():
    one_each = flags(mentor=person(reconnects=1), mentoree=person("Grace Hopper", reconnects=1))

    assert [f.code for f in one_each] == ["interrupted"]
    assert flags(mentor=person(reconnects=1)) == ()


def test_flags_come_in_the_order_of_the_tips_and_every_tip_is_known():
    state = fold(
        meeting(
            left("mentoree", T0 + 10 * MINUTE),
            joined("mentoree", T0 + 11 * MINUTE),
            concern("mentoree", "He keeps checking his phone", T0 + 12 * MINUTE),
            agenda=(),
            minutes=20,
        )
    )

    raised = flags(state, mentor=person(camera_on_share=0.1, reconnects=2))

    assert [(f.tip, f.code) for f in raised] == [
        (1, "camera_off"),
        (2, "no_agenda"),
        (3, "interrupted"),
        (4, "concern_raised"),
        (5, "ended_early"),
    ]
    assert raised[-1].message == "Ended 25 minutes early."
    assert {f.tip for f in raised} <= set(TIPS)


def test_a_meeting_that_did_not_take_place_has_no_camera_or_coverage_flag():
    state = fold([SCHEDULED, ended(T0 + 45 * MINUTE)])
    absent = person(present_seconds=0.0, camera_on_share=0.0)

    raised = flags(state, mentor=absent, mentoree=replace(absent, name="Grace Hopper"))

    assert [f.code for f in raised] == ["no_agenda", "no_show"]
    assert (
        raised[-1].message
        == "Ada Lovelace and Grace Hopper never came: the meeting did not take place."
    )
