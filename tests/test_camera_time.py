"""Camera state and camera-on time in the session fold."""

from __future__ import annotations

import pytest

from analytics.camera_time import CameraRecord, camera_on_seconds, on_seconds
from analytics.events import CameraReported, Event, ParticipantLeft, SessionEnded
from analytics.session import SessionState, fold
from tests.events import T0, camera, joined, scheduled

SCHEDULED = scheduled(at=T0 - 3600, allotted_minutes=30)


def session(*events: Event) -> SessionState:
    return fold([SCHEDULED, *events])


def seconds_on(state: SessionState, role: str, now: float) -> float:
    return camera_on_seconds(state, role, now)


def test_cameras_are_off_until_the_server_observes_them():
    state = session(joined("mentor", T0))
    assert state.camera["mentor"] == CameraRecord()
    assert seconds_on(state, "mentor", T0 + 60) == 0


def test_the_observed_state_is_kept_per_role():
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0 + 1),
        camera("mentor", "on", T0 + 5),
        camera("mentoree", "no_face", T0 + 6),
    )
    assert state.camera["mentor"].state == "on"
    assert state.camera["mentoree"].state == "no_face"
    assert state.camera["mentoree"].since == T0 + 6


def test_camera_on_time_counts_only_time_in_on_so_far():
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentor", "on", T0 + 10),
        camera("mentor", "no_face", T0 + 40),
        camera("mentor", "on", T0 + 50),
    )
    assert seconds_on(state, "mentor", T0 + 70) == pytest.approx(30 + 20)
    assert seconds_on(state, "mentoree", T0 + 70) == 0


def test_camera_on_time_before_the_start_does_not_count():
    state = session(
        joined("mentor", T0),
        camera("mentor", "on", T0 + 5),
        joined("mentoree", T0 + 100),
    )
    assert state.started_at == T0 + 100
    assert seconds_on(state, "mentor", T0 + 130) == pytest.approx(30)
    state = fold([SCHEDULED, joined("mentor", T0), camera("mentor", "on", T0 + 5)])
    assert seconds_on(state, "mentor", T0 + 130) == 0


def test_leaving_the_room_turns_the_camera_off_and_stops_the_count():
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentor", "on", T0),
        ParticipantLeft(at=T0 + 20, actor="mentor", role="mentor"),
    )
    assert state.camera["mentor"].state == "off"
    assert seconds_on(state, "mentor", T0 + 500) == pytest.approx(20)


def test_the_end_of_the_session_stops_the_count_and_later_events_change_nothing():
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentoree", "on", T0 + 10),
        SessionEnded(at=T0 + 70, actor="mentor", reason="ended_by_participant"),
        camera("mentoree", "on", T0 + 80),
    )
    assert state.camera["mentoree"].state == "off"
    assert seconds_on(state, "mentoree", T0 + 1000) == pytest.approx(60)


def test_the_last_browser_report_is_kept_until_the_participant_leaves():
    report = CameraReported(
        at=T0 + 3, actor="mentor", role="mentor", enabled=False, muted=False, ended=False
    )
    state = session(joined("mentor", T0), report)
    assert state.camera["mentor"].report == report
    assert not report.live
    state = session(
        joined("mentor", T0), report, ParticipantLeft(at=T0 + 9, actor="mentor", role="mentor")
    )
    assert state.camera["mentor"].report is None


def test_an_unrelated_event_keeps_the_same_camera_records():
    before = session(joined("mentor", T0))
    after = session(joined("mentor", T0), joined("mentoree", T0 + 1))
    assert after.camera == before.camera


def test_on_seconds_counts_an_open_stretch_up_to_the_time_asked():
    record = CameraRecord(state="on", since=T0 + 10, on_seconds_before=5)
    assert on_seconds(record, started_at=T0, until=T0 + 30) == pytest.approx(25)
    assert on_seconds(record, started_at=None, until=T0 + 30) == pytest.approx(5)
    assert on_seconds(CameraRecord(), started_at=T0, until=T0 + 30) == 0
