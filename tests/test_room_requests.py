"""Each request a participant makes in the room is decided by its rule, as that person."""

from __future__ import annotations

from analytics.session import fold
from server.room_requests import rule_for
from server.schemas import AgendaAdd, AgendaCheck, AgendaNote, End, Speaking
from tests.events import SCHEDULED, T0, added, agenda_set, checked, ended, joined, noted, speaks

LIVE = fold([SCHEDULED, agenda_set(T0, "Goals"), joined("mentor", T0), joined("mentoree", T0)])
AT = T0 + 60


def decided(request, role="mentor"):
    outcome = rule_for(request, role)(LIVE, AT)
    return list(outcome) if isinstance(outcome, tuple | list) else [outcome]


def test_agenda_requests_are_recorded_as_their_author_with_typed_text_trimmed():
    assert decided(AgendaAdd(text="  Next steps \n")) == [added("Next steps", AT)]
    assert decided(AgendaCheck(item_id=1, done=True)) == [checked(1, AT)]
    assert decided(AgendaNote(item_id=1, note=" read it "), "mentoree") == [noted(1, "read it", AT)]


def test_talking_and_ending_are_recorded_as_whoever_asked():
    assert decided(Speaking(speaking=True), "mentoree") == [speaks("mentoree", AT)]
    assert decided(End(), "mentoree") == [ended(AT, actor="mentoree")]
