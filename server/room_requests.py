"""What a participant's request in the room means: the rule that decides it."""

from __future__ import annotations

from analytics import room, rules
from analytics.events import Role
from server.schemas import MAX_AGENDA_ITEMS, AgendaAdd, AgendaCheck, AgendaNote, End, Speaking
from server.sessions import Decide

__all__ = ["Request", "rule_for"]

# The requests a participant makes of the record over the room's WebSocket.
Request = AgendaAdd | AgendaCheck | AgendaNote | End | Speaking


def rule_for(request: Request, role: Role) -> Decide:
    """The rule that decides ``request`` from ``role`` (typed text arrives trimmed)."""
    match request:
        case End():
            return lambda state, at: rules.end_session(state, role, at)
        case AgendaCheck(item_id=item_id, done=done):
            return lambda state, at: rules.check_agenda_item(state, role, item_id, done, at)
        case AgendaNote(item_id=item_id, note=note):
            return lambda state, at: rules.write_note(state, role, item_id, note.strip(), at)
        case AgendaAdd(text=text):
            return lambda state, at: rules.add_agenda_item(
                state, role, text.strip(), at, max_items=MAX_AGENDA_ITEMS
            )
        case Speaking(speaking=speaking):
            return lambda state, at: room.report_speaking(state, role, speaking, at)
