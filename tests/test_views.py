"""The live views of a session that the API and the room read."""

from dataclasses import asdict

from analytics.agenda_summary import summarise_agenda
from analytics.session import fold
from server.views import agenda_progress, live_state
from tests.events import MINUTE, T0, meeting


def test_the_room_shows_the_same_items_as_the_summary():
    state = fold(meeting(covered=1))

    summary_items = [asdict(item) for item in summarise_agenda(state).items]

    assert live_state(state, T0 + 50 * MINUTE)["agenda"] == summary_items
    assert [item["done"] for item in summary_items] == [True, False, False]


def test_the_agenda_progress_counts_the_current_item_up_to_now():
    under_way = fold(meeting(covered=1)[:-1])  # item 1 checked at one minute, not ended

    progress = agenda_progress(under_way.agenda, T0 + 10 * MINUTE)

    assert (progress["current_item_id"], progress["current_item_seconds"]) == (2, 540.0)
    assert (progress["covered"], progress["total"]) == (1, 3)
    assert progress["sent_at"] == "2030-04-30T14:00:00Z"
