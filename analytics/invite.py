"""A participant's invitation as an iCalendar file (RFC 5545): one event, METHOD:REQUEST,
their own link, the start and end, a UID per session and role.

Pure: the caller passes every time, including ``now`` for DTSTAMP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from analytics.events import Person, Role, other_role

__all__ = ["Invitation", "escape_text", "fold_line", "invite_ics", "invite_subject", "invite_text"]

PRODUCT_ID = "-//mentormeet//invite//EN"
MAX_LINE_OCTETS = 75


@dataclass(frozen=True, kw_only=True)
class Invitation:
    """What one participant needs to know to come to a session."""

    session_id: str
    role: Role
    people: dict[Role, Person]
    start: float
    allotted_minutes: int
    link: str
    organizer: str

    @property
    def person(self) -> Person:
        return self.people[self.role]

    @property
    def peer(self) -> Person:
        return self.people[other_role(self.role)]

    @property
    def end(self) -> float:
        return self.start + self.allotted_minutes * 60


def escape_text(value: str) -> str:
    """A TEXT value with backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return escaped.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line into CRLF-joined pieces of at most 75 octets (RFC 5545 3.1).

    Continuations begin with one space, which counts towards their 75; a UTF-8 character is
    never split.
    """
    pieces: list[str] = []
    current = ""
    limit = MAX_LINE_OCTETS
    for char in line:
        if len((current + char).encode()) > limit:
            pieces.append(current)
            current = ""
            limit = MAX_LINE_OCTETS - 1
        current += char
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y%m%dT%H%M%SZ")


def _quoted(value: str) -> str:
    """A parameter value (such as CN): quoted, with the characters quotes cannot hold dropped."""
    return '"' + value.replace('"', "").replace("\r", " ").replace("\n", " ") + '"'


def invite_subject(invitation: Invitation) -> str:
    """The email subject and the calendar entry's title."""
    return f"Mentoring session with {invitation.peer.name}"


def invite_text(invitation: Invitation) -> str:
    """The plain words of the invitation, for the email body and the event's description."""
    return (
        f"Hello {invitation.person.name},\n\n"
        f"You have a {invitation.allotted_minutes}-minute mentoring session with "
        f"{invitation.peer.name} ({other_role(invitation.role)}).\n\n"
        f"Your own link (do not share it): {invitation.link}\n\n"
        "It opens your lobby, where you can check your camera and microphone before joining.\n"
    )


def invite_ics(invitation: Invitation, *, now: float) -> str:
    """The .ics file of the invitation, CRLF line endings, folded, ready to attach."""
    attendee = invitation.person
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "METHOD:REQUEST",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:{invitation.session_id}-{invitation.role}@mentormeet",
        "SEQUENCE:0",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(invitation.start)}",
        f"DTEND:{_utc(invitation.end)}",
        f"SUMMARY:{escape_text(invite_subject(invitation))}",
        f"DESCRIPTION:{escape_text(invite_text(invitation))}",
        f"URL:{invitation.link}",
        f"LOCATION:{escape_text(invitation.link)}",
        f"ORGANIZER:mailto:{invitation.organizer}",
    ]
    if attendee.email:
        lines.append(
            f"ATTENDEE;CN={_quoted(attendee.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;"
            f"RSVP=FALSE:mailto:{attendee.email}"
        )
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold_line(line) + "\r\n" for line in lines)
