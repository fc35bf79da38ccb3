"""Hand-made event sequences for the analytics tests.

A builder for each kind of event, with the defaults most tests want, and ``meeting()``:
the events of a whole meeting that follows the tips unless told otherwise. Times count
from ``T0``, when the session is scheduled to start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from analytics.events import (
    Actor,
    AgendaDraftItem,
    AgendaItemAdded,
    AgendaItemChecked,
    AgendaItemUnchecked,
    AgendaSet,
    CameraObserved,
    CameraState,
    ConcernRaised,
    EndReason,
    Event,
    MeetingRated,
    NoteAdded,
    ParticipantJoined,
    ParticipantLeft,
    Person,
    Role,
    SessionEnded,
    SessionScheduled,
    SpeakingChanged,
)
from analytics.outgoing import ConcernAlert
from analytics.summary import Summary, SummaryPolicy, build_summary

T0 = 1_903_874_400.0  # 2030-05-01 14:00 UTC, the scheduled start
MINUTE = 60.0
DAY = 24 * 3600.0

ADA = Person(name="Ada Lovelace")
GRACE = Person(name="Grace Hopper")
AGENDA = ("Career goals", "Code review habits", "Conference talk")


def scheduled(
    *,
    at: float = T0 - DAY,
    session_id: str = "s1",
    mentor: Person = ADA,
    mentoree: Person = GRACE,
    scheduled_start: float = T0,
    allotted_minutes: int = 45,
    agenda: tuple[AgendaDraftItem, ...] = (),
) -> SessionScheduled:
    """The MPM scheduling Ada to mentor Grace, a day ahead unless told otherwise."""
    return SessionScheduled(
        at=at,
        actor="mpm",
        session_id=session_id,
        mentor=mentor,
        mentoree=mentoree,
        scheduled_start=scheduled_start,
        allotted_minutes=allotted_minutes,
        agenda=agenda,
    )


# What ``meeting()`` is of unless told otherwise: planned a week ahead, and the mentor
# has an email address for the summary.
SCHEDULED = scheduled(at=T0 - 7 * DAY, mentor=Person(name="Ada Lovelace", email="ada@example.org"))


def joined(role: Role, at: float) -> ParticipantJoined:
    return ParticipantJoined(at=at, actor=role, role=role)


def left(role: Role, at: float) -> ParticipantLeft:
    return ParticipantLeft(at=at, actor=role, role=role)


def camera(
    role: Role, state: CameraState, at: float, *, since: float | None = None
) -> CameraObserved:
    """The server seeing ``role``'s camera go to ``state`` ("on", "no_face", "off",
    "unknown"), on evidence that began at ``since`` if given."""
    return CameraObserved(at=at, actor="system", role=role, state=state, since=since)


def speaks(role: Role, at: float) -> SpeakingChanged:
    return SpeakingChanged(at=at, actor=role, role=role, speaking=True)


def stops(role: Role, at: float) -> SpeakingChanged:
    return SpeakingChanged(at=at, actor=role, role=role, speaking=False)


def talking(role: Role, start: float, end: float) -> list[SpeakingChanged]:
    """A stretch of ``role`` talking from ``start`` to ``end``."""
    return [speaks(role, start), stops(role, end)]


def agenda_set(at: float, *texts: str, actor: Actor = "mentoree") -> AgendaSet:
    return AgendaSet(at=at, actor=actor, items=tuple(AgendaDraftItem(text=t) for t in texts))


def checked(item_id: int, at: float, actor: Actor = "mentor") -> AgendaItemChecked:
    return AgendaItemChecked(at=at, actor=actor, item_id=item_id)


def unchecked(item_id: int, at: float, actor: Actor = "mentor") -> AgendaItemUnchecked:
    return AgendaItemUnchecked(at=at, actor=actor, item_id=item_id)


def noted(item_id: int, note: str, at: float, actor: Actor = "mentoree") -> NoteAdded:
    return NoteAdded(at=at, actor=actor, item_id=item_id, note=note)


def added(text: str, at: float, actor: Actor = "mentor") -> AgendaItemAdded:
    return AgendaItemAdded(at=at, actor=actor, text=text)


def ended(
    at: float, actor: Actor = "mentor", reason: EndReason = "ended_by_participant"
) -> SessionEnded:
    return SessionEnded(at=at, actor=actor, reason=reason)


def concern(role: Role, text: str, at: float) -> ConcernRaised:
    return ConcernRaised(at=at, actor=role, role=role, text=text)


def concern_alert(**overrides: Any) -> ConcernAlert:
    """A concern raised during the meeting, as a channel passes it on (``overrides``
    replace its fields)."""
    fields: dict[str, Any] = {
        "session_id": "s1",
        "number": 1,
        "mentor": "Ada",
        "mentoree": "Grace",
        "role": "mentoree",
        "name": "Grace",
        "text": "Help",
        "at": T0,
    }
    return ConcernAlert(**{**fields, **overrides})


def rated(role: Role, score: int, comment: str, at: float, *, shared: bool = False) -> MeetingRated:
    return MeetingRated(at=at, actor=role, role=role, score=score, comment=comment, shared=shared)


def meeting(
    *during: Event,
    scheduled: SessionScheduled = SCHEDULED,
    start: float = T0,
    minutes: float = 45.0,
    agenda: Sequence[str] = AGENDA,
    covered: int | None = None,
) -> list[Event]:
    """The events of a meeting that follows the tips unless told otherwise.

    The mentoree sends ``agenda`` the day before; both come in at ``start`` with their
    cameras on; ``covered`` items (all by default) are checked off in the first minutes;
    ``during`` happens; a participant ends it after ``minutes``. Events come out in time
    order, the schedule first.
    """
    day_before = scheduled.scheduled_start - DAY
    before = [agenda_set(day_before, *agenda)] if agenda else []
    covered = len(agenda) if covered is None else covered
    checks = [checked(n, start + n * MINUTE) for n in range(1, covered + 1)]
    arrival = [
        joined("mentor", start),
        joined("mentoree", start),
        camera("mentor", "on", start),
        camera("mentoree", "on", start),
    ]
    end = ended(start + minutes * MINUTE)
    rest = sorted([*before, *arrival, *checks, *during], key=attrgetter("at"))
    return [scheduled, *rest, end]


def summary_of(events: Iterable[Event], policy: SummaryPolicy | None = None) -> Summary:
    """The summary of ``events``, under the default policy unless given another."""
    return build_summary(events, SummaryPolicy() if policy is None else policy)
