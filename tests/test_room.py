"""What happens in the room, as rules: joining, leaving, talking and camera reports."""

import pytest

from analytics import room
from analytics.camera import CameraTracker
from analytics.events import (
    CameraObserved,
    CameraReported,
    ParticipantJoined,
    ParticipantLeft,
    SessionCancelled,
    SpeakingChanged,
)
from analytics.rules import Rejected
from analytics.session import fold
from tests.events import SCHEDULED, T0, ended, joined, left


def state_of(*events):
    return fold([SCHEDULED, *events])


def test_a_first_join_is_a_join_and_a_second_from_the_same_tab_leaves_first():
    assert room.join(state_of(), "mentor", T0) == (
        ParticipantJoined(at=T0, actor="mentor", role="mentor"),
    )
    assert room.join(state_of(joined("mentor", T0)), "mentor", T0 + 5) == (
        ParticipantLeft(at=T0 + 5, actor="mentor", role="mentor"),
        ParticipantJoined(at=T0 + 5, actor="mentor", role="mentor"),
    )


@pytest.mark.parametrize(
    ("last", "code"),
    [
        (ended(T0 + 60, actor="mentor"), "session_ended"),
        (SessionCancelled(at=T0, actor="mpm"), "session_cancelled"),
    ],
)
def test_nobody_joins_a_session_that_is_over(last, code):
    state = state_of(joined("mentor", T0), joined("mentoree", T0), last)

    with pytest.raises(Rejected) as refusal:
        room.join(state, "mentoree", T0 + 120)
    assert refusal.value.code == code


def test_leaving_is_recorded_only_for_someone_present_in_a_session_not_over():
    present = state_of(joined("mentor", T0))
    assert room.leave(present, "mentor", T0 + 9) == (
        ParticipantLeft(at=T0 + 9, actor="mentor", role="mentor"),
    )
    assert (
        room.leave(state_of(joined("mentor", T0), left("mentor", T0 + 1)), "mentor", T0 + 9) == ()
    )
    over = state_of(joined("mentor", T0), joined("mentoree", T0), ended(T0 + 60, actor="mentor"))
    assert room.leave(over, "mentor", T0 + 90) == ()


def test_a_seat_is_left_only_by_the_connection_that_holds_it():
    state = state_of(ParticipantJoined(at=T0, actor="mentor", role="mentor", connection="a/2"))

    assert room.leave(state, "mentor", T0 + 9, connection="a/1") == ()
    assert room.leave(state, "mentor", T0 + 9, connection="a/2") == (
        ParticipantLeft(at=T0 + 9, actor="mentor", role="mentor"),
    )


def test_the_same_tab_takes_its_seat_back_and_another_only_when_asked():
    first = ParticipantJoined(
        at=T0, actor="mentor", role="mentor", client_id="tab1", connection="a/1"
    )
    state = state_of(first)

    back = room.join(state, "mentor", T0 + 5, client_id="tab1", connection="b/1")
    assert back == (
        ParticipantLeft(at=T0 + 5, actor="mentor", role="mentor"),
        ParticipantJoined(
            at=T0 + 5, actor="mentor", role="mentor", client_id="tab1", connection="b/1"
        ),
    )
    assert state_of(first, *back).presence["mentor"].connection == "b/1"
    with pytest.raises(Rejected) as refusal:
        room.join(state, "mentor", T0 + 5, client_id="tab2", connection="b/2")
    assert refusal.value.code == "room_full"
    taken = room.join(state, "mentor", T0 + 5, client_id="tab2", connection="b/2", take_over=True)
    assert [type(event) for event in taken] == [ParticipantLeft, ParticipantJoined]


def test_seats_of_connections_gone_with_their_server_are_vacated():
    state = state_of(
        ParticipantJoined(at=T0, actor="mentor", role="mentor", connection="dead/1"),
        ParticipantJoined(at=T0 + 1, actor="mentoree", role="mentoree", connection="alive/1"),
    )

    assert room.vacate(state, T0 + 99, still_open=lambda c: c.startswith("alive/")) == (
        ParticipantLeft(at=T0 + 99, actor="system", role="mentor"),
    )
    assert room.vacate(state, T0 + 99, still_open=lambda c: False) == (
        ParticipantLeft(at=T0 + 99, actor="system", role="mentor"),
        ParticipantLeft(at=T0 + 99, actor="system", role="mentoree"),
    )
    assert room.vacate(state_of(), T0 + 99, still_open=lambda c: False) == ()


def test_speaking_is_refused_once_the_session_is_over():
    live = state_of(joined("mentor", T0))
    assert room.report_speaking(live, "mentor", True, T0 + 3) == SpeakingChanged(
        at=T0 + 3, actor="mentor", role="mentor", speaking=True
    )
    over = state_of(joined("mentor", T0), joined("mentoree", T0), ended(T0 + 60, actor="mentor"))
    with pytest.raises(Rejected):
        room.report_speaking(over, "mentor", True, T0 + 90)


def test_a_camera_report_is_recorded_when_it_says_something_new_of_someone_in_the_room():
    report = {"enabled": True, "muted": False, "ended": False}
    state = state_of(joined("mentor", T0))

    (first,) = room.report_camera(state, "mentor", T0 + 1, **report)
    assert first == CameraReported(at=T0 + 1, actor="mentor", role="mentor", **report)
    assert (
        room.report_camera(
            fold([SCHEDULED, joined("mentor", T0), first]), "mentor", T0 + 2, **report
        )
        == ()
    )
    assert room.report_camera(state_of(), "mentor", T0 + 1, **report) == ()  # not in the room


def test_a_camera_state_is_recorded_when_the_record_says_otherwise():
    state = state_of(joined("mentor", T0))
    tracker = CameraTracker(state="on", since=T0 + 2, pending="on", pending_since=T0 + 2)

    (observed,) = room.observe_camera(state, "mentor", tracker, T0 + 4)
    assert observed == CameraObserved(
        at=T0 + 4, actor="system", role="mentor", state="on", since=T0 + 2
    )
    assert (
        room.observe_camera(
            fold([SCHEDULED, joined("mentor", T0), observed]), "mentor", tracker, T0 + 5
        )
        == ()
    )
