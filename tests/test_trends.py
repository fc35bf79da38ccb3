"""Per-pair history: sessions held and missed, averages and early-end streaks."""

from dataclasses import replace

from analytics.events import Person
from analytics.summary import Flag
from analytics.trends import pair_trends
from tests.events import DAY, MINUTE, SCHEDULED, T0, camera, ended, meeting, summary_of

ADA_AND_GRACE = ("Ada Lovelace", "Grace Hopper")
ALAN_AND_JOAN = ("Alan Turing", "Joan Clarke")


def scheduled(session_id, day, pair, allotted):
    return replace(
        SCHEDULED,
        session_id=session_id,
        mentor=Person(name=pair[0]),
        mentoree=Person(name=pair[1]),
        scheduled_start=T0 + day * DAY,
        allotted_minutes=allotted,
    )


def held(session_id, day, minutes, *, pair=ADA_AND_GRACE, allotted=60, covered=3, camera_off=None):
    """A session held on ``day`` for ``minutes``; the mentoree's camera goes off after
    ``camera_off`` minutes if given."""
    plan = scheduled(session_id, day, pair, allotted)
    start = plan.scheduled_start
    during = [] if camera_off is None else [camera("mentoree", "off", start + camera_off * MINUTE)]
    return summary_of(
        meeting(*during, scheduled=plan, start=start, minutes=minutes, covered=covered)
    )


def missed(session_id, day, *, pair=ADA_AND_GRACE):
    """A session nobody came to, ended by the hard maximum."""
    plan = scheduled(session_id, day, pair, 60)
    return summary_of([plan, ended(plan.scheduled_start + 90 * MINUTE, "system", "hard_maximum")])


def only(trends):
    (trend,) = trends
    return trend


def test_sessions_are_grouped_by_pair():
    trends = pair_trends(
        [
            held("a1", 1, 60),
            held("t1", 2, 60, pair=ALAN_AND_JOAN),
            held("a2", 3, 60),
            held("t2", 4, 60, pair=ALAN_AND_JOAN),
            held("a3", 5, 60),
        ]
    )

    assert [(t.mentor, t.mentoree, t.sessions_held) for t in trends] == [
        ("Ada Lovelace", "Grace Hopper", 3),
        ("Alan Turing", "Joan Clarke", 2),
    ]
    assert [p.session_id for p in trends[0].points] == ["a1", "a2", "a3"]
    assert [p.session_id for p in trends[1].points] == ["t1", "t2"]


def test_names_that_differ_in_case_or_spaces_are_the_same_pair():
    trend = only(
        pair_trends([held("a1", 1, 60), held("a2", 2, 60, pair=(" ada lovelace", "GRACE HOPPER "))])
    )

    assert (trend.mentor, trend.mentoree, trend.sessions_held) == (
        "Ada Lovelace",
        "Grace Hopper",
        2,
    )


def test_a_pair_has_averages_of_time_used_camera_and_agenda_coverage():
    trend = only(
        pair_trends(
            [
                held("a1", 1, 60, camera_off=30),
                held("a2", 2, 30, covered=1),
                held("a3", 3, 45, covered=2),
            ]
        )
    )

    assert [
        (p.time_used_share, p.camera_on_share, p.agenda_coverage, p.ended_early)
        for p in trend.points
    ] == [(1.0, 0.75, 1.0, False), (0.5, 1.0, 0.333, True), (0.75, 1.0, 0.667, True)]
    assert trend.average_time_used_share == 0.75
    assert trend.average_camera_on_share == 0.917
    assert trend.average_agenda_coverage == 0.667
    assert trend.sessions_missed == 0
    assert trend.early_end_streak == 2
    assert trend.flags == ()


def test_a_pair_has_camera_on_and_face_in_view_per_person():
    plan = scheduled("a2", 2, ADA_AND_GRACE, 60)
    start = plan.scheduled_start
    no_face = camera("mentor", "no_face", start + 30 * MINUTE)
    unseen = camera("mentoree", "unknown", start + 30 * MINUTE)
    second = summary_of(meeting(no_face, unseen, scheduled=plan, start=start, minutes=60))
    trend = only(pair_trends([held("a1", 1, 60, camera_off=30), second]))

    assert [
        (p.camera_on_share, p.face_in_view_share, p.camera_unknown_share) for p in trend.points
    ] == [(0.75, 0.75, 0.0), (0.75, 0.5, 0.25)]
    assert trend.average_face_in_view_share == 0.625
    mentor, mentoree = trend.cameras["mentor"], trend.cameras["mentoree"]
    assert (mentor.name, mentor.camera_on_share, mentor.face_in_view_share) == (
        "Ada Lovelace",
        1.0,
        0.75,
    )
    assert (mentoree.name, mentoree.camera_on_share, mentoree.camera_unknown_share) == (
        "Grace Hopper",
        0.5,
        0.25,
    )


def test_sessions_without_an_agenda_are_left_out_of_the_agenda_average():
    no_agenda = summary_of(
        meeting(
            scheduled=scheduled("a3", 3, ADA_AND_GRACE, 60),
            start=T0 + 3 * DAY,
            minutes=60,
            agenda=(),
        )
    )

    trend = only(pair_trends([held("a1", 1, 60, covered=0), held("a2", 2, 60), no_agenda]))

    assert [p.agenda_coverage for p in trend.points] == [0.0, 1.0, None]
    assert trend.average_agenda_coverage == 0.5


def test_three_early_ends_in_a_row_are_an_early_end_streak():
    trend = only(
        pair_trends([held("a1", 1, 60), held("a2", 2, 40), held("a3", 3, 30), held("a4", 4, 50)])
    )

    assert trend.early_end_streak == 3
    assert trend.flags == (
        Flag(
            code="early_end_streak",
            tip=5,
            severity="alert",
            message="The last 3 sessions in a row ended early.",
        ),
    )


def test_a_full_session_breaks_the_streak():
    ended_full = pair_trends(
        [held("a1", 1, 30), held("a2", 2, 30), held("a3", 3, 30), held("a4", 4, 60)]
    )
    broken = pair_trends(
        [held("a1", 1, 30), held("a2", 2, 60), held("a3", 3, 30), held("a4", 4, 30)]
    )

    assert only(ended_full).early_end_streak == 0
    assert only(broken).early_end_streak == 2
    assert only(ended_full).flags == only(broken).flags == ()


def test_sessions_are_taken_in_the_order_they_ended_not_the_order_given():
    trend = only(
        pair_trends([held("a4", 4, 30), held("a1", 1, 30), held("a3", 3, 30), held("a2", 2, 60)])
    )

    assert [p.session_id for p in trend.points] == ["a1", "a2", "a3", "a4"]
    assert trend.early_end_streak == 2


def test_missed_sessions_are_counted_and_flagged_but_do_not_break_a_streak():
    trend = only(
        pair_trends(
            [
                held("a1", 1, 30),
                missed("a2", 2),
                held("a3", 3, 30),
                missed("a4", 4),
                held("a5", 5, 30),
            ]
        )
    )

    assert (trend.sessions_held, trend.sessions_missed) == (3, 2)
    assert [p.session_id for p in trend.points] == ["a1", "a3", "a5"]
    assert trend.early_end_streak == 3
    assert [(f.code, f.message) for f in trend.flags] == [
        ("early_end_streak", "The last 3 sessions in a row ended early."),
        ("missed_sessions", "2 scheduled sessions did not take place."),
    ]


def test_a_pair_that_never_met_has_no_averages():
    trend = only(pair_trends([missed("a1", 1)]))

    assert (trend.sessions_held, trend.sessions_missed) == (0, 1)
    assert trend.points == ()
    assert trend.average_time_used_share is None
    assert trend.average_camera_on_share is None
    assert trend.average_face_in_view_share is None
    assert trend.cameras == {}
    assert trend.average_agenda_coverage is None
    assert trend.flags[0].message == "1 scheduled session did not take place."


def test_pairs_with_flags_come_first():
    trends = pair_trends(
        [
            held("a1", 1, 60),
            held("t1", 1, 30, pair=ALAN_AND_JOAN),
            missed("t2", 2, pair=ALAN_AND_JOAN),
        ]
    )

    assert [(t.mentor, len(t.flags)) for t in trends] == [("Alan Turing", 1), ("Ada Lovelace", 0)]


def test_no_summaries_no_trends():
    assert pair_trends([]) == []
