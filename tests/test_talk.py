"""Talk time from the speaking edges browsers report, counted on the session clock only."""

from analytics.events import SessionEnded
from analytics.session import fold
from analytics.talk import Talk, start_speaking, stop_speaking, talk_share
from tests.events import T0, joined, left, scheduled, speaks, stops

# The clock starts when the mentoree joins the mentor in ``started_session``.
START = T0 + 30
SCHEDULED = scheduled()


def started_session(*later):
    return fold([SCHEDULED, joined("mentor", T0), joined("mentoree", START), *later])


def test_talk_time_adds_up_the_stretches_between_speaking_edges():
    state = started_session(
        speaks("mentor", START + 10),
        stops("mentor", START + 40),
        speaks("mentor", START + 100),
        stops("mentor", START + 130.5),
    )

    assert state.talk["mentor"] == Talk(seconds=60.5)
    assert state.talk["mentoree"] == Talk()


def test_each_participant_has_their_own_talk_time():
    state = started_session(
        speaks("mentor", START + 10),
        speaks("mentoree", START + 20),
        stops("mentor", START + 40),
        stops("mentoree", START + 80),
    )

    assert state.talk["mentor"].seconds == 30
    assert state.talk["mentoree"].seconds == 60


def test_a_stretch_still_running_counts_up_to_now():
    state = started_session(speaks("mentoree", START + 10))

    assert state.talk["mentoree"].speaking_since == START + 10
    assert state.talk["mentoree"].seconds_at(START + 25) == 15


def test_a_repeated_start_edge_does_not_restart_the_stretch():
    state = started_session(
        speaks("mentor", START + 10), speaks("mentor", START + 20), stops("mentor", START + 30)
    )

    assert state.talk["mentor"].seconds == 20


def test_a_stop_edge_without_a_start_adds_nothing():
    state = started_session(stops("mentor", START + 10))

    assert state.talk["mentor"] == Talk()


def test_talking_before_the_start_does_not_count():
    state = fold(
        [
            SCHEDULED,
            joined("mentor", T0),
            speaks("mentor", T0 + 5),
            stops("mentor", T0 + 25),
            joined("mentoree", START),
        ]
    )

    assert state.talk["mentor"] == Talk()


def test_talking_through_the_start_counts_from_the_start():
    state = fold(
        [
            SCHEDULED,
            joined("mentor", T0),
            speaks("mentor", T0 + 5),
            joined("mentoree", START),
            stops("mentor", START + 40),
        ]
    )

    assert state.talk["mentor"].seconds == 40


def test_talking_through_the_start_is_running_from_the_start():
    state = fold(
        [SCHEDULED, joined("mentor", T0), speaks("mentor", T0 + 5), joined("mentoree", START)]
    )

    assert state.talk["mentor"].speaking_since == START


def test_a_speaker_who_leaves_before_the_start_leaves_nothing_running():
    state = fold(
        [
            SCHEDULED,
            joined("mentor", T0),
            speaks("mentor", T0 + 5),
            left("mentor", T0 + 10),
            joined("mentor", T0 + 20),
            joined("mentoree", START),
        ]
    )

    assert state.talk["mentor"] == Talk()


def test_a_speaker_who_leaves_stops_talking():
    state = started_session(speaks("mentoree", START + 10), left("mentoree", START + 70))

    assert state.talk["mentoree"] == Talk(seconds=60)
    assert state.talk["mentoree"].seconds_at(START + 500) == 60


def test_a_speaker_who_comes_back_starts_a_new_stretch_only_when_they_speak_again():
    state = started_session(
        speaks("mentoree", START + 10),
        left("mentoree", START + 70),
        joined("mentoree", START + 200),
        speaks("mentoree", START + 300),
        stops("mentoree", START + 310),
    )

    assert state.talk["mentoree"].seconds == 70


def test_the_end_closes_a_stretch_still_running():
    state = started_session(
        speaks("mentor", START + 10),
        SessionEnded(at=START + 40, actor="mentoree", reason="ended_by_participant"),
        stops("mentor", START + 100),
    )

    assert state.talk["mentor"] == Talk(seconds=30)


def test_start_and_stop_on_their_own():
    talk = stop_speaking(start_speaking(Talk(seconds=5), 100), 112)

    assert talk == Talk(seconds=17)


def test_talk_share_is_my_part_of_all_talking():
    assert talk_share(90, 10) == 0.9
    assert talk_share(10, 90) == 0.1
    assert talk_share(30, 30) == 0.5


def test_talk_share_is_all_or_nothing_when_only_one_talked():
    assert talk_share(42, 0) == 1.0
    assert talk_share(0, 42) == 0.0


def test_talk_share_is_none_when_nobody_talked():
    assert talk_share(0, 0) is None
