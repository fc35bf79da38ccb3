"""Text fields and control characters: one-line fields take none, multi-line ones newlines."""

import json

import msgspec
import pytest

from server.schemas import (
    ConcernRequest,
    RatingRequest,
    ScheduleRequest,
    control_character_field,
    decode_client_message,
)

SCHEDULE = {
    "mentor": {"name": "Ada", "email": "ada@example.org"},
    "mentoree": {"name": "Grace"},
    "scheduled_start": "2030-05-01T14:00:00+00:00",
    "allotted_minutes": 45,
    "agenda": ["Goals"],
}


def refused_field(schema, body) -> str | None:
    raw = json.dumps(body)
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.json.decode(raw, type=schema)
    return control_character_field(refused.value, raw)


@pytest.mark.parametrize(
    "text", ["Ada\r\nBcc: x", "Ada\n", "A\tda", "Ada\x1b[2J", "A\x00", "A\u2028"]
)
def test_one_line_fields_refuse_every_control_character_and_say_which_field(text):
    assert refused_field(ScheduleRequest, {**SCHEDULE, "mentor": {"name": text}}) == "mentor.name"
    assert refused_field(ScheduleRequest, {**SCHEDULE, "agenda": ["ok", text]}) == "agenda[1]"
    email = {"name": "Ada", "email": f"{text}@example.org"}
    assert refused_field(ScheduleRequest, {**SCHEDULE, "mentor": email}) == "mentor.email"


def test_multi_line_fields_take_newlines_and_tabs_but_no_other_control_character():
    concern = msgspec.json.decode(json.dumps({"text": "one\n\ttwo"}), type=ConcernRequest)

    assert concern.text == "one\n\ttwo"
    assert refused_field(ConcernRequest, {"text": "one\r\ntwo"}) == "text"
    assert refused_field(RatingRequest, {"score": 4, "comment": "fine\x1b[31m"}) == "comment"


def test_other_failures_are_not_blamed_on_control_characters():
    assert refused_field(ConcernRequest, {"text": "   "}) is None
    assert refused_field(ConcernRequest, {"text": "\n\n"}) is None
    assert refused_field(ConcernRequest, {"text": "x\n" * 1500}) is None  # too long
    assert refused_field(ScheduleRequest, {**SCHEDULE, "mentor": {"name": "  "}}) is None


def test_websocket_messages_are_held_to_the_same_rules():
    raw = json.dumps({"type": "agenda_add", "text": "forged\n## Nothing to flag"})

    with pytest.raises(msgspec.ValidationError) as refused:
        decode_client_message(raw)

    assert control_character_field(refused.value, raw) == "text"
    note = decode_client_message(json.dumps({"type": "agenda_note", "item_id": 1, "note": "a\nb"}))
    assert note.note == "a\nb"
