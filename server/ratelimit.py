"""Token buckets: how many things a sender may do, on average and in a burst."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

__all__ = ["BucketsByKey", "TokenBucket"]


@dataclass(slots=True)
class TokenBucket:
    """Allows ``rate`` events a second on average, and bursts of up to ``burst`` at once."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    updated_at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def _refill(self, now: float) -> None:
        if self.updated_at is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.updated_at) * self.rate)
        self.updated_at = now

    def allow(self, now: float) -> bool:
        """Take one token at ``now`` (a monotonic clock) if there is one."""
        self._refill(now)
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def wait_seconds(self, now: float) -> float:
        """How long from ``now`` until a token is there to take (0 if one is there now)."""
        self._refill(now)
        return max(0.0, (1 - self.tokens) / self.rate)

    def full(self, now: float) -> bool:
        """Whether the bucket has refilled completely by ``now``: it remembers nothing."""
        self._refill(now)
        return self.tokens >= self.burst


class BucketsByKey:
    """One :class:`TokenBucket` per key (an address, a token), in bounded memory.

    Full buckets carry no memory of a sender and are dropped when there are more than
    ``max_keys``; if that is not enough (many senders busy at once) the least recently
    used go, which lets those start afresh rather than letting memory grow.
    """

    def __init__(self, *, rate: float, burst: float, max_keys: int = 10_000) -> None:
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._buckets: dict[Hashable, TokenBucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def bucket(self, key: Hashable, now: float) -> TokenBucket:
        """The bucket of ``key``, created full on first use."""
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = TokenBucket(rate=self._rate, burst=self._burst)
            if len(self._buckets) >= self._max_keys:
                self._forget(now)
        self._buckets[key] = bucket  # (re)inserted last: dicts keep the order of use
        return bucket

    def _forget(self, now: float) -> None:
        for key in [key for key, bucket in self._buckets.items() if bucket.full(now)]:
            del self._buckets[key]
        while len(self._buckets) >= self._max_keys:
            del self._buckets[next(iter(self._buckets))]
