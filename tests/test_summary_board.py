"""The summary board: ended sessions' summaries made once per change, not once per read."""

from analytics.session import fold
from analytics.summary import SummaryPolicy, summarise
from server.summary_board import SummaryBoard
from tests.events import SCHEDULED, meeting, rated


async def test_a_summary_is_made_when_its_session_changes_and_read_as_it_is_after():
    board = SummaryBoard(SummaryPolicy())
    events = meeting(minutes=30)
    state = fold(events)
    await board.on_recorded(state, events[-1])

    first = board.summary(state)
    assert first == summarise(state, SummaryPolicy())
    assert board.summary(state) is first  # read again: not made again

    rating = rated("mentor", 5, "Helpful", events[-1].at + 60)
    later = fold([*events, rating])
    await board.on_recorded(later, rating)
    assert board.summary(later) is not first
    assert board.summary(later).version == later.summary_version


async def test_a_session_not_over_has_no_summary_and_a_deleted_one_is_forgotten():
    board = SummaryBoard(SummaryPolicy())
    events = meeting(minutes=30)
    assert board.summary(fold(events[:-1])) is None

    state = fold(events)
    kept = board.summary(state)  # a state loaded after a restart: made on first read
    assert board.summary(state) is kept
    board.forget(state.session_id)
    assert board.summary(state) is not kept
    assert SCHEDULED.session_id == state.session_id
