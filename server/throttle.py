"""Throttles that answer ``429 Too Many Requests`` with ``Retry-After`` once a sender overdoes it.

Two are in use: wrong admin tokens per client address (guessing), and participants' HTTP
writes per invite token (concerns, ratings, agenda). Both are token buckets per key, so a
sender that stays under the rate is never slowed, and one sender's excess touches no other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable

from aiohttp import web

from server.errors import json_error
from server.ratelimit import BucketsByKey

__all__ = [
    "ADMIN_GUESSES_PER_MINUTE",
    "ADMIN_GUESS_BURST",
    "WRITES_PER_MINUTE",
    "WRITE_BURST",
    "Throttle",
    "admin_guesses",
    "participant_writes",
]

# Wrong admin tokens from one address: a few typos are fine, a search is not.
ADMIN_GUESS_BURST = 10
ADMIN_GUESSES_PER_MINUTE = 6
# A participant's writes over HTTP: a save or a concern now and then, never a stream.
WRITE_BURST = 10
WRITES_PER_MINUTE = 10


class Throttle:
    """Token buckets per key that refuse with 429 and say when to come back."""

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        what: str,
        clock: Callable[[], float],
    ) -> None:
        self._buckets = BucketsByKey(rate=per_minute / 60, burst=burst)
        self._what = what
        self._clock = clock

    def _too_many(self, wait_seconds: float) -> web.HTTPError:
        return json_error(
            web.HTTPTooManyRequests,
            f"too many {self._what}: try again in {math.ceil(wait_seconds)} s",
            headers={"Retry-After": str(math.ceil(wait_seconds))},
        )

    def check(self, key: Hashable) -> None:
        """Refuse if ``key`` has nothing left, without using anything up."""
        wait = self._buckets.bucket(key, self._clock()).wait_seconds(self._clock())
        if wait > 0:
            raise self._too_many(wait)

    def take(self, key: Hashable) -> None:
        """Use up one of ``key``'s allowance, or refuse if there is none left."""
        now = self._clock()
        bucket = self._buckets.bucket(key, now)
        if not bucket.allow(now):
            raise self._too_many(bucket.wait_seconds(now))

    def spend(self, key: Hashable) -> None:
        """Count one against ``key`` (a failure); the next :meth:`check` may refuse."""
        now = self._clock()
        self._buckets.bucket(key, now).allow(now)


def admin_guesses(clock: Callable[[], float]) -> Throttle:
    """The throttle on wrong admin tokens, per client address, timed by ``clock``."""
    return Throttle(
        per_minute=ADMIN_GUESSES_PER_MINUTE,
        burst=ADMIN_GUESS_BURST,
        what="wrong tokens",
        clock=clock,
    )


def participant_writes(clock: Callable[[], float]) -> Throttle:
    """The throttle on participants' HTTP writes, per invite (session and role)."""
    return Throttle(per_minute=WRITES_PER_MINUTE, burst=WRITE_BURST, what="requests", clock=clock)
