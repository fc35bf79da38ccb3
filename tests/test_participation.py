"""How one participant took part, counted up to a given end."""

from analytics.participation import summarise_participant
from analytics.session import fold
from tests.events import MINUTE, SCHEDULED, T0, camera, joined, meeting, rated, talking


def test_time_is_counted_up_to_the_end_asked_for():
    live = fold(meeting(*talking("mentor", T0, T0 + 5 * MINUTE))[:-1])  # not ended yet

    mentor = summarise_participant(live, "mentor", T0 + 20 * MINUTE)

    assert (mentor.present_seconds, mentor.camera_on_seconds) == (1200.0, 1200.0)
    assert (mentor.talk_seconds, mentor.talk_share) == (300.0, 1.0)


def test_someone_who_never_met_their_partner_has_nothing_counted_and_no_shares():
    state = fold([SCHEDULED, joined("mentor", T0), camera("mentor", "on", T0)])

    mentor = summarise_participant(state, "mentor", T0 + 30 * MINUTE)

    assert (mentor.present_seconds, mentor.camera_on_seconds) == (0.0, 0.0)
    assert (mentor.camera_on_share, mentor.face_in_view_share) == (0.0, 0.0)
    assert mentor.camera_unknown_share == 0.0
    assert (mentor.talk_share, mentor.reconnects) == (None, 0)


def test_a_rating_is_kept_with_whether_its_author_shares_it():
    events = meeting()
    after = events[-1].at + MINUTE
    state = fold(
        [
            *events,
            rated("mentor", 4, "Good", after),
            rated("mentoree", 5, "Great", after, shared=True),
        ]
    )
    end = events[-1].at

    mentor = summarise_participant(state, "mentor", end)
    mentoree = summarise_participant(state, "mentoree", end)

    assert (mentor.rating, mentor.rating_comment, mentor.rating_shared) == (4, "Good", False)
    assert (mentoree.rating, mentoree.rating_comment, mentoree.rating_shared) == (5, "Great", True)
    assert (mentor.name, mentoree.name) == ("Ada Lovelace", "Grace Hopper")
