"""The dashboard's states: upcoming, late, no-show, live and ended, at given moments."""

import pytest

from analytics.board import board_state
from analytics.clock import ClockPolicy, due_events
from analytics.events import SessionCancelled
from analytics.session import fold
from tests.events import MINUTE, SCHEDULED, T0, ended, joined, left, meeting

ALLOTTED = SCHEDULED.allotted_minutes * MINUTE


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (T0 - MINUTE, "upcoming"),
        (T0, "late"),
        (T0 + ALLOTTED - 1, "late"),
        (T0 + ALLOTTED, "no-show"),
        (T0 + ALLOTTED + 29 * MINUTE, "no-show"),
    ],
)
def test_with_nobody_in_a_session_is_upcoming_then_late_then_a_no_show(now, expected):
    assert board_state(fold([SCHEDULED]), now) == expected


def test_a_no_show_lasts_until_the_timekeeper_ends_it_as_nobody_came():
    state = fold([SCHEDULED])
    (end,) = due_events(state, T0 + ALLOTTED + 30 * MINUTE, ClockPolicy())

    assert board_state(state, end.at - 1) == "no-show"
    assert end.reason == "nobody_came"
    assert board_state(fold([SCHEDULED, end]), end.at) == "ended"


def test_someone_waiting_in_the_room_makes_a_session_live():
    state = fold([SCHEDULED, joined("mentor", T0 + 2 * MINUTE)])

    assert board_state(state, T0 + 3 * MINUTE) == "live"


def test_someone_who_came_and_went_before_the_start_leaves_it_late_not_live():
    state = fold([SCHEDULED, joined("mentor", T0), left("mentor", T0 + MINUTE)])

    assert state.status == "live"
    assert board_state(state, T0 + 19 * MINUTE) == "late"


def test_a_started_meeting_stays_live_while_both_are_away_until_it_ends():
    events = meeting()
    under_way = [*events[:-1], left("mentor", T0 + MINUTE), left("mentoree", T0 + MINUTE)]

    assert board_state(fold(under_way), T0 + 5 * MINUTE) == "live"
    assert board_state(fold([*under_way, ended(T0 + 11 * MINUTE)]), T0 + 12 * MINUTE) == "ended"


@pytest.mark.parametrize("joined_first", [False, True], ids=["upcoming", "live"])
def test_a_cancelled_session_is_cancelled_upcoming_or_live(joined_first):
    before = [SCHEDULED, joined("mentor", T0 + MINUTE)] if joined_first else [SCHEDULED]
    cancel = SessionCancelled(at=T0 + 2 * MINUTE, actor="mpm")

    assert board_state(fold([*before, cancel]), T0 + 3 * MINUTE) == "cancelled"
