"""The session clock, driven by event timestamps only: start, pauses, warnings, the end."""

from analytics.clock import (
    ClockPolicy,
    due_events,
    elapsed_seconds,
    ended_early,
    next_deadline,
    overrun_seconds,
    remaining_seconds,
)
from analytics.events import SessionEnded, WarningSent
from analytics.session import Pause, apply, fold
from tests.events import MINUTE, T0, ended, joined, left, scheduled

# When the mentoree arrives after the mentor and the clock starts in ``started_session``.
START = T0 + 90
POLICY = ClockPolicy()


def warned(*minutes, at=START):
    return [WarningSent(at=at, actor="system", minutes_left=m) for m in minutes]


def started_session(*later, allotted_minutes=45):
    """A session the mentor joined at T0 and the mentoree at START, then ``later`` events."""
    return fold(
        [
            scheduled(allotted_minutes=allotted_minutes),
            joined("mentor", T0),
            joined("mentoree", START),
            *later,
        ]
    )


def warnings_in(events):
    return [event.minutes_left for event in events if isinstance(event, WarningSent)]


def test_the_clock_starts_when_both_are_present_not_at_the_first_join():
    alone = fold([scheduled(allotted_minutes=45), joined("mentor", T0)])
    together = started_session()

    assert alone.started_at is None
    assert elapsed_seconds(alone, START + 600) == 0
    assert remaining_seconds(alone, START + 600) == 45 * MINUTE
    assert together.started_at == START
    assert elapsed_seconds(together, START) == 0


def test_elapsed_and_remaining_time_count_from_the_start():
    state = started_session()

    assert elapsed_seconds(state, START + 600.5) == 600.5
    assert remaining_seconds(state, START + 600.5) == 45 * MINUTE - 600.5


def test_a_clock_read_before_its_start_time_shows_no_time_used():
    state = started_session()

    assert elapsed_seconds(state, START - 5) == 0


def test_remaining_time_goes_negative_once_the_session_runs_over():
    state = started_session()

    assert remaining_seconds(state, START + 47 * MINUTE) == -2 * MINUTE


def test_the_clock_stops_at_the_end():
    state = started_session(ended(START + 1_000))

    assert elapsed_seconds(state, START + 5_000) == 1_000
    assert remaining_seconds(state, START + 5_000) == 45 * MINUTE - 1_000


def test_a_participant_dropping_out_opens_a_pause_that_their_return_closes():
    away = started_session(left("mentoree", START + 300))
    back = started_session(left("mentoree", START + 300), joined("mentoree", START + 420))

    assert away.paused
    assert away.pauses == (Pause(start=START + 300),)
    assert not back.paused
    assert back.pauses == (Pause(start=START + 300, end=START + 420),)


def test_the_clock_keeps_running_through_a_pause():
    state = started_session(left("mentoree", START + 300), joined("mentoree", START + 420))

    assert state.started_at == START
    assert elapsed_seconds(state, START + 600) == 600


def test_a_pause_lasts_until_both_are_back_even_if_both_dropped():
    state = started_session(
        left("mentoree", START + 100),
        left("mentor", START + 200),
        joined("mentor", START + 300),
        joined("mentoree", START + 400),
    )

    assert state.pauses == (Pause(start=START + 100, end=START + 400),)


def test_each_drop_after_a_return_is_a_pause_of_its_own():
    state = started_session(
        left("mentor", START + 100),
        joined("mentor", START + 150),
        left("mentoree", START + 600),
        joined("mentoree", START + 660),
    )

    assert state.pauses == (
        Pause(start=START + 100, end=START + 150),
        Pause(start=START + 600, end=START + 660),
    )


def test_a_pause_open_at_the_end_is_closed_by_the_end():
    state = started_session(left("mentoree", START + 300), ended(START + 500))

    assert state.pauses == (Pause(start=START + 300, end=START + 500),)
    assert not state.paused


def test_leaving_before_the_start_is_not_a_pause():
    state = fold([scheduled(), joined("mentor", T0), left("mentor", T0 + 60)])

    assert state.pauses == ()
    assert not state.paused


def test_no_warning_is_due_before_the_start():
    alone = fold([scheduled(allotted_minutes=1), joined("mentor", T0)])

    assert warnings_in(due_events(alone, T0 + 3_600, POLICY)) == []


def test_next_deadline_names_the_warnings_in_order_then_the_hard_maximum():
    deadlines = []
    sent = []
    for minutes in (10, 5, 1, 0):
        deadlines.append(next_deadline(started_session(*warned(*sent)), POLICY))
        sent.append(minutes)
    after_all = next_deadline(started_session(*warned(*sent)), POLICY)

    assert deadlines == [
        START + 35 * MINUTE,
        START + 40 * MINUTE,
        START + 44 * MINUTE,
        START + 45 * MINUTE,
    ]
    assert after_all == START + (45 + 30) * MINUTE


def test_each_warning_falls_due_at_exactly_its_minute_and_not_a_moment_before():
    for minutes in (10, 5, 1, 0):
        sent_before = [m for m in (10, 5, 1, 0) if m > minutes]
        state = started_session(*warned(*sent_before))
        due_at = START + (45 - minutes) * MINUTE

        assert due_events(state, due_at - 0.001, POLICY) == []
        assert due_events(state, due_at, POLICY) == [
            WarningSent(at=due_at, actor="system", minutes_left=minutes)
        ]


def test_a_warning_once_sent_is_not_due_again():
    state = started_session(*warned(10, at=START + 35 * MINUTE))

    assert due_events(state, START + 36 * MINUTE, POLICY) == []
    assert next_deadline(state, POLICY) == START + 40 * MINUTE


def test_warnings_recorded_by_the_fold_are_remembered():
    state = started_session(*warned(10, 5))

    assert state.warnings_sent == {10, 5}


def test_warnings_that_fell_due_together_come_least_urgent_first():
    state = started_session()

    assert warnings_in(due_events(state, START + 45 * MINUTE, POLICY)) == [10, 5, 1, 0]


def test_a_one_minute_session_has_its_one_minute_warning_due_at_the_start():
    state = started_session(allotted_minutes=1)

    assert next_deadline(state, POLICY) == START
    assert due_events(state, START, POLICY) == [
        WarningSent(at=START, actor="system", minutes_left=1)
    ]


def test_a_one_minute_session_says_time_is_up_a_minute_after_the_start():
    state = started_session(*warned(1), allotted_minutes=1)

    assert next_deadline(state, POLICY) == START + MINUTE
    assert due_events(state, START + MINUTE - 0.001, POLICY) == []
    assert warnings_in(due_events(state, START + MINUTE, POLICY)) == [0]


def test_warnings_above_the_allotted_time_are_never_due():
    state = started_session(allotted_minutes=3)

    assert next_deadline(state, POLICY) == START + 2 * MINUTE
    assert due_events(state, START, POLICY) == []
    assert warnings_in(due_events(state, START + 3 * MINUTE, POLICY)) == [1, 0]


def test_a_warning_equal_to_the_allotted_time_is_due_at_the_start():
    state = started_session(allotted_minutes=5)

    assert warnings_in(due_events(state, START, POLICY)) == [5]


def test_the_warnings_follow_the_policy():
    policy = ClockPolicy(warning_minutes=(15, 0))
    state = started_session()

    assert next_deadline(state, policy) == START + 30 * MINUTE
    assert warnings_in(due_events(state, START + 45 * MINUTE, policy)) == [15, 0]


def test_an_end_with_time_left_is_an_early_end():
    state = started_session(ended(START + 10 * MINUTE))

    assert ended_early(state, grace_minutes=1)


def test_an_end_within_the_last_minute_is_not_early():
    just_over_a_minute_left = started_session(ended(START + 44 * MINUTE - 1))
    within_the_last_minute = started_session(ended(START + 44 * MINUTE + 30))
    on_time = started_session(ended(START + 45 * MINUTE))
    late = started_session(ended(START + 50 * MINUTE))

    assert ended_early(just_over_a_minute_left, grace_minutes=1)
    assert not ended_early(within_the_last_minute, grace_minutes=1)
    assert not ended_early(on_time, grace_minutes=1)
    assert not ended_early(late, grace_minutes=1)


def test_a_session_still_running_has_not_ended_early():
    assert not ended_early(started_session(), grace_minutes=1)


def test_overrun_is_the_time_used_beyond_the_allotted_time():
    state = started_session()

    assert overrun_seconds(state, START + 44 * MINUTE) == 0
    assert overrun_seconds(state, START + 45 * MINUTE) == 0
    assert overrun_seconds(state, START + 45 * MINUTE + 90) == 90


def test_overrun_stops_growing_at_the_end():
    state = started_session(ended(START + 50 * MINUTE))

    assert overrun_seconds(state, START + 120 * MINUTE) == 5 * MINUTE


def test_an_empty_room_ends_the_session_after_the_grace_period_as_of_when_it_emptied():
    state = started_session(left("mentoree", START + 100), left("mentor", START + 200))
    grace_over = START + 200 + POLICY.empty_room_grace_seconds

    assert state.emptied_at == START + 200
    assert next_deadline(state, POLICY) == grace_over
    assert due_events(state, grace_over - 0.001, POLICY) == []
    assert due_events(state, grace_over, POLICY) == [
        SessionEnded(at=START + 200, actor="system", reason="room_empty")
    ]


def test_the_empty_room_grace_period_follows_the_policy():
    policy = ClockPolicy(empty_room_grace_seconds=30)
    state = started_session(left("mentoree", START + 100), left("mentor", START + 200))

    assert next_deadline(state, policy) == START + 230


def test_the_end_for_an_empty_room_is_recorded_as_the_systems():
    state = started_session(left("mentoree", START + 100), left("mentor", START + 200))
    grace_over = START + 200 + POLICY.empty_room_grace_seconds

    for event in due_events(state, grace_over, POLICY):
        state = apply(state, event)

    assert state.status == "ended"
    assert (state.ended_at, state.ended_by, state.end_reason) == (
        START + 200,
        "system",
        "room_empty",
    )
    assert elapsed_seconds(state, grace_over) == 200
    assert state.pauses == (Pause(start=START + 100, end=START + 200),)


def test_a_room_left_empty_before_the_start_is_not_ended_for_being_empty():
    state = fold(
        [scheduled(), joined("mentor", T0), left("mentor", T0 + 60), joined("mentoree", T0 + 120)]
    )
    state = apply(state, left("mentoree", T0 + 180))

    assert state.status == "live"
    assert state.emptied_at is None
    assert due_events(state, T0 + 180 + POLICY.empty_room_grace_seconds, POLICY) == []


def test_a_room_someone_came_back_to_is_not_ended_for_being_empty():
    state = started_session(
        left("mentoree", START + 100), left("mentor", START + 200), joined("mentor", START + 500)
    )

    assert state.emptied_at is None
    assert due_events(state, START + 200 + POLICY.empty_room_grace_seconds, POLICY) == []
    assert next_deadline(state, POLICY) == START + 35 * MINUTE


def test_a_room_with_one_participant_left_is_not_empty():
    state = started_session(left("mentoree", START + 100))

    assert state.emptied_at is None
    assert due_events(state, START + 100 + POLICY.empty_room_grace_seconds, POLICY) == []


def test_the_session_ends_at_the_hard_maximum_of_allotted_time_plus_overrun_limit():
    state = started_session(*warned(10, 5, 1, 0))
    hard_maximum = START + (45 + 30) * MINUTE

    assert due_events(state, hard_maximum - 0.001, POLICY) == []
    assert due_events(state, hard_maximum, POLICY) == [
        SessionEnded(at=hard_maximum, actor="system", reason="hard_maximum")
    ]
    # Noticed late (after a restart, say), it still ends at the hard maximum.
    assert due_events(state, hard_maximum + 600, POLICY) == [
        SessionEnded(at=hard_maximum, actor="system", reason="hard_maximum")
    ]


def test_someone_waiting_alone_is_ended_a_whole_session_after_they_came():
    late = T0 + 3 * 60 * MINUTE
    state = fold([scheduled(allotted_minutes=45), joined("mentor", late)])

    assert next_deadline(state, POLICY) == late + (45 + 30) * MINUTE
    assert due_events(state, late + MINUTE, POLICY) == []


def test_the_overrun_limit_follows_the_policy():
    policy = ClockPolicy(overrun_limit_minutes=5)
    state = started_session(*warned(10, 5, 1, 0))

    assert next_deadline(state, policy) == START + 50 * MINUTE


def test_warnings_still_due_are_said_before_the_automatic_end():
    state = started_session()

    due = due_events(state, START + 80 * MINUTE, POLICY)

    assert warnings_in(due) == [10, 5, 1, 0]
    assert due[-1] == SessionEnded(at=START + 75 * MINUTE, actor="system", reason="hard_maximum")


def test_the_earlier_of_two_automatic_ends_gives_the_reason():
    state = started_session(
        *warned(10, 5, 1, 0),
        left("mentoree", START + 70 * MINUTE),
        left("mentor", START + 70 * MINUTE),
    )

    (end,) = due_events(state, START + 90 * MINUTE, POLICY)

    assert end.reason == "hard_maximum"


def test_an_ended_session_has_no_deadline_and_nothing_due():
    state = started_session(ended(START + 10 * MINUTE))

    assert next_deadline(state, POLICY) is None
    assert due_events(state, START + 100 * MINUTE, POLICY) == []


def test_a_session_nobody_joined_ends_when_it_would_have_been_over_at_the_latest():
    state = fold([scheduled(allotted_minutes=45)])
    latest_end = T0 + (45 + 30) * MINUTE

    assert next_deadline(state, POLICY) == latest_end
    assert due_events(state, latest_end - 0.001, POLICY) == []
    assert due_events(state, latest_end + 600, POLICY) == [
        SessionEnded(at=latest_end, actor="system", reason="nobody_came")
    ]
