"""Deleting sessions: on the MPM's request, and after the retention period.

A deleted session leaves nothing behind: its events go from the store (overwritten, see
:meth:`server.store.SqliteEventStore.delete`), its state from memory, its timers and
deliveries stop, its room closes, and its summary files leave the outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from analytics import rules
from server.clock import sleep
from server.keys import BOOK, CLOCK, CONFIG

__all__ = ["SWEEP_SECONDS", "delete_session", "retention_sweeper", "sweep"]

log = logging.getLogger(__name__)

# How often ended sessions are checked against MENTORMEET_RETENTION_DAYS.
SWEEP_SECONDS = 3600.0


async def delete_session(app: web.Application, session_id: str) -> None:
    """Delete a session with all its events and files."""
    await app[BOOK].delete(session_id)  # the timekeeper, courier and hub forget it too
    outbox = app[CONFIG].delivery.outbox_dir
    if outbox is not None and outbox.is_dir():
        # Session ids are URL-safe base64: nothing in them is special to a glob.
        for path in outbox.glob(f"{session_id}.*"):
            path.unlink(missing_ok=True)


async def sweep(app: web.Application, now: float) -> list[str]:
    """Delete every session that ended longer than the retention period ago."""
    days = app[CONFIG].retention_days
    if days is None:
        return []
    expired = [
        state.session_id
        for state in await app[BOOK].all()
        if rules.past_retention(state, now, retention_days=days)
    ]
    for session_id in expired:
        await delete_session(app, session_id)
    if expired:
        log.info("deleted %d sessions older than %g days", len(expired), days)
    return expired


async def retention_sweeper(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context: sweep at start-up and every :data:`SWEEP_SECONDS` after."""

    async def sweep_forever() -> None:
        while True:
            try:
                await sweep(app, app[CLOCK].now())
            except Exception:
                log.exception("the retention sweep failed; trying again later")
            await sleep(app[CLOCK], SWEEP_SECONDS)

    task = asyncio.create_task(sweep_forever()) if app[CONFIG].retention_days else None
    yield
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
