"""Camera state and time in each state in the session fold."""

from __future__ import annotations

import pytest

from analytics.camera_time import CameraRecord, CameraTime, camera_time, record_time
from analytics.events import CameraReported, Event, ParticipantLeft, SessionEnded
from analytics.session import SessionState, fold
from server.store import decode_event, encode_event
from tests.events import T0, camera, joined, left, scheduled

SCHEDULED = scheduled(at=T0 - 3600, allotted_minutes=30)


def session(*events: Event) -> SessionState:
    return fold([SCHEDULED, *events])


def seconds(state: SessionState, role: str, now: float) -> tuple[float, float, float, float]:
    """(on, no_face, off, unknown) seconds of ``role``'s camera up to ``now``."""
    time = camera_time(state, role, now)
    return (time.on, time.no_face, time.off, time.unknown)


def test_a_camera_is_unknown_from_joining_until_the_server_observes_it():
    state = session(joined("mentor", T0), joined("mentoree", T0))
    assert state.camera["mentor"].state == "unknown"
    assert state.camera["mentor"].since == T0
    assert seconds(state, "mentor", T0 + 60) == (0, 0, 0, 60)


def test_before_joining_the_camera_has_no_open_stretch():
    state = session(joined("mentor", T0))
    assert state.camera["mentoree"] == CameraRecord()
    assert state.camera["mentoree"].since is None


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


def test_the_four_states_add_up_to_the_time_in_the_room():
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentor", "on", T0 + 10),
        camera("mentor", "no_face", T0 + 40),
        camera("mentor", "off", T0 + 50),
        camera("mentor", "unknown", T0 + 55),
        camera("mentor", "on", T0 + 65),
    )
    assert seconds(state, "mentor", T0 + 70) == (30 + 5, 10, 5, 10 + 10)
    assert camera_time(state, "mentor", T0 + 70).live == 45
    assert seconds(state, "mentoree", T0 + 70) == (0, 0, 0, 70)


def test_a_state_counts_from_when_its_evidence_began():
    # Hysteresis settles "on" 3 s after the first frame with a face, at 0.5 s.
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentor", "on", T0 + 3.5, since=T0 + 0.5),
    )
    assert seconds(state, "mentor", T0 + 20) == (19.5, 0, 0, 0.5)


def test_evidence_never_counts_before_the_join_the_start_or_the_state_it_follows():
    state = session(
        joined("mentor", T0),
        camera("mentor", "on", T0 + 5, since=T0 - 10),  # before the join
        joined("mentoree", T0 + 100),  # the session clock starts here
    )
    assert state.camera["mentor"].since == T0
    assert seconds(state, "mentor", T0 + 130) == (30, 0, 0, 0)
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentor", "on", T0 + 10),
        camera("mentor", "no_face", T0 + 20),
        camera("mentor", "off", T0 + 25, since=T0 + 15),  # before "no_face" began
    )
    assert seconds(state, "mentor", T0 + 30) == (10, 0, 10, 10)


def test_events_from_before_since_existed_count_from_when_they_were_recorded():
    old = camera("mentor", "on", T0 + 5)
    type_, actor, at, payload = encode_event(old)
    old_payload = payload.replace(',"since":null', "")
    assert "since" not in old_payload
    legacy = decode_event(type_, actor, at, old_payload)
    assert legacy == old and legacy.since is None
    state = session(joined("mentor", T0), joined("mentoree", T0), legacy)
    assert seconds(state, "mentor", T0 + 20) == (15, 0, 0, 5)


def test_an_old_log_without_unknown_still_adds_up():
    # Logs from before "unknown" went from joining straight to an observed state, and an
    # uplink that closed recorded "off".
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentor", "on", T0 + 4),
        camera("mentor", "off", T0 + 30),
        left("mentor", T0 + 31),
    )
    assert seconds(state, "mentor", T0 + 100) == (26, 0, 1, 4)


def test_time_out_of_the_room_counts_for_nothing():
    stay = [
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentor", "on", T0),
        ParticipantLeft(at=T0 + 20, actor="mentor", role="mentor"),
    ]
    state = session(*stay)
    assert state.camera["mentor"] == CameraRecord(before=CameraTime(on=20))
    assert seconds(state, "mentor", T0 + 500) == (20, 0, 0, 0)
    back = session(*stay, joined("mentor", T0 + 60))
    assert (back.camera["mentor"].state, back.camera["mentor"].since) == ("unknown", T0 + 60)
    assert seconds(back, "mentor", T0 + 70) == (20, 0, 0, 10)


def test_an_observation_while_out_of_the_room_changes_nothing():
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        left("mentor", T0 + 10),
        camera("mentor", "on", T0 + 12),
    )
    assert state.camera["mentor"].state == "unknown"
    assert seconds(state, "mentor", T0 + 60) == (0, 0, 0, 10)


def test_the_end_of_the_session_stops_the_count_and_later_events_change_nothing():
    state = session(
        joined("mentor", T0),
        joined("mentoree", T0),
        camera("mentoree", "on", T0 + 10),
        SessionEnded(at=T0 + 70, actor="mentor", reason="ended_by_participant"),
        camera("mentoree", "on", T0 + 80),
    )
    assert state.camera["mentoree"].since is None
    assert seconds(state, "mentoree", T0 + 1000) == (60, 0, 0, 10)


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
    before = session(joined("mentor", T0), joined("mentoree", T0 + 1))
    after = session(joined("mentor", T0), joined("mentoree", T0 + 1), left("mentoree", T0 + 2))
    assert after.camera["mentor"] == before.camera["mentor"]


def test_record_time_counts_an_open_stretch_up_to_the_time_asked():
    record = CameraRecord(state="on", since=T0 + 10, before=CameraTime(on=5, unknown=2))
    assert record_time(record, started_at=T0, until=T0 + 30) == CameraTime(on=25, unknown=2)
    assert record_time(record, started_at=None, until=T0 + 30) == CameraTime(on=5, unknown=2)
    assert record_time(CameraRecord(), started_at=T0, until=T0 + 30) == CameraTime()
    assert CameraTime(on=3, no_face=4).plus("off", 2).plus("off", -1) == CameraTime(
        on=3, no_face=4, off=2
    )
    assert pytest.approx(CameraTime(on=3, no_face=4).live) == 7
