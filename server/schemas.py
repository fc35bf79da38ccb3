"""The shapes of what clients send: HTTP bodies and WebSocket messages.

Decoding goes through msgspec, so a message either matches its schema exactly or is
refused with an error that names the offending field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "MAX_AGENDA_ITEMS",
    "AgendaAdd",
    "AgendaCheck",
    "AgendaItemIn",
    "AgendaNote",
    "AgendaRequest",
    "CameraReport",
    "ClientMessage",
    "ConcernRequest",
    "End",
    "Hello",
    "IceCandidate",
    "PersonIn",
    "RatingRequest",
    "ScheduleRequest",
    "SessionDescription",
    "Signal",
    "Speaking",
    "UplinkOffer",
    "control_character_field",
    "control_characters",
    "decode_client_message",
]

# Control characters (C0, DEL, C1 and the Unicode line and paragraph separators) forge
# lines in logs, mail headers and summaries. One-line fields take none of them; multi-line
# fields take line feeds and tabs.
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL_BUT_LF_TAB = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029"
_NEVER_ALLOWED = re.compile(f"[{_CONTROL_BUT_LF_TAB}]")
# \Z, not $: $ also matches before a final line feed.
ONE_LINE = rf"^(?=.*\S)[^{_CONTROL}]*\Z"
MULTI_LINE = rf"^[^{_CONTROL_BUT_LF_TAB}]*\Z"
MULTI_LINE_NOT_BLANK = rf"^(?=[\s\S]*\S)[^{_CONTROL_BUT_LF_TAB}]*\Z"

Name = Annotated[str, Meta(min_length=1, max_length=80, pattern=ONE_LINE)]
Email = Annotated[str, Meta(max_length=254, pattern=rf"^[^@\s{_CONTROL}]+@[^@\s{_CONTROL}]+\Z")]
AgendaText = Annotated[str, Meta(min_length=1, max_length=200, pattern=ONE_LINE)]
NoteText = Annotated[str, Meta(max_length=500, pattern=MULTI_LINE)]
ItemId = Annotated[int, Meta(ge=1)]
MAX_AGENDA_ITEMS = 30


class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    email: Email | None = None


class ScheduleRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of ``POST /api/sessions``."""

    mentor: PersonIn
    mentoree: PersonIn
    scheduled_start: Annotated[datetime, Meta(tz=True)]
    allotted_minutes: Annotated[int, Meta(ge=1, le=240)]
    agenda: Annotated[list[AgendaText], Meta(max_length=MAX_AGENDA_ITEMS)] = []
    # A start in the past is refused unless the MPM confirms it.
    confirm_past_start: bool = False


class AgendaItemIn(msgspec.Struct, forbid_unknown_fields=True):
    text: AgendaText
    minutes: Annotated[int, Meta(ge=1, le=240)] | None = None


class AgendaRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of ``PUT /api/sessions/{id}/agenda``."""

    items: Annotated[list[AgendaItemIn], Meta(max_length=MAX_AGENDA_ITEMS)]


class ConcernRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of ``POST /api/sessions/{id}/concerns``."""

    text: Annotated[str, Meta(min_length=1, max_length=2000, pattern=MULTI_LINE_NOT_BLANK)]


class SignInRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The program manager's token, exchanged for a session cookie."""

    token: Annotated[str, Meta(min_length=1, max_length=500)]


class RatingRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of ``POST /api/sessions/{id}/rating``."""

    score: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(max_length=300, pattern=MULTI_LINE)] = ""
    # Let the partner read the rating; off unless the rater ticks it.
    shared: bool = False


class SessionDescription(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    type: Literal["offer", "answer", "rollback"]
    sdp: Annotated[str, Meta(max_length=60_000)] = ""


class UplinkOffer(msgspec.Struct, forbid_unknown_fields=True):
    """Body of ``POST /api/sessions/{id}/uplink``: a complete offer (ICE gathering done)."""

    type: Literal["offer"]
    sdp: Annotated[str, Meta(min_length=1, max_length=60_000)]


class IceCandidate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    candidate: Annotated[str, Meta(max_length=1_000)]
    sdpMid: str | None = None
    sdpMLineIndex: int | None = None
    usernameFragment: str | None = None


class Hello(msgspec.Struct, tag="hello", forbid_unknown_fields=True):
    """First message on a connection: who is joining, from which browser tab."""

    token: Annotated[str, Meta(max_length=1_000)]
    client_id: Annotated[str, Meta(min_length=8, max_length=64)]
    # "Use this window": the participant chose this tab over their other one, which the
    # hub then closes as replaced.
    take_over: bool = False


class Signal(msgspec.Struct, tag="signal", forbid_unknown_fields=True, omit_defaults=True):
    """A negotiation message for the other participant's browser."""

    description: SessionDescription | None = None
    candidate: IceCandidate | None = None


class End(msgspec.Struct, tag="end", forbid_unknown_fields=True):
    """End the session for both participants."""


class AgendaCheck(msgspec.Struct, tag="agenda_check", forbid_unknown_fields=True):
    """Mark an agenda item done or not done."""

    item_id: ItemId
    done: bool


class AgendaNote(msgspec.Struct, tag="agenda_note", forbid_unknown_fields=True):
    """Write the note on an agenda item."""

    item_id: ItemId
    note: NoteText


class AgendaAdd(msgspec.Struct, tag="agenda_add", forbid_unknown_fields=True):
    """Add an item that came up during the meeting."""

    text: AgendaText


class Speaking(msgspec.Struct, tag="speaking", forbid_unknown_fields=True):
    """The browser heard its participant start or stop talking."""

    speaking: bool


class CameraReport(msgspec.Struct, tag="camera", forbid_unknown_fields=True):
    """What the browser's camera track is doing (``enabled`` is the participant's toggle)."""

    enabled: bool
    muted: bool
    ended: bool


ClientMessage = (
    Hello | Signal | End | AgendaCheck | AgendaNote | AgendaAdd | Speaking | CameraReport
)
_decoder = msgspec.json.Decoder(ClientMessage)


def decode_client_message(raw: str | bytes) -> ClientMessage:
    """Decode one WebSocket message; raise :class:`msgspec.DecodeError` if it is not valid."""
    try:
        return _decoder.decode(raw)
    except RecursionError:
        # msgspec recurses to skip unknown values; a deeply nested one exhausts the stack.
        raise msgspec.DecodeError("message is nested too deeply") from None


_PATH_STEP = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+)\]")


def control_character_field(error: msgspec.DecodeError, raw: str | bytes) -> str | None:
    """The field (``mentor.name``, ``items[0].text``) whose control characters made
    decoding ``raw`` fail with ``error``, or None if the failure was something else."""
    message, _, path = str(error).rpartition(" - at `$")
    if "matching regex" not in message:
        return None  # too long, missing, of the wrong type …
    path = path.rstrip("`")
    try:
        value = msgspec.json.decode(raw)
        for key, index in _PATH_STEP.findall(path):
            value = value[key] if key else value[int(index)]
    except (msgspec.DecodeError, LookupError, TypeError, RecursionError):
        return None
    if not isinstance(value, str):
        return None
    # A line break or tab fails only a one-line field's pattern, unless the text is blank.
    if _NEVER_ALLOWED.search(value) or (value.strip() and ("\n" in value or "\t" in value)):
        return path.lstrip(".") or None
    return None


def control_characters(field: str) -> str:
    """What to tell a client whose ``field`` holds control characters."""
    return (
        f"{field} contains control characters: line breaks and tabs only go into "
        "notes, concerns and comments, other control characters nowhere"
    )
