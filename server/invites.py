"""Invitations by email: when SMTP is configured, each participant with an email address
gets their own link and a calendar file as soon as the session is scheduled. Each outcome
is recorded (``InviteSent`` or ``InviteFailed``): the dashboard shows it, and an invitation
that went out is never sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

import aiosmtplib

from analytics.events import ROLES, Event, InviteFailed, InviteSent, Role
from analytics.invite import Invitation, invite_ics, invite_subject, invite_text
from analytics.session import SessionState
from server.clock import Clock
from server.config import Config
from server.mail import Attachment, smtp_sender
from server.sessions import SessionBook

__all__ = ["InviteMailer", "invitation"]

log = logging.getLogger(__name__)


def invitation(config: Config, state: SessionState, role: Role, link: str) -> Invitation:
    """What ``role`` is invited to, with their own ``link``."""
    return Invitation(
        session_id=state.session_id,
        role=role,
        people={"mentor": state.mentor, "mentoree": state.mentoree},
        start=state.scheduled_start,
        allotted_minutes=state.allotted_minutes,
        link=link,
        organizer=config.delivery.mail_from,
    )


class InviteMailer:
    """Sends invitations in the background, so scheduling answers at once."""

    def __init__(self, config: Config, book: SessionBook, clock: Clock) -> None:
        self._config = config
        self._book = book
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, state: SessionState, links: dict[Role, str]) -> None:
        """Email each participant of ``state`` who has an address and no invitation yet."""
        task = asyncio.ensure_future(self._send_all(state, links))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_all(self, state: SessionState, links: dict[Role, str]) -> None:
        for role in ROLES:
            person = state.mentor if role == "mentor" else state.mentoree
            sender = person.email and smtp_sender(self._config.delivery, person.email)
            if not sender or state.invites.get(role) == "sent":
                continue
            invited = invitation(self._config, state, role, links[role])
            calendar = Attachment(
                content=invite_ics(invited, now=self._clock.now()).encode(),
                filename="mentoring-session.ics",
                maintype="text",
                subtype="calendar",
                params={"method": "REQUEST"},
            )
            outcome: Callable[..., Event]
            try:
                await sender.send_message(invite_subject(invited), invite_text(invited), calendar)
                outcome = partial(InviteSent, actor="system", role=role)
            except (aiosmtplib.SMTPException, OSError) as error:
                log.warning("invitation to the %s of %s failed: %s", role, state.session_id, error)
                outcome = partial(InviteFailed, actor="system", role=role, error=str(error))
            await self._record(state.session_id, outcome)

    async def _record(self, session_id: str, outcome: Callable[..., Event]) -> None:
        await self._book.execute(session_id, lambda _, at: outcome(at=at))

    async def close(self) -> None:
        """Stop sending: a shutdown does not wait for a slow mail server."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
