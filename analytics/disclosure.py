"""Who reads what of a summary: the program manager everything, a participant their share.

A participant reads their own concerns and rating and nothing of the other's concerns: no
text, no count, no flag. The other's rating shows only if its author chose to share it
with their partner. Every summary a participant is shown passes through
:func:`summary_for`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from analytics.flags import Flag, FlagCode
from analytics.participation import ParticipantSummary
from analytics.summary import Summary

__all__ = ["READERS", "Reader", "summary_for"]

Reader = Literal["mpm", "mentor", "mentoree"]
READERS: tuple[Reader, Reader, Reader] = ("mpm", "mentor", "mentoree")

CONCERN_FLAG: FlagCode = "concern_raised"


def _own_concern_flag(flag: Flag, count: int) -> Flag | None:
    """The concern flag as its author reads it, counting their own concerns only."""
    if count == 0:
        return None
    plural = "" if count == 1 else "s"
    return replace(flag, message=f"You raised {count} concern{plural} with the program manager.")


def _as_read_by_partner(person: ParticipantSummary) -> ParticipantSummary:
    if person.rating_shared:
        return person
    return replace(person, rating=None, rating_comment=None)


def summary_for(summary: Summary, reader: Reader) -> Summary:
    """``summary`` with what ``reader`` may not read taken out."""
    if reader == "mpm":
        return summary
    concerns = tuple(concern for concern in summary.concerns if concern.role == reader)
    flags = []
    for flag in summary.flags:
        if flag.code == CONCERN_FLAG:
            own = _own_concern_flag(flag, len(concerns))
            if own is not None:
                flags.append(own)
        else:
            flags.append(flag)
    participants = {
        role: person if role == reader else _as_read_by_partner(person)
        for role, person in summary.participants.items()
    }
    return replace(summary, concerns=concerns, flags=tuple(flags), participants=participants)
