"""Summary delivery to the MPM through its channels (``outbox.py``, ``webhooks.py``,
``mail.py``; ``channels.py`` picks them from the settings).

Each configured channel gets the summary once the session ends and every later version of
it (a rating or a concern after the end makes one), at least once; webhook and email also
pass each concern raised during the meeting on at once. A failure is recorded as an event
(so the dashboard shows it and a restart resumes it) and retried with exponential backoff,
up to ``MAX_ATTEMPTS`` failures in a row (about a day). A failure that retrying cannot
mend (:class:`PermanentDeliveryError`) and the last of those attempts are recorded as
final: the channel stops until the MPM retries it from the dashboard.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

from analytics.events import (
    ConcernDelivered,
    ConcernDeliveryFailed,
    ConcernRaised,
    DeliveryRetried,
    Event,
    MeetingRated,
    SessionEnded,
    SummaryDelivered,
    SummaryDeliveryFailed,
)
from analytics.outgoing import ConcernAlert, SummaryDue, next_parcel
from analytics.session import SessionState
from analytics.summary import SummaryPolicy, summarise
from server.channel import AlertChannel, Channel, PermanentDeliveryError
from server.clock import Clock, sleep
from server.cluster import Cluster
from server.sessions import SessionBook

__all__ = ["MAX_ATTEMPTS", "SummaryCourier", "retry_delay"]

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = 3600.0
# 2 s, 4 s … 2048 s, then hourly: the 30th failure in a row comes about 21 hours after the first.
MAX_ATTEMPTS = 30


def retry_delay(attempt: int, *, first: float = 2.0) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (doubling, capped at an hour)."""
    # The exponent is capped: past it the hour applies anyway, and 2 ** 1024 is no float.
    return min(MAX_RETRY_DELAY, first * 2.0 ** min(attempt - 1, 64))


# Events after which a session may owe the MPM something new.
_WORK_EVENTS = (SessionEnded, ConcernRaised, MeetingRated, DeliveryRetried)


class SummaryCourier:
    """Delivers every summary version and live concern through every channel, retrying.

    Among instances sharing a database, one at a time delivers a session's parcels: the
    one holding its claim (see :mod:`server.cluster`), which it keeps while it lives. The
    others try again on every cluster tick while they see something owed
    (:meth:`reconcile`), and so take over from an instance that died.
    """

    def __init__(
        self,
        book: SessionBook,
        channels: list[Channel],
        policy: SummaryPolicy,
        clock: Clock,
        cluster: Cluster,
        *,
        first_retry_seconds: float = 2.0,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._book = book
        self._clock = clock
        self._channels = channels
        self._policy = policy
        self._first_retry = first_retry_seconds
        self._max_attempts = max_attempts
        self._cluster = cluster
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    @property
    def channel_names(self) -> list[str]:
        """The configured channels, in order."""
        return [channel.name for channel in self._channels]

    @property
    def alert_channel_names(self) -> list[str]:
        """The channels that pass concerns on during the meeting."""
        return [c.name for c in self._channels if isinstance(c, AlertChannel)]

    async def resume(self) -> None:
        """Pick up deliveries that a previous process did not finish."""
        self.reconcile(await self._book.all())

    def reconcile(self, states: list[SessionState]) -> None:
        """Start delivering whatever these sessions owe that nothing here delivers yet."""
        for state in states:
            self._start(state)

    async def on_recorded(self, state: SessionState, event: Event) -> None:
        """Dispatcher subscriber: an end, a concern or a rating may leave something to deliver."""
        if isinstance(event, _WORK_EVENTS):
            self._start(state)

    def _start(self, state: SessionState) -> None:
        for channel in self._channels:
            key = (state.session_id, channel.name)
            if key in self._tasks or self._next(state, channel) is None:
                continue
            task = asyncio.create_task(self._work(state.session_id, channel, key))
            self._tasks[key] = task
            task.add_done_callback(functools.partial(self._forget, key))

    def _forget(self, key: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    @staticmethod
    def _next(state: SessionState, channel: Channel) -> ConcernAlert | SummaryDue | None:
        return next_parcel(state, channel.name, carries_alerts=isinstance(channel, AlertChannel))

    async def _work(self, session_id: str, channel: Channel, key: tuple[str, str]) -> None:
        if not await self._cluster.claim(f"delivery {session_id}"):
            self._tasks.pop(key, None)  # a live instance delivers it
            return
        while True:
            # Everything recorded anywhere: what another instance delivered is not owed.
            state = await self._book.latest(session_id)
            parcel = self._next(state, channel)
            if parcel is None:
                # No await since the state was read: a fact recorded from here on starts
                # a new worker instead of finding this one about to stop.
                self._tasks.pop(key, None)
                return
            previous = state.deliveries.get(channel.name)
            attempt = (previous.attempts if previous else 0) + 1
            try:
                await self._send(channel, state, parcel)
            except Exception as error:  # recorded, and retried unless it is final
                final = isinstance(error, PermanentDeliveryError) or attempt >= self._max_attempts
                log.warning(
                    "delivering %s by %s failed%s: %s",
                    session_id,
                    channel.name,
                    " for good" if final else "",
                    error,
                )
                reason = (str(error) or type(error).__name__)[:300]
                await self._record(
                    session_id,
                    functools.partial(_failure, parcel, channel.name, attempt, reason, final=final),
                )
                if not final:
                    await sleep(self._clock, retry_delay(attempt, first=self._first_retry))
                continue  # a final failure leaves nothing owed, unless a retry came in since
            await self._record(session_id, functools.partial(_success, parcel, channel.name))

    async def _send(
        self, channel: Channel, state: SessionState, parcel: ConcernAlert | SummaryDue
    ) -> None:
        if isinstance(parcel, ConcernAlert):
            assert isinstance(channel, AlertChannel)  # next_parcel only alerts such channels
            await channel.alert(parcel)
        else:
            await channel.deliver(summarise(state, self._policy))

    async def _record(self, session_id: str, outcome: Callable[..., Event]) -> None:
        await self._book.execute(session_id, lambda _, at: outcome(at=at))

    def forget(self, session_id: str) -> None:
        """The session is deleted: stop delivering its summary."""
        for (task_session, _), task in list(self._tasks.items()):
            if task_session == session_id:
                task.cancel()

    async def settled(self) -> None:
        """Wait until every delivery under way has gone through or given up."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        """Stop retrying; what is not delivered yet resumes on the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _success(parcel: ConcernAlert | SummaryDue, channel: str, at: float) -> Event:
    if isinstance(parcel, ConcernAlert):
        return ConcernDelivered(at=at, actor="system", channel=channel, number=parcel.number)
    return SummaryDelivered(at=at, actor="system", channel=channel, version=parcel.version)


def _failure(
    parcel: ConcernAlert | SummaryDue,
    channel: str,
    attempt: int,
    error: str,
    *,
    final: bool,
    at: float,
) -> Event:
    if isinstance(parcel, ConcernAlert):
        return ConcernDeliveryFailed(
            at=at,
            actor="system",
            channel=channel,
            number=parcel.number,
            attempt=attempt,
            error=error,
            final=final,
        )
    return SummaryDeliveryFailed(
        at=at,
        actor="system",
        channel=channel,
        version=parcel.version,
        attempt=attempt,
        error=error,
        final=final,
    )
