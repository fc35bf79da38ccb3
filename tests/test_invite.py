"""The invitation's calendar file: RFC 5545 escaping, folding and the fields a calendar needs."""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.events import Person
from analytics.invite import Invitation, escape_text, fold_line, invite_ics

START = datetime(2030, 5, 1, 14, 0, tzinfo=UTC).timestamp()
NOW = datetime(2030, 4, 20, 9, 30, 15, tzinfo=UTC).timestamp()
LINK = "https://meet.example.org/s/abc123?token=" + "t" * 120


def invitation(**changes) -> Invitation:
    fields = {
        "session_id": "abc123",
        "role": "mentoree",
        "people": {
            "mentor": Person(name="Ada Lovelace, Countess", email="ada@example.org"),
            "mentoree": Person(name='Grace "Amazing" Hopper', email="grace@example.org"),
        },
        "start": START,
        "allotted_minutes": 45,
        "link": LINK,
        "organizer": "mentormeet@example.org",
    }
    return Invitation(**{**fields, **changes})


def unfold(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")


def test_text_escapes_backslash_semicolon_comma_and_newlines():
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_lines_fold_at_75_octets_without_splitting_a_character():
    line = "DESCRIPTION:" + "é" * 100
    folded = fold_line(line)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert (
        "".join(piece.removeprefix(" ") if i else piece for i, piece in enumerate(pieces)) == line
    )


def test_a_short_line_is_not_folded():
    assert fold_line("VERSION:2.0") == "VERSION:2.0"


def test_the_event_is_a_request_with_the_link_start_end_and_a_uid_per_role():
    ics = invite_ics(invitation(), now=NOW)
    lines = unfold(ics)

    assert ics.endswith("\r\n") and "\n" not in ics.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    assert lines[:4] == ["BEGIN:VCALENDAR", "VERSION:2.0", lines[2], "METHOD:REQUEST"]
    assert "UID:abc123-mentoree@mentormeet" in lines
    assert "DTSTART:20300501T140000Z" in lines
    assert "DTEND:20300501T144500Z" in lines
    assert "DTSTAMP:20300420T093015Z" in lines
    assert f"URL:{LINK}" in lines
    assert "SUMMARY:Mentoring session with Ada Lovelace\\, Countess" in lines
    attendee = next(line for line in lines if line.startswith("ATTENDEE"))
    assert attendee.startswith('ATTENDEE;CN="Grace Amazing Hopper";')
    assert attendee.endswith(":mailto:grace@example.org")
    assert lines[-2:] == ["END:VCALENDAR", ""]


def test_each_role_gets_its_own_uid_and_words():
    mentor = unfold(invite_ics(invitation(role="mentor"), now=NOW))
    assert "UID:abc123-mentor@mentormeet" in mentor
    assert any(line.startswith("SUMMARY:Mentoring session with Grace") for line in mentor)
    description = next(line for line in mentor if line.startswith("DESCRIPTION:"))
    assert "Hello Ada Lovelace\\, Countess\\,\\n" in description
    assert LINK in description
