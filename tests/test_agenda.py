"""The agenda as the fold sees it: prepared before the meeting, checked off and timed in it."""

from analytics.agenda import AgendaItem
from analytics.events import AgendaDraftItem, AgendaSet
from analytics.session import fold
from tests.events import (
    T0,
    added,
    agenda_set,
    checked,
    ended,
    joined,
    noted,
    scheduled,
    unchecked,
)

# The clock starts when the mentoree joins the mentor in ``started_session``.
START = T0 + 30
DRAFT = (
    AgendaDraftItem(text="Career goals", minutes=20),
    AgendaDraftItem(text="Code review habits"),
    AgendaDraftItem(text="Next steps", minutes=5),
)


def agenda_before_start(*events, draft=DRAFT):
    return fold([scheduled(agenda=draft), *events]).agenda


def started_session(*later, draft=DRAFT):
    """The mentor joined at T0, the mentoree at START (the clock starts), then ``later``."""
    return fold([scheduled(agenda=draft), joined("mentor", T0), joined("mentoree", START), *later])


def seconds(agenda):
    """Time booked to each item, by id."""
    return {item.id: item.seconds for item in agenda.items}


def test_the_draft_from_scheduling_is_numbered_from_one_with_its_time_budgets():
    agenda = agenda_before_start()

    assert agenda.items == (
        AgendaItem(id=1, text="Career goals", minutes=20),
        AgendaItem(id=2, text="Code review habits"),
        AgendaItem(id=3, text="Next steps", minutes=5),
    )


def test_the_draft_from_scheduling_does_not_count_as_sent():
    agenda = agenda_before_start()

    assert agenda.sent_at is None
    assert agenda.updated_at is None


def test_an_agenda_set_by_the_mentoree_replaces_the_draft_numbered_from_one():
    agenda = agenda_before_start(agenda_set(T0 - 3_600, "Goals for the term", "My CV"))

    assert [(item.id, item.text) for item in agenda.items] == [
        (1, "Goals for the term"),
        (2, "My CV"),
    ]


def test_the_agenda_is_sent_once_and_updated_each_time():
    agenda = agenda_before_start(
        agenda_set(T0 - 3_600, "Goals"), agenda_set(T0 - 1_800, "Goals", "My CV")
    )

    assert agenda.sent_at == T0 - 3_600
    assert agenda.updated_at == T0 - 1_800
    assert [item.text for item in agenda.items] == ["Goals", "My CV"]


def test_an_agenda_set_by_someone_else_is_an_update_but_not_sent():
    agenda = agenda_before_start(agenda_set(T0 - 3_600, "Goals", actor="mpm"))

    assert agenda.sent_at is None
    assert agenda.updated_at == T0 - 3_600


def test_time_budgets_come_from_the_agenda_that_was_set():
    event = AgendaSet(
        at=T0 - 60,
        actor="mentoree",
        items=(AgendaDraftItem(text="Goals", minutes=15), AgendaDraftItem(text="CV")),
    )

    agenda = agenda_before_start(event)

    assert [item.minutes for item in agenda.items] == [15, None]


def test_an_item_can_be_checked_and_unchecked():
    done = started_session(checked(2, START + 60)).agenda
    undone = started_session(checked(2, START + 60), unchecked(2, START + 90)).agenda

    assert [item.done for item in done.items] == [False, True, False]
    assert [item.done for item in undone.items] == [False, False, False]


def test_a_note_is_written_on_its_item_and_rewriting_replaces_it():
    first = started_session(noted(1, "wants to lead a team", at=START + 60)).agenda
    rewritten = started_session(
        noted(1, "wants to lead a team", at=START + 60),
        noted(1, "wants to lead a team by 2031", at=START + 60),
    ).agenda

    assert [item.note for item in first.items] == ["wants to lead a team", "", ""]
    assert rewritten.item(1).note == "wants to lead a team by 2031"


def test_an_added_item_gets_the_next_id_and_is_marked_as_added_during_the_session():
    agenda = started_session(added("Conference talk", START + 300)).agenda

    assert agenda.items[-1] == AgendaItem(id=4, text="Conference talk", added_during_session=True)
    assert [item.added_during_session for item in agenda.items] == [False, False, False, True]


def test_added_items_count_on_from_the_highest_id():
    agenda = started_session(
        added("Conference talk", START + 300), added("Books", START + 400)
    ).agenda

    assert [(item.id, item.text) for item in agenda.items[3:]] == [
        (4, "Conference talk"),
        (5, "Books"),
    ]


def test_the_first_item_added_to_an_empty_agenda_is_number_one():
    agenda = started_session(added("Whatever comes up", START + 10), draft=()).agenda

    assert [(item.id, item.text) for item in agenda.items] == [(1, "Whatever comes up")]


def test_the_current_item_is_the_first_not_done():
    first = started_session().agenda
    after_first = started_session(checked(1, START + 60)).agenda
    out_of_order = started_session(checked(2, START + 60)).agenda
    all_done = started_session(*(checked(i, START + 60 * i) for i in (1, 2, 3))).agenda

    assert first.current.id == 1
    assert after_first.current.id == 2
    assert out_of_order.current.id == 1
    assert all_done.current is None


def test_an_unchecked_item_before_the_current_one_becomes_current_again():
    agenda = started_session(
        checked(1, START + 60), checked(2, START + 120), unchecked(1, START + 180)
    ).agenda

    assert agenda.current.id == 1


def test_no_time_is_credited_before_the_clock_starts():
    agenda = fold([scheduled(agenda=DRAFT), joined("mentor", T0), checked(1, T0 + 20)]).agenda

    assert seconds(agenda) == {1: 0, 2: 0, 3: 0}
    assert agenda.current_since is None
    assert agenda.current_seconds(T0 + 600) == 0


def test_the_current_item_collects_time_from_the_start_of_the_clock():
    agenda = started_session().agenda

    assert agenda.current_since == START
    assert agenda.current_seconds(START + 125.5) == 125.5


def test_checking_an_item_books_the_time_since_it_became_current():
    agenda = started_session(checked(1, START + 300), checked(2, START + 900)).agenda

    assert seconds(agenda) == {1: 300, 2: 600, 3: 0}
    assert agenda.current.id == 3
    assert agenda.current_seconds(START + 1_000) == 100


def test_the_end_books_the_last_stretch_and_stops_the_timing():
    agenda = started_session(checked(1, START + 300), ended(START + 1_000)).agenda

    assert seconds(agenda) == {1: 300, 2: 700, 3: 0}
    assert agenda.current_since is None
    assert agenda.current_seconds(START + 5_000) == 700


def test_checking_a_later_item_keeps_the_time_on_the_current_one():
    agenda = started_session(checked(3, START + 200), checked(1, START + 500)).agenda

    assert seconds(agenda) == {1: 500, 2: 0, 3: 0}


def test_an_item_checked_again_after_unchecking_adds_to_its_time():
    agenda = started_session(
        checked(1, START + 300),
        unchecked(1, START + 400),
        checked(1, START + 450),
        ended(START + 500),
    ).agenda

    assert seconds(agenda) == {1: 350, 2: 150, 3: 0}


def test_notes_do_not_move_the_timing():
    agenda = started_session(noted(1, "a note", at=START + 100), checked(1, START + 300)).agenda

    assert seconds(agenda) == {1: 300, 2: 0, 3: 0}


def test_an_item_added_when_all_were_done_collects_time_only_from_when_it_was_added():
    agenda = started_session(
        checked(1, START + 100),
        checked(2, START + 200),
        checked(3, START + 300),
        added("Conference talk", START + 600),
        ended(START + 700),
    ).agenda

    assert seconds(agenda) == {1: 100, 2: 100, 3: 100, 4: 100}


def test_an_item_unchecked_when_all_were_done_collects_time_only_from_then():
    agenda = started_session(
        checked(1, START + 100),
        checked(2, START + 200),
        checked(3, START + 300),
        unchecked(2, START + 900),
        ended(START + 1_000),
    ).agenda

    assert seconds(agenda) == {1: 100, 2: 200, 3: 100}


def test_the_first_item_added_to_an_empty_agenda_collects_time_only_from_when_it_was_added():
    agenda = started_session(
        added("Whatever comes up", START + 600), ended(START + 660), draft=()
    ).agenda

    assert seconds(agenda) == {1: 60}


def test_coverage_counts_the_items_done():
    agenda = started_session(
        checked(1, START + 60),
        checked(3, START + 120),
        added("Conference talk", START + 180),
    ).agenda

    assert agenda.covered == 2
    assert len(agenda.items) == 4


def test_an_empty_agenda_has_nothing_covered_and_no_current_item():
    agenda = started_session(draft=()).agenda

    assert agenda.covered == 0
    assert agenda.current is None
    assert agenda.current_seconds(START + 60) == 0


def test_an_unknown_item_id_changes_nothing():
    before = started_session().agenda
    after = started_session(checked(9, START), noted(9, "lost", at=START + 60)).agenda

    assert after == before


def test_agenda_events_after_the_end_change_nothing():
    over = started_session(checked(1, START + 300), ended(START + 600))

    after = started_session(
        checked(1, START + 300),
        ended(START + 600),
        checked(2, START + 700),
        noted(1, "too late", at=START + 700),
        added("Too late", START + 700),
    )

    assert after.agenda == over.agenda
