"""Summaries from hand-made event sequences: exact numbers and flags."""

from dataclasses import replace

import pytest

from analytics.events import (
    AgendaDraftItem,
    AgendaItemAdded,
    NoteAdded,
    SpeakingChanged,
    SummaryDelivered,
    SummaryDeliveryFailed,
    WarningSent,
)
from analytics.session import fold
from analytics.summary import ConcernSummary, Flag, SummaryPolicy, summarise
from server.store import decode_event, encode_event
from tests.events import (
    AGENDA,
    DAY,
    MINUTE,
    SCHEDULED,
    T0,
    agenda_set,
    camera,
    checked,
    concern,
    ended,
    joined,
    left,
    meeting,
    rated,
    summary_of,
    talking,
)

POLICY = SummaryPolicy()


def codes(summary):
    return [flag.code for flag in summary.flags]


def test_a_meeting_that_follows_all_five_tips_has_no_flags():
    summary = summary_of(meeting())

    assert summary.flags == ()
    assert summary.session_id == "s1"
    assert (summary.mentor, summary.mentoree) == ("Ada Lovelace", "Grace Hopper")
    assert (summary.scheduled_start, summary.started_at, summary.ended_at) == (
        T0,
        T0,
        T0 + 45 * MINUTE,
    )
    assert summary.duration_seconds == 2700.0
    assert summary.allotted_minutes == 45
    assert summary.ended_early is False
    assert summary.overrun_seconds == 0.0
    assert (summary.ended_by, summary.end_reason) == ("mentor", "ended_by_participant")
    assert summary.pauses == 0
    for p in summary.participants.values():
        assert (p.present_seconds, p.camera_on_seconds, p.camera_on_share) == (2700.0, 2700.0, 1.0)
        assert (p.talk_seconds, p.talk_share, p.reconnects) == (0.0, None, 0)
        assert (p.rating, p.rating_comment) == (None, None)
    assert (summary.agenda.covered, summary.agenda.total) == (3, 3)


def test_a_meeting_ended_after_30_of_45_minutes_ended_15_minutes_early():
    summary = summary_of(meeting(minutes=30))

    assert summary.duration_seconds == 1800.0
    assert summary.ended_early is True
    assert summary.minutes_left_at_end == 15.0
    assert summary.overrun_seconds == 0.0
    assert summary.flags == (
        Flag(code="ended_early", tip=5, severity="warning", message="Ended 15 minutes early."),
    )


def test_ending_within_the_last_minute_is_not_early():
    summary = summary_of(meeting(minutes=44.5))

    assert summary.ended_early is False
    assert summary.minutes_left_at_end == 0.5
    assert summary.flags == ()


def test_a_meeting_that_ran_15_minutes_over_is_flagged_as_an_overrun():
    summary = summary_of(meeting(minutes=60))

    assert summary.duration_seconds == 3600.0
    assert summary.overrun_seconds == 900.0
    assert summary.ended_early is False
    assert summary.minutes_left_at_end == 0.0
    assert summary.flags == (
        Flag(
            code="overrun",
            tip=5,
            severity="info",
            message="Ran 15 minutes over the allotted time.",
        ),
    )


def test_five_minutes_over_is_counted_but_not_flagged():
    summary = summary_of(meeting(minutes=50))

    assert summary.overrun_seconds == 300.0
    assert summary.flags == ()


def test_a_camera_switched_off_halfway_was_on_half_the_time():
    summary = summary_of(meeting(camera("mentor", "off", T0 + 22.5 * MINUTE)))

    mentor, mentoree = summary.participants["mentor"], summary.participants["mentoree"]
    assert (mentor.camera_on_seconds, mentor.camera_on_share) == (1350.0, 0.5)
    assert (mentoree.camera_on_seconds, mentoree.camera_on_share) == (2700.0, 1.0)
    assert summary.flags == (
        Flag(
            code="camera_off",
            tip=1,
            severity="warning",
            message="Ada Lovelace's camera was on 50% of the time.",
        ),
    )


def test_a_live_picture_with_nobody_in_it_is_camera_on_but_not_face_in_view():
    summary = summary_of(
        meeting(
            camera("mentoree", "no_face", T0 + 9 * MINUTE),
            camera("mentoree", "on", T0 + 18 * MINUTE),
        )
    )

    mentoree = summary.participants["mentoree"]
    assert (mentoree.camera_on_seconds, mentoree.camera_on_share) == (2700.0, 1.0)
    assert (mentoree.face_in_view_seconds, mentoree.face_in_view_share) == (2160.0, 0.8)
    assert (mentoree.camera_unknown_seconds, mentoree.camera_unknown_share) == (0.0, 0.0)
    assert summary.flags == ()


def test_nobody_in_view_for_most_of_the_live_time_is_not_in_view_and_not_camera_off():
    summary = summary_of(
        meeting(
            camera("mentoree", "no_face", T0 + 5 * MINUTE),
            camera("mentoree", "off", T0 + 35 * MINUTE),
        )
    )

    mentoree = summary.participants["mentoree"]
    assert (mentoree.camera_on_share, mentoree.face_in_view_share) == (0.778, 0.111)
    # Nobody in view for 30 of the 35 live minutes; the camera was on 78 % of the time.
    assert summary.flags == (
        Flag(
            code="not_in_view",
            tip=1,
            severity="info",
            message="Nobody was in view of Grace Hopper's camera for 86% of the time it was on.",
        ),
    )


def test_the_not_in_view_threshold_comes_from_the_policy():
    events = meeting(camera("mentor", "no_face", T0 + 30 * MINUTE))  # 15 of 45 minutes

    assert summary_of(events).flags == ()
    lenient = summary_of(events, SummaryPolicy(max_not_in_view_share=0.3))
    assert codes(lenient) == ["not_in_view"]


def test_a_short_meeting_with_the_camera_on_throughout_reads_on_nearly_all_the_time():
    # The first frame with a face came half a second after joining; hysteresis settled
    # "on" three seconds later, counted from that frame.
    summary = summary_of(
        [
            SCHEDULED,
            agenda_set(T0 - DAY, *AGENDA),
            joined("mentor", T0),
            joined("mentoree", T0),
            camera("mentor", "on", T0 + 3.5, since=T0 + 0.5),
            camera("mentoree", "on", T0 + 3.5, since=T0 + 0.5),
            ended(T0 + 20),
        ]
    )

    for p in summary.participants.values():
        assert (p.present_seconds, p.camera_on_seconds, p.face_in_view_seconds) == (20, 19.5, 19.5)
        assert (p.camera_on_share, p.face_in_view_share, p.camera_unknown_share) == (
            0.975,
            0.975,
            0.025,
        )
    assert "camera_off" not in codes(summary)


def test_time_the_server_could_not_see_a_camera_is_unknown_and_raises_no_camera_flag():
    # The mentoree's uplink never connected: no picture all meeting.
    summary = summary_of(meeting(camera("mentoree", "unknown", T0)))

    mentoree = summary.participants["mentoree"]
    assert (mentoree.camera_on_share, mentoree.face_in_view_share) == (0.0, 0.0)
    assert (mentoree.camera_unknown_seconds, mentoree.camera_unknown_share) == (2700.0, 1.0)
    assert summary.flags == ()


def test_a_camera_flag_never_rests_on_unknown_time():
    # No picture for 35 minutes, and the browser said the camera was off for the other 10.
    # Had the unknown time been a face in view, the camera was on 78 % of the time.
    summary = summary_of(
        meeting(camera("mentoree", "unknown", T0), camera("mentoree", "off", T0 + 35 * MINUTE))
    )
    assert summary.participants["mentoree"].camera_unknown_share == 0.778
    assert summary.flags == ()
    # Off for 25 minutes is flagged even so, and the flag says what the server missed.
    summary = summary_of(
        meeting(camera("mentoree", "unknown", T0), camera("mentoree", "off", T0 + 20 * MINUTE))
    )
    assert summary.flags == (
        Flag(
            code="camera_off",
            tip=1,
            severity="warning",
            message="Grace Hopper's camera was on 0% of the time "
            "(the server could not see it for 20 minutes).",
        ),
    )
    # Nobody in view for 10 of 45 minutes, and 30 unknown: not "not in view".
    summary = summary_of(
        meeting(
            camera("mentoree", "unknown", T0 + 5 * MINUTE),
            camera("mentoree", "no_face", T0 + 35 * MINUTE),
        )
    )
    assert summary.participants["mentoree"].face_in_view_share == 0.111
    assert summary.flags == ()


def test_the_camera_threshold_comes_from_the_policy():
    events = meeting(camera("mentoree", "off", T0 + 36 * MINUTE))
    strict = SummaryPolicy(min_camera_on_share=0.9)

    assert summary_of(events).flags == ()
    assert codes(summary_of(events, strict)) == ["camera_off"]
    assert summary_of(events, strict).flags[0].message == (
        "Grace Hopper's camera was on 80% of the time."
    )


def test_one_of_three_agenda_items_covered_is_flagged_with_time_per_item():
    summary = summary_of(meeting(checked(1, T0 + 10 * MINUTE), covered=0))

    agenda = summary.agenda
    assert (agenda.covered, agenda.total) == (1, 3)
    assert [(i.id, i.text, i.done, i.seconds) for i in agenda.items] == [
        (1, "Career goals", True, 600.0),
        (2, "Code review habits", False, 2100.0),
        (3, "Conference talk", False, 0.0),
    ]
    assert summary.flags == (
        Flag(
            code="agenda_not_covered",
            tip=2,
            severity="info",
            message="1 of 3 agenda items were covered.",
        ),
    )


def test_two_of_three_agenda_items_are_enough_coverage():
    summary = summary_of(meeting(covered=2))

    assert (summary.agenda.covered, summary.agenda.total) == (2, 3)
    assert summary.flags == ()


def test_a_meeting_without_an_agenda_is_flagged_no_agenda():
    summary = summary_of(meeting(agenda=()))

    assert summary.agenda.sent_at is None
    assert summary.agenda.sent_before_start is False
    assert (summary.agenda.items, summary.agenda.covered, summary.agenda.total) == ((), 0, 0)
    assert summary.flags == (
        Flag(
            code="no_agenda",
            tip=2,
            severity="warning",
            message="No agenda was sent before the meeting.",
        ),
    )


def test_a_draft_agenda_from_the_program_manager_is_not_an_agenda_sent_by_the_mentoree():
    scheduled = replace(SCHEDULED, agenda=tuple(AgendaDraftItem(text=t) for t in AGENDA))

    summary = summary_of(meeting(scheduled=scheduled, agenda=(), covered=0))

    assert summary.agenda.sent_before_start is False
    assert summary.agenda.total == 3
    assert codes(summary) == ["no_agenda", "agenda_not_covered"]


def test_an_agenda_sent_by_the_mentoree_before_the_start_is_not_flagged():
    summary = summary_of(meeting())

    assert summary.agenda.sent_at == T0 - DAY
    assert summary.agenda.sent_before_start is True
    assert [item.text for item in summary.agenda.items] == list(AGENDA)
    assert "no_agenda" not in codes(summary)


def test_notes_and_items_added_during_the_meeting_are_in_the_agenda():
    summary = summary_of(
        meeting(
            NoteAdded(at=T0 + 2 * MINUTE, actor="mentor", item_id=2, note="pair on a PR"),
            AgendaItemAdded(at=T0 + 20 * MINUTE, actor="mentoree", text="Next steps"),
        )
    )

    added = summary.agenda.items[-1]
    assert summary.agenda.items[1].note == "pair on a PR"
    assert (added.id, added.text, added.done, added.added_during_session) == (
        4,
        "Next steps",
        False,
        True,
    )
    assert (summary.agenda.covered, summary.agenda.total) == (3, 4)


def test_a_meeting_that_started_ten_minutes_late_is_flagged_late_start():
    summary = summary_of(meeting(start=T0 + 10 * MINUTE))

    assert summary.started_at == T0 + 10 * MINUTE
    assert summary.duration_seconds == 2700.0
    assert summary.flags == (
        Flag(code="late_start", tip=5, severity="info", message="Started 10 minutes late."),
    )


def test_the_clock_starts_when_the_second_participant_arrives():
    start = T0 + 8 * MINUTE
    # The mentor comes on time and waits alone for 8 minutes.
    events = [
        joined("mentor", T0) if e == joined("mentor", start) else e for e in meeting(start=start)
    ]

    summary = summary_of(events)

    assert summary.started_at == T0 + 8 * MINUTE
    assert codes(summary) == ["late_start"]
    assert summary.participants["mentor"].present_seconds == 2700.0


def test_starting_five_minutes_late_is_within_the_threshold():
    assert summary_of(meeting(start=T0 + 5 * MINUTE)).flags == ()


def test_talk_split_90_10_is_flagged_as_unbalanced_for_the_one_who_talked():
    summary = summary_of(
        meeting(*talking("mentor", T0, T0 + 900), *talking("mentoree", T0 + 900, T0 + 1000))
    )

    mentor, mentoree = summary.participants["mentor"], summary.participants["mentoree"]
    assert (mentor.talk_seconds, mentor.talk_share) == (900.0, 0.9)
    assert (mentoree.talk_seconds, mentoree.talk_share) == (100.0, 0.1)
    assert summary.flags == (
        Flag(
            code="unbalanced_talk",
            tip=4,
            severity="info",
            message="Ada Lovelace did 90% of the talking.",
        ),
    )


def test_talk_split_60_40_is_balanced_enough():
    summary = summary_of(
        meeting(*talking("mentoree", T0, T0 + 600), *talking("mentor", T0 + 600, T0 + 1000))
    )

    assert summary.participants["mentoree"].talk_share == 0.6
    assert summary.flags == ()


def test_too_little_talk_to_judge_balance_is_not_flagged():
    summary = summary_of(meeting(*talking("mentor", T0, T0 + 50)))

    assert summary.participants["mentor"].talk_share == 1.0
    assert summary.flags == ()


def test_a_stretch_of_talk_still_open_at_the_end_counts_up_to_the_end():
    summary = summary_of(
        meeting(SpeakingChanged(at=T0 + 40 * MINUTE, actor="mentor", role="mentor", speaking=True))
    )

    assert summary.participants["mentor"].talk_seconds == 300.0


def test_two_reconnections_are_flagged_as_an_interrupted_call():
    summary = summary_of(
        meeting(
            left("mentoree", T0 + 600),
            joined("mentoree", T0 + 660),
            camera("mentoree", "on", T0 + 660),
            left("mentoree", T0 + 1200),
            joined("mentoree", T0 + 1230),
            camera("mentoree", "on", T0 + 1230),
        )
    )

    mentor, mentoree = summary.participants["mentor"], summary.participants["mentoree"]
    assert (mentoree.reconnects, mentor.reconnects) == (2, 0)
    assert summary.pauses == 2
    assert summary.duration_seconds == 2700.0
    assert summary.flags == (
        Flag(
            code="interrupted",
            tip=3,
            severity="info",
            message="The call was interrupted: 2 reconnections.",
        ),
    )


def test_present_seconds_leave_out_a_drop_out_and_camera_share_is_of_time_present():
    summary = summary_of(
        meeting(
            left("mentor", T0 + 10 * MINUTE),
            joined("mentor", T0 + 15 * MINUTE),
            camera("mentor", "on", T0 + 15 * MINUTE),
        )
    )

    mentor, mentoree = summary.participants["mentor"], summary.participants["mentoree"]
    assert (mentor.present_seconds, mentor.camera_on_seconds, mentor.camera_on_share) == (
        2400.0,
        2400.0,
        1.0,
    )
    assert (mentor.reconnects, summary.pauses) == (1, 1)
    assert mentoree.present_seconds == 2700.0
    assert summary.flags == ()


def test_a_camera_is_unknown_after_a_drop_out_until_it_is_seen_again():
    summary = summary_of(
        meeting(left("mentor", T0 + 10 * MINUTE), joined("mentor", T0 + 15 * MINUTE))
    )

    mentor = summary.participants["mentor"]
    assert (mentor.present_seconds, mentor.camera_on_seconds, mentor.camera_on_share) == (
        2400.0,
        600.0,
        0.25,
    )
    assert (mentor.camera_unknown_seconds, mentor.camera_unknown_share) == (1800.0, 0.75)
    assert summary.flags == ()


def test_a_concern_raised_during_the_meeting_is_in_the_summary_and_an_alert():
    summary = summary_of(meeting(concern("mentoree", "The mentor keeps cancelling", T0 + 600)))

    assert summary.concerns == (
        ConcernSummary(
            role="mentoree", name="Grace Hopper", text="The mentor keeps cancelling", at=T0 + 600
        ),
    )
    assert summary.flags == (
        Flag(
            code="concern_raised",
            tip=4,
            severity="alert",
            message="1 concern raised with the program manager.",
        ),
    )


def test_concerns_raised_after_the_end_count_too():
    events = [
        *meeting(concern("mentor", "Seemed tired", T0 + 600)),
        concern("mentoree", "Audio kept cutting out", T0 + 50 * MINUTE),
    ]

    summary = summary_of(events)

    assert [(c.name, c.text) for c in summary.concerns] == [
        ("Ada Lovelace", "Seemed tired"),
        ("Grace Hopper", "Audio kept cutting out"),
    ]
    assert summary.flags[-1].message == "2 concerns raised with the program manager."


def test_a_session_nobody_came_to_is_a_no_show():
    latest_end = T0 + 75 * MINUTE
    summary = summary_of([SCHEDULED, ended(latest_end, actor="system", reason="nobody_came")])

    assert summary.started_at is None
    assert summary.ended_at == latest_end
    assert (summary.ended_by, summary.end_reason) == ("system", "nobody_came")
    assert summary.duration_seconds == 0.0
    assert summary.ended_early is False
    assert summary.overrun_seconds == 0.0
    assert all(p.present_seconds == 0.0 for p in summary.participants.values())
    assert summary.flags == (
        Flag(
            code="no_agenda",
            tip=2,
            severity="warning",
            message="No agenda was sent before the meeting.",
        ),
        Flag(
            code="no_show",
            tip=5,
            severity="alert",
            message="Ada Lovelace and Grace Hopper never came: the meeting did not take place.",
        ),
    )


def test_only_the_mentor_coming_is_a_no_show_of_the_mentoree():
    summary = summary_of(
        [
            SCHEDULED,
            agenda_set(T0 - DAY, *AGENDA),
            joined("mentor", T0),
            camera("mentor", "on", T0),
            ended(T0 + 75 * MINUTE, actor="system", reason="hard_maximum"),
        ]
    )

    assert summary.started_at is None
    assert summary.participants["mentor"].present_seconds == 0.0
    assert summary.participants["mentor"].camera_on_share == 0.0
    # A meeting that did not take place covered nothing, and that is not the point to make.
    assert "camera_off" not in codes(summary)
    assert "agenda_not_covered" not in codes(summary)
    assert summary.flags[-1] == Flag(
        code="no_show",
        tip=5,
        severity="alert",
        message="Grace Hopper never came: the meeting did not take place.",
    )


def test_two_participants_who_never_overlapped_are_a_no_show():
    summary = summary_of(
        [
            SCHEDULED,
            agenda_set(T0 - DAY, *AGENDA),
            joined("mentor", T0),
            left("mentor", T0 + 5 * MINUTE),
            joined("mentoree", T0 + 10 * MINUTE),
            ended(T0 + 75 * MINUTE, actor="system", reason="hard_maximum"),
        ]
    )

    assert summary.started_at is None
    assert summary.flags[-1].code == "no_show"
    assert summary.flags[-1].message == "The two of them were never in the room at the same time."


def test_ratings_after_the_end_join_the_summary_and_a_later_one_replaces_the_first():
    events = [
        *meeting(),
        rated("mentor", 5, "Great", T0 + 50 * MINUTE),
        rated("mentoree", 4, "Helpful", T0 + 51 * MINUTE),
        rated("mentor", 3, "On reflection, rushed", T0 + 52 * MINUTE),
    ]

    summary = summary_of(events)

    mentor, mentoree = summary.participants["mentor"], summary.participants["mentoree"]
    assert (mentor.rating, mentor.rating_comment) == (3, "On reflection, rushed")
    assert (mentoree.rating, mentoree.rating_comment) == (4, "Helpful")


def eventful_meeting():
    """A meeting with a bit of everything, and what came after it."""
    return [
        *meeting(
            camera("mentor", "no_face", T0 + 5 * MINUTE),
            camera("mentor", "on", T0 + 7 * MINUTE),
            *talking("mentor", T0 + 1, T0 + 400.5),
            *talking("mentoree", T0 + 401, T0 + 1000.25),
            NoteAdded(at=T0 + 2 * MINUTE, actor="mentoree", item_id=1, note="aim for staff"),
            AgendaItemAdded(at=T0 + 20 * MINUTE, actor="mentor", text="Next steps"),
            left("mentoree", T0 + 25 * MINUTE),
            joined("mentoree", T0 + 26 * MINUTE),
            WarningSent(at=T0 + 35 * MINUTE, actor="system", minutes_left=10),
            concern("mentoree", "Mic trouble", T0 + 30 * MINUTE),
            minutes=40,
        ),
        rated("mentoree", 4, "Useful", T0 + 41 * MINUTE),
        SummaryDeliveryFailed(
            at=T0 + 41 * MINUTE, actor="system", channel="webhook", attempt=1, error="500"
        ),
        SummaryDelivered(at=T0 + 42 * MINUTE, actor="system", channel="webhook"),
    ]


def test_building_a_summary_twice_gives_the_same_summary():
    events = eventful_meeting()

    assert summary_of(events) == summary_of(events)
    assert summary_of(events) == summarise(fold(events), POLICY)


def test_a_summary_rebuilt_from_stored_events_is_identical():
    events = eventful_meeting()
    stored = [encode_event(event) for event in events]

    rebuilt = summary_of([decode_event(*columns) for columns in stored])

    assert rebuilt == summary_of(events)
    assert codes(rebuilt) == ["concern_raised", "ended_early"]


def test_deliveries_do_not_change_the_summary():
    events = meeting()
    failed = SummaryDeliveryFailed(
        at=T0 + DAY, actor="system", channel="email", attempt=1, error="refused"
    )

    assert summary_of([*events, failed]) == summary_of(events)


def test_a_session_that_has_not_ended_has_no_summary():
    live = meeting()[:-1]

    with pytest.raises(ValueError, match="ended"):
        summary_of(live)
    with pytest.raises(ValueError, match="ended"):
        summarise(fold([SCHEDULED]), POLICY)


def test_events_after_the_end_other_than_concerns_ratings_and_deliveries_change_nothing():
    late = [left("mentor", T0 + 50 * MINUTE), checked(1, T0 + 50 * MINUTE)]

    summary = summary_of([*meeting(covered=0), *late])

    assert summary == summary_of(meeting(covered=0))
