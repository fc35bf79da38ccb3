"""The agenda as people read it, live and in the summary."""

from analytics.agenda import Agenda, AgendaItem
from analytics.agenda_summary import AgendaItemSummary, agenda_items, summarise_agenda
from analytics.session import fold
from tests.events import AGENDA, DAY, MINUTE, SCHEDULED, T0, agenda_set, ended, joined


def test_each_item_keeps_its_state_and_its_time_to_a_tenth_of_a_second():
    agenda = Agenda(
        items=(
            AgendaItem(id=1, text="Goals", minutes=10, done=True, note="ok", seconds=612.345),
            AgendaItem(id=2, text="Next steps", seconds=0.04, added_during_session=True),
        )
    )

    assert agenda_items(agenda) == (
        AgendaItemSummary(
            id=1,
            text="Goals",
            minutes=10,
            done=True,
            note="ok",
            seconds=612.3,
            added_during_session=False,
        ),
        AgendaItemSummary(
            id=2,
            text="Next steps",
            minutes=None,
            done=False,
            note="",
            seconds=0.0,
            added_during_session=True,
        ),
    )


def test_an_agenda_sent_after_the_start_was_not_sent_before_it():
    state = fold(
        [
            SCHEDULED,
            joined("mentor", T0),
            joined("mentoree", T0),
            agenda_set(T0 + MINUTE, *AGENDA),
            ended(T0 + 30 * MINUTE),
        ]
    )

    agenda = summarise_agenda(state)

    assert (agenda.sent_at, agenda.sent_before_start) == (T0 + MINUTE, False)
    assert (agenda.covered, agenda.total) == (0, 3)


def test_an_agenda_for_a_meeting_that_never_started_counts_as_sent_before_it():
    state = fold([SCHEDULED, agenda_set(T0 - DAY, *AGENDA), ended(T0 + 30 * MINUTE)])

    assert summarise_agenda(state).sent_before_start is True
