"""What participants may do to the agenda, and the codes that say why not."""

import pytest

from analytics import rules
from analytics.events import (
    AgendaDraftItem,
    AgendaItemAdded,
    AgendaItemChecked,
    AgendaItemUnchecked,
    AgendaSet,
    NoteAdded,
)
from analytics.session import fold
from tests.events import T0, agenda_set, concern, ended, joined, left, rated, scheduled

START = T0 + 30
DRAFT = (AgendaDraftItem(text="Career goals"), AgendaDraftItem(text="Code review habits"))
NEW_AGENDA = (AgendaDraftItem(text="Goals for the term", minutes=15),)
SCHEDULED = scheduled(agenda=DRAFT)


def scheduled_session():
    return fold([SCHEDULED])


def started_session(*later):
    return fold([SCHEDULED, joined("mentor", T0), joined("mentoree", START), *later])


def ended_session():
    return started_session(ended(START + 600))


def refusal(request):
    """The code of the refusal ``request()`` raises."""
    with pytest.raises(rules.Rejected) as refused:
        request()
    return refused.value.code


def test_the_mentoree_may_set_the_agenda_before_the_start():
    event = rules.set_agenda(scheduled_session(), "mentoree", NEW_AGENDA, T0 - 60)

    assert event == AgendaSet(at=T0 - 60, actor="mentoree", items=NEW_AGENDA)


def test_the_mentoree_may_set_the_agenda_while_the_mentor_waits_in_the_room():
    waiting = fold([SCHEDULED, joined("mentor", T0)])

    event = rules.set_agenda(waiting, "mentoree", NEW_AGENDA, T0 + 10)

    assert event.items == NEW_AGENDA


@pytest.mark.parametrize("actor", ["mentor", "mpm", "system"])
def test_nobody_but_the_mentoree_may_set_the_agenda(actor):
    code = refusal(lambda: rules.set_agenda(scheduled_session(), actor, NEW_AGENDA, T0 - 60))

    assert code == "forbidden"


def test_the_agenda_cannot_be_set_after_the_start():
    code = refusal(lambda: rules.set_agenda(started_session(), "mentoree", NEW_AGENDA, START + 1))

    assert code == "session_started"


def test_the_agenda_cannot_be_set_after_the_start_even_when_the_room_is_empty_again():
    emptied = started_session(left("mentor", START + 60), left("mentoree", START + 70))

    code = refusal(lambda: rules.set_agenda(emptied, "mentoree", NEW_AGENDA, START + 80))

    assert code == "session_started"


def test_the_agenda_cannot_be_set_after_the_end():
    code = refusal(lambda: rules.set_agenda(ended_session(), "mentoree", NEW_AGENDA, START + 900))

    assert code == "session_ended"


def test_the_agenda_cannot_be_set_after_an_end_that_came_before_any_start():
    abandoned = fold([SCHEDULED, joined("mentor", T0), ended(T0 + 60)])

    code = refusal(lambda: rules.set_agenda(abandoned, "mentoree", NEW_AGENDA, T0 + 90))

    assert code == "session_ended"


def test_a_refusal_says_why_in_words():
    with pytest.raises(rules.Rejected, match="only the mentoree") as refused:
        rules.set_agenda(scheduled_session(), "mentor", NEW_AGENDA, T0)

    assert refused.value.message == str(refused.value)


def test_a_participant_may_check_and_uncheck_an_item():
    state = started_session()

    check = rules.check_agenda_item(state, "mentor", 2, True, START + 60)
    uncheck = rules.check_agenda_item(state, "mentoree", 2, False, START + 90)

    assert check == AgendaItemChecked(at=START + 60, actor="mentor", item_id=2)
    assert uncheck == AgendaItemUnchecked(at=START + 90, actor="mentoree", item_id=2)


@pytest.mark.parametrize("item_id", [0, 3, 99])
def test_checking_an_item_that_does_not_exist_is_refused(item_id):
    state = started_session()

    code = refusal(lambda: rules.check_agenda_item(state, "mentor", item_id, True, START + 60))

    assert code == "unknown_item"


def test_a_participant_may_write_a_note_on_an_item():
    event = rules.write_note(started_session(), "mentoree", 1, "lead a team", START + 60)

    assert event == NoteAdded(at=START + 60, actor="mentoree", item_id=1, note="lead a team")


def test_a_note_on_an_item_that_does_not_exist_is_refused():
    state = started_session()

    code = refusal(lambda: rules.write_note(state, "mentoree", 3, "lost", START + 60))

    assert code == "unknown_item"


def test_an_added_item_is_known_to_later_checks():
    state = started_session(AgendaItemAdded(at=START + 30, actor="mentor", text="Books"))

    event = rules.check_agenda_item(state, "mentor", 3, True, START + 60)

    assert event.item_id == 3


def test_a_participant_may_add_an_item_while_there_is_room():
    event = rules.add_agenda_item(started_session(), "mentor", "Books", START + 60, max_items=3)

    assert event == AgendaItemAdded(at=START + 60, actor="mentor", text="Books")


def test_adding_an_item_to_a_full_agenda_is_refused():
    state = started_session()

    code = refusal(lambda: rules.add_agenda_item(state, "mentor", "Books", START, max_items=2))

    assert code == "agenda_full"


def test_the_agenda_cannot_be_changed_in_the_room_after_the_end():
    state = ended_session()
    at = START + 900

    assert refusal(lambda: rules.check_agenda_item(state, "mentor", 1, True, at)) == (
        "session_ended"
    )
    assert refusal(lambda: rules.write_note(state, "mentor", 1, "late", at)) == "session_ended"
    assert refusal(lambda: rules.add_agenda_item(state, "mentor", "late", at, max_items=30)) == (
        "session_ended"
    )


def test_each_participant_raises_at_most_twenty_concerns_in_a_session():
    twenty = [concern("mentoree", f"concern {n}", T0 + n) for n in range(rules.MAX_CONCERNS)]
    state = fold([SCHEDULED, *twenty])

    assert refusal(lambda: rules.raise_concern(state, "mentoree", "one more", T0 + 99)) == (
        "too_many"
    )
    assert rules.raise_concern(state, "mentor", "mine", T0 + 99).role == "mentor"


def test_ratings_and_agenda_rewrites_are_capped_per_participant_and_session():
    ratings = [rated("mentor", 4, "", START + 700 + n) for n in range(rules.MAX_RATINGS)]
    rewrites = [agenda_set(T0 - 600 + n, "Goals") for n in range(rules.MAX_AGENDA_REWRITES)]
    rewritten = fold([SCHEDULED, *rewrites])

    assert refusal(lambda: rules.set_agenda(rewritten, "mentoree", NEW_AGENDA, T0)) == "too_many"
    ended_and_rated = fold(
        [SCHEDULED, joined("mentor", T0), joined("mentoree", START), ended(START + 600), *ratings]
    )
    assert refusal(lambda: rules.rate_meeting(ended_and_rated, "mentor", 5, "", START + 800)) == (
        "too_many"
    )
    assert rules.rate_meeting(ended_and_rated, "mentoree", 5, "", START + 800).score == 5
    assert rewritten.written(AgendaSet, "mentoree") == rules.MAX_AGENDA_REWRITES


def test_a_participant_ends_the_session_only_once_it_has_started():
    alone = fold([SCHEDULED, joined("mentor", T0)])

    assert refusal(lambda: rules.end_session(alone, "mentor", T0 + 5)) == "not_started"
    assert refusal(lambda: rules.end_session(scheduled_session(), "mentoree", T0)) == "not_started"
    event = rules.end_session(started_session(), "mentoree", START + 60)
    assert (event.actor, event.reason, event.at) == ("mentoree", "ended_by_participant", START + 60)
    assert refusal(lambda: rules.end_session(ended_session(), "mentor", START + 700)) == (
        "session_ended"
    )


def test_a_start_within_the_year_is_fine_one_further_ahead_is_refused():
    rules.check_start(T0 + rules.MAX_START_AHEAD_SECONDS, T0, confirm_past_start=False)

    too_late = T0 + rules.MAX_START_AHEAD_SECONDS + 1
    assert refusal(lambda: rules.check_start(too_late, T0, confirm_past_start=True)) == (
        "start_too_late"
    )


def test_a_start_in_the_past_needs_a_confirmation():
    rules.check_start(T0 - rules.PAST_START_GRACE_SECONDS, T0, confirm_past_start=False)

    yesterday = T0 - 24 * 3600
    assert refusal(lambda: rules.check_start(yesterday, T0, confirm_past_start=False)) == (
        "start_in_past"
    )
    rules.check_start(yesterday, T0, confirm_past_start=True)
