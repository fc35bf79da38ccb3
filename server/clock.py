"""The shell's one clock: wall time for events and deadlines, monotonic time for rates.

Everything in ``server/`` that needs the time asks the :class:`Clock` it was given, so a
test can hand the whole application a :class:`ManualClock` and move time by hand.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "Timer", "sleep"]


class Timer(Protocol):
    """A callback waiting for its time; :meth:`cancel` stops it."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the shell knows of time."""

    def now(self) -> float:
        """Seconds since the epoch (what events record)."""
        ...

    def monotonic(self) -> float:
        """Seconds that never go back (for rates and timeouts)."""
        ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` once :meth:`now` reaches ``when`` (wall time)."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` after ``delay`` seconds."""
        ...


async def sleep(clock: Clock, seconds: float) -> None:
    """Wait ``seconds`` of ``clock``'s time."""
    woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not woken.done():
            woken.set_result(None)

    timer = clock.call_later(seconds, wake)
    try:
        await woken
    finally:
        timer.cancel()


class SystemClock:
    """The real time, with timers on the running event loop."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        return self.call_later(max(0.0, when - self.now()), callback)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, callback)


@dataclass(order=True)
class _ManualTimer:
    when: float
    order: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that moves only when told to (:meth:`advance`), for tests.

    Its monotonic time is its wall time: both move together.
    """

    def __init__(self, start: float) -> None:
        self._now = start
        self._timers: list[_ManualTimer] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        if when <= self._now:  # as a real clock does: due already, so at once
            return asyncio.get_running_loop().call_soon(callback)
        timer = _ManualTimer(when, next(self._order), callback)
        heapq.heappush(self._timers, timer)
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self._now + delay, callback)

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, running every timer that falls due on the way."""
        end = self._now + seconds
        while self._timers and self._timers[0].when <= end:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, timer.when)
            timer.callback()
        self._now = end
